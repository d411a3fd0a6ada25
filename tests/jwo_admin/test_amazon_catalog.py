"""The Catalog API client: every answer SPEC §B documents, classified, and the client over real HTTP
against the fake Amazon (SigV4 checked like API Gateway's IAM authoriser) and moto's STS."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
import requests
from django.conf import settings

from jwo_admin.core.ratelimit import LocalRateLimiter
from jwo_admin.integrations.amazon_catalog import (
    AmazonCatalogClient,
    AmazonSettings,
    CallResult,
    Outcome,
    StsCredentials,
    classify,
    report_link_expiry,
)

INGESTION_ID = "b0c6b4de-2f61-4a53-9d0e-5c2f0d9b7e11"
ALL_STORES_WRONG = "One or more StoreID's present in the request is incorrect"
MIXED_STORES = "List of store ID's present in the request are either incorrect/not associated with same retailer"
RETRY_500 = "Exception encountered while processing the request, please retry again."
FATAL_500 = "Exception encountered while processing the request"
HINT = (
    "Amazon answered 403: either the assumed role lacks execute-api:Invoke on the catalog API, or the AWS "
    "account's onboarding with Amazon is not finished (Merchant Portal → Catalog API Setup)."
)
ITEM = {
    "item_sku": "SKU-1",
    "external_product_id": "036000291452",
    "external_product_id_type": "UPC",
    "item_name": "Acme Cola 330ml",
    "store_id": "TEST_STORE_001",
    "standard_price": "1.49",
}


def client_for_fake(fake: Any, *, session: requests.Session | None = None, **overrides: Any) -> AmazonCatalogClient:
    config = {
        "endpoint": fake.endpoint,
        "region": fake.region,
        "role_arn": settings.JWO_AMAZON_ROLE_ARN,
        "aws_endpoint_url": fake.aws_endpoint_url,
        **overrides,
    }
    return AmazonCatalogClient(AmazonSettings(**config), LocalRateLimiter(10), session=session)


@pytest.fixture
def amazon(fake_amazon: Any) -> Iterator[Any]:
    """The fake, with accepted uploads left INQUEUE and forgotten after the test (none of them
    finishes later and drops a notification into the queue another test reads), and without its
    10-calls-a-second limit, which these back-to-back tests would otherwise reach."""
    fake_amazon.amazon.knobs.queue_seconds = 3600
    fake_amazon.amazon.knobs.rate_limit = 1000
    before = set(fake_amazon.amazon.ingestions)
    yield fake_amazon
    for ingestion_id in set(fake_amazon.amazon.ingestions) - before:
        fake_amazon.amazon.ingestions.pop(ingestion_id, None)


# --- classify(): SPEC §B, §4.4, §5.2 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "status", "body", "expected"),
    [
        ("upload", 201, {"ingestionId": INGESTION_ID}, (Outcome.ACCEPTED, "")),
        ("archive", 201, {"ingestionId": INGESTION_ID}, (Outcome.ACCEPTED, "")),
        ("upload", 400, {"errorMsg": ALL_STORES_WRONG}, (Outcome.STORE_ID_ERROR, ALL_STORES_WRONG)),
        ("upload", 400, {"errorMsg": MIXED_STORES}, (Outcome.STORE_ID_ERROR, MIXED_STORES)),
        ("upload", 400, {"message": "Invalid request body"}, (Outcome.INVALID_BODY, "Invalid request body")),
        # §4.4's example error uses the errorMsg key for the same message.
        ("upload", 400, {"errorMsg": "Invalid request body"}, (Outcome.INVALID_BODY, "Invalid request body")),
        ("upload", 429, {"message": "Too Many Requests"}, (Outcome.THROTTLED, "Too Many Requests")),
        ("status", 429, {"errorMsg": "Too Many Requests"}, (Outcome.THROTTLED, "Too Many Requests")),
        ("upload", 500, {"errorMsg": RETRY_500}, (Outcome.RETRYABLE_ERROR, RETRY_500)),
        ("upload", 500, {"errorMsg": FATAL_500}, (Outcome.FATAL_ERROR, FATAL_500)),
        ("archive", 500, {"errorMsg": FATAL_500}, (Outcome.FATAL_ERROR, FATAL_500)),
        ("status", 500, {"errorMsg": "Internal Server Error"}, (Outcome.RETRYABLE_ERROR, "Internal Server Error")),
        ("upload", 403, {"message": "Forbidden"}, (Outcome.FORBIDDEN, f"Forbidden {HINT}")),
        ("upload", 502, {"message": "Internal server error"}, (Outcome.RETRYABLE_ERROR, "Internal server error")),
        # only Amazon's two 500 bodies, exactly: API Gateway's own 500 is retried a few times, not taken as fatal
        ("upload", 500, {"message": "Internal server error"}, (Outcome.SERVER_ERROR, "Internal server error")),
        ("upload", 500, {"errorMsg": FATAL_500 + "."}, (Outcome.SERVER_ERROR, FATAL_500 + ".")),
        ("upload", 500, {"errorMsg": "Please do not retry"}, (Outcome.SERVER_ERROR, "Please do not retry")),
        # any 2xx with an ingestion id is an acceptance: retrying it would ingest the items twice
        ("upload", 200, {"ingestionId": INGESTION_ID}, (Outcome.ACCEPTED, "")),
        ("archive", 202, {"ingestionId": INGESTION_ID}, (Outcome.ACCEPTED, "")),
        ("upload", 413, {"message": "Request Entity Too Large"}, (Outcome.TOO_LARGE, "Request Entity Too Large")),
        ("upload", 503, {"message": "Service Unavailable"}, (Outcome.RETRYABLE_ERROR, "Service Unavailable")),
        (
            "status",
            200,
            {"processingStatus": "DONE", "reportDownloadLink": "https://reports.example.com/r.json"},
            (Outcome.OK, ""),
        ),
        (
            "status",
            400,
            {"errorMsg": "InvalidRequestException"},
            (Outcome.INVALID_BODY, "InvalidRequestException"),
        ),
    ],
)
def test_classify_maps_each_documented_answer(
    operation: str, status: int, body: dict[str, str], expected: tuple[Outcome, str]
) -> None:
    outcome, message, parsed = classify(operation, status, json.dumps(body), {})

    assert (outcome, message) == expected
    assert parsed == body


def test_classify_throttle_ignores_headers_for_the_outcome() -> None:
    body = json.dumps({"message": "Too Many Requests"})

    with_header = classify("upload", 429, body, {"Retry-After": "2"})
    without_header = classify("upload", 429, body, {})

    assert with_header == without_header == (Outcome.THROTTLED, "Too Many Requests", {"message": "Too Many Requests"})


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (403, "", (Outcome.FORBIDDEN, HINT, {})),
        (503, "", (Outcome.RETRYABLE_ERROR, "HTTP 503 from the gateway", {})),
        (502, "", (Outcome.RETRYABLE_ERROR, "HTTP 502 from the gateway", {})),
        (429, "", (Outcome.THROTTLED, "Too Many Requests", {})),
        (500, "", (Outcome.SERVER_ERROR, "HTTP 500 without a message", {})),
        (400, "", (Outcome.INVALID_BODY, "Invalid request", {})),
        (
            200,
            "<html>upstream hiccup</html>",
            (Outcome.UNEXPECTED, "HTTP 200 with a body that is not a JSON object", {}),
        ),
        (502, "<html>Bad Gateway</html>", (Outcome.UNEXPECTED, "HTTP 502 with a body that is not a JSON object", {})),
        (201, "[]", (Outcome.UNEXPECTED, "HTTP 201 with a body that is not a JSON object", {})),
        (201, "{}", (Outcome.UNEXPECTED, "Unexpected HTTP 201", {})),
        (418, '{"message": "teapot"}', (Outcome.UNEXPECTED, "teapot", {"message": "teapot"})),
    ],
)
def test_classify_answers_without_a_documented_body(
    status: int, text: str, expected: tuple[Outcome, str, dict[str, Any]]
) -> None:
    assert classify("upload", status, text, {}) == expected


def test_only_throttling_server_and_network_trouble_are_retried() -> None:
    retried = {outcome for outcome in Outcome if outcome.is_retryable}
    succeeded = {outcome for outcome in Outcome if outcome.is_success}

    assert retried == {
        Outcome.THROTTLED,
        Outcome.RETRYABLE_ERROR,
        Outcome.SERVER_ERROR,
        Outcome.NETWORK_ERROR,
        Outcome.UNEXPECTED,
    }
    assert succeeded == {Outcome.ACCEPTED, Outcome.OK}


# --- the client against the fake over HTTP --------------------------------------------------------


def test_signed_upload_is_accepted_with_an_ingestion_id(amazon: Any) -> None:
    client = client_for_fake(amazon)

    result = client.upload([ITEM])

    assert (result.operation, result.outcome, result.status_code, result.message) == (
        "upload",
        Outcome.ACCEPTED,
        201,
        "",
    )
    assert result.ingestion_id in amazon.amazon.ingestions
    assert result.body == {"ingestionId": result.ingestion_id}
    assert result.excerpt == json.dumps({"ingestionId": result.ingestion_id})
    assert result.request_bytes == len(json.dumps({"catalogItems": [ITEM]}, separators=(",", ":")).encode())
    assert amazon.amazon.ingestions[result.ingestion_id].items == [ITEM]
    assert result.retry_after is None


def test_status_of_an_accepted_upload_is_ok(amazon: Any) -> None:
    client = client_for_fake(amazon)
    ingestion_id = client.upload([ITEM]).ingestion_id

    result = client.status(ingestion_id)

    assert (result.operation, result.outcome, result.status_code) == ("status", Outcome.OK, 200)
    assert (result.processing_status, result.report_link) == ("INQUEUE", "")


def test_status_of_an_unknown_ingestion_is_an_invalid_request(amazon: Any) -> None:
    result = client_for_fake(amazon).status("no-such-ingestion")

    assert (result.outcome, result.status_code, result.message) == (
        Outcome.INVALID_BODY,
        400,
        "InvalidRequestException: ingestionId not associated with this retailer",
    )


def test_upload_with_unknown_store_gets_amazons_store_id_error(amazon: Any) -> None:
    before = len(amazon.amazon.ingestions)

    result = client_for_fake(amazon).upload([{**ITEM, "store_id": "NOT_OURS"}])

    assert (result.outcome, result.status_code, result.message) == (Outcome.STORE_ID_ERROR, 400, ALL_STORES_WRONG)
    assert len(amazon.amazon.ingestions) == before


def test_upload_with_a_missing_required_field_is_an_invalid_body(amazon: Any) -> None:
    item = {key: value for key, value in ITEM.items() if key != "item_name"}

    result = client_for_fake(amazon).upload([item])

    assert (result.outcome, result.status_code, result.message, result.body) == (
        Outcome.INVALID_BODY,
        400,
        "Invalid request body",
        {"message": "Invalid request body"},
    )


def test_call_signed_for_the_wrong_region_is_forbidden(amazon: Any) -> None:
    before = len(amazon.amazon.ingestions)
    client = client_for_fake(amazon, region="eu-west-1")

    result = client.upload([ITEM])

    assert (result.outcome, result.status_code) == (Outcome.FORBIDDEN, 403)
    assert result.message == f"Credential should be scoped to us-east-1/execute-api {HINT}"
    assert not result.outcome.is_retryable
    assert len(amazon.amazon.ingestions) == before


class TamperingSession(requests.Session):
    """What leaves the process is changed after signing (a proxy rewriting the body)."""

    def post(self, url: str | bytes, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        return super().post(url, data=data.replace(b"Acme Cola", b"Acme Cole"), json=json, **kwargs)


def test_body_changed_after_signing_is_forbidden(amazon: Any) -> None:
    before = len(amazon.amazon.ingestions)
    client = client_for_fake(amazon, session=TamperingSession())

    result = client.upload([ITEM])

    assert (result.outcome, result.status_code) == (Outcome.FORBIDDEN, 403)
    assert result.message == (f"The request signature we calculated does not match the signature you provided {HINT}")
    assert len(amazon.amazon.ingestions) == before


def test_throttled_call_without_retry_after(amazon: Any) -> None:
    amazon.amazon.knobs.throttle_rate = 1.0
    before = len(amazon.amazon.ingestions)

    result = client_for_fake(amazon).upload([ITEM])

    assert (result.outcome, result.status_code, result.message, result.retry_after) == (
        Outcome.THROTTLED,
        429,
        "Too Many Requests",
        None,
    )
    assert result.body == {"message": "Too Many Requests"}
    assert len(amazon.amazon.ingestions) == before


@pytest.mark.parametrize(
    ("knob", "outcome", "message"),
    [
        ("retryable_500_rate", Outcome.RETRYABLE_ERROR, RETRY_500),
        ("fatal_500_rate", Outcome.FATAL_ERROR, FATAL_500),
        ("garbage_rate", Outcome.UNEXPECTED, "HTTP 200 with a body that is not a JSON object"),
    ],
)
def test_server_faults_over_http(amazon: Any, knob: str, outcome: Outcome, message: str) -> None:
    setattr(amazon.amazon.knobs, knob, 1.0)

    result = client_for_fake(amazon).upload([ITEM])

    assert (result.outcome, result.message) == (outcome, message)
    assert result.ingestion_id == ""


class ThrottlingGateway(ThreadingHTTPServer):
    """An API Gateway that throttles with Retry-After (the fake never sends the header)."""

    retry_after = "3"


class _Throttling(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"message": "Too Many Requests"}'
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", cast(ThrottlingGateway, self.server).retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def throttling_gateway() -> Iterator[ThrottlingGateway]:
    server = ThrottlingGateway(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("header", "expected"), [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("soon", None)])
def test_throttled_call_with_retry_after(
    amazon: Any, throttling_gateway: ThrottlingGateway, header: str, expected: float | None
) -> None:
    throttling_gateway.retry_after = header
    host, port = throttling_gateway.server_address[:2]
    client = client_for_fake(amazon, endpoint=f"http://{host!s}:{port}")

    result = client.upload([ITEM])

    assert (result.outcome, result.status_code, result.message, result.retry_after) == (
        Outcome.THROTTLED,
        429,
        "Too Many Requests",
        expected,
    )


def test_throttled_call_with_an_http_date_retry_after(amazon: Any, throttling_gateway: ThrottlingGateway) -> None:
    throttling_gateway.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    host, port = throttling_gateway.server_address[:2]

    result = client_for_fake(amazon, endpoint=f"http://{host!s}:{port}").upload([ITEM])

    assert result.retry_after is not None
    assert 28 <= result.retry_after <= 30


def test_closed_port_is_a_network_error_without_status(amazon: Any) -> None:
    client = client_for_fake(amazon, endpoint="http://127.0.0.1:9")
    client.credentials.get()  # STS first, so the duration is the failed connection alone

    result = client.upload([ITEM])

    assert (result.operation, result.outcome, result.status_code, result.excerpt, result.body) == (
        "upload",
        Outcome.NETWORK_ERROR,
        None,
        "",
        {},
    )
    assert result.message.startswith("ConnectionError: ")
    assert isinstance(result.duration_ms, int)
    assert 0 <= result.duration_ms < 3050
    assert result.request_bytes == len(json.dumps({"catalogItems": [ITEM]}, separators=(",", ":")).encode())
    assert result.outcome.is_retryable


def test_slow_answer_times_out_as_a_network_error(amazon: Any) -> None:
    amazon.amazon.knobs.latency_ms = 1500
    client = client_for_fake(amazon, read_timeout=0.3)
    client.credentials.get()

    result = client.status("anything")

    assert (result.outcome, result.status_code) == (Outcome.NETWORK_ERROR, None)
    assert result.message.startswith("ReadTimeout: ")
    assert 300 <= result.duration_ms < 1500


def test_rate_limiter_without_a_slot_throttles_before_calling(amazon: Any) -> None:
    limiter = LocalRateLimiter(1)
    client = AmazonCatalogClient(
        AmazonSettings(
            endpoint=amazon.endpoint,
            region=amazon.region,
            role_arn=settings.JWO_AMAZON_ROLE_ARN,
            aws_endpoint_url=amazon.aws_endpoint_url,
            limiter_timeout=0.1,
        ),
        limiter,
    )
    assert limiter.acquire(timeout=0)
    calls_before = len(amazon.amazon.requests)

    result = client.upload([ITEM])

    assert result == CallResult(
        "upload",
        Outcome.THROTTLED,
        None,
        "Our own rate limit had no free slot in time",
        0,
        len(json.dumps({"catalogItems": [ITEM]}, separators=(",", ":")).encode()),
        "",
        is_sent=False,
    )
    assert len(amazon.amazon.requests) == calls_before


# --- STS credentials ----------------------------------------------------------------------------


def test_sts_credentials_are_reused_then_refreshed_near_expiry(amazon: Any) -> None:
    credentials = StsCredentials(
        AmazonSettings(
            endpoint=amazon.endpoint,
            region=amazon.region,
            role_arn=settings.JWO_AMAZON_ROLE_ARN,
            aws_endpoint_url=amazon.aws_endpoint_url,
        )
    )

    first = credentials.get()
    second = credentials.get()
    credentials._expires = datetime.now(UTC) + timedelta(minutes=1)
    refreshed = credentials.get()

    assert second is first
    assert refreshed is not first
    assert refreshed.access_key != first.access_key
    assert refreshed.token != first.token
    assert credentials._expires > datetime.now(UTC) + timedelta(minutes=50)


def test_client_calls_sts_once_for_several_calls(amazon: Any) -> None:
    client = client_for_fake(amazon)

    first = client.status("one")
    key_after_first = client.credentials.get().access_key
    second = client.status("two")

    assert (first.status_code, second.status_code) == (400, 400)
    assert client.credentials.get().access_key == key_after_first


@pytest.mark.parametrize(
    ("link", "expires"),
    [
        (  # S3 SigV4: signed at X-Amz-Date, valid X-Amz-Expires seconds
            "https://b.s3.amazonaws.com/r.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261206T235930Z"
            "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=ab",
            datetime(2026, 12, 7, 0, 59, 30, tzinfo=UTC),
        ),
        (
            "https://b.s3.amazonaws.com/r.json?AWSAccessKeyId=A&Expires=1796601600&Signature=x",
            datetime(2026, 12, 7, tzinfo=UTC),
        ),
        ("https://b.s3.amazonaws.com/r.json", None),
        ("https://b.s3.amazonaws.com/r.json?X-Amz-Date=yesterday&X-Amz-Expires=3600", None),
        ("https://b.s3.amazonaws.com/r.json?Expires=99999999999999999999", None),
    ],
)
def test_a_report_links_expiry_is_read_from_the_link(link: str, expires: datetime | None) -> None:
    assert report_link_expiry(link) == expires
