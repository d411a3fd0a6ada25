"""The staff page (``/operations/staff/``), for admins: the staff users with their role, stores,
state and last sign-in; invite one by email, change a user's role and stores, deactivate or
reactivate them, email them a password reset link."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import FormView

from catalog.models import StaffStoreAccess
from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.exceptions import ApplicationError
from operations.forms import StaffAccessForm, StaffInviteForm
from operations.selectors.staff_users import staff_user_rows
from operations.services.staff_users import (
    staff_password_email_send,
    staff_user_access_set,
    staff_user_active_set,
    staff_user_invite,
)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _staff_user(pk: int) -> User:
    user: User = get_object_or_404(get_user_model(), pk=pk)
    return user


class StaffListView(StoreScopedView, FormView):
    """The list, and the invitation form (a POST here invites)."""

    permission_required = ("auth.view_user", "auth.add_user")
    template_name = "operations/staff_list.html"
    form_class = StaffInviteForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "rows": staff_user_rows()}

    def form_valid(self, form: StaffInviteForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            user = staff_user_invite(
                email=data["email"],
                role=data["role"],
                all_stores=data["all_stores"],
                stores=data["stores"],
                base_url=_base_url(self.request),
            )
        except ApplicationError as error:
            form.add_error("email", error.message)
            return self.form_invalid(form)
        messages.success(self.request, f"{user.email} invited as {data['role']}: the invitation is on its way.")
        return HttpResponseRedirect(reverse("operations:staff_list"))


class StaffUpdateView(StoreScopedView, FormView):
    """A staff user's role and stores."""

    permission_required = "auth.change_user"
    template_name = "operations/staff_form.html"
    form_class = StaffAccessForm

    def get_initial(self) -> dict[str, Any]:
        member = _staff_user(self.kwargs["pk"])
        access = StaffStoreAccess.objects.filter(user=member).first()
        group = member.groups.order_by("name").first()
        return {
            "role": group.name if group else "",
            "all_stores": bool(access and access.all_stores),
            "stores": list(access.stores.all()) if access else [],
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "member": _staff_user(self.kwargs["pk"])}

    def form_valid(self, form: StaffAccessForm) -> HttpResponse:
        member = _staff_user(self.kwargs["pk"])
        data = form.cleaned_data
        staff_user_access_set(user=member, role=data["role"], all_stores=data["all_stores"], stores=data["stores"])
        messages.success(self.request, f"{member.get_username()} is now {data['role']}.")
        return HttpResponseRedirect(reverse("operations:staff_list"))


class StaffActiveView(StoreScopedView, View):
    """Deactivate (``is_active`` off) or reactivate (on) a staff user."""

    permission_required = "auth.change_user"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        member = _staff_user(pk)
        is_active = request.POST.get("is_active") == "on"
        try:
            staff_user_active_set(user=member, is_active=is_active, by=request.user)  # type: ignore[arg-type]
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            done = "reactivated" if is_active else "deactivated: they can no longer sign in"
            messages.success(request, f"{member.get_username()} {done}.")
        return HttpResponseRedirect(reverse("operations:staff_list"))


class StaffPasswordResetView(StoreScopedView, View):
    """Email a staff user a link to set a new password."""

    permission_required = "auth.change_user"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        member = _staff_user(pk)
        try:
            staff_password_email_send(user=member, base_url=_base_url(request))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"A password reset link is on its way to {member.email}.")
        return HttpResponseRedirect(reverse("operations:staff_list"))
