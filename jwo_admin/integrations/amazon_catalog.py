"""Everything that goes to Amazon's Catalog API: STS credentials, SigV4 signing, the shared rate
limit, timeouts, and a typed outcome for each answer Amazon documents (SPEC §B, §3.1, §4–§6).

Transport only: no database and no business rules. The caller records each :class:`CallResult`
as an attempt and decides what to do with it.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import redis
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from redis.exceptions import RedisError

from jwo_admin.core.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter

UPLOAD_PATH = "/v1/catalog/upload"
STATUS_PATH = "/v1/catalog/getCatalogUploadStatus"
ARCHIVE_PATH = "/v1/catalog/archive"
EXCERPT_CHARS = 500
FORBIDDEN_HINT = (
    "Amazon answered 403: either the assumed role lacks execute-api:Invoke on the catalog API, or the AWS "
    "account's onboarding with Amazon is not finished (Merchant Portal → Catalog API Setup)."
)


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # any 2xx with an ingestionId
    OK = "ok"  # 200 from the status API
    INVALID_BODY = "invalid_body"  # 400 {"message": ...} or a status-API 400
    STORE_ID_ERROR = "store_id_error"  # 400 {"errorMsg": "...StoreID..."}
    TOO_LARGE = "too_large"  # 413: over the gateway's payload limit
    THROTTLED = "throttled"  # 429
    RETRYABLE_ERROR = "retryable_error"  # 500 "…please retry again.", 502–504, status-API 500
    FATAL_ERROR = "fatal_error"  # 500 "Exception encountered while processing the request" exactly
    SERVER_ERROR = "server_error"  # any other 5xx (API Gateway's "Internal server error"): a few retries
    FORBIDDEN = "forbidden"  # 403: IAM or onboarding
    LINK_REFUSED = "link_refused"  # a report link S3 refused (400/403): expired or altered (report_store)
    NETWORK_ERROR = "network_error"  # timeout, refused, reset
    UNEXPECTED = "unexpected"  # an answer the contract does not describe

    @property
    def is_retryable(self) -> bool:
        return self in RETRYABLE

    @property
    def is_success(self) -> bool:
        return self in (Outcome.ACCEPTED, Outcome.OK)


RETRYABLE = frozenset(
    {Outcome.THROTTLED, Outcome.RETRYABLE_ERROR, Outcome.SERVER_ERROR, Outcome.NETWORK_ERROR, Outcome.UNEXPECTED}
)
# Amazon's two 500 bodies (SPEC §B), matched exactly: one says retry, the other must not be retried.
RETRY_500_MESSAGE = "Exception encountered while processing the request, please retry again."
FATAL_500_MESSAGE = "Exception encountered while processing the request"


@dataclass(frozen=True)
class CallResult:
    """One call to Amazon, classified; everything an attempt record needs."""

    operation: str
    outcome: Outcome
    status_code: int | None
    message: str
    duration_ms: int
    request_bytes: int
    excerpt: str
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None
    is_sent: bool = True  # False: refused on our side (no rate-limit slot, the limiter unreachable)

    @property
    def ingestion_id(self) -> str:
        return str(self.body.get("ingestionId", ""))

    @property
    def processing_status(self) -> str:
        return str(self.body.get("processingStatus", ""))

    @property
    def report_link(self) -> str:
        return str(self.body.get("reportDownloadLink", ""))


_HOST_REGION = re.compile(r"\.((?:[a-z]{2}(?:-gov)?)-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$")


def region_from_endpoint(endpoint: str) -> str:
    """The AWS region in a catalog API endpoint's host (``….execute-api.eu-west-1.amazonaws.com``),
    or "" when its host names none (a custom domain, the local fake)."""
    match = _HOST_REGION.search(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else ""


def report_link_expiry(link: str) -> datetime | None:
    """When a presigned report link stops working: SigV4's ``X-Amz-Date`` + ``X-Amz-Expires``
    (S3 answers 403 "Request has expired" after it), or SigV2's ``Expires`` epoch. None when the
    link says neither."""
    query = {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}
    try:
        if "X-Amz-Date" in query and "X-Amz-Expires" in query:
            signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return signed + timedelta(seconds=int(query["X-Amz-Expires"]))
        if "Expires" in query:
            return datetime.fromtimestamp(int(query["Expires"]), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


@dataclass(frozen=True)
class AmazonSettings:
    """``region`` is ours (STS, our queue and bucket); ``signing_region`` is the catalog API's,
    which Amazon hands out with its endpoint and which may differ: SigV4 signs for that one."""

    endpoint: str
    region: str
    role_arn: str
    signing_region: str = ""
    aws_endpoint_url: str = ""
    connect_timeout: float = 3.05
    read_timeout: float = 30.0
    session_name: str = "CatalogAPI"
    limiter_timeout: float = 60.0


class StsCredentials:
    """Temporary credentials from STS AssumeRole, refreshed five minutes before they expire."""

    REFRESH_MARGIN = timedelta(minutes=5)

    def __init__(self, config: AmazonSettings) -> None:
        self.config = config
        self._credentials: Credentials | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def get(self) -> Credentials:
        with self._lock:
            if self._credentials is None or datetime.now(UTC) >= self._expires - self.REFRESH_MARGIN:
                sts = boto3.client(
                    "sts", region_name=self.config.region, endpoint_url=self.config.aws_endpoint_url or None
                )
                answer = sts.assume_role(
                    RoleArn=self.config.role_arn, RoleSessionName=self.config.session_name, DurationSeconds=3600
                )["Credentials"]
                self._credentials = Credentials(
                    answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"]
                )
                expiration = answer["Expiration"]
                self._expires = expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)
            return self._credentials


def _excerpt(text: str) -> str:
    return text[:EXCERPT_CHARS]


def classify(
    operation: str, status: int, text: str, headers: dict[str, str] | Any
) -> tuple[Outcome, str, dict[str, Any]]:
    """Map Amazon's status code and body to an outcome and the message Amazon gave (SPEC §B)."""
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = None
    body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    message = str(body.get("errorMsg") or body.get("message") or "")
    if parsed is None or not isinstance(parsed, dict):
        return Outcome.UNEXPECTED, f"HTTP {status} with a body that is not a JSON object", {}
    if 200 <= status < 300 and operation in ("upload", "archive") and body.get("ingestionId"):
        return Outcome.ACCEPTED, "", body  # any 2xx with an ingestion id: retrying would ingest it twice
    if status == 200 and operation == "status" and body.get("processingStatus"):
        return Outcome.OK, "", body
    if status == 400:
        if "errorMsg" in body and "store" in message.lower():
            return Outcome.STORE_ID_ERROR, message, body
        return Outcome.INVALID_BODY, message or "Invalid request", body
    if status == 403:
        return Outcome.FORBIDDEN, f"{message} {FORBIDDEN_HINT}".strip(), body
    if status == 413:
        return Outcome.TOO_LARGE, message or "Request Entity Too Large", body
    if status == 429:
        return Outcome.THROTTLED, message or "Too Many Requests", body
    if status == 500 and (operation == "status" or message == RETRY_500_MESSAGE):
        return Outcome.RETRYABLE_ERROR, message, body
    if status == 500 and message == FATAL_500_MESSAGE:
        return Outcome.FATAL_ERROR, message, body
    if status in (502, 503, 504):
        return Outcome.RETRYABLE_ERROR, message or f"HTTP {status} from the gateway", body
    if 500 <= status < 600:
        return Outcome.SERVER_ERROR, message or f"HTTP {status} without a message", body
    return Outcome.UNEXPECTED, message or f"Unexpected HTTP {status}", body


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:  # the HTTP-date form (RFC 9110 §10.2.3)
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


