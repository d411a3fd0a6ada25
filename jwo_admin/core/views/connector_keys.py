"""The settings page's actions: connector keys (create, shown once; revoke at once) and sign-in locks (clear)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from jwo_admin.core.connector_keys import connector_key_create, connector_key_revoke
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.sign_in import sign_in_lock_clear
from jwo_admin.core.views.site import SettingsView
from jwo_admin.core.views.staff import StaffView


class ConnectorKeyCreateView(StaffView, View):
    permission_required = "core.manage_connectorkey"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            key, full = connector_key_create(name=request.POST.get("name", ""), created_by=request.user.get_username())
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("core:settings") + "#connector-keys")
        # Rendered in this response only: the key is never stored or shown again.
        settings_view = SettingsView()
        settings_view.setup(request)
        context = settings_view.get_context_data(new_key=full, new_key_row=key)
        return render(request, SettingsView.template_name, context, status=201)


class ConnectorKeyRevokeView(StaffView, View):
    permission_required = "core.manage_connectorkey"

    def post(self, request: HttpRequest, key_id: str) -> HttpResponse:
        try:
            key = connector_key_revoke(key_id=key_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Connector key {key.key_id} ({key.name}) revoked; it is refused from now on.")
        return HttpResponseRedirect(reverse("core:settings") + "#connector-keys")


class SignInLockClearView(StaffView, View):
    """An admin lets a locked account or address try again at once."""

    permission_required = "core.clear_signinlock"

    def post(self, request: HttpRequest, lock_id: int) -> HttpResponse:
        try:
            lock = sign_in_lock_clear(lock_id=lock_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Sign-in lock on {lock.get_kind_display().lower()} {lock.key} cleared.")
        return HttpResponseRedirect(reverse("core:settings") + "#sign-in-locks")
