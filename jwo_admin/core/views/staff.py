"""What every staff screen of every app shares: the sign-in and permission check, and paging links
that keep the screen's filters."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest

from jwo_admin.core.roles import roles_granting


class StaffView(LoginRequiredMixin, PermissionRequiredMixin):
    """Signed in (else the sign-in page), with the permission the screen names (else 403):
    ``view_*`` to see, ``add_*``/``change_*``/``delete_*`` to act."""

    raise_exception = False
    request: HttpRequest  # set by View.setup(); the mixins do not declare it

    def get_permission_denied_message(self) -> str:
        """The 403 page's sentence (templates/403.html shows it): which roles would let them in."""
        what = "page" if self.request.method in ("GET", "HEAD") else "action"
        return role_needed(what=what, roles=roles_granting(permissions=self.get_permission_required()))


def role_needed(*, what: str, roles: list[str]) -> str:
    """The roles that grant the permission in a sentence: "This page needs the Store manager or Admin role."."""
    if not roles:
        return f"This {what} needs a permission no staff role grants: ask an administrator."
    named = roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} or {roles[-1]}"
    return f"This {what} needs the {named} role."


def query_without_page(request: HttpRequest) -> str:
    """The screen's query string (its filters) without ``page``, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
