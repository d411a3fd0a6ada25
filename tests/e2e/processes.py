"""The separate processes of the end-to-end test: start, wait until ready, stop (whole groups)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """The running processes, their logs and the environment they share."""

    workdir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    cwd: Path = ROOT  # a host of its own runs from its own directory (PYTHONPATH names the code)

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        with self.log(name).open("ab") as handle:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
                [sys.executable, *command],
                cwd=self.cwd,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: stop() reaches its children too
            )
        self.processes[name] = process
        return process

    def manage(self, *args: str, timeout: float = 180) -> str:
        """A management command with the stack's settings; its output, or a failure that shows it."""
        result = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")

    def tail(self, name: str, size: int = 4000) -> str:
        path = self.log(name)
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"===== {name} =====\n{self.tail(name)}" for name in self.processes)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for_file(path: Path, stack: Stack, timeout: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size):
        stack.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} did not appear within {timeout:.0f} s\n{stack.logs()}")
        time.sleep(0.1)
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded


def wait_for_http(port: int, stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if sock.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer within {timeout:.0f} s\n{stack.logs()}")


def wait_until(what: str, check: Callable[[], object], stack: Stack, timeout: float = 90) -> None:
    """Poll ``check()`` (truthy when done) with a bounded wait and the processes' logs on failure."""
    deadline = time.monotonic() + timeout
    while not check():
        stack.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s\n{stack.logs()}")
        time.sleep(0.25)
