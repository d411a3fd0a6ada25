"""Mail servers that fail the way real ones do, for the receipt delivery tests: a backend that
refuses a given number of sends first (then delivers to Django's locmem outbox), and one that is
never reachable. They stand in for the SMTP server — what leaves the process — not for our code."""

from smtplib import SMTPServerDisconnected
from typing import Any, ClassVar

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakyBackend(LocmemBackend):
    """Refuses the first ``failures`` sends (set by the test), then delivers to ``mail.outbox``."""

    failures: ClassVar[int] = 0
    attempts: ClassVar[int] = 0

    def send_messages(self, messages: Any) -> int:
        FlakyBackend.attempts += 1
        if FlakyBackend.attempts <= FlakyBackend.failures:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class UnreachableBackend(LocmemBackend):
    """A mail server nobody answers for: every send is refused by the network."""

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError(111, "Connection refused")


FLAKY = f"{__name__}.FlakyBackend"  # for settings.EMAIL_BACKEND
UNREACHABLE = f"{__name__}.UnreachableBackend"
