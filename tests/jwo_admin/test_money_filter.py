"""The ``money`` template filter: amounts shown in the currency's minor unit, half-up."""

from decimal import Decimal

from django.template import Context, Template


def render(amount: object, currency: str) -> str:
    return Template("{% load money %}{{ amount|money:currency }}").render(
        Context({"amount": amount, "currency": currency})
    )


def test_amounts_are_shown_in_the_minor_unit_of_their_currency() -> None:
    assert render(Decimal("12.500"), "USD") == "12.50"
    assert render(Decimal("0.005"), "EUR") == "0.01"  # half-up
    assert render(Decimal("1250.000"), "JPY") == "1,250"  # with its thousands separator
    assert render(Decimal("1.2345"), "BHD") == "1.235"


def test_nothing_is_shown_for_no_amount_and_text_is_left_alone() -> None:
    assert render(None, "USD") == ""
    assert render("n/a", "USD") == "n/a"
