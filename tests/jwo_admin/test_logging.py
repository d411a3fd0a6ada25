"""Log lines: JSON with the request ids, and no Scan Key Code or card reference in any of them."""

import base64
import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from entry.services.shoppers import scan_key_issue
from jwo_admin.celery import app
from jwo_admin.core.logging import MASK, ClientErrorFilter, JsonFormatter, PlainFormatter, RedactFilter, redact
from jwo_admin.core.request_id import HEADER, RequestIdFilter, RequestIdMiddleware, amazon_request_id_note
from tests.entry.conftest import make_shopper


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A logger writing through our filters twice: JSON and the plain format."""
    logger = logging.getLogger(f"test.jwo.{id(object())}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    outputs = []
    for formatter in (JsonFormatter(), logging.Formatter("%(levelname)s [%(request_id)s] %(message)s")):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RequestIdFilter())
        handler.addFilter(RedactFilter())
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        outputs.append(stream)
    yield logger, outputs[0], outputs[1]
    logger.handlers.clear()


def test_a_log_line_is_one_json_object_with_the_request_ids(
    captured: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, as_json, plain = captured

    def view(request: HttpRequest) -> HttpResponse:
        amazon_request_id_note("9d8c7b6a-1234-4abc-8def-0123456789ab")
        logger.info("priced %d lines", 3, extra={"store_id": "STORE-1"})
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", headers={HEADER: "edge-42.a"}))
    assert response[HEADER] == "edge-42.a"
    entry = json.loads(as_json.getvalue())
    assert set(entry) == {"time", "level", "logger", "message", "request_id", "amazon_request_id", "store_id"}
    assert entry["time"].endswith("Z")
    assert (entry["level"], entry["message"], entry["store_id"]) == ("INFO", "priced 3 lines", "STORE-1")
    assert (entry["request_id"], entry["amazon_request_id"]) == ("edge-42.a", "9d8c7b6a-1234-4abc-8def-0123456789ab")
    assert plain.getvalue() == "INFO [edge-42.a] priced 3 lines\n"

    logger.info("after the request")
    assert json.loads(as_json.getvalue().splitlines()[1])["request_id"] == ""


def test_an_insane_incoming_request_id_is_replaced(db: None) -> None:
    response = Client().get("/healthz", headers={HEADER: "x" * 65})
    assert len(response[HEADER]) == 32
    assert response[HEADER] != "x" * 65
    assert Client().get("/healthz", headers={HEADER: "ok-1"})[HEADER] == "ok-1"


def test_scan_key_codes_and_card_references_never_reach_a_log_line(
    transactional_db: None, captured: tuple[logging.Logger, io.StringIO, io.StringIO]
) -> None:
    logger, as_json, plain = captured
    code = scan_key_issue(shopper=make_shopper("cust-log-1")).code
    encoded = base64.b64encode(code.encode()).decode()
    card = "pm_1QxZ9fLkdIwHu7ixAbCdEf"

    logger.info("gate call with %s (%s) charged to %s", code, encoded, card, extra={"body": {"identityKey": encoded}})
    logger.warning("refused", extra={"card_reference": "anything-at-all", "scanned": [code]})
    try:
        raise ValueError(f"could not read {code}")
    except ValueError:
        logger.exception("failed for %s", card)

    for output in (as_json.getvalue(), plain.getvalue()):
        assert code not in output
        assert encoded not in output
        assert card not in output
        assert "anything-at-all" not in output
    lines = [json.loads(line) for line in as_json.getvalue().splitlines()]
    assert lines[0]["message"] == f"gate call with {MASK} ({MASK}) charged to {MASK}"
    assert lines[0]["body"] == {"identityKey": MASK}
    assert (lines[1]["card_reference"], lines[1]["scanned"]) == (MASK, [MASK])
    assert lines[2]["message"] == f"failed for {MASK}"
    assert lines[2]["exception"].endswith(f"ValueError: could not read {MASK}")


def test_the_settings_log_through_both_filters(settings: Any) -> None:
    handler = settings.LOGGING["handlers"]["console"]
    assert handler["filters"] == ["request_id", "redact"]
    assert handler["formatter"] == "plain"
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


@pytest.fixture
def django_request_lines() -> Iterator[io.StringIO]:
    """What Django's own ``django.request`` logger writes, through our filter, as JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_djangos_own_request_lines_carry_the_request_id(django_request_lines: io.StringIO, db: None) -> None:
    """ "Not Found: …" is logged after the middleware has returned: the id comes from the request."""
    response = Client().get("/no-such-page/", headers={HEADER: "edge-404.b"})

    [line] = django_request_lines.getvalue().splitlines()
    entry = json.loads(line)
    assert response.status_code == 404
    assert (entry["logger"], entry["message"], entry["request_id"]) == (
        "django.request",
        "Not Found: /no-such-page/",
        "edge-404.b",
    )


