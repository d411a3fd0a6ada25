"""Reads of the stores' gate settings: the gate's store cache (its hot path) and the stores with
their gate default for staff pages.

A store without an ``entry.StoreGate`` row keeps its gate closed (catalog creates stores and knows
nothing of gates); both reads join the row in the store's own query, so neither costs a query more.
"""

import hashlib
import re
from dataclasses import dataclass

from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.functions import Coalesce

from catalog.models import Store
from entry.models import GateDefault, StoreGate
from jwo_admin.core.cache import cache_delete, cache_get, cache_set
from jwo_admin.core.deadline import run_within

STORE_CACHE_SECONDS = 30


@dataclass(frozen=True)
class StoreGateProfile:
    """What a gate call needs to know about its store, cached so most calls read no database."""

    pk: int
    store_id: str
    default_gate_decision: str


_PLAIN_STORE_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")


def store_cache_key(store_id: str) -> str:
    """The id as sent is the key when it is plain; anything else (Amazon sends what it is given:
    spaces, control characters, 255 characters) by its hash, so every cache backend takes it."""
    if _PLAIN_STORE_ID.fullmatch(store_id):
        return f"jwo:store:{store_id}"
    return f"jwo:store:sha256:{hashlib.sha256(store_id.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _gate_default() -> Coalesce:
    return Coalesce(F("gate__default_decision"), Value(GateDefault.CLOSED))


def _store_row(store_id: str) -> tuple[int, str, str] | None:
    return (
        Store.objects.filter(store_id=store_id)
        .annotate(gate_default=_gate_default())
        .values_list("pk", "store_id", "gate_default")
        .first()
    )


def store_gate_profile_cached(store_id: str) -> StoreGateProfile | None:
    """The store only if it is in the cache: for answers given while the database is failing."""
    cached = cache_get(store_cache_key(store_id))
    return StoreGateProfile(*cached) if cached else None


def store_gate_profile(store_id: str, *, timeout: float | None = None) -> StoreGateProfile | None:
    """The store Amazon names by ``store_id``, or None; a store's save and a gate default's change
    clear the cache entry (``store_gate_cache_forget``).

    With ``timeout``, a database read (on a cache miss) runs under that deadline and raises
    DeadlineExceeded or DatabaseError past it.
    """
    cached = cache_get(store_cache_key(store_id))
    if cached is not None:
        return StoreGateProfile(*cached) if cached else None
    row = run_within(timeout, _store_row, store_id) if timeout is not None else _store_row(store_id)
    cache_set(store_cache_key(store_id), list(row) if row else [], STORE_CACHE_SECONDS)
    return StoreGateProfile(*row) if row else None


def store_gate_cache_forget(*, store_ids: set[str]) -> None:
    """Drop the cached gate profiles of these Amazon store ids (the next call reads the database)."""
    for store_id in store_ids:
        cache_delete(store_cache_key(store_id))


def store_list_with_gate_default() -> QuerySet[Store]:
    """Stores by name, each with ``default_gate_decision`` (CLOSED where never set) and its label
    ``default_gate_label``, as staff read it."""
    labels = [When(default_gate_decision=value, then=Value(label)) for value, label in GateDefault.choices]
    return (
        Store.objects.order_by("name")
        .annotate(default_gate_decision=_gate_default())
        .annotate(default_gate_label=Case(*labels, default=F("default_gate_decision")))
    )


def store_gate_default(*, store: Store) -> str:
    """What ``store``'s gate does when the identity connector answers 500: its own setting, or
    CLOSED when never set (one query; the staff form's initial value)."""
    decision: str | None = StoreGate.objects.filter(store=store).values_list("default_decision", flat=True).first()
    return decision or GateDefault.CLOSED
