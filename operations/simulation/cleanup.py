"""Clean up a simulation run: every row it created goes, in one transaction, so the store is as
it was before the run. What the run created carries its id (``simulation_run_id``): its shoppers
(and their cards, app tokens and Scan Key Codes), its gate events, its purchases (lines,
discounts, audit trail, refunds, payment operations and issues) and its shoppers' holds, and the
sandbox gateway's entries for them, and the reconciliation items of its finance check. The
``SimulationRun`` itself stays: the launch checklist reads it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from entry.models import GateEvent, Shopper
from operations.models import SimulationRun
from orders.models import (
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    Purchase,
    ReconciliationItem,
    Refund,
    SandboxCharge,
)


@dataclass(frozen=True)
class CleanUp:
    """How many of each the clean-up removed."""

    shoppers: int
    gate_events: int
    purchases: int
    payment_holds: int
    sandbox_entries: int

    def as_sentence(self) -> str:
        return (
            f"Removed {self.shoppers} simulated shoppers, {self.gate_events} gate events, {self.purchases} purchases "
            f"(with their lines, receipts and payments), {self.payment_holds} payment holds "
            f"and {self.sandbox_entries} sandbox gateway entries."
        )


@transaction.atomic
def simulation_clean_up(*, run: SimulationRun) -> CleanUp:
    """Delete everything ``run`` created; a second clean-up finds nothing and removes nothing."""
    shoppers = Shopper.objects.filter(simulation_run_id=run.pk)
    purchases = Purchase.objects.filter(Q(simulation_run_id=run.pk) | Q(shopper__in=shoppers))
    holds = PaymentAuthorisation.objects.filter(shopper__in=shoppers)
    references = {
        *PaymentOperation.objects.filter(Q(purchase__in=purchases) | Q(authorisation__in=holds))
        .exclude(gateway_reference="")
        .values_list("gateway_reference", flat=True),
        *holds.exclude(gateway_reference="").values_list("gateway_reference", flat=True),
    }
    cards = set(shoppers.values_list("payment_methods__provider_reference", flat=True)) - {None}
    sandbox, _ = SandboxCharge.objects.filter(
        Q(reference__in=references) | Q(parent_reference__in=references) | Q(card_reference__in=cards)
    ).delete()
    PaymentIssue.objects.filter(
        Q(purchase__in=purchases) | Q(shopper__in=shoppers) | Q(authorisation__in=holds)
    ).delete()
    ReconciliationItem.objects.filter(simulation_run_id=run.pk).delete()  # the finance check's
    Refund.objects.filter(purchase__in=purchases).delete()  # protected: they go before their purchases
    purchase_count = purchases.count()
    purchases.delete()
    hold_count, _ = holds.delete()
    gate_events, _ = GateEvent.objects.filter(Q(simulation_run_id=run.pk) | Q(shopper__in=shoppers)).delete()
    shopper_count = shoppers.count()
    shoppers.delete()
    return CleanUp(shopper_count, gate_events, purchase_count, hold_count, sandbox)