@app.task(name="tests.jwo_admin.test_logging.logs_a_line")
def logs_a_line() -> None:
    logging.getLogger("jwo.test.task").warning("inside the task")


def test_a_workers_lines_carry_the_task_id(captured: tuple[logging.Logger, io.StringIO, io.StringIO]) -> None:
    _, as_json, _ = captured
    task_logger = logging.getLogger("jwo.test.task")
    task_logger.handlers = logging.getLogger(captured[0].name).handlers
    task_logger.propagate = False
    try:
        result = logs_a_line.delay()  # eager in tests: the same signals as on a worker
        logging.getLogger(captured[0].name).info("after the task")
    finally:
        task_logger.handlers = []
        task_logger.propagate = True

    first, after = (json.loads(line) for line in as_json.getvalue().splitlines())
    assert (first["message"], first["task_id"], first["request_id"]) == ("inside the task", result.id, "")
    assert "task_id" not in after


@pytest.mark.parametrize(
    ("request_id", "task_id", "context"),
    [("edge-1", "", "[edge-1]"), ("", "5f0c-task", "[task 5f0c-task]"), ("", "", "[]"), ("edge-2", "t-1", "[edge-2]")],
)
def test_plain_lines_say_what_they_belong_to(request_id: str, task_id: str, context: str) -> None:
    record = logging.LogRecord("jwo.x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    record.request_id, record.task_id = request_id, task_id

    line = PlainFormatter().format(record)

    assert line.split(" ", 2)[2] == f"INFO jwo.x {context} hello there"


def test_a_receipts_address_is_its_secret_and_is_masked() -> None:
    assert redact("GET /receipts/q1W2e3R4t5Y6u7I8o9P0-_a/ 404") == "GET /receipts/[redacted]/ 404"
    assert redact("/orders/receipts/") == "/orders/receipts/"  # the staff list, no token


@pytest.mark.django_db
def test_a_refusal_is_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture, viewer: User) -> None:
    """A role without the permission (raised as PermissionDenied, which Django logs with its
    traceback) and a connector call with a wrong key: each one line, no traceback, in any format."""
    staff = Client()
    staff.force_login(viewer)
    caplog.set_level(logging.INFO)

    refused = staff.get("/catalog/stores/new/")

    assert refused.status_code == 403
    [record] = caplog.records
    assert (record.name, record.levelname, record.getMessage()) == (
        "django.request",
        "WARNING",
        "Forbidden (Permission denied): /catalog/stores/new/",
    )
    assert (record.exc_info, record.exc_text) == (None, None)
    assert "Traceback" not in caplog.text
    assert "Traceback" not in JsonFormatter().format(record)
    caplog.clear()

    wrong_key = Client().post(
        "/v1/identity/identity-keys",
        data={},
        content_type="application/json",
        headers={"X-JWO-Connector-Key": "jwock_wrong"},
    )

    assert wrong_key.status_code == 401
    [record] = caplog.records
    assert (record.name, record.getMessage()) == ("django.request", "Unauthorized: /v1/identity/identity-keys")
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback() -> None:
    """Only 4xx lines lose it: a 5xx is a fault, and its traceback is what is needed to fix it."""
    try:
        raise ValueError("broken")
    except ValueError:
        failure = logging.LogRecord(
            "django.request", logging.ERROR, "", 0, "Internal Server Error: /", None, sys.exc_info()
        )
    failure.status_code = 500
    refusal = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden: /", None, failure.exc_info)
    refusal.status_code = 403

    assert ClientErrorFilter().filter(failure)
    assert ClientErrorFilter().filter(refusal)
    assert failure.exc_info is not None
    assert refusal.exc_info is None


def test_djangos_own_handlers_do_not_print_a_line_twice(settings: Any) -> None:
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django.request").filters[0].__class__ is ClientErrorFilter
