"""The pause after an outside system fails: on at the failure, off once its seconds have passed."""

import time

from jwo_admin.core.cooldown import Cooldown


def test_a_failure_starts_a_pause_that_ends_by_itself() -> None:
    seconds = [0.2]
    cooldown = Cooldown(lambda: seconds[0])

    assert cooldown.cooling is False
    cooldown.failed()
    assert cooldown.cooling is True
    time.sleep(0.25)
    assert cooldown.cooling is False


def test_the_pause_is_read_at_each_failure_and_reset_ends_it() -> None:
    seconds = [0.0]
    cooldown = Cooldown(lambda: seconds[0])
    cooldown.failed()
    assert cooldown.cooling is False  # a pause of 0 s
    seconds[0] = 60.0
    cooldown.failed()
    assert cooldown.cooling is True
    cooldown.reset()
    assert cooldown.cooling is False
