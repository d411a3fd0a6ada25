"""A peak hour of a store, for locust (run by ``bench/load.py``; ``make load``).

``bench/load.py`` plans every connector call beforehand: its body (Scan Key Codes issued by the
real service, 20-line carts) and the moment it is due, counted from the start of the run. So the
arrival rates are the plan's, whatever the server does — a constant arrival rate, not a number of
users that each wait for their answer:

* **gates** — 8 gates, 100 Identity Connector calls/s in all, one due every 10 ms; a pool of
  locust users picks up each call at its due time (a gate whose call is slow does not hold the
  next one back);
* **walk-outs** — Create Purchases in bursts: 30 calls/s on average, due at twice that rate for
  half of each period and none in the other half (``bench/load.py`` sets the shape);
* **staff** — a few signed-in people browsing the purchases list, the gate log and the products,
  each page when the last one has loaded, 1-3 s apart.

``bench/load.py`` may run several locust processes: each takes every n-th call of the plan
(``JWO_LOAD_SHARD``, ``i/n``) and the plan's start time (``JWO_LOAD_START``, epoch seconds) so
that their calls interleave as one plan.

Each call's latency runs from its due time to the last byte of the answer, so a call that went
out late (no free locust user, or locust itself short of CPU) is counted late; that send lag is
recorded too. Locust's own statistics are not used: every call is written to
``trace-<pid>.tsv`` in ``JWO_LOAD_DIR`` (due, sent, answered, endpoint, kind, outcome), which
``bench/load.py`` reads. Locust stops by itself once every planned call has been answered.
"""

import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, HttpUser, between, constant, events, task

DIRECTORY = Path(os.environ.get("JWO_LOAD_DIR", "."))
SETUP: dict[str, Any] = json.loads((DIRECTORY / "setup.json").read_text()) if DIRECTORY.is_dir() else {}
BARE = bool(SETUP.get("bare"))  # the reference: every call to the bare view's one URL, answered 200
# The overload step (bench/load.py): a store-default 500 is the gate's answer in time, and a
# walk-out answered 503 is sent again after Retry-After, as Amazon does.
OVERLOAD = bool(SETUP.get("overload"))
MAX_RETRIES = 30
IDENTITY_PATH = "/v1/identity/identity-keys"
PURCHASES_PATH = IDENTITY_PATH if BARE else "/v1/order/purchases"
# This process's share: every SHARDS-th call from the SHARD-th, and its users rounded up.
SHARD, SHARDS = (int(part) for part in os.environ.get("JWO_LOAD_SHARD", "0/1").split("/"))


@dataclass(frozen=True)
class Planned:
    due: float  # seconds after the start of the run
    kind: str  # "new", "replay" or "forged"
    expected: int  # the status that is right
    body: str


class Schedule:
    """Planned calls of one endpoint, handed out once each, in order, across the users of this
    process; a user waits for its call's due time."""

    def __init__(self, name: str) -> None:
        path = DIRECTORY / name
        self.calls = []
        lines = path.read_text().splitlines() if path.exists() else []
        for line in lines[SHARD::SHARDS]:  # this process's share of the plan
            due, kind, expected, body = line.split("\t", 3)
            self.calls.append(Planned(float(due), kind, 200 if BARE else int(expected), body))
        self._next = itertools.count()
        self._lock = threading.Lock()
        self.answered = 0

    def take(self) -> Planned | None:
        with self._lock:
            index = next(self._next)
        return self.calls[index] if index < len(self.calls) else None


ENTRIES = Schedule("identity.tsv")
EXITS = Schedule("purchases.tsv")
TRACE: list[str] = []
START = {"at": 0.0}  # epoch seconds of due time 0, set when the test starts


def record(due: float, sent: float, name: str, kind: str, error: str) -> None:
    TRACE.append(f"{due:.6f}\t{sent:.6f}\t{time.time():.6f}\t{name}\t{kind}\t{error}")


