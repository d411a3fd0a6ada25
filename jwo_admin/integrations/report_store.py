"""Amazon's ingestion reports on the wire and at rest: the download through the presigned link
Amazon hands out (it lasts 60 minutes, SPEC §6), and the raw copy we keep — in our S3 bucket in
production (``JWO_REPORTS_BUCKET``), in local media otherwise.

Transport only: no database and no business rules. A download answers with a
:class:`~jwo_admin.integrations.amazon_catalog.CallResult` like every other call to Amazon, so
the caller records it as an attempt the same way; what a refused link means is the caller's to
decide.
"""

import time
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from jwo_admin.integrations.amazon_catalog import EXCERPT_CHARS, CallResult, Outcome

DOWNLOAD_OPERATION = "report"  # the attempt record's operation for a report download
DOWNLOAD_TIMEOUT = (3.05, 60)
S3_PREFIX = "s3://"


@dataclass(frozen=True)
class ReportDownload:
    """One download, classified: the attempt to record, and the report's bytes when it came."""

    call: CallResult
    content: bytes | None = None  # set only when the link answered 200

    @property
    def is_link_refused(self) -> bool:
        """S3 refuses an expired (or altered) presigned link with 403, sometimes 400."""
        return self.call.outcome is Outcome.LINK_REFUSED


def report_download(*, link: str) -> ReportDownload:
    """GET the presigned ``link``. Never raises for a network failure or an HTTP status: each is
    an outcome (``ok``, ``link_refused``, ``network_error``, ``server_error``, ``unexpected``)."""
    started = time.monotonic()
    try:
        response = requests.get(link, timeout=DOWNLOAD_TIMEOUT)
    except requests.RequestException as error:
        return ReportDownload(
            CallResult(
                DOWNLOAD_OPERATION,
                Outcome.NETWORK_ERROR,
                None,
                f"Could not download the report: {error}",
                int((time.monotonic() - started) * 1000),
                0,
                "",
            )
        )
    duration_ms = int((time.monotonic() - started) * 1000)
    excerpt = response.content[:EXCERPT_CHARS].decode("utf-8", errors="replace")
    status = response.status_code
    if status == 200:
        call = CallResult(DOWNLOAD_OPERATION, Outcome.OK, status, "", duration_ms, 0, excerpt)
        return ReportDownload(call, response.content)
    if status in (400, 403):
        outcome = Outcome.LINK_REFUSED
    elif 500 <= status < 600:
        outcome = Outcome.SERVER_ERROR
    else:
        outcome = Outcome.UNEXPECTED
    message = f"The report link answered HTTP {status}"
    return ReportDownload(CallResult(DOWNLOAD_OPERATION, outcome, status, message, duration_ms, 0, excerpt))


def _s3() -> Any:
    return boto3.client("s3", region_name=settings.AWS_REGION, endpoint_url=settings.AWS_ENDPOINT_URL or None)


def _s3_location(stored: str) -> tuple[str, str]:
    bucket, _, key = stored.removeprefix(S3_PREFIX).partition("/")
    return bucket, key


def stored_report_save(*, name: str, raw: bytes) -> str:
    """Keep ``raw`` under ``name``; returns where it went (``s3://bucket/name`` or the media name)."""
    if settings.JWO_REPORTS_BUCKET:
        _s3().put_object(Bucket=settings.JWO_REPORTS_BUCKET, Key=name, Body=raw, ContentType="application/json")
        return f"{S3_PREFIX}{settings.JWO_REPORTS_BUCKET}/{name}"
    return default_storage.save(name, ContentFile(raw))


def stored_report_read(*, stored: str) -> bytes:
    """The bytes kept at ``stored`` (what :func:`stored_report_save` returned)."""
    if stored.startswith(S3_PREFIX):
        bucket, key = _s3_location(stored)
        return bytes(_s3().get_object(Bucket=bucket, Key=key)["Body"].read())
    with default_storage.open(stored, "rb") as kept:
        return bytes(kept.read())


def stored_report_delete(*, stored: str) -> None:
    """Delete what is kept at ``stored``; nothing to do for an empty name."""
    if stored.startswith(S3_PREFIX):
        bucket, key = _s3_location(stored)
        _s3().delete_object(Bucket=bucket, Key=key)
    elif stored:
        default_storage.delete(stored)
