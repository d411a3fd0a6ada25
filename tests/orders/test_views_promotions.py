"""Promotion and tax rate screens through the test client: the lists, the forms with their per-kind
validation (never saving what the pricing engine would refuse), deactivating and deleting."""

import itertools
import re
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from catalog.models import Store
from orders.forms import PromotionForm
from orders.models import Promotion, TaxRate
from orders.pricing import types
from orders.selectors.pricing import store_promotion_index
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>.*?<tbody[^>]*>(.*?)</tbody>', html, re.S)
    assert table is not None, f"no table #{table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [[_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def flash(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def manager_client(store_manager: User) -> Client:
    return client_for(store_manager)


@pytest.fixture(autouse=True)
def _utc(settings: Any) -> None:
    settings.TIME_ZONE = "UTC"


def promotion_data(**changes: Any) -> dict[str, Any]:
    """A valid percent-off form post, changed by ``changes`` (None drops a field)."""
    data: dict[str, Any] = {
        "name": "Snacks 10% off",
        "kind": "percent_off",
        "is_active": "on",
        "skus": "",
        "categories": "Snacks",
        "brands": "",
        "percent": "10",
        "amount": "",
        "buy_quantity": "",
        "get_quantity": "",
        "minimum_spend": "",
        "starts_at": "",
        "ends_at": "",
        "time_from": "",
        "time_to": "",
        "priority": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- promotion list --------------------------------------------------------------------------
def test_promotion_list_shows_every_promotion_in_the_engine_order(
    store: Store, other_store: Store, viewer_client: Client
) -> None:
    late_night = Promotion.objects.create(
        name="Late-night drinks: 3 for 5",
        kind="multi_buy",
        categories=["Beverages"],
        buy_quantity=3,
        amount=Decimal("5.000"),
        starts_at=datetime(2025, 3, 1, tzinfo=UTC),
        ends_at=datetime(2025, 4, 1, tzinfo=UTC),
        days_of_week=[4, 5],
        time_from=time(22, 0),
        time_to=time(2, 0),
        priority=5,
        is_exclusive=True,
    )
    late_night.stores.set([other_store, store])
    Promotion.objects.create(
        name="Spend 25, save 3", kind="spend_and_save", minimum_spend=Decimal("25.000"), amount=Decimal("3.000")
    )
    Promotion.objects.create(
        name="Dairy: buy 2, get 1 half price",
        kind="buy_x_get_y",
        skus=["SKU-MILK", "SKU-YOGHURT"],
        brands=["Northwind"],
        buy_quantity=2,
        get_quantity=1,
        percent=Decimal("50.00"),
        is_active=False,
    )

    html = viewer_client.get(reverse("orders:promotion_list")).content.decode()

    assert table_rows(html, "promotion-table") == [
        [
            "Late-night drinks: 3 for 5",
            "Active",
            "Multi-buy (N for a price)",
            "3 for 5.00",
            "category Beverages",
            "TEST_STORE_001, TEST_STORE_002",
            "from 2025-03-01 00:00 · until 2025-04-01 00:00 · Fri, Sat · 22:00–02:00",
            "5",
            "yes",
        ],
        [
            "Spend 25, save 3",
            "Active",
            "Spend and save (basket)",
            "spend 25.00, save 3.00",
            "every product",
            "every store",
            "always",
            "0",
            "no",
        ],
        [
            "Dairy: buy 2, get 1 half price",
            "Inactive",
            "Buy X get Y (free or percent off)",
            "buy 2, get 1 50 % off",
            "SKU SKU-MILK, SKU-YOGHURT · brand Northwind",
            "every store",
            "always",
            "0",
            "no",
        ],
    ]


def test_promotion_list_filters_active_and_inactive(viewer_client: Client) -> None:
    Promotion.objects.create(name="On", kind="percent_off", percent=Decimal("5"))
    Promotion.objects.create(name="Off", kind="percent_off", percent=Decimal("5"), is_active=False)

    def names(state: str) -> list[str]:
        rows = viewer_client.get(reverse("orders:promotion_list"), {"state": state}).context["rows"]
        return [row.promotion.name for row in rows]

    assert names("active") == ["On"]
    assert names("inactive") == ["Off"]
    assert names("") == ["On", "Off"]


# --- create and edit -------------------------------------------------------------------------
def test_store_manager_creates_a_promotion_with_every_field(
    store: Store, other_store: Store, manager_client: Client
) -> None:
    response = manager_client.post(
        reverse("orders:promotion_create"),
        promotion_data(
            name="Weekday lunch",
            kind="fixed_price",
            percent="",
            amount="1.99",
            stores=[store.pk],
            skus="RET-000451, RET-000452\nRET-000451\n\n",
            categories="Bakery,  Deli ",
            brands="Northwind",
            starts_at="2025-03-01T08:00",
            ends_at="2025-03-31T20:00",
            days_of_week=["0", "1", "2", "3", "4"],
            time_from="11:30",
            time_to="14:00",
            priority="7",
            is_exclusive="on",
        ),
    )

    assert (response.status_code, response["Location"]) == (302, reverse("orders:promotion_list"))
    assert flash(response) == ["Promotion “Weekday lunch” saved: each at 1.99."]
    promotion = Promotion.objects.get()
    assert (promotion.name, promotion.kind, promotion.is_active) == ("Weekday lunch", "fixed_price", True)
    assert list(promotion.stores.all()) == [store]
    assert (promotion.skus, promotion.categories, promotion.brands) == (
        ["RET-000451", "RET-000452"],
        ["Bakery", "Deli"],
        ["Northwind"],
    )
    assert (promotion.percent, promotion.amount, promotion.buy_quantity, promotion.get_quantity) == (
        None,
        Decimal("1.99"),
        None,
        None,
    )
    assert promotion.minimum_spend is None
    assert (promotion.starts_at, promotion.ends_at) == (
        datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        datetime(2025, 3, 31, 20, 0, tzinfo=UTC),
    )
    assert (promotion.days_of_week, promotion.time_from, promotion.time_to) == ([0, 1, 2, 3, 4], time(11, 30), time(14))
    assert (promotion.priority, promotion.is_exclusive) == (7, True)


def test_the_edit_form_shows_the_promotion_as_typed(store: Store, other_store: Store, manager_client: Client) -> None:
    promotion = Promotion.objects.create(
        name="Dairy", kind="percent_off", percent=Decimal("15"), skus=["SKU-MILK", "SKU-CREAM"], days_of_week=[5, 6]
    )
    promotion.stores.set([other_store])

    response = manager_client.get(reverse("orders:promotion_update", args=[promotion.pk]))

    html = response.content.decode()
    assert re.search(r'<textarea name="skus"[^>]*>\s*SKU-MILK\nSKU-CREAM</textarea>', html)
    assert re.findall(r'<input type="checkbox" name="stores" value="(\d+)"[^>]*checked', html) == [str(other_store.pk)]
    assert re.findall(r'<input type="checkbox" name="days_of_week" value="(\d)"[^>]*checked', html) == ["5", "6"]
    assert 'name="percent" value="15.00"' in html


def test_editing_a_promotion_changes_the_next_cart(store: Store, manager_client: Client) -> None:
    promotion = Promotion.objects.create(
        name="Snacks", kind="percent_off", categories=["Snacks"], percent=Decimal("10")
    )
    Promotion.objects.filter(pk=promotion.pk).update(updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    before = store_promotion_index(store=store)
    assert [p.percent for p in before.promotions] == [Decimal("10.00")]

    response = manager_client.post(
        reverse("orders:promotion_update", args=[promotion.pk]),
        promotion_data(name="Snacks", categories="Snacks\nCrisps", percent="25"),
    )

    assert response.status_code == 302
    promotion.refresh_from_db()
    assert (promotion.percent, promotion.categories) == (Decimal("25.00"), ["Snacks", "Crisps"])
    assert promotion.updated_at > datetime(2025, 1, 1, tzinfo=UTC)
    after = store_promotion_index(store=store)
    assert [(p.percent, p.categories) for p in after.promotions] == [
        (Decimal("25.00"), frozenset({"Snacks", "Crisps"}))
    ]


def _errors(response: Any) -> dict[str, list[str]]:
    return {field: list(errors) for field, errors in response.context["form"].errors.items()}


NEEDS = "A “{}” promotion needs this."
NO_USE = "A “{}” promotion has no use for this; leave it empty."
PERCENT, AMOUNT, FIXED = "Percent off each unit", "Amount off each unit", "Fixed price per unit"
MULTI, BXGY, SPEND = "Multi-buy (N for a price)", "Buy X get Y (free or percent off)", "Spend and save (basket)"
EMPTY_VALUES = dict.fromkeys(types.VALUE_FIELDS, "")


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("percent_off", {}, {"percent": [NEEDS.format(PERCENT)]}),
        ("percent_off", {"percent": "0"}, {"percent": ["Must be above 0 and at most 100."]}),
        ("percent_off", {"percent": "100.01"}, {"percent": ["Must be above 0 and at most 100."]}),
        ("percent_off", {"percent": "10", "amount": "1"}, {"amount": [NO_USE.format(PERCENT)]}),
        ("amount_off", {}, {"amount": [NEEDS.format(AMOUNT)]}),
        ("amount_off", {"amount": "0"}, {"amount": ["An amount off of 0 takes nothing off."]}),
        ("amount_off", {"amount": "-0.50"}, {"amount": ["Must not be negative."]}),
        ("fixed_price", {}, {"amount": [NEEDS.format(FIXED)]}),
        ("fixed_price", {"amount": "1", "minimum_spend": "5"}, {"minimum_spend": [NO_USE.format(FIXED)]}),
        ("multi_buy", {"amount": "5"}, {"buy_quantity": [NEEDS.format(MULTI)]}),
        ("multi_buy", {"buy_quantity": "3"}, {"amount": [NEEDS.format(MULTI)]}),
        (
            "multi_buy",
            {"buy_quantity": "0", "amount": "5"},
            {"buy_quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        ("multi_buy", {"buy_quantity": "3", "amount": "5", "percent": "5"}, {"percent": [NO_USE.format(MULTI)]}),
        ("buy_x_get_y", {"buy_quantity": "2"}, {"get_quantity": [NEEDS.format(BXGY)]}),
        ("buy_x_get_y", {}, {"buy_quantity": [NEEDS.format(BXGY)], "get_quantity": [NEEDS.format(BXGY)]}),
        (
            "buy_x_get_y",
            {"buy_quantity": "2", "get_quantity": "1", "amount": "1"},
            {"amount": [NO_USE.format(BXGY)]},
        ),
        (
            "buy_x_get_y",
            {"buy_quantity": "2", "get_quantity": "1", "percent": "120"},
            {"percent": ["Must be above 0 and at most 100."]},
        ),
        ("spend_and_save", {"amount": "3"}, {"minimum_spend": [NEEDS.format(SPEND)]}),
        ("spend_and_save", {"minimum_spend": "25"}, {"amount": ["Give an amount or a percent off."]}),
        (
            "spend_and_save",
            {"minimum_spend": "25", "amount": "3", "percent": "10"},
            {"percent": ["Give an amount or a percent off, not both."]},
        ),
        ("spend_and_save", {"minimum_spend": "-1", "amount": "3"}, {"minimum_spend": ["Must not be negative."]}),
    ],
)
def test_each_kind_is_validated_as_the_engine_requires(
    manager_client: Client, kind: str, values: dict[str, str], expected: dict[str, list[str]]
) -> None:
    response = manager_client.post(
        reverse("orders:promotion_create"), promotion_data(kind=kind, **{**EMPTY_VALUES, **values})
    )

    assert response.status_code == 200
    assert _errors(response) == expected
    assert Promotion.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"starts_at": "2025-03-10T10:00", "ends_at": "2025-03-10T10:00"},
            {"ends_at": ["Must be after the start."]},
        ),
        ({"time_from": "22:00"}, {"time_to": ["Give both ends of the time of day, or neither."]}),
        ({"time_to": "02:00"}, {"time_from": ["Give both ends of the time of day, or neither."]}),
        (
            {"time_from": "09:00", "time_to": "09:00"},
            {"time_to": ["Must differ from the start: a window that starts when it ends is empty."]},
        ),
        ({"days_of_week": ["7"]}, {"days_of_week": ["Select a valid choice. 7 is not one of the available choices."]}),
        ({"kind": "half_off"}, {"kind": ["Select a valid choice. half_off is not one of the available choices."]}),
        ({"name": ""}, {"name": ["This field is required."]}),
    ],
)
def test_windows_and_names_are_validated(
    manager_client: Client, changes: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    response = manager_client.post(reverse("orders:promotion_create"), promotion_data(**changes))

    assert _errors(response) == expected
    assert Promotion.objects.count() == 0


SAMPLES = {"percent": "10", "amount": "1.00", "buy_quantity": "2", "get_quantity": "1", "minimum_spend": "20"}


def _engine_accepts(kind: str, values: dict[str, str]) -> bool:
    numbers: dict[str, Any] = {
        name: (int(value) if name.endswith("quantity") else Decimal(value)) for name, value in values.items()
    }
    try:
        types.Promotion(id=1, name="x", kind=types.PromotionKind(kind), **numbers)
    except types.PromotionError:
        return False
    return True


def test_the_form_accepts_exactly_what_the_engine_accepts(db: None) -> None:
    # Every kind with every combination of its value fields filled or left empty (6 × 32 cases).
    checked = accepted = 0
    for kind in types.PromotionKind:
        for size in range(len(types.VALUE_FIELDS) + 1):
            for chosen in itertools.combinations(types.VALUE_FIELDS, size):
                values = {name: SAMPLES[name] for name in chosen}
                form = PromotionForm(data=promotion_data(kind=kind.value, **{**EMPTY_VALUES, **values}))
                assert form.is_valid() is _engine_accepts(kind, values), (kind, chosen, form.errors)
                checked += 1
                accepted += form.is_valid()
    # percent_off, amount_off, fixed_price: one each; multi_buy: one; buy_x_get_y: two; spend_and_save: two
    assert (checked, accepted) == (192, 8)


# --- deactivate ------------------------------------------------------------------------------
def test_store_manager_deactivates_a_promotion(store: Store, manager_client: Client) -> None:
    promotion = Promotion.objects.create(name="Snacks", kind="percent_off", percent=Decimal("10"))
    assert len(store_promotion_index(store=store).promotions) == 1

    response = manager_client.post(reverse("orders:promotion_deactivate", args=[promotion.pk]))

    assert (response.status_code, response["Location"]) == (302, reverse("orders:promotion_list"))
    assert flash(response) == ["Promotion “Snacks” deactivated: new carts no longer get it."]
    promotion.refresh_from_db()
    assert promotion.is_active is False
    assert store_promotion_index(store=store).promotions == ()
    html = manager_client.get(reverse("orders:promotion_list")).content.decode()
    assert table_rows(html, "promotion-table")[0][1] == "Inactive"
    assert f'action="/orders/promotions/{promotion.pk}/deactivate/"' not in html


# --- tax rates -------------------------------------------------------------------------------
def tax_data(store: Store, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"store": store.pk, "tax_code": "A_GEN_TAX", "rate": "8.875"}
    data.update(changes)
    return data


def test_tax_rate_list_per_store(store: Store, other_store: Store, viewer_client: Client) -> None:
    TaxRate.objects.create(store=store, tax_code="A_GEN_TAX", rate=Decimal("0.08875"), is_default=True)
    TaxRate.objects.create(store=store, tax_code="A_FOOD_GEN", rate=Decimal("0"), is_exempt=True)
    TaxRate.objects.create(store=other_store, tax_code="A_GEN_TAX", rate=Decimal("0.19"))

    everything = viewer_client.get(reverse("orders:tax_rate_list")).content.decode()
    one_store = viewer_client.get(reverse("orders:tax_rate_list"), {"store": other_store.pk}).content.decode()

    assert table_rows(everything, "tax-rate-table") == [
        ["Other Store (TEST_STORE_002)", "A_GEN_TAX", "19 %", "—", "—"],
        ["Test Store (TEST_STORE_001)", "A_FOOD_GEN", "0 %", "exempt", "—"],
        ["Test Store (TEST_STORE_001)", "A_GEN_TAX", "8.875 %", "—", "default"],
    ]
    assert table_rows(one_store, "tax-rate-table") == [["Other Store (TEST_STORE_002)", "A_GEN_TAX", "19 %", "—", "—"]]


def test_store_manager_creates_a_tax_rate_typed_as_a_percentage(store: Store, manager_client: Client) -> None:
    response = manager_client.post(reverse("orders:tax_rate_create"), tax_data(store, is_default="on"))

    assert (response.status_code, response["Location"]) == (302, reverse("orders:tax_rate_list"))
    assert flash(response) == ["Test Store (TEST_STORE_001): tax code A_GEN_TAX saved."]
    rate = TaxRate.objects.get()
    assert (rate.store, rate.tax_code, rate.rate, rate.is_exempt, rate.is_default) == (
        store,
        "A_GEN_TAX",
        Decimal("0.088750"),
        False,
        True,
    )


def test_store_manager_edits_a_tax_rate(store: Store, manager_client: Client) -> None:
    rate = TaxRate.objects.create(store=store, tax_code="A_GEN_TAX", rate=Decimal("0.08875"))
    url = reverse("orders:tax_rate_update", args=[rate.pk])

    form_html = manager_client.get(url).content.decode()
    response = manager_client.post(url, tax_data(store, rate="19"))

    assert 'name="rate" value="8.875"' in form_html
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.rate == Decimal("0.190000")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"rate": "100"}, {"rate": ["Must be below 100 %."]}),
        ({"rate": "-1"}, {"rate": ["Ensure this value is greater than or equal to 0."]}),
        ({"rate": "8.87501"}, {"rate": ["Ensure that there are no more than 4 decimal places."]}),
        ({"is_exempt": "on"}, {"rate": ["An exempt code has rate 0."]}),
        ({"tax_code": "  "}, {"tax_code": ["This field is required."]}),
        (
            {"tax_code": "A_FOOD"},
            {"tax_code": ["Test Store (TEST_STORE_001) already has a rate for A_FOOD."]},
        ),
        (
            {"is_default": "on"},
            {"is_default": ["Test Store (TEST_STORE_001) already uses A_FOOD as its default; untick it there first."]},
        ),
    ],
)
def test_tax_rate_rules_are_form_errors(
    store: Store, manager_client: Client, changes: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    TaxRate.objects.create(store=store, tax_code="A_FOOD", rate=Decimal("0.05"), is_default=True)

    response = manager_client.post(reverse("orders:tax_rate_create"), tax_data(store, **changes))

    assert response.status_code == 200
    assert _errors(response) == expected
    assert list(TaxRate.objects.values_list("tax_code", flat=True)) == ["A_FOOD"]


def test_the_same_code_in_another_store_is_fine(store: Store, other_store: Store, manager_client: Client) -> None:
    TaxRate.objects.create(store=store, tax_code="A_GEN_TAX", rate=Decimal("0.08875"), is_default=True)

    response = manager_client.post(reverse("orders:tax_rate_create"), tax_data(other_store, rate="19", is_default="on"))

    assert response.status_code == 302
    assert TaxRate.objects.filter(store=other_store, tax_code="A_GEN_TAX", is_default=True).count() == 1


def test_an_edited_rate_keeps_its_own_code_and_default(store: Store, manager_client: Client) -> None:
    rate = TaxRate.objects.create(store=store, tax_code="A_GEN_TAX", rate=Decimal("0.08875"), is_default=True)

    response = manager_client.post(
        reverse("orders:tax_rate_update", args=[rate.pk]), tax_data(store, rate="9", is_default="on")
    )

    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.rate, rate.is_default) == (Decimal("0.090000"), True)


def test_store_manager_deletes_a_tax_rate(store: Store, manager_client: Client) -> None:
    rate = TaxRate.objects.create(store=store, tax_code="A_GEN_TAX", rate=Decimal("0.08875"))

    response = manager_client.post(reverse("orders:tax_rate_delete", args=[rate.pk]))

    assert (response.status_code, response["Location"]) == (302, reverse("orders:tax_rate_list"))
    assert flash(response) == ["Test Store (TEST_STORE_001): tax code A_GEN_TAX deleted."]
    assert TaxRate.objects.count() == 0
