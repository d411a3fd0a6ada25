"""Create Purchases' raw-SQL writes: a purchase, its lines and discounts in one insert; replays counted."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Product, Store
from orders.models import Promotion, Purchase, PurchaseLine, PurchaseLineDiscount
from orders.services.purchase_store import LINE_POSITION, purchase_insert, purchase_replay_count

STARTED = datetime(2025, 6, 3, 14, 22, 5, tzinfo=UTC)
ENDED = datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC)


def purchase_fields(store: Store, trip_id: str = "trip-1", **changes: Any) -> dict[str, Any]:
    return {
        "created_at": timezone.now(),
        "trip_id": trip_id,
        "store_id": store.pk,
        "status": "priced",
        "started_at": STARTED,
        "ended_at": ENDED,
        "currency": "USD",
        "request_body": {"cartItems": [{"id": "SKU-COLA"}]},
        "request_fingerprint": "f" * 64,
        **changes,
    }


def line_fields(position: int, product: Product | None, **changes: Any) -> dict[str, Any]:
    return {
        "position": position,
        "line_item_id": f"li-{position + 1}",
        "item_id": product.sku if product else "NOPE",
        "item_type": "SKU",
        "product_id": product.pk if product else None,
        "sku": product.sku if product else "",
        "quantity": Decimal("0.532"),
        "unit": "kg",
        "is_resolved": product is not None,
        **changes,
    }


@pytest.fixture
def cola(store: Store) -> Product:
    return Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"))


def test_a_purchase_is_numbered_from_its_pk_and_left_out_fields_get_their_defaults(store: Store) -> None:
    fields = purchase_fields(store)

    stored = purchase_insert(purchase=fields, is_numbered=True, lines=[], discounts=[])

    purchase = Purchase.objects.get()
    assert stored == (purchase.pk, f"PO-{fields['created_at']:%Y%m%d}-{purchase.pk:08d}")
    assert (purchase.purchase_id, purchase.response_body) == (stored[1], {"purchaseId": stored[1]})
    assert (purchase.created_at, purchase.request_body) == (fields["created_at"], fields["request_body"])
    assert (purchase.replays, purchase.conflicts, purchase.problem, purchase.shopper_id, purchase.receipt_sent_at) == (
        0,
        0,
        "",
        None,
        None,
    )
    assert (purchase.payment_status, purchase.total, purchase.captured_total) == ("pending", Decimal(0), Decimal(0))


def test_an_empty_carts_purchase_id_is_blank(store: Store) -> None:
    stored = purchase_insert(purchase=purchase_fields(store, status="empty"), is_numbered=False, lines=[], discounts=[])

    purchase = Purchase.objects.get()
    assert stored == (purchase.pk, "")
    assert (purchase.purchase_id, purchase.response_body) == ("", {"purchaseId": ""})


@pytest.fixture
def ids_past_eight_digits(db: None) -> Iterator[int]:
    """The next purchase pk is 123,456,789 (the sequence is put back afterwards)."""
    table = Purchase._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT last_value FROM {table}_id_seq")  # noqa: S608 - our own name
            (previous,) = cursor.fetchone()
            cursor.execute(f"SELECT setval('{table}_id_seq', 123456788)")  # noqa: S608
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, 123456788)", [table])
    yield 123456789
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval('{table}_id_seq', %s)", [previous])  # noqa: S608


def test_a_pk_of_more_than_eight_digits_is_written_whole(store: Store, ids_past_eight_digits: int) -> None:
    fields = purchase_fields(store)

    stored = purchase_insert(purchase=fields, is_numbered=True, lines=[], discounts=[])

    assert stored == (ids_past_eight_digits, f"PO-{fields['created_at']:%Y%m%d}-123456789")


def test_lines_and_discounts_are_stored_exactly_and_discounts_find_their_lines(store: Store, cola: Product) -> None:
    promotion = Promotion.objects.create(name="Cola 10% off", kind="percent_off", percent=Decimal(10))
    priced = {
        "unit_price": Decimal("1.99"),
        "gross": Decimal("1.06"),
        "discount_total": Decimal("0.11"),
        "net": Decimal("0.95"),
        "tax_code": "FOOD",
        "tax_rate": Decimal("0.0875"),
        "tax": Decimal("0.08"),
        "total": Decimal("1.03"),
    }
    lines = [
        line_fields(0, None, external_identifiers=[{"id": "4006381333931", "type": "EAN"}]),
        line_fields(1, cola, **priced),
        line_fields(2, cola, **priced),
    ]
    discounts = [
        {
            LINE_POSITION: 2,
            "promotion_id": promotion.pk,
            "promotion_name": promotion.name,
            "kind": "percent_off",
            "quantity": Decimal("0.532"),
            "amount": Decimal("0.11"),
        }
    ]

    pk, _ = purchase_insert(purchase=purchase_fields(store), is_numbered=True, lines=lines, discounts=discounts) or (
        0,
        "",
    )

    assert list(
        PurchaseLine.objects.filter(purchase_id=pk)
        .order_by("position")
        .values_list("position", "item_id", "external_identifiers", "product_id", "name", "quantity", "is_resolved")
    ) == [
        (0, "NOPE", [{"id": "4006381333931", "type": "EAN"}], None, "", Decimal("0.532000"), False),
        (1, "SKU-COLA", [], cola.pk, "", Decimal("0.532000"), True),
        (2, "SKU-COLA", [], cola.pk, "", Decimal("0.532000"), True),
    ]
    assert list(
        PurchaseLine.objects.filter(purchase_id=pk)
        .order_by("position")
        .values_list("unit_price", "gross", "discount_total", "net", "tax_code", "tax_rate", "tax", "total")
    ) == [
        (None, Decimal(0), Decimal(0), Decimal(0), "", Decimal(0), Decimal(0), Decimal(0)),
        *[
            (
                Decimal("1.990"),
                Decimal("1.060"),
                Decimal("0.110"),
                Decimal("0.950"),
                "FOOD",
                Decimal("0.087500"),
                Decimal("0.080"),
                Decimal("1.030"),
            )
        ]
        * 2,
    ]
    assert list(
        PurchaseLineDiscount.objects.values_list(
            "line__position", "promotion_id", "promotion_name", "kind", "quantity", "amount"
        )
    ) == [(2, promotion.pk, "Cola 10% off", "percent_off", Decimal("0.532000"), Decimal("0.110"))]


def test_a_trip_stored_already_inserts_nothing(store: Store, cola: Product) -> None:
    first = purchase_insert(purchase=purchase_fields(store), is_numbered=True, lines=[], discounts=[])

    again = purchase_insert(
        purchase=purchase_fields(store, total=Decimal("9.99")),
        is_numbered=True,
        lines=[line_fields(0, cola)],
        discounts=[],
    )

    assert first is not None
    assert again is None
    assert (Purchase.objects.get().total, PurchaseLine.objects.count()) == (Decimal(0), 0)


def test_a_replay_is_counted_a_different_cart_as_a_conflict_and_the_first_answer_returned(store: Store) -> None:
    pk, purchase_id = purchase_insert(purchase=purchase_fields(store), is_numbered=True, lines=[], discounts=[]) or (
        0,
        "",
    )

    same = purchase_replay_count(trip_id="trip-1", fingerprint="f" * 64)
    other = purchase_replay_count(trip_id="trip-1", fingerprint="0" * 64)
    unknown = purchase_replay_count(trip_id="trip-2", fingerprint="f" * 64)

    assert same == other == (pk, {"purchaseId": purchase_id})
    assert unknown is None
    assert Purchase.objects.values_list("replays", "conflicts").get() == (2, 1)
