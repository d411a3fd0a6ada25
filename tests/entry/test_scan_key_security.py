"""Scan Key Codes that must not open the gate — forged, altered, replayed after their window, from
another store, of a blocked shopper — each refused with its reason in the gate log, and the code
itself in no log record and no stored column (the log keeps a fingerprint of it)."""

import base64
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import Store
from entry.models import GateEvent, Shopper, ShopperStatus
from entry.scan_keys import key_fingerprint
from entry.services.shoppers import scan_key_issue, shopper_set_status
from jwo_admin.core.deadline import pool_shutdown
from tests.entry.conftest import gate_body, make_shopper

pytestmark = pytest.mark.django_db(transaction=True)


def _code(shopper: Shopper, store: Store | None = None, *, age: float = 0) -> str:
    return scan_key_issue(shopper=shopper, store=store, now=timezone.now() - timedelta(seconds=age)).code


def forged(shopper: Shopper, store: Store, other: Store) -> str:
    code = _code(shopper)
    return code[:-20] + "0" * 20  # our layout, a signature we never made


def altered(shopper: Shopper, store: Store, other: Store) -> str:
    code = _code(shopper)
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def replayed_after_the_window(shopper: Shopper, store: Store, other: Store) -> str:
    return _code(shopper, age=3600)


def from_another_store(shopper: Shopper, store: Store, other: Store) -> str:
    return _code(shopper, other)


def of_a_blocked_shopper(shopper: Shopper, store: Store, other: Store) -> str:
    code = _code(shopper)
    shopper_set_status(shopper=shopper, status=ShopperStatus.BLOCKED, reason="chargeback")
    return code


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (forged, "forged"),
        (altered, "forged"),
        (replayed_after_the_window, "expired"),
        (from_another_store, "other_store"),
        (of_a_blocked_shopper, "blocked"),
    ],
)
def test_each_refused_code_is_recorded_with_its_reason_and_never_kept_or_logged(
    gate: Callable[..., Any],
    gate_store: Store,
    second_store: Store,
    caplog: pytest.LogCaptureFixture,
    make: Callable[[Shopper, Store, Store], str],
    reason: str,
) -> None:
    shopper = make_shopper("cust-sec-1")
    code = make(shopper, gate_store, second_store)
    identity_key = base64.b64encode(code.encode()).decode()

    with caplog.at_level(logging.DEBUG):
        response = gate(gate_body(identity_key, store_id=gate_store.store_id))
        pool_shutdown()  # the record is written in the background

    assert response.status_code == 401
    event = GateEvent.objects.get()
    assert (event.reason, event.decision, event.status_code) == (reason, "refused", 401)
    assert event.key_fingerprint == key_fingerprint(identity_key)
    stored = " ".join(str(value) for value in GateEvent.objects.values().get().values())
    assert code not in stored
    assert identity_key not in stored
    assert code not in caplog.text
    assert identity_key not in caplog.text
