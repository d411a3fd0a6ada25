"""What every orders screen shares: sign-in and permission, paging queries, plain numbers."""

from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest

from orders.pricing.units import quantity_text

PAGE_SIZE = 50
__all__ = ["PAGE_SIZE", "StaffView", "percent_text", "quantity_text", "query_without_page"]


class StaffView(LoginRequiredMixin, PermissionRequiredMixin):
    """Every orders screen: signed in (else the sign-in page), with the permission the screen names
    (else 403): ``view_*`` to see, ``add_*``/``change_*``/``delete_*`` to act."""

    raise_exception = False


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def percent_text(fraction: Decimal) -> str:
    """A tax rate (a fraction) as a percentage without trailing zeros.

    >>> percent_text(Decimal("0.088750")), percent_text(Decimal("0.190000")), percent_text(Decimal("0"))
    ('8.875', '19', '0')
    """
    return quantity_text(fraction * 100)
