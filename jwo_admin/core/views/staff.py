"""What every staff screen of every app shares: the sign-in and permission check, and paging links
that keep the screen's filters."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest


class StaffView(LoginRequiredMixin, PermissionRequiredMixin):
    """Signed in (else the sign-in page), with the permission the screen names (else 403):
    ``view_*`` to see, ``add_*``/``change_*``/``delete_*`` to act."""

    raise_exception = False


def query_without_page(request: HttpRequest) -> str:
    """The screen's query string (its filters) without ``page``, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
