"""What every orders screen shares: sign-in and permission, paging queries, plain numbers."""

from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest

PAGE_SIZE = 50


class StaffView(LoginRequiredMixin, PermissionRequiredMixin):
    """Every orders screen: signed in (else the sign-in page), with the permission the screen names
    (else 403): ``view_*`` to see, ``add_*``/``change_*``/``delete_*`` to act."""

    raise_exception = False


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def quantity_text(quantity: Decimal) -> str:
    """A quantity without trailing zeros, never in exponent form.

    >>> quantity_text(Decimal("2.000000")), quantity_text(Decimal("0.750000")), quantity_text(Decimal("10"))
    ('2', '0.75', '10')
    """
    return format(quantity.normalize(), "f")


def percent_text(fraction: Decimal) -> str:
    """A tax rate (a fraction) as a percentage without trailing zeros.

    >>> percent_text(Decimal("0.088750")), percent_text(Decimal("0.190000")), percent_text(Decimal("0"))
    ('8.875', '19', '0')
    """
    return quantity_text(fraction * 100)
