"""The fake Catalog API as a WSGI application, with fault knobs for tests and drills."""

import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from botocore.credentials import Credentials
from werkzeug.wrappers import Request, Response

from fake_amazon import sigv4
from fake_amazon.store_feed import trips_from_json
from fake_amazon.validation import check_archive, check_upload, item_barcode_problem

TOO_MANY = {"message": "Too Many Requests"}
RETRY_500 = {"errorMsg": "Exception encountered while processing the request, please retry again."}
FATAL_500 = {"errorMsg": "Exception encountered while processing the request"}
GATEWAY_500 = {"message": "Internal server error"}


@dataclass
class Knobs:
    """Faults and timings; change them at any time (tests set attributes, drills POST /_fake/config)."""

    rate_limit: int = 10  # requests per second before 429
    throttle_rate: float = 0.0  # share of calls answered 429 regardless of rate
    retryable_500_rate: float = 0.0
    fatal_500_rate: float = 0.0
    gateway_500_rate: float = 0.0  # API Gateway's own 500 {"message": "Internal server error"}
    payload_limit_bytes: int = 10 * 1024 * 1024  # API Gateway's payload limit: larger bodies get 413
    accept_status: int = 201  # the status of an accepted upload (Amazon documents 201)
    signing_region: str = ""  # the region the catalog API verifies signatures for ("": the fake's region)
    garbage_rate: float = 0.0  # share of calls answered with a non-JSON 200
    latency_ms: int = 0
    reject_rate: float = 0.0  # share of items rejected in the report (deterministic by SKU)
    reject_skus: set[str] = field(default_factory=set)  # always rejected: "bad barcode"
    unknown_store_items: bool = False  # items of unknown stores are rejected in the report, not with a 400
    duplicate_notifications: int = 1  # how many times each completion is published
    link_expiry_seconds: int = 3600
    expired_links: int = 0  # the next N report links are issued already expired
    report_error_status: int = 0  # report downloads answer this (S3's 503 SlowDown, say) instead
    # The report's shape (SPEC M3: Amazon published none): "items" (ours), "failures_only" (only
    # the items that failed), "unknown_key" (the list under a key we do not know), "json_lines",
    # "not_json" (an HTML error page).
    report_shape: str = "items"
    hold_until_confirmed: bool = False  # SNS delivers nothing until the subscription is confirmed
    fatal_ingestion_rate: float = 0.0  # share of ingestions ending FATAL
    queue_seconds: float = 0.05  # INQUEUE → INPROGRESS
    process_seconds: float = 0.1  # INPROGRESS → DONE
    verify_signatures: bool = True
    seed: int = 1

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if not hasattr(self, name):
                raise KeyError(name)
            setattr(self, name, set(value) if name == "reject_skus" else value)


@dataclass
class Ingestion:
    id: str
    kind: str  # upload | archive
    items: list[dict[str, Any]]
    status: str = "INQUEUE"
    created: float = field(default_factory=time.monotonic)
    report_key: str = ""
    notified: bool = False


class ReportSink:
    """Where finished ingestions go: S3 for the report, SNS for the notice (see fake_amazon.aws)."""

    def store_report(self, ingestion: Ingestion, body: bytes) -> str:  # returns the S3 key
        raise NotImplementedError

    @property
    def topic_arn(self) -> str:
        raise NotImplementedError

    def deliver(self, envelope: dict[str, Any]) -> None:
        """Put an SNS envelope on the subscribed queue as SNS itself would (a subscription message)."""
        raise NotImplementedError

    def fetch_report(self, key: str) -> bytes:
        raise NotImplementedError

    def notify(self, message: dict[str, Any]) -> None:
        raise NotImplementedError