class AmazonCatalogClient:
    """Signed, rate-limited, time-bounded calls to the three catalog operations."""

    def __init__(self, config: AmazonSettings, limiter: RateLimiter, session: requests.Session | None = None) -> None:
        self.config = config
        self.limiter = limiter
        self.credentials = StsCredentials(config)
        self.session = session or requests.Session()

    def upload(self, items: list[dict[str, Any]]) -> CallResult:
        return self._post("upload", UPLOAD_PATH, {"catalogItems": items})

    def archive(self, skus: list[str], all_store_ids: list[str]) -> CallResult:
        return self._post("archive", ARCHIVE_PATH, {"itemSkus": skus, "allApplicableStores": all_store_ids})

    def status(self, ingestion_id: str) -> CallResult:
        return self._post("status", STATUS_PATH, {"ingestionId": ingestion_id})

    def send(self, operation: str, body: bytes) -> CallResult:
        """Send an already encoded Upload ("upload") or Archive ("archive") body."""
        return self._post_bytes(operation, ARCHIVE_PATH if operation == "archive" else UPLOAD_PATH, body)

    def _post(self, operation: str, path: str, payload: dict[str, Any]) -> CallResult:
        return self._post_bytes(
            operation, path, json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        )

    def _post_bytes(self, operation: str, path: str, data: bytes) -> CallResult:
        url = self.config.endpoint.rstrip("/") + path
        started = time.monotonic()
        try:
            # Credentials first: an STS round trip made after taking a rate-limit slot would push
            # this request into a later second, where it would crowd the requests granted there.
            credentials = self.credentials.get()
        except (BotoCoreError, ClientError) as error:
            return CallResult(
                operation,
                Outcome.NETWORK_ERROR,
                None,
                f"STS AssumeRole failed: {error}"[:300],
                int((time.monotonic() - started) * 1000),
                len(data),
                "",
            )
        try:
            granted = self.limiter.acquire(timeout=self.config.limiter_timeout)
        except RedisError as error:  # the shared limiter is down: send nothing rather than exceed the limit
            return CallResult(
                operation, Outcome.THROTTLED, None, f"Our rate limiter is unavailable: {error}"[:300], 0, len(data), "",
                is_sent=False,
            )  # fmt: skip
        if not granted:
            return CallResult(
                operation, Outcome.THROTTLED, None, "Our own rate limit had no free slot in time", 0, len(data), "",
                is_sent=False,
            )  # fmt: skip
        started = time.monotonic()
        try:
            request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
            SigV4Auth(credentials, "execute-api", self.config.signing_region or self.config.region).add_auth(request)
            response = self.session.post(
                url,
                data=data,
                headers=dict(request.headers.items()),
                timeout=(self.config.connect_timeout, self.config.read_timeout),
            )
        except (requests.RequestException, OSError, BotoCoreError, ClientError) as error:
            return CallResult(
                operation,
                Outcome.NETWORK_ERROR,
                None,
                f"{type(error).__name__}: {error}"[:300],
                int((time.monotonic() - started) * 1000),
                len(data),
                "",
            )
        duration_ms = int((time.monotonic() - started) * 1000)
        text = response.text
        outcome, message, body = classify(operation, response.status_code, text, response.headers)
        return CallResult(
            operation=operation,
            outcome=outcome,
            status_code=response.status_code,
            message=message,
            duration_ms=duration_ms,
            request_bytes=len(data),
            excerpt=_excerpt(text),
            body=body,
            retry_after=_retry_after(response.headers),
        )


