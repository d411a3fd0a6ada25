"""When a call arrived: the proxy's request-start header in its forms, gunicorn's own stamp, and now."""

import json
import runpy
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jwo_admin.core.arrival import (
    IDENTITY_TIMEOUT_MESSAGE,
    PURCHASE_SHED_MESSAGE,
    WORKER_ARRIVAL_HEADER,
    CallTooLate,
    RetrySchedule,
    ShedLateCalls,
    arrival_check,
    request_arrived_at,
    request_start_parse,
    request_waited,
    worker_arrival_stamp,
)

NOW = 1_700_000_100.0
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("t=1700000000.123", 1_700_000_000.123),  # nginx: t=${msec}
        ("1700000000.5", 1_700_000_000.5),  # seconds without the prefix
        ("1700000000", 1_700_000_000.0),
        ("t=1700000000123", 1_700_000_000.123),  # milliseconds (Heroku, HAProxy)
        ("t=1700000000123456", 1_700_000_000.123456),  # microseconds (Apache's %t)
        ("1700000000123456789", 1_700_000_000.123456789),  # nanoseconds
        ("  t=1700000000.25 ", 1_700_000_000.25),
    ],
)
def test_request_start_is_read_in_seconds_milliseconds_and_microseconds(value: str, seconds: float) -> None:
    assert request_start_parse(value) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize("value", ["", "t=", "soon", "t=-5", "0", "nan", "inf", "t=1e400", "d=1700000000"])
def test_what_is_not_a_time_is_none(value: str) -> None:
    assert request_start_parse(value) is None


def test_the_proxy_header_wins_over_gunicorns_stamp() -> None:
    meta = {"HTTP_X_REQUEST_START": "t=1700000099.250", "HTTP_X_JWO_WORKER_ARRIVAL": "t=1700000099.900"}
    assert request_arrived_at(meta, now=NOW) == 1_700_000_099.25
    assert request_waited(meta, now=NOW) == pytest.approx(0.75)


def test_gunicorns_stamp_when_no_proxy_sets_the_header() -> None:
    meta = {"HTTP_X_JWO_WORKER_ARRIVAL": "t=1700000099.900000"}
    assert request_arrived_at(meta, now=NOW) == 1_700_000_099.9


def test_no_header_at_all_is_now_and_the_answer_is_kept_for_the_call() -> None:
    meta: dict[str, Any] = {}
    assert request_arrived_at(meta, now=NOW) == NOW
    assert request_arrived_at(meta, now=NOW + 5) == NOW  # the middleware read it first; the view gets the same
    assert request_waited(meta, now=NOW + 5) == 5.0


def test_a_clock_ahead_counts_as_now_and_one_far_behind_is_ignored() -> None:
    assert request_arrived_at({"HTTP_X_REQUEST_START": "t=1700000105"}, now=NOW) == NOW
    assert request_arrived_at({"HTTP_X_REQUEST_START": "t=1699990000"}, now=NOW) == NOW  # 10,100 s: not a wait
    behind = {"HTTP_X_REQUEST_START": "t=1699990000", "HTTP_X_JWO_WORKER_ARRIVAL": "t=1700000099"}
    assert request_arrived_at(behind, now=NOW) == 1_700_000_099.0


def test_the_header_is_configurable_and_can_be_switched_off(settings: Any) -> None:
    settings.JWO_REQUEST_START_HEADER = "X-Queue-Start"
    assert request_arrived_at({"HTTP_X_QUEUE_START": "t=1700000099000", "HTTP_X_REQUEST_START": "1"}, now=NOW) == (
        1_700_000_099.0
    )
    settings.JWO_REQUEST_START_HEADER = ""
    assert request_arrived_at({"HTTP_X_REQUEST_START": "t=1700000099"}, now=NOW) == NOW


def test_arrival_check_raises_past_the_budget_only() -> None:
    assert arrival_check({"HTTP_X_REQUEST_START": "t=1700000099.000"}, budget_ms=1000, now=NOW) == 1.0
    with pytest.raises(CallTooLate) as late:
        arrival_check({"HTTP_X_REQUEST_START": "t=1700000098.999"}, budget_ms=1000, now=NOW)
    assert late.value.waited == pytest.approx(1.001)
    assert arrival_check({"HTTP_X_REQUEST_START": "t=1"}, budget_ms=1000, now=NOW) == 0.0  # far behind: ignored
    assert arrival_check({"HTTP_X_REQUEST_START": f"t={time.time() - 0.5:.3f}"}, budget_ms=1000) >= 0.49