class FakeAmazon:
    """WSGI app: ``make_server(host, port, FakeAmazon(...))`` or :func:`fake_amazon.server.start`."""

    def __init__(
        self,
        *,
        region: str,
        lookup: sigv4.CredentialLookup,
        sink: ReportSink,
        known_stores: Iterable[str] | None = None,
        knobs: Knobs | None = None,
    ) -> None:
        self.region = region
        self.lookup = lookup
        self.sink = sink
        self.known_stores = set(known_stores) if known_stores is not None else None
        self.knobs = knobs or Knobs()
        self.ingestions: dict[str, Ingestion] = {}
        self.public_url = ""  # set by the server once it listens; report links point here
        self.subscription_confirmed = False
        self._subscription_token = ""
        self.store_feed: Any = None  # fake_amazon.store_feed.StoreFeed, set by the server
        self._held: list[dict[str, Any]] = []  # notifications SNS keeps until the subscription is confirmed
        # the bucket owner's credentials the report links are signed with (S3 checks them)
        self._link_credentials = Credentials(f"AKIA{uuid.uuid4().hex[:16].upper()}", uuid.uuid4().hex)
        # (arrival wall-clock time, path, status) of every call to the catalog API, for tests and benchmarks
        self.requests: list[tuple[float, str, int]] = []
        self._window: deque[float] = deque()
        self._lock = threading.Lock()
        self._rng = random.Random(self.knobs.seed)  # noqa: S311 - fault injection, not security
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._process_loop, name="fake-amazon-ingestions", daemon=True)
        self._worker.start()

    # --- HTTP -------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        arrived = time.time()
        environ["fake_amazon.arrived"] = time.monotonic()  # throttling counts arrivals, as API Gateway does
        response = self.dispatch(request)
        if request.path.startswith("/v1/"):
            with self._lock:
                self.requests.append((arrived, request.path, response.status_code))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path == "/_fake/config" and request.method == "POST":
            self.knobs.update(request.get_json(force=True))
            return _json(200, {"ok": True})
        if request.path == "/_fake/requests":
            with self._lock:
                log = list(self.requests)
            return _json(200, {"requests": log})
        if request.path.startswith("/_fake/store-feed/") and request.method == "POST":
            return self._store_feed(request)
        if request.path == "/_fake/health":
            return _json(200, {"ok": True, "ingestions": len(self.ingestions)})
        if request.path.startswith("/reports/") and request.method == "GET":
            return self._report(request)
        if request.path == "/_sns/" and request.method == "GET":
            return self._subscription_confirm(request)
        routes = {
            "/v1/catalog/upload": self._upload,
            "/v1/catalog/archive": self._archive,
            "/v1/catalog/getCatalogUploadStatus": self._status,
        }
        handler = routes.get(request.path)
        if handler is None or request.method != "POST":
            return _json(404, {"message": "Not Found"})
        body = request.get_data()
        if len(body) > self.knobs.payload_limit_bytes:  # the gateway refuses it before anything reads it
            return _json(413, {"message": "Request Entity Too Large"})
        if self.knobs.verify_signatures:
            problem = sigv4.verify(
                method=request.method,
                url=request.url,
                headers={key.lower(): value for key, value in request.headers.items()},
                body=body,
                region=self.knobs.signing_region or self.region,
                lookup=self.lookup,
            )
            if problem:
                return _json(403, {"message": problem})
        if self._over_rate(request.environ.get("fake_amazon.arrived", time.monotonic())):
            return _json(429, TOO_MANY)
        fault = self._fault()
        if fault is not None:
            return fault
        if self.knobs.latency_ms:
            time.sleep(self.knobs.latency_ms / 1000)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        return handler(payload)

    def _store_feed(self, request: Request) -> Response:
        """The store reporting side (fake_amazon.store_feed): trips in, files and events out."""
        if self.store_feed is None:
            return _json(404, {"message": "No store feed"})
        try:
            payload = json.loads(request.get_data() or b"{}")
            action = request.path.removeprefix("/_fake/store-feed/")
            if action == "trips":
                trips = trips_from_json(payload)
                for trip in trips:
                    self.store_feed.add(trip)
                return _json(200, {"trips": len(trips)})
            if action == "flush":
                return _json(200, self.store_feed.flush())
            if action == "config":
                self.store_feed.knobs.update(payload)
                return _json(200, {"ok": True})
        except (ValueError, KeyError, TypeError) as error:
            return _json(400, {"message": f"Bad store feed request: {error}"})
        return _json(404, {"message": "Not Found"})

    def _over_rate(self, now: float) -> bool:
        with self._lock:
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.knobs.rate_limit:
                return True
            self._window.append(now)
            return False

    def _fault(self) -> Response | None:
        knobs, roll = self.knobs, self._rng.random()
        for rate, response in (
            (knobs.throttle_rate, lambda: _json(429, TOO_MANY)),
            (knobs.retryable_500_rate, lambda: _json(500, RETRY_500)),
            (knobs.fatal_500_rate, lambda: _json(500, FATAL_500)),
            (knobs.gateway_500_rate, lambda: _json(500, GATEWAY_500)),
            (knobs.garbage_rate, lambda: Response(b"<html>upstream hiccup</html>", 200, mimetype="text/html")),
        ):
            if roll < rate:
                return response()
            roll -= rate
        return None

    def _upload(self, payload: Any) -> Response:
        unknown_ok = self.knobs.unknown_store_items
        error = check_upload(payload, None if unknown_ok else self.known_stores)
        if error is not None:
            return _json(400, error)
        return self._accept("upload", payload["catalogItems"])

    def _archive(self, payload: Any) -> Response:
        error = check_archive(payload, self.known_stores)
        if error is not None:
            return _json(400, error)
        return self._accept("archive", [{"item_sku": sku} for sku in payload["itemSkus"]])

    def _accept(self, kind: str, items: list[dict[str, Any]]) -> Response:
        ingestion = Ingestion(id=str(uuid.uuid4()), kind=kind, items=items)
        with self._lock:
            self.ingestions[ingestion.id] = ingestion
        return _json(self.knobs.accept_status, {"ingestionId": ingestion.id})

    def _status(self, payload: Any) -> Response:
        if not isinstance(payload, dict) or not isinstance(payload.get("ingestionId"), str):
            return _json(400, {"errorMsg": "BadRequestException: request model invalid"})
        ingestion = self.ingestions.get(payload["ingestionId"])
        if ingestion is None:
            return _json(400, {"errorMsg": "InvalidRequestException: ingestionId not associated with this retailer"})
        link = self.presign(ingestion) if ingestion.report_key else ""
        return _json(200, {"processingStatus": ingestion.status, "reportDownloadLink": link})

    # --- report links ------------------------------------------------------------------------
    # Real SigV4 presigned links (X-Amz-Date, X-Amz-Expires: 60 minutes by default, like Amazon's).
    # moto does not enforce presigned-URL expiry, so the links point at the fake, which checks them
    # as S3 does (signature, then expiry: 403 "Request has expired") and reads the report from moto.
    def presign(self, ingestion: Ingestion) -> str:
        signed_at = datetime.now(UTC)
        with self._lock:
            if self.knobs.expired_links > 0:
                self.knobs.expired_links -= 1
                signed_at -= timedelta(seconds=self.knobs.link_expiry_seconds + 1)
        return sigv4.presign_get(
            f"{self.public_url}/reports/{ingestion.id}.json",
            credentials=self._link_credentials,
            region=self.region,
            expires=self.knobs.link_expiry_seconds,
            signed_at=signed_at,
        )

    def _report(self, request: Request) -> Response:
        ingestion_id = request.path.removeprefix("/reports/").removesuffix(".json")
        ingestion = self.ingestions.get(ingestion_id)
        refusal = sigv4.verify_presigned(request.url, credentials=self._link_credentials, region=self.region)
        if refusal is not None:
            return _s3_error(*refusal)
        if ingestion is None or not ingestion.report_key:
            return _s3_error("NoSuchKey", "The specified key does not exist.", status=404)
        if self.knobs.report_error_status:
            return _s3_error("SlowDown", "Please reduce your request rate.", status=self.knobs.report_error_status)
        return Response(self.sink.fetch_report(ingestion.report_key), 200, mimetype="application/json")

    # --- background processing --------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    def _process_loop(self) -> None:
        while not self._stop.wait(0.02):
            now = time.monotonic()
            for ingestion in list(self.ingestions.values()):
                age = now - ingestion.created
                if ingestion.status == "INQUEUE" and age >= self.knobs.queue_seconds:
                    ingestion.status = "INPROGRESS"
                elif ingestion.status == "INPROGRESS" and age >= self.knobs.queue_seconds + self.knobs.process_seconds:
                    self._finish(ingestion)

    def _rejected(self, item: dict[str, Any]) -> str | None:
        sku = str(item.get("item_sku", ""))
        if sku in self.knobs.reject_skus:
            return "INVALID_BARCODE"
        if "external_product_id" in item and item_barcode_problem(item):
            return "BARCODE_FORMAT"
        if self.known_stores is not None and item.get("store_id") not in (None, *self.known_stores):
            return "UNKNOWN_STORE"
        if self.knobs.reject_rate:
            bucket = int(hashlib.sha1(sku.encode(), usedforsecurity=False).hexdigest()[:8], 16) / 0xFFFFFFFF
            if bucket < self.knobs.reject_rate:
                return "INVALID_BARCODE"
        return None

    def _finish(self, ingestion: Ingestion) -> None:
        if self._rng.random() < self.knobs.fatal_ingestion_rate:
            self._forget_items(ingestion)
            ingestion.status = "FATAL"
            self._notify(ingestion, "")
            return
        results = []
        for item in ingestion.items:
            code = self._rejected(item)
            result: dict[str, Any] = {"item_sku": item.get("item_sku"), "store_id": item.get("store_id")}
            if code is None:
                result["status"] = "SUCCESS"
            else:
                result["status"] = "FAILED"
                message = item_barcode_problem(item) if code == "BARCODE_FORMAT" else _MESSAGES[code]
                result["errors"] = [{"code": code, "message": message}]
            results.append(result)
        ingestion.report_key = self.sink.store_report(ingestion, self._report_body(ingestion, results))
        self._forget_items(ingestion)
        ingestion.status = "DONE"
        self._notify(ingestion, self.presign(ingestion))

    def _report_body(self, ingestion: Ingestion, results: list[dict[str, Any]]) -> bytes:
        shape = self.knobs.report_shape
        if shape == "not_json":
            return b"<html><body>Service Unavailable</body></html>"
        if shape == "json_lines":
            return b"".join(json.dumps(result).encode() + b"\n" for result in results)
        listed = [r for r in results if r["status"] != "SUCCESS"] if shape == "failures_only" else results
        report = {
            "ingestionId": ingestion.id,
            "operation": ingestion.kind.upper(),
            "processingStatus": "DONE",
            "summary": {
                "total": len(results),
                "successful": sum(1 for r in results if r["status"] == "SUCCESS"),
                "failed": sum(1 for r in results if r["status"] != "SUCCESS"),
            },
            "itemStatusList" if shape == "unknown_key" else "items": listed,
        }
        return json.dumps(report).encode()

    @staticmethod
    def _forget_items(ingestion: Ingestion) -> None:
        """A reported ingestion's items are not needed again (its report is in S3). Keeping them
        made the heap grow with every upload — 200,000 items are millions of objects — and each
        full garbage collection then paused the request threads for 150 ms or more, so calls
        that left our workers apart were stamped as arriving together. Amazon stamps a call when
        it reaches its edge; the fake's stamps must not depend on its own heap."""
        ingestion.items = []

    def _notify(self, ingestion: Ingestion, link: str) -> None:
        message = {"ingestionId": ingestion.id, "processingStatus": ingestion.status, "reportDownloadLink": link}
        for _ in range(max(self.knobs.duplicate_notifications, 1)):
            with self._lock:
                held = self.knobs.hold_until_confirmed and not self.subscription_confirmed
                if held:
                    self._held.append(message)
            if not held:
                self.sink.notify(message)
        ingestion.notified = True

    # --- the SNS subscription of the retailer's queue ---------------------------------------------
    # Amazon's topic is in Amazon's account, the queue in the retailer's: SNS sends the queue a
    # SubscriptionConfirmation and delivers nothing (hold_until_confirmed) until its SubscribeURL
    # is visited. moto confirms SQS subscriptions by itself, so the fake plays this part.
    def subscription_announce(self) -> dict[str, Any]:
        """Subscribe (again): a new token, unconfirmed until its SubscribeURL is visited."""
        token = uuid.uuid4().hex + uuid.uuid4().hex
        arn = self.sink.topic_arn
        with self._lock:
            self._subscription_token, self.subscription_confirmed = token, False
        envelope = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": arn,
            "Message": f"You have chosen to subscribe to the topic {arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": f"{self.public_url}/_sns/?"
            + urlencode({"Action": "ConfirmSubscription", "TopicArn": arn, "Token": token}),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "SignatureVersion": "1",
            "Signature": "",
            "SigningCertURL": "",
        }
        self.sink.deliver(envelope)
        return envelope

    def _subscription_confirm(self, request: Request) -> Response:
        token = request.args.get("Token", "")
        if request.args.get("Action") != "ConfirmSubscription" or request.args.get("TopicArn") != self.sink.topic_arn:
            return _sns_error("InvalidParameter", "Invalid parameter: TopicArn or Action")
        with self._lock:
            if not self._subscription_token or not hmac.compare_digest(token, self._subscription_token):
                return _sns_error("InvalidParameter", "Invalid token")
            self.subscription_confirmed = True
            held, self._held = self._held, []
        for message in held:
            self.sink.notify(message)
        arn = f"{self.sink.topic_arn}:{uuid.uuid5(uuid.NAMESPACE_URL, token)}"
        body = (
            '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
            f"<ConfirmSubscriptionResult><SubscriptionArn>{arn}</SubscriptionArn></ConfirmSubscriptionResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</ConfirmSubscriptionResponse>"
        )
        return Response(body, 200, mimetype="text/xml")


_MESSAGES = {
    "INVALID_BARCODE": "external_product_id failed validation: check digit or format not accepted",
    "UNKNOWN_STORE": "store_id is not associated with this retailer",
}


def _sns_error(code: str, message: str) -> Response:
    body = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"
    )
    return Response(body, status=400, mimetype="text/xml")


def _s3_error(code: str, message: str, *, status: int = 403) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status=status, mimetype="application/xml")


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
