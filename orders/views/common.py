"""What every orders screen shares: sign-in and permission, paging queries, plain numbers."""

from decimal import Decimal

from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.views.staff import query_without_page
from orders.pricing.units import quantity_text

PAGE_SIZE = 50
__all__ = ["PAGE_SIZE", "StoreScopedView", "percent_text", "quantity_text", "query_without_page"]


def percent_text(fraction: Decimal) -> str:
    """A tax rate (a fraction) as a percentage without trailing zeros.

    >>> percent_text(Decimal("0.088750")), percent_text(Decimal("0.190000")), percent_text(Decimal("0"))
    ('8.875', '19', '0')
    """
    return quantity_text(fraction * 100)
