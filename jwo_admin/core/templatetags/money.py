"""``{{ amount|money:currency }}``: an amount as the currency shows it (its minor unit, half-up).

Amounts are kept with three decimal places whatever the currency (BHD has three); shown, they
follow the currency: 12.50 USD, 1250 JPY, 1.250 BHD.
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
    return str(quantize_money(value, currency or "USD"))
