"""The sandbox gateway's books in the database: ``SandboxCharge`` rows, one per idempotency key.

The model stays with orders (its table and migrations are orders', with rows deployments already
hold); the sandbox itself is transport in jwo_admin/integrations/payments/sandbox.py and reaches
these books only through its ``SandboxBooks`` interface, registered in ``orders.apps``.
"""

from django.db import IntegrityError
from django.db.models import Q

from jwo_admin.core import db
from jwo_admin.integrations.payments.gateway import APPROVED
from jwo_admin.integrations.payments.sandbox import SandboxEntry, SandboxLookup
from orders.models import SandboxCharge

_FOLLOW_UP_KINDS = ("capture", "void", "refund")  # the entries that act on an earlier one


def _entry(row: SandboxCharge) -> SandboxEntry:
    return SandboxEntry(
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        reference=row.reference,
        outcome=row.outcome,
        message=row.message,
        parent_reference=row.parent_reference,
        card_reference=row.card_reference,
        amount=row.amount,
        currency=row.currency,
    )


class SandboxChargeBooks:
    """``SandboxBooks`` on the ``SandboxCharge`` table; the unique idempotency key settles races.

    A capture, void or refund reads the books once (``lookup``) and writes its entry with one
    insert: the sandbox stands in for a provider's HTTP call, so its own records should cost the
    settlement as little as one (bench/celery_work.py)."""

    def entry_by_key(self, idempotency_key: str) -> SandboxEntry | None:
        row = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return _entry(row) if row is not None else None

    def entry_add(self, entry: SandboxEntry) -> tuple[SandboxEntry, bool]:
        try:
            with db.statement_guard():
                row = SandboxCharge.objects.create(
                    idempotency_key=entry.idempotency_key,
                    kind=entry.kind,
                    reference=entry.reference,
                    parent_reference=entry.parent_reference,
                    card_reference=entry.card_reference,
                    amount=entry.amount,
                    currency=entry.currency,
                    outcome=entry.outcome,
                    message=entry.message,
                )
        except IntegrityError:  # a concurrent call with the same key kept its entry first
            return _entry(SandboxCharge.objects.get(idempotency_key=entry.idempotency_key)), False
        return _entry(row), True

    def lookup(self, idempotency_key: str, reference: str, parent_kind: str) -> SandboxLookup:
        wanted = Q(idempotency_key=idempotency_key)
        if reference:  # a blank reference names no entry (and every hold's parent_reference is blank)
            wanted |= Q(reference=reference, kind=parent_kind, outcome=APPROVED)
            wanted |= Q(parent_reference=reference, kind__in=_FOLLOW_UP_KINDS, outcome=APPROVED)
        rows = SandboxCharge.objects.filter(wanted).order_by("pk")
        existing, parent, on_parent = None, None, []
        for row in rows:
            if row.idempotency_key == idempotency_key:
                existing = _entry(row)
            if not reference or row.outcome != APPROVED:
                continue
            if row.reference == reference and row.kind == parent_kind:
                parent = parent or _entry(row)
            if row.parent_reference == reference and row.kind in _FOLLOW_UP_KINDS:
                on_parent.append(_entry(row))
        return SandboxLookup(existing, parent, tuple(on_parent))
