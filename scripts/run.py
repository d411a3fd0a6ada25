"""`make run`: migrate, seed the demo, then run the web app and a Celery worker until Ctrl-C.

The embedded default: SQLite and kombu's filesystem broker, so nothing but Python is needed.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = os.environ.get("JWO_RUN_HOST", "127.0.0.1")
PORT = os.environ.get("JWO_RUN_PORT", "8000")


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True, text=True, capture_output=capture)
    return result.stdout if capture else ""


def start_fake_amazon() -> subprocess.Popen[bytes]:
    """moto (STS, S3, SNS, SQS) and the fake Catalog API in one process; its endpoints go into
    the environment of the web app and the worker, so the embedded default makes a real round trip."""
    ready = ROOT / "var" / "fake-amazon.json"
    ready.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
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
        ],
        cwd=ROOT,
    )
    for _ in range(300):
        if ready.exists() and ready.stat().st_size:
            break
        if process.poll() is not None:
            raise SystemExit("The fake Amazon did not start; see the messages above.")
        time.sleep(0.1)
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
    return process


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.local")
    (ROOT / "var").mkdir(exist_ok=True)
    print("Preparing the database…", flush=True)
    manage("migrate", "--no-input", "-v", "0")
    seeded = manage("demo_seed", capture=True)
    processes = [start_fake_amazon()]
    processes += [
        subprocess.Popen([PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], cwd=ROOT),
        subprocess.Popen(
            [
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
                f"--schedule={ROOT / 'var' / 'celerybeat-schedule'}",
            ],
            cwd=ROOT,
        ),
    ]
    time.sleep(2)
    print("\n" + seeded.strip())
    print(f"Fake Amazon catalog API at {os.environ['JWO_AMAZON_ENDPOINT']} (moto at {os.environ['AWS_ENDPOINT_URL']})")
    print(f"\njwo-admin is running at http://{HOST}:{PORT}/  (Ctrl-C stops everything)\n", flush=True)

    def stop(*_: object) -> None:
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in processes:
            process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
