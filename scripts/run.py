"""`make run`: migrate, seed the demo, then run the web app, a Celery worker (with beat) and the fake
Amazon until Ctrl-C.

The embedded default: SQLite and kombu's filesystem broker under JWO_VAR_DIR (``var/``), so nothing
but Python is needed. Once everything answers, one short block is printed last: the URL, the staff
and shopper sign-ins, the connector key and commands that run as printed (demo mail goes to
``var/mail/``, not the console, so nothing buries it).

Ctrl-C, SIGTERM or SIGHUP stop every child and exit 0 within STOP_SECONDS. Each child runs in a
process group of its own: the terminal's Ctrl-C reaches this script only, which stops the web app
and the worker, then the fake Amazon (the worker's calls to it end first), and kills whatever is
left when the time is up, so a worker finishing a long task never holds the terminal.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VAR_DIR = Path(os.environ.get("JWO_VAR_DIR", "") or ROOT / "var")  # the settings' default too
HOST = os.environ.get("JWO_RUN_HOST", "127.0.0.1")
PORT = os.environ.get("JWO_RUN_PORT", "8000")
URL = f"http://{HOST}:{PORT}"
START_SECONDS = 60.0  # for the web app and the worker to answer
STOP_SECONDS = 3.5  # the whole stop, kills included: well under the 5 s a person waits for the prompt


class Stop(Exception):
    """A stop signal arrived: Ctrl-C, SIGTERM or SIGHUP."""


def _stop_requested(*_: object) -> None:
    raise Stop


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, check=True, text=True, capture_output=capture, start_new_session=True
    )
    return result.stdout if capture else ""


def spawn(processes: list[subprocess.Popen[bytes]], *args: str) -> subprocess.Popen[bytes]:
    """Start a child in a process group of its own, and count it among those ``stop`` ends."""
    process = subprocess.Popen(args, cwd=ROOT, start_new_session=True)
    processes.append(process)
    return process


def start_fake_amazon(processes: list[subprocess.Popen[bytes]]) -> None:
    """moto (STS, S3, SNS, SQS) and the fake Catalog API in one process; its endpoints go into
    the environment of the web app and the worker, so the embedded default makes a real round trip."""
    ready = VAR_DIR / "fake-amazon.json"
    ready.unlink(missing_ok=True)
    process = spawn(
        processes,
        PYTHON,
        "-m",
        "fake_amazon",
        "--port",
        os.environ.get("JWO_FAKE_AMAZON_PORT", "8899"),
        "--moto-port",
        os.environ.get("JWO_MOTO_PORT", "5055"),
        "--store",
        "DEMO-STORE-001",
        "--store",
        "DEMO-STORE-002",
        "--reject-rate",
        "0.01",
        "--ready-file",
        str(ready),
    )
    wait_for(lambda: ready.exists() and ready.stat().st_size > 0, [process], "The fake Amazon")
    endpoints = json.loads(ready.read_text())
    os.environ.update(
        {
            "JWO_AMAZON_ENDPOINT": endpoints["endpoint"],
            "AWS_ENDPOINT_URL": endpoints["aws_endpoint_url"],
            "JWO_SQS_QUEUE_URL": endpoints["queue_url"],
            "JWO_SQS_RUN_SECONDS": "20",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # moto's local credentials, not a secret
        }
    )


def start_worker(processes: list[subprocess.Popen[bytes]]) -> Path:
    """The worker, and the file it writes once it consumes (jwo_admin.celery)."""
    ready = VAR_DIR / "worker-ready"
    ready.unlink(missing_ok=True)
    os.environ["JWO_WORKER_READY_FILE"] = str(ready)
    spawn(
        processes,
        PYTHON,
        "-m",
        "celery",
        "-A",
        "jwo_admin",
        "worker",
        "--beat",
        # Threads, not solo: a simulation started from the staff page runs in one while
        # the settlements it waits for run in the others.
        "--pool=threads",
        "--concurrency=4",
        "--loglevel=WARNING",
        f"--schedule={VAR_DIR / 'celerybeat-schedule'}",
    )
    return ready


def web_answers() -> bool:
    try:
        with urllib.request.urlopen(f"{URL}/healthz", timeout=1):  # noqa: S310 - our own loopback server
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except OSError:
        return False


def wait_for(ready: Callable[[], bool], processes: list[subprocess.Popen[bytes]], what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not ready():
        if any(process.poll() is not None for process in processes):
            raise SystemExit(f"{what} did not start; see the messages above.")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start in {START_SECONDS:.0f} s; see the messages above.")
        time.sleep(0.1)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """The web app and the worker first, then the fake Amazon they call (started first); whatever is
    left when STOP_SECONDS are up is killed with its whole process group (moto, beat)."""
    deadline = time.monotonic() + STOP_SECONDS
    fake_amazon, callers = processes[:1], processes[1:]
    for signalled, waited, until in ((callers, callers, deadline - 1.0), (fake_amazon, processes, deadline)):
        for process in signalled:
            signal_group(process, signal.SIGTERM)
        while time.monotonic() < until and any(process.poll() is None for process in waited):
            time.sleep(0.05)
    for process in processes:
        signal_group(process, signal.SIGKILL)
        process.wait()


def signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, signum)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.local")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in stop_signals:
        signal.signal(signum, _stop_requested)
    try:
        print("Preparing the database and the demo…", flush=True)
        manage("migrate", "--no-input", "-v", "0")
        seeded = manage("demo_seed", "--base-url", URL, capture=True)
        start_fake_amazon(processes)
        spawn(processes, PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload")
        worker_ready = start_worker(processes)
        wait_for(web_answers, processes, "The web app")
        wait_for(worker_ready.exists, processes, "The Celery worker")
        time.sleep(0.5)  # the worker's last start-up lines (its beat's) before ours
        print(
            f"\nFake Amazon catalog API at {os.environ['JWO_AMAZON_ENDPOINT']} "
            f"(moto at {os.environ['AWS_ENDPOINT_URL']})\n{seeded.strip()}\n"
            f"jwo-admin is running at {URL}/  (Ctrl-C stops everything)",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("A process stopped on its own; stopping the others.", flush=True)
        return 1
    except Stop:
        print("\nStopping…", flush=True)
        return 0
    finally:
        for signum in stop_signals:
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop short
        stop(processes)


if __name__ == "__main__":
    raise SystemExit(main())
