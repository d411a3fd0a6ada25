"""Validation of a Verify Identity Keys body (SPEC §8.1), in plain Python.

The connector's hot path: DRF's serializers cost about a millisecond a call (they deep-copy their
fields on every instance), a sixth of what a whole gate call costs. These checks
(``jwo_admin.core.api.plain_validation``) give the same answers in the same words and field order
as the serializers they replace, so a 400 still names the first field at fault
("authEvent.timestamp"). Unknown attributes are ignored (SPEC §1.4).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entry.scan_keys import MAX_IDENTITY_KEY, identity_key_decode
from jwo_admin.core.api.plain_validation import (
    NULL,
    REQUIRED,
    InvalidField,
    choice_field,
    text_field,
    timestamp_field,
    uuid_field,
)


@dataclass(frozen=True)
class IdentityRequest:
    request_id: str
    identity_key: str
    scanned_text: str
    store_id: str
    auth_event_id: str
    auth_event_at: datetime


def identity_request_parse(data: Any) -> IdentityRequest:
    """The validated call, or InvalidField naming the first field at fault (in SPEC order)."""
    if data is None:
        raise InvalidField("body", "No data provided")
    if not isinstance(data, dict):
        raise InvalidField("body", f"Invalid data. Expected a dictionary, but got {type(data).__name__}.")
    request_id = uuid_field(data, "requestId", "requestId")
    identity_key = text_field(data, "identityKey", "identityKey", max_length=MAX_IDENTITY_KEY, trim=False)
    try:
        scanned_text = identity_key_decode(identity_key)
    except ValueError as error:
        raise InvalidField("identityKey", str(error)) from error
    store_id = text_field(data, "storeId", "storeId", max_length=255)
    if "authEvent" not in data:
        raise InvalidField("authEvent", REQUIRED)
    auth_event = data["authEvent"]
    if auth_event is None:
        raise InvalidField("authEvent", NULL)
    if not isinstance(auth_event, dict):
        raise InvalidField("authEvent", f'Expected a dictionary of items but got type "{type(auth_event).__name__}".')
    auth_event_id = uuid_field(auth_event, "id", "authEvent.id")
    auth_event_at = timestamp_field(auth_event, "timestamp", "authEvent.timestamp")
    choice_field(auth_event, "location", "authEvent.location", ("ENTRY",))
    choice_field(data, "keyChannel", "keyChannel", ("OPTICAL",), required=False)
    return IdentityRequest(request_id, identity_key, scanned_text, store_id, auth_event_id.lower(), auth_event_at)
