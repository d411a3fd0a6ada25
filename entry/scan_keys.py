"""The Scan Key Code: what the shopper's QR holds, and the checks that need no database (SPEC §9.1).

Layout, uppercase letters and digits only (QR "alphanumeric" mode keeps the code small)::

    PREFIX  1        1767225600  0123456789ABCDEF0123456789ABCDEF  0123456789ABCDEF0123
    prefix  version  issued (s)  recognition token (128 bits)      MAC (80 bits, HMAC-SHA256)

The MAC covers everything before it, so an altered time, token or prefix is refused before any
database read, and so is a code made up by someone without the secret. Pure functions only.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = "1"
TOKEN_HEX = 32
MAC_HEX = 20
TIME_DIGITS = 10
MAX_IDENTITY_KEY = 1000  # SPEC §8.1: identityKey ≤ 1000 characters


class ScanKeyRefused(Exception):
    """The code cannot admit anyone; ``reason`` is a ``GateReason`` value."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ScanKeyCode:
    token: str
    issued_at: datetime


def qr_pattern(prefix: str) -> str:
    """The regular expression to enter as the store's "QR pattern" in Amazon's portal (SPEC §2)."""
    return f"^{re.escape(prefix)}{VERSION}[0-9]{{{TIME_DIGITS}}}[0-9A-F]{{{TOKEN_HEX + MAC_HEX}}}$"


def new_token() -> str:
    return secrets.token_hex(TOKEN_HEX // 2).upper()


def _mac(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:MAC_HEX].upper()


def scan_key_encode(*, token: str, issued_at: datetime, prefix: str, secret: str) -> str:
    body = f"{prefix}{VERSION}{int(issued_at.timestamp()):0{TIME_DIGITS}d}{token}"
    return body + _mac(secret, body)


def identity_key_decode(identity_key: str) -> str:
    """Amazon sends the scanned text Base64-encoded (SPEC §8.1). Raises ValueError if it is not Base64."""
    try:
        raw = base64.b64decode(identity_key, validate=True)
    except binascii.Error as error:
        raise ValueError("identityKey is not valid Base64.") from error
    if not raw:
        raise ValueError("identityKey decodes to nothing.")
    return raw.decode("latin-1")


def scan_key_verify(
    text: str, *, prefix: str, secrets_: Sequence[str], event_at: datetime, ttl_seconds: int, skew_seconds: int
) -> ScanKeyCode:
    """Check layout, MAC and freshness against the gate event's time; raise ScanKeyRefused if any fails.

    Deterministic in its inputs, so a replayed call gets the same refusal without a database read.
    """
    pattern = qr_pattern(prefix)
    if not re.fullmatch(pattern, text):
        raise ScanKeyRefused("malformed_key", "The scanned text is not one of our Scan Key Codes.")
    body, mac = text[:-MAC_HEX], text[-MAC_HEX:]
    if not any(hmac.compare_digest(_mac(secret, body), mac) for secret in secrets_):
        raise ScanKeyRefused("forged", "The code's signature does not match.")
    start = len(prefix) + len(VERSION)
    issued_at = datetime.fromtimestamp(int(body[start : start + TIME_DIGITS]), tz=UTC)
    token = body[start + TIME_DIGITS :]
    age = (event_at - issued_at).total_seconds()
    if age > ttl_seconds:
        raise ScanKeyRefused("expired", f"The code was {age:.0f} s old at the gate (limit {ttl_seconds} s).")
    if age < -skew_seconds:
        raise ScanKeyRefused("not_yet_valid", f"The code was issued {-age:.0f} s after the gate event.")
    return ScanKeyCode(token=token, issued_at=issued_at)


def key_fingerprint(identity_key: str) -> str:
    """What the gate log keeps instead of the key: enough to match repeats, useless to enter with."""
    return hashlib.sha256(identity_key.encode("utf-8", "replace")).hexdigest()[:16]
