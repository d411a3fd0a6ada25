"""Where Amazon's intra-day store report files are found: an S3 bucket (under a prefix) or a local
folder an SFTP server drops them in. Transport only: list what is there (name and a fingerprint
that changes when the content does) and read one file's bytes.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError


class ReportUnreadable(Exception):
    """The source could not be listed or the file read (no bucket, no permission, no network)."""


@dataclass(frozen=True)
class ReportObject:
    key: str
    etag: str  # S3's ETag, or the SHA-256 of a dropped file


def _s3(*, region: str, endpoint_url: str) -> Any:
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url or None)


def s3_reports_list(*, bucket: str, prefix: str, region: str, endpoint_url: str = "") -> list[ReportObject]:
    """Every object under ``prefix``, oldest key first (keys carry their time)."""
    try:
        paginator = _s3(region=region, endpoint_url=endpoint_url).get_paginator("list_objects_v2")
        found = [
            ReportObject(str(item["Key"]), str(item["ETag"]).strip('"'))
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
            if not str(item["Key"]).endswith("/")
        ]
    except (BotoCoreError, ClientError) as error:
        raise ReportUnreadable(f"Could not list s3://{bucket}/{prefix}: {error}") from error
    return sorted(found, key=lambda report: report.key)


def s3_report_read(*, bucket: str, key: str, region: str, endpoint_url: str = "") -> bytes:
    try:
        answer = _s3(region=region, endpoint_url=endpoint_url).get_object(Bucket=bucket, Key=key)
        return bytes(answer["Body"].read())
    except (BotoCoreError, ClientError) as error:
        raise ReportUnreadable(f"Could not read s3://{bucket}/{key}: {error}") from error


def drop_reports_list(*, folder: str) -> list[ReportObject]:
    """Every file in the drop folder (dot-files are uploads in progress, left alone)."""
    root = Path(folder)
    try:
        paths = sorted(path for path in root.iterdir() if path.is_file() and not path.name.startswith("."))
        return [ReportObject(path.name, hashlib.sha256(path.read_bytes()).hexdigest()) for path in paths]
    except OSError as error:
        raise ReportUnreadable(f"Could not list the drop folder {folder}: {error}") from error


def drop_report_read(*, folder: str, key: str) -> bytes:
    path = Path(folder) / Path(key).name  # a recorded name, never a path out of the folder
    try:
        return path.read_bytes()
    except OSError as error:
        raise ReportUnreadable(f"Could not read {path}: {error}") from error
