"""`make run` as a newcomer meets it: the sign-in block is the last thing printed, its command runs
as printed, and Ctrl-C (to the whole terminal's process group, as a terminal sends it) stops
everything cleanly, without a traceback or make's "*** Interrupt".

`make run` (scripts/run.py, with this test's interpreter as the virtualenv) runs on the embedded
default (SQLite, the filesystem broker, the fake Amazon) in a folder of its own (JWO_VAR_DIR) on
free ports, so it needs no service and touches nothing else.
"""

import os
import selectors
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = "(Ctrl-C stops everything)"
START_SECONDS = 75  # migrate and seed 3000 products on SQLite, then three processes on a busy 2-core machine


class Output:
    """What the script prints (standard output and error together), read as it comes."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self.stream = process.stdout
        os.set_blocking(self.stream.fileno(), False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stream, selectors.EVENT_READ)
        self.text = ""

    def read_until(self, needle: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while needle not in self.text:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {needle!r} in {seconds} s; printed:\n{self.text[-5000:]}"
            self.read(remaining)

    def read(self, seconds: float) -> bool:
        """Whatever arrives within ``seconds``; False at the end of the output."""
        if self.selector.select(timeout=min(seconds, 0.5)):
            chunk = self.stream.read()
            if chunk == b"":
                return False
            self.text += (chunk or b"").decode(errors="replace")
        return True


@pytest.fixture
def run_script(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str]]]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}
    environment = {name: value for name, value in os.environ.items() if name in keep}
    environment |= {
        "JWO_VAR_DIR": str(tmp_path / "var"),
        "JWO_RUN_PORT": str(free_port()),
        "JWO_FAKE_AMAZON_PORT": str(free_port()),
        "JWO_MOTO_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(  # noqa: S603 - make, with the virtualenv this test runs in
        ["make", "--no-print-directory", "run", f"VENV={Path(sys.prefix)}"],  # noqa: S607 - make from PATH
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    try:
        yield process, environment
    finally:
        if process.poll() is None:  # the test failed before its Ctrl-C: stop the script's children too
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_make_run_prints_the_sign_ins_last_runs_its_command_as_printed_and_stops_on_ctrl_c(
    run_script: tuple[subprocess.Popen[bytes], dict[str, str]],
) -> None:
    process, environment = run_script
    output = Output(process)

    output.read_until(LAST_LINE, START_SECONDS)
    output.read(1.0)  # anything printed just after the block would push it up

    last = output.text.rstrip("\n").splitlines()[-20:]
    port = environment["JWO_RUN_PORT"]
    assert last[-1] == f"jwo-admin is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)"
    logins = [line for line in last if line.startswith("Staff login: ")]
    assert [line.split()[2] for line in logins] == ["admin", "catalog", "store", "viewer"]
    assert any(
        line.startswith(f"Shopper sign-in at http://127.0.0.1:{port}/shop/: alex@example.com / ") for line in last
    )
    key = next(line for line in last if line.startswith("Connector key (shown once): ")).split()[-1]
    assert f"  export JWO_CONNECTOR_KEY={key}" in last
    assert f"Receipts emailed in the demo are in {environment['JWO_VAR_DIR']}/mail/ (a file per email)." in last
    [command] = [line.strip() for line in last if " manage.py identity_key " in line]
    interpreter, manage_py = shlex.split(command)[:2]
    assert (ROOT / interpreter).resolve() == Path(sys.executable).resolve()  # what `make run` runs with
    assert manage_py == "manage.py"
    assert "Content-Type: multipart" not in output.text  # no receipt on the console

    printed = subprocess.run(  # noqa: S603 - the line our own script printed, run as a person would
        shlex.split(command), cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )

    assert printed.returncode == 0, printed.stderr
    assert f"curl -sS -X POST http://127.0.0.1:{port}/v1/identity/identity-keys " in printed.stdout

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: make, the script and its children all get it
    started = time.monotonic()
    while output.read(5.0) and time.monotonic() - started < 5:
        pass
    # make dies of the Ctrl-C itself, silently (a shell shows no message); the script stopped everything
    assert process.wait(timeout=max(5 - (time.monotonic() - started), 0.1)) == -signal.SIGINT
    after = output.text.split(LAST_LINE)[-1]
    assert after.strip().splitlines()[0] == "Stopping…", after
    assert "Traceback" not in after, after
    assert "make: ***" not in after, after
    with pytest.raises(ProcessLookupError):  # nothing of the group is left: no server, worker or moto
        os.killpg(process.pid, 0)
