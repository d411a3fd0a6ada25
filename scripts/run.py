"""`make run`: migrate, seed the demo, then run the web app and a Celery worker until Ctrl-C.

The embedded default: SQLite and kombu's filesystem broker, so nothing but Python is needed.
"""

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


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.local")
    print("Preparing the database…", flush=True)
    manage("migrate", "--no-input", "-v", "0")
    seeded = manage("demo_seed", capture=True)
    processes = [
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
                "--pool=solo",
                "--loglevel=WARNING",
                f"--schedule={ROOT / 'var' / 'celerybeat-schedule'}",
            ],
            cwd=ROOT,
        ),
    ]
    time.sleep(2)
    print("\n" + seeded.strip())
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