_client: AmazonCatalogClient | None = None
_client_lock = threading.Lock()


def limiter_from_settings() -> RateLimiter:
    """Redis-backed when REDIS_URL is set (shared by every worker), else in-process."""
    if settings.REDIS_URL:
        return RedisRateLimiter(
            # Bounded waits: a Redis that hangs must fail a worker's send (retried), not hold it.
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1.0, socket_timeout=2.0),
            "jwo:amazon-catalog:rate",
            settings.JWO_AMAZON_RATE_LIMIT,
            settings.JWO_AMAZON_RATE_WINDOW,
        )
    return LocalRateLimiter(settings.JWO_AMAZON_RATE_LIMIT, settings.JWO_AMAZON_RATE_WINDOW)


def client_from_settings() -> AmazonCatalogClient:
    """The process's client (its STS credentials and HTTP connections are reused across calls)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = AmazonCatalogClient(
                AmazonSettings(
                    endpoint=settings.JWO_AMAZON_ENDPOINT,
                    region=settings.AWS_REGION,
                    signing_region=settings.JWO_AMAZON_REGION or region_from_endpoint(settings.JWO_AMAZON_ENDPOINT),
                    role_arn=settings.JWO_AMAZON_ROLE_ARN,
                    aws_endpoint_url=settings.AWS_ENDPOINT_URL,
                    connect_timeout=settings.JWO_AMAZON_CONNECT_TIMEOUT,
                    read_timeout=settings.JWO_AMAZON_READ_TIMEOUT,
                ),
                limiter_from_settings(),
            )
        return _client


def client_reset() -> None:
    """Forget the process's client (settings changed, e.g. in tests)."""
    global _client
    with _client_lock:
        _client = None
