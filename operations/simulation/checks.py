"""What must hold after a run, checked against the database, and totals recomputed independently.

The recomputation does not use ``orders.pricing``: from the catalog prices and tax rates the
simulator read before the run, it recomputes each line's gross (quantity × price, half-up per
line; a weight sent in grams or pounds is put in the product's unit with this module's own table
of the international definitions, to 6 places half-up as a purchase line keeps it), takes the
line's discounts as stored (each must be positive and no more than the gross), recomputes net,
tax (on the net: added, or extracted when shelf prices include tax; half-up per line) and total,
and the purchase's sums. So a wrong price, a wrong unit, a wrong tax, a line that does not add
up or a purchase that is not the sum of its lines is caught; whether a promotion should have
applied is the pricing engine's own tests' business.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q, Sum

from catalog.models import Store
from entry.models import GateEvent
from jwo_admin.core.money import minor_unit
from operations.simulation.config import ShelfItem
from operations.simulation.driver import Trip
from orders.models import (
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    ReconciliationItem,
    ReconciliationStatus,
    TaxRate,
)
from orders.services.reconciliation import reconciliation_run

ZERO = Decimal(0)


@dataclass(frozen=True)
class Invariant:
    name: str
    ok: bool
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "problems": list(self.problems[:20]), "count": len(self.problems)}


@dataclass(frozen=True)
class TaxTable:
    rates: dict[str, Decimal]
    exempt: frozenset[str]
    default_code: str

    @classmethod
    def read(cls, store: Store) -> "TaxTable":
        rows = list(TaxRate.objects.filter(store=store).values_list("tax_code", "rate", "is_exempt", "is_default"))
        return cls(
            {code: rate for code, rate, exempt, _ in rows if not exempt},
            frozenset(code for code, _, exempt, _ in rows if exempt),
            next((code for code, _, _, default in rows if default), ""),
        )

    def rate(self, code: str) -> Decimal | None:
        code = code or self.default_code
        if code in self.exempt:
            return ZERO
        return self.rates.get(code)


def _half_up(amount: Decimal, unit: Decimal) -> Decimal:
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


# Grams per unit, written out here rather than taken from orders.pricing.units (an independent check).
_GRAMS = {"g": Decimal(1), "kg": Decimal(1000), "lb": Decimal("453.59237"), "oz": Decimal("28.349523125")}
_SIX_PLACES = Decimal("0.000001")


def _in_sale_unit(line: PurchaseLine, item: ShelfItem) -> Decimal:
    """The line's quantity in the product's unit: as sent when the units agree, else by weight."""
    sent = "each" if line.unit == "unit" else line.unit
    if sent == item.unit or sent not in _GRAMS or item.unit not in _GRAMS:
        return line.quantity
    return _half_up(line.quantity * _GRAMS[sent] / _GRAMS[item.unit], _SIX_PLACES)


def line_problems(
    line: PurchaseLine, *, item: ShelfItem | None, taxes: TaxTable, inclusive: bool, unit: Decimal, discounts: Decimal
) -> list[str]:
    """Where a stored line differs from the recomputation (empty: it agrees)."""
    label = f"line {line.position} ({line.sku or line.item_id})"
    if item is None:
        return [f"{label}: priced, but the simulator's copy of the catalog has no such product"]
    problems = []
    gross = _half_up(_in_sale_unit(line, item) * _half_up(item.price, unit), unit)
    if line.gross != gross:
        problems.append(f"{label}: gross {line.gross}, recomputed {gross}")
    if discounts < 0 or discounts > line.gross or line.discount_total != discounts:
        problems.append(f"{label}: discounts {line.discount_total} (its discounts add to {discounts})")
    net = line.gross - discounts
    if line.net != net:
        problems.append(f"{label}: net {line.net}, recomputed {net}")
    rate = taxes.rate(item.tax_code)
    if rate is None:
        return [*problems, f"{label}: priced, but tax code {item.tax_code!r} has no rate"]
    tax = _half_up(net * rate / (1 + rate) if inclusive else net * rate, unit) if rate else _half_up(ZERO, unit)
    if line.tax != tax:
        problems.append(f"{label}: tax {line.tax}, recomputed {tax}")
    total = net if inclusive else net + tax
    if line.total != total:
        problems.append(f"{label}: total {line.total}, recomputed {total}")
    return problems


def purchase_problems(purchase: Purchase, *, shelf: dict[str, ShelfItem], taxes: TaxTable) -> list[str]:
    unit = minor_unit(purchase.currency)
    problems = []
    sums = dict.fromkeys(("gross", "discount_total", "tax", "total"), ZERO)
    for line in purchase.lines.all():
        discounts = sum((discount.amount for discount in line.discounts.all()), ZERO)
        problems += line_problems(
            line,
            item=shelf.get(line.sku),
            taxes=taxes,
            inclusive=purchase.store.prices_include_tax,
            unit=unit,
            discounts=discounts,
        )
        for name in sums:
            sums[name] += getattr(line, name)
    for stored, name in ((purchase.subtotal, "gross"), (purchase.discount_total, "discount_total")):
        if stored != sums[name]:
            problems.append(f"{name.replace('gross', 'subtotal')} {stored}, its lines add to {sums[name]}")
    if purchase.tax_total != sums["tax"]:
        problems.append(f"tax {purchase.tax_total}, its lines add to {sums['tax']}")
    if purchase.total != sums["total"]:
        problems.append(f"total {purchase.total}, its lines add to {sums['total']}")
    return [f"{purchase.purchase_id}: {problem}" for problem in problems]


def invariants_check(*, trips: list[Trip], shelf: list[ShelfItem], store: Store) -> list[Invariant]:
    sent = [trip for trip in trips if trip.trip_id]
    purchases = {
        purchase.trip_id: purchase
        for purchase in Purchase.objects.filter(trip_id__in=[trip.trip_id for trip in sent])
        .select_related("store")
        .prefetch_related("lines__discounts")
    }
    once, answers, replays = [], [], []
    for trip in sent:
        purchase = purchases.get(trip.trip_id)
        if purchase is None:
            once.append(f"trip {trip.trip_id} of {trip.participant.external_id}: no purchase")
            continue
        ids = {purchase_id for status, purchase_id in trip.answers if status == 201}
        if ids != {purchase.purchase_id} or any(status != 201 for status, _ in trip.answers):
            answers.append(f"trip {trip.trip_id}: answers {trip.answers}, stored {purchase.purchase_id!r}")
        if purchase.replays != len(trip.answers) - 1:
            replays.append(f"trip {trip.trip_id}: {len(trip.answers) - 1} replays sent, {purchase.replays} counted")
    by_sku = {item.sku: item for item in shelf}
    taxes = TaxTable.read(store)
    totals = [
        problem
        for purchase in purchases.values()
        if purchase.status == PurchaseStatus.PRICED
        for problem in purchase_problems(purchase, shelf=by_sku, taxes=taxes)
    ]
    return [
        Invariant("every admitted shopper's cart priced exactly once", not once, tuple(once)),
        Invariant("every delivery of a trip answered with the same purchase id", not answers, tuple(answers)),
        Invariant("every duplicate delivery counted as a replay, none as a purchase", not replays, tuple(replays)),
        Invariant("every total equal to the independent recomputation", not totals, tuple(totals)),
        charges_check(list(purchases.values())),
    ]


def charges_check(purchases: list[Purchase]) -> Invariant:
    """No purchase charged twice: at most one approved capture per purchase (a retried capture
    reuses its idempotency key, so the gateway counts it once), and never more than its total."""
    approved = PaymentOperation.objects.filter(
        purchase_id__in=[purchase.pk for purchase in purchases], kind=PaymentOperationKind.CAPTURE, outcome="approved"
    )
    keys = Counter(purchase_pk for purchase_pk, _ in set(approved.values_list("purchase_id", "idempotency_key")))
    problems = []
    for purchase in purchases:
        if keys.get(purchase.pk, 0) > 1:
            problems.append(f"{purchase.purchase_id}: captured under {keys[purchase.pk]} different keys")
        if purchase.captured_total > purchase.total:
            problems.append(f"{purchase.purchase_id}: captured {purchase.captured_total} of a {purchase.total} total")
        if purchase.payment_status == PaymentStatus.CAPTURED and purchase.captured_total != purchase.total:
            problems.append(f"{purchase.purchase_id}: captured {purchase.captured_total}, total {purchase.total}")
    return Invariant("no purchase charged twice", not problems, tuple(problems))


def finance_check(*, run_pk: int, store: Store, now: datetime) -> Invariant:
    """Every simulated trip reconciled: the reconciliation run over this run's own rows (each store
    day they fall on, missing carts decided at once — every admitted shopper has sent their cart
    by now) leaves nothing open; and what the captures keep after refunds adds up to the priced
    purchases' totals less their refunds (refunds come after the capture)."""
    stamps = [
        *Purchase.objects.filter(simulation_run_id=run_pk).values_list("created_at", flat=True),
        *GateEvent.objects.filter(simulation_run_id=run_pk).values_list("created_at", flat=True),
    ]
    decided = now + timedelta(hours=settings.JWO_MISSING_CART_HOURS, minutes=1)
    for day in sorted({stamp.astimezone(store.zone).date() for stamp in stamps}):
        reconciliation_run(store=store, day=day, simulation_run_id=run_pk, now=decided)
    problems = [
        f"{item.get_kind_display()} {item.trip_id}: {item.reason}"
        for item in ReconciliationItem.objects.filter(simulation_run_id=run_pk, status=ReconciliationStatus.OPEN)
    ]
    priced = Purchase.objects.filter(simulation_run_id=run_pk, status=PurchaseStatus.PRICED).exclude(
        payment_status__in=(PaymentStatus.AT_COUNTER, PaymentStatus.PAID_AT_COUNTER, PaymentStatus.NOT_CHARGED)
    )
    approved = PaymentOperation.objects.filter(purchase__in=priced, outcome="approved").aggregate(
        captured=Sum("amount", filter=Q(kind=PaymentOperationKind.CAPTURE)),
        refunded=Sum("amount", filter=Q(kind=PaymentOperationKind.REFUND)),
    )
    captured, refunded = approved["captured"] or ZERO, approved["refunded"] or ZERO
    totals = priced.aggregate(total=Sum("total"))["total"] or ZERO
    if captured != totals:  # then captured − refunds = totals − refunds: what is kept adds up
        problems.append(
            f"captures add to {captured:.2f} against priced totals of {totals:.2f} "
            f"(refunds of {refunded:.2f} are given back after the capture)"
        )
    return Invariant(
        "every trip reconciled; captures less refunds equal the totals less refunds", not problems, tuple(problems)
    )
