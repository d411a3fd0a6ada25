"""The kernel's display rules: a time on a store's clock says which clock, money and counts have
thousands separators, and the ISO 4217 and IANA lists the store form offers."""

import doctest
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from jwo_admin.core import currencies, zones
from jwo_admin.core.currencies import CURRENCIES, currency_choices
from jwo_admin.core.money import CURRENCY_PLACES
from jwo_admin.core.templatetags import store_time


@pytest.mark.parametrize("module", [currencies, zones, store_time], ids=["currencies", "zones", "store_time"])
def test_doctests_pass(module: object) -> None:
    failed, attempted = doctest.testmod(module)  # type: ignore[arg-type]
    assert (failed, attempted > 0) == (0, True)


class Kiritimati:
    """Anything with a ``zone`` (a store) will do."""

    zone = ZoneInfo("Pacific/Kiritimati")


def render(text: str, **context: object) -> str:
    return Template("{% load money store_time %}" + text).render(Context(context))


def test_store_time_names_the_zone_for_a_zone_a_name_a_store_or_the_site(settings: object) -> None:
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)

    assert render("{{ m|store_time:z }}", m=moment, z=ZoneInfo("America/New_York")) == (
        '<time datetime="2026-12-06T18:30:00-05:00" title="America/New_York">6 Dec 2026 18:30 EST</time>'
    )
    assert render('{{ m|store_time:"Pacific/Pago_Pago" }}', m=moment) == (
        '<time datetime="2026-12-06T12:30:00-11:00" title="Pacific/Pago_Pago">6 Dec 2026 12:30 SST</time>'
    )
    assert render("{{ m|store_time_seconds:s }}", m=moment, s=Kiritimati()) == (
        '<time datetime="2026-12-07T13:30:00+14:00" title="Pacific/Kiritimati">7 Dec 2026 13:30:00 +14</time>'
    )
    assert render("{{ m|store_time:s }}", m=moment, s=None) == (
        '<time datetime="2026-12-06T23:30:00+00:00" title="UTC">6 Dec 2026 23:30 UTC</time>'
    )
    assert render("[{{ m|store_time:s }}]", m=None, s=Kiritimati()) == "[]"
    assert render("{{ z|zone_name }} {{ s|zone_name }}", z=ZoneInfo("Europe/Berlin"), s=Kiritimati()) == (
        "Europe/Berlin Pacific/Kiritimati"
    )


def test_money_and_counts_have_thousands_separators() -> None:
    assert render('{{ a|money:"USD" }}', a=Decimal("2630")) == "2,630.00"
    assert render('{{ a|money:"JPY" }}', a=Decimal("1250.5")) == "1,251"
    assert render('{{ a|money:"BHD" }}', a=Decimal("1234567.8915")) == "1,234,567.892"
    assert render('{{ a|money:"EUR" }}', a=Decimal("-1000.005")) == "-1,000.01"
    assert render("{{ n|number }} {{ m|number }} [{{ e|number }}]", n=9800, m="1234567", e=None) == "9,800 1,234,567 []"


def test_the_iso_4217_list_knows_the_minor_units_money_rounds_to() -> None:
    assert all(CURRENCIES[code].minor_units == places for code, places in CURRENCY_PLACES.items())
    assert ("USD", "USD — US Dollar") in currency_choices()
    assert {"XYZ", "XTS", "XAU", "USN"}.isdisjoint(CURRENCIES)


def test_the_zone_list_is_grouped_by_region_and_refuses_unknown_names() -> None:
    assert zones.time_zone_choices()[0][0] == "Africa"
    assert ("Pacific/Kiritimati", "Pacific/Kiritimati") in dict(zones.time_zone_choices())["Pacific"]
    assert (zones.is_time_zone("Pacific/Pago_Pago"), zones.is_time_zone("Mars/Base")) == (True, False)