def connector_call(user: FastHttpUser, schedule: Schedule, path: str, key: str, name: str) -> None:
    """The next planned call, at its due time, as Amazon makes it (the gateway's connector-key header)."""
    planned = schedule.take()
    if planned is None:
        gevent.sleep(3600)  # nothing left for this user: the run ends when the others are answered
        return
    due = START["at"] + planned.due
    gevent.sleep(max(0.0, due - time.time()))
    sent = time.time()
    kind, retries = planned.kind, 0
    while True:
        # nginx in front stamps X-Request-Start when it receives the call (deploy/nginx).
        headers = {"Content-Type": "application/json", SETUP.get("header", "X"): key}
        error, retry_after = "", 0.0
        with user.client.post(path, data=planned.body, headers=headers, name=name, catch_response=True) as response:
            if OVERLOAD and name == "purchases" and response.status_code == 503:
                retry_after = float(response.headers.get("Retry-After") or 1)  # as Amazon retries
            if response.status_code != planned.expected:
                error = f"HTTP {response.status_code}"
                if OVERLOAD and name == "identity" and response.status_code == 500:
                    error = "store default 500"  # the gate follows the store's default: an answer in time
            elif name == "purchases" and not BARE and '"purchaseId":""' in (response.text or "").replace(" ", ""):
                error = "empty purchaseId"
            if error:
                response.failure(error)
            else:
                response.success()
        if not retry_after or retries >= MAX_RETRIES:
            break
        retries += 1
        gevent.sleep(retry_after)
    record(due, sent, name, f"{kind}+{retries}" if retries else kind, error)
    schedule.answered += 1


class Gate(FastHttpUser):
    fixed_count = -(-int(SETUP.get("gate_users", 32)) // SHARDS)  # 8 gates × 4: free users for calls 10 ms apart
    wait_time = constant(0)  # the schedule paces the calls

    @task
    def scan(self) -> None:
        connector_call(self, ENTRIES, IDENTITY_PATH, SETUP.get("gate_key", ""), "identity")


class WalkOut(FastHttpUser):
    fixed_count = -(-int(SETUP.get("walk_out_users", 32)) // SHARDS)
    wait_time = constant(0)

    @task
    def leave(self) -> None:
        connector_call(self, EXITS, PURCHASES_PATH, SETUP.get("exit_key", ""), "purchases")


class Staff(HttpUser):
    """Staff pages need the session: production cookies are Secure, and this test speaks plain HTTP
    on loopback (TLS ends at the gateway), so the cookies are sent by hand with the header the
    gateway adds."""

    fixed_count = -(-int(SETUP.get("staff", 2)) // SHARDS)
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
            # nginx passes the host without its port (proxy_set_header Host $host), as Django then sees it
            headers={**self.behind_tls, "Referer": f"https://{urlsplit(self.host or '').hostname}/accounts/login/"},
            allow_redirects=False,
            name="staff sign-in",
        )  # fmt: skip
        self.cookies: dict[str, str] = {"csrftoken": token, "sessionid": signed_in.cookies.get("sessionid") or ""}

    def _page(self, path: str) -> None:
        sent = time.time()
        with self.client.get(
            path, cookies=self.cookies, headers=self.behind_tls, allow_redirects=False, name="staff pages",
            catch_response=True,
        ) as response:  # fmt: skip
            error = "" if response.status_code == 200 else f"HTTP {response.status_code}"  # not the sign-in page
            if error:
                response.failure(error)
        record(sent, sent, "staff pages", "page", error)

    @task(3)
    def purchases(self) -> None:
        self._page("/orders/purchases/")

    @task(2)
    def gate_log(self) -> None:
        self._page("/entry/gate-log/")

    @task(1)
    def products(self) -> None:
        self._page("/catalog/")


def _finish(environment: Any) -> None:
    """Quit once every planned call is answered (bounded by ``--run-time``), then write the trace."""
    planned = len(ENTRIES.calls) + len(EXITS.calls)
    while ENTRIES.answered + EXITS.answered < planned:
        gevent.sleep(0.5)
    environment.runner.quit()


@events.test_start.add_listener
def _started(environment: Any, **_: Any) -> None:
    # One start for every locust process (bench/load.py), else the users are spawned by a second on.
    START["at"] = float(os.environ.get("JWO_LOAD_START") or time.time() + 1.0)
    gevent.spawn(_finish, environment)


@events.quitting.add_listener
def _write(environment: Any, **_: Any) -> None:
    lines = [f"start\t{START['at']:.6f}", *TRACE]
    (DIRECTORY / f"trace-{os.getpid()}.tsv").write_text("\n".join(lines) + "\n")
