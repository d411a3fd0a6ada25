"""A peak hour of a store, for locust (run by ``bench/load.py``; ``make load``).

Three kinds of users, from bodies ``bench/load.py`` prepared (codes issued by the real service, so
the Identity Connector decides for real):

* **gates** — 8 gates, two locust users each at a constant 6.25 calls/s: 100 entries/s in all
  (two per gate, so a slow answer does not hold the gate's rate down);
* **walk-outs** — users that send their Create Purchases calls in bursts: every 2 s all of them
  walk out at once, 10 calls each back to back (30 purchases/s on average with 6 users);
* **staff** — a few signed-in people browsing the purchases list, the gate log and the products.

The host, the connector key and the bodies come from the environment (``JWO_LOAD_DIR``).
"""

import itertools
import json
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, HttpUser, between, constant_throughput, task

DIRECTORY = Path(os.environ.get("JWO_LOAD_DIR", "."))
SETUP: dict[str, Any] = json.loads((DIRECTORY / "setup.json").read_text()) if DIRECTORY.is_dir() else {}


class _Bodies:
    """Prepared request bodies, handed out once each across every user of this process."""

    def __init__(self, name: str) -> None:
        path = DIRECTORY / name
        self._lines = path.read_text().splitlines() if path.exists() else []
        self._next = itertools.count()
        self._lock = threading.Lock()

    def take(self) -> str | None:
        with self._lock:
            index = next(self._next)
        return self._lines[index] if index < len(self._lines) else None


def connector_post(user: FastHttpUser, path: str, body: str, key: str, name: str, expected: tuple[int, ...]) -> None:
    """One call as Amazon makes it, through the gateway's connector-key header."""
    headers = {"Content-Type": "application/json", SETUP.get("header", "X"): key}
    with user.client.post(path, data=body, headers=headers, name=name, catch_response=True) as response:
        if response.status_code in expected:
            response.success()
        else:
            response.failure(f"HTTP {response.status_code}")


ENTRIES = _Bodies("identity.jsonl")
EXITS = _Bodies("purchases.jsonl")


class Gate(FastHttpUser):
    host = os.environ.get("JWO_LOAD_IDENTITY_HOST") or None  # its own web pool, when the gateway routes so
    fixed_count = 16
    wait_time = constant_throughput(6.25)

    @task
    def scan(self) -> None:
        body = ENTRIES.take()
        if body is not None:  # a forged code is refused with 401: that is the right answer
            connector_post(self, "/v1/identity/identity-keys", body, SETUP.get("gate_key", ""), "identity", (200, 401))


class WalkOut(FastHttpUser):
    fixed_count = 6
    burst = 10
    period = 2.0

    def on_start(self) -> None:
        self._sent = 0

    def wait_time(self) -> float:
        self._sent += 1
        if self._sent % self.burst:
            return 0.0  # the rest of this burst, back to back
        return self.period - (time.time() % self.period)  # until the next burst of everyone

    @task
    def leave(self) -> None:
        body = EXITS.take()
        if body is not None:
            connector_post(self, "/v1/order/purchases", body, SETUP.get("exit_key", ""), "purchases", (201,))


class Staff(HttpUser):
    """Staff pages need the session: production cookies are Secure, and this test speaks plain HTTP
    on loopback (TLS ends at the gateway), so the cookies are sent by hand with the header the
    gateway adds."""

    fixed_count = 2
    wait_time = between(1, 3)
    behind_tls = {"X-Forwarded-Proto": "https"}

    def on_start(self) -> None:
        login = self.client.get("/accounts/login/", name="staff sign-in", headers=self.behind_tls)
        token: str = login.cookies.get("csrftoken") or ""
        signed_in = self.client.post(
            "/accounts/login/",
            data={"username": SETUP.get("staff_user", ""), "password": SETUP.get("staff_password", ""),
                  "csrfmiddlewaretoken": token},
            cookies={"csrftoken": token},
            headers={**self.behind_tls, "Referer": f"https://{urlsplit(self.host or '').netloc}/accounts/login/"},
            allow_redirects=False,
            name="staff sign-in",
        )  # fmt: skip
        self.cookies: dict[str, str] = {"csrftoken": token, "sessionid": signed_in.cookies.get("sessionid") or ""}

    def _page(self, path: str) -> None:
        with self.client.get(
            path, cookies=self.cookies, headers=self.behind_tls, allow_redirects=False, name="staff pages",
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:  # a redirect to the sign-in page is a failure here
                response.failure(f"HTTP {response.status_code}")

    @task(3)
    def purchases(self) -> None:
        self._page("/orders/purchases/")

    @task(2)
    def gate_log(self) -> None:
        self._page("/entry/gate-log/")

    @task(1)
    def products(self) -> None:
        self._page("/catalog/")