def test_worker_stamp_replaces_what_the_caller_sent() -> None:
    headers = [("HOST", "example.com"), ("X-JWO-WORKER-ARRIVAL", "t=1")]
    worker_arrival_stamp(headers, now=NOW)
    assert headers == [("HOST", "example.com"), (WORKER_ARRIVAL_HEADER.upper(), "t=1700000100.000000")]


def test_gunicorns_pre_request_hook_stamps_the_arrival() -> None:
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    request = SimpleNamespace(headers=[("HOST", "example.com")])
    config["pre_request"](None, request)
    [(name, value)] = [header for header in request.headers if header[0] != "HOST"]
    assert name == "X-JWO-WORKER-ARRIVAL"
    stamp = request_start_parse(value)
    assert stamp is not None
    assert request_waited({"HTTP_X_JWO_WORKER_ARRIVAL": value}) < 5.0


def _wsgi(path: str, waited: float, method: str = "POST") -> tuple[str, dict[str, str], bytes, list[str]]:
    passed: list[str] = []

    def django(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        passed.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"django"]

    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=dict(headers))

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_X_REQUEST_START": f"t={time.time() - waited:.3f}"}
    body = b"".join(ShedLateCalls(django)(environ, start_response))
    return answer["status"], answer["headers"], body, passed


def _late(connector: str) -> float:
    labels = {"connector": connector, "reason": "shed"}
    return REGISTRY.get_sample_value("jwo_connector_late_calls_total", labels) or 0.0


@pytest.fixture
def retry_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh schedule of shed walk-outs' retries, as a newly started web process has."""
    monkeypatch.setattr("jwo_admin.core.arrival.PURCHASE_RETRIES", RetrySchedule())


def test_shed_walk_outs_are_asked_back_at_the_configured_pace() -> None:
    schedule = RetrySchedule()

    # A burst of nine shed at once, 1 s first and 4 a second: 1 s, then four in each next second.
    burst = [schedule.retry_after(first=1, rate=4, now=100.0) for _ in range(9)]
    # 0.5 s later the slots taken go on where the burst left them (101 + 9/4 = 103.25 from 100.5).
    later = schedule.retry_after(first=1, rate=4, now=100.5)
    # Once the slots are past, a lone shed call is asked back after the first second again.
    quiet = schedule.retry_after(first=1, rate=4, now=110.0)

    assert burst == [1, 2, 2, 2, 2, 3, 3, 3, 3]
    assert (later, quiet) == (3, 1)


@pytest.mark.usefixtures("retry_schedule")
def test_the_wsgi_gate_answers_late_connector_calls_before_django_and_counts_them() -> None:
    identity, purchases = _late("identity"), _late("purchases")

    status, headers, body, passed = _wsgi("/v1/identity/identity-keys", waited=1.5)
    timeout = {"message": IDENTITY_TIMEOUT_MESSAGE}
    assert (status, json.loads(body), passed) == ("500 Internal Server Error", timeout, [])
    assert (headers["Content-Type"], headers["Cache-Control"]) == ("application/json; charset=utf-8", "no-store")
    status, headers, body, passed = _wsgi("/v1/order/purchases", waited=2.5)
    assert (status, headers["Retry-After"], json.loads(body), passed) == (
        "503 Service Unavailable",
        "1",
        {"message": PURCHASE_SHED_MESSAGE},
        [],
    )
    assert (_late("identity"), _late("purchases")) == (identity + 1, purchases + 1)


@pytest.mark.usefixtures("retry_schedule")
def test_the_wsgi_gate_asks_shed_walk_outs_back_from_the_configured_policy(settings: Any) -> None:
    settings.JWO_PURCHASE_RETRY_AFTER_SECONDS = 3
    settings.JWO_PURCHASE_RETRIES_PER_SECOND = 2

    waits = [_wsgi("/v1/order/purchases", waited=2.5)[1]["Retry-After"] for _ in range(4)]

    assert waits == ["3", "4", "4", "5"]  # slots at 3, 3.5, 4 and 4.5 s from the first


def test_the_wsgi_gate_lets_fresh_calls_and_other_pages_through() -> None:
    identity, purchases = _late("identity"), _late("purchases")

    assert _wsgi("/v1/identity/identity-keys", waited=0.5)[2:] == (b"django", ["/v1/identity/identity-keys"])
    assert _wsgi("/v1/order/purchases", waited=1.5)[2:] == (b"django", ["/v1/order/purchases"])
    assert _wsgi("/orders/purchases/", waited=60.0, method="GET")[2:] == (b"django", ["/orders/purchases/"])
    assert (_late("identity"), _late("purchases")) == (identity, purchases)
