"""A Verify Identity Keys body (SPEC §8.1): its field table, and the call read from it.

The table is the one description of the body: the connector parses with it on its hot path
(``table_parse``) and the published schema's ``IdentityKeysRequest`` is made from it
(``entry.api_schema``), so a 400 names the same fields, in the same order, as the schema lists.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entry.scan_keys import MAX_IDENTITY_KEY, identity_key_decode
from jwo_admin.core.api.fields import Choice, Object, Text, Timestamp, table_parse, uuid_text

BASE64_PATTERN = re.compile(
    r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9+/]{2}==$|^[A-Za-z0-9+/]{3}=$"
)
AUTH_LOCATIONS = ("ENTRY",)
KEY_CHANNELS = ("OPTICAL",)


@dataclass(frozen=True)
class IdentityRequest:
    request_id: str
    identity_key: str
    scanned_text: str
    store_id: str
    auth_event_id: str
    auth_event_at: datetime


IDENTITY_KEYS_REQUEST = Object(
    schema_name="IdentityKeysRequest",
    fields=(
        uuid_text("requestId", "Amazon's id for this call; a new one on every retry."),
        Text(
            name="identityKey",
            help_text="The scanned Scan Key Code, Base64-encoded.",
            max_length=MAX_IDENTITY_KEY,
            trim=False,
            pattern=BASE64_PATTERN,
            pattern_checked=False,  # the decoder checks it, in its own words
            convert=identity_key_decode,  # kept: the text the QR code held
        ),
        Text(name="storeId", help_text="Amazon's store id; an unknown one is refused (400).", max_length=255),
        Object(
            name="authEvent",
            schema_name="AuthEvent",
            fields=(
                uuid_text("id", "The gate authentication event; a repeated id is a retry and gets the same answer."),
                Timestamp(name="timestamp", help_text="When the gate read the code (RFC 3339 with a zone)."),
                Choice(name="location", choices=AUTH_LOCATIONS),
            ),
        ),
        Choice(name="keyChannel", choices=KEY_CHANNELS, required=False),
    ),
)


def identity_request_parse(data: Any) -> IdentityRequest:
    """The validated call, or InvalidField naming the first field at fault (in SPEC order)."""
    read = table_parse(IDENTITY_KEYS_REQUEST, data)
    return IdentityRequest(
        request_id=read["requestId"],
        identity_key=data["identityKey"],  # as sent (never trimmed)
        scanned_text=read["identityKey"],
        store_id=read["storeId"],
        auth_event_id=read["authEvent"]["id"].lower(),
        auth_event_at=read["authEvent"]["timestamp"],
    )
