"""``{{ amount|money:currency }}``: an amount as the currency shows it (its minor unit, half-up),
with thousands separators; ``{{ count|number }}``: a whole number with thousands separators.

Amounts are kept with three decimal places whatever the currency (BHD has three); shown, they
follow the currency: 2,630.00 USD, 1,250 JPY, 1.250 BHD. Staff screens write the currency code
after the amount (``{{ total|money:currency }} {{ currency }}``), one convention everywhere.
"""

from decimal import Decimal, InvalidOperation

from django import template

from jwo_admin.core.money import quantize_money

register = template.Library()


@register.filter
def money(amount: object, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return f"{quantize_money(value, currency or 'USD'):,}"


@register.filter
def number(count: object) -> str:
    """``9800`` → ``9,800``; anything that is not a whole number is shown as it is."""
    if isinstance(count, bool) or not isinstance(count, int):
        try:
            count = int(str(count))
        except ValueError:
            return "" if count is None else str(count)
    return f"{count:,}"
