"""The sandbox gateway's books in the database: ``SandboxCharge`` rows, one per idempotency key.

The model stays with orders (its table and migrations are orders', with rows deployments already
hold); the sandbox itself is transport in jwo_admin/integrations/payments/sandbox.py and reaches
these books only through its ``SandboxBooks`` interface, registered in ``orders.apps``.
"""

from django.db import IntegrityError, transaction

from jwo_admin.integrations.payments.gateway import APPROVED
from jwo_admin.integrations.payments.sandbox import SandboxEntry
from orders.models import SandboxCharge


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
    """``SandboxBooks`` on the ``SandboxCharge`` table; the unique idempotency key settles races."""

    def entry_by_key(self, idempotency_key: str) -> SandboxEntry | None:
        row = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return _entry(row) if row is not None else None

    def entry_add(self, entry: SandboxEntry) -> tuple[SandboxEntry, bool]:
        try:
            with transaction.atomic():
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

    def approved_entry(self, reference: str, kind: str) -> SandboxEntry | None:
        row = SandboxCharge.objects.filter(reference=reference, kind=kind, outcome=APPROVED).first()
        return _entry(row) if row is not None else None

    def approved_entries_on(self, parent_reference: str, kinds: tuple[str, ...]) -> list[SandboxEntry]:
        rows = SandboxCharge.objects.filter(parent_reference=parent_reference, kind__in=kinds, outcome=APPROVED)
        return [_entry(row) for row in rows.order_by("pk")]
