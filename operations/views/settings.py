"""The settings page (stores, staff, connector keys, scan keys, sign-in locks) and its actions:
connector keys (create, shown once; revoke at once) and sign-in locks (clear).

Operations holds it because the page reads every app (catalog's stores, entry's scan-key format)
beside the kernel's keys and locks; the kernel imports no app."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from catalog.views.staff_stores import StoreScopedView
from entry.scan_keys import qr_pattern
from entry.selectors.stores import store_list_with_gate_default
from jwo_admin.core import selectors
from jwo_admin.core.connector_keys import connector_key_create, connector_key_list, connector_key_revoke
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.sign_in import sign_in_lock_clear, sign_in_locks


class SettingsView(StoreScopedView, TemplateView):
    permission_required = "catalog.view_store"
    template_name = "operations/settings.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stores"] = self.scoped(store_list_with_gate_default(), field="pk")
        context["staff"] = selectors.staff_list()
        context["connector_keys"] = connector_key_list()
        context["connector_header"] = settings.JWO_CONNECTOR_KEY_HEADER
        context["qr_pattern"] = qr_pattern(settings.JWO_SCAN_KEY_PREFIX)
        context["scan_key_ttl"] = settings.JWO_SCAN_KEY_TTL_SECONDS
        if self.request.user.has_perm("core.clear_signinlock"):
            context["sign_in_locks"] = sign_in_locks()
            context["sign_in_limits"] = {
                "account": settings.JWO_SIGN_IN_ACCOUNT_FAILURES,
                "address": settings.JWO_SIGN_IN_ADDRESS_FAILURES,
                "window": settings.JWO_SIGN_IN_WINDOW_MINUTES,
                "lock": settings.JWO_SIGN_IN_LOCK_MINUTES,
            }
        return context


class ConnectorKeyCreateView(StoreScopedView, View):
    permission_required = "core.manage_connectorkey"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            key, full = connector_key_create(name=request.POST.get("name", ""), created_by=request.user.get_username())
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("operations:settings") + "#connector-keys")
        # Rendered in this response only: the key is never stored or shown again.
        settings_view = SettingsView()
        settings_view.setup(request)
        context = settings_view.get_context_data(new_key=full, new_key_row=key)
        return render(request, SettingsView.template_name, context, status=201)


class ConnectorKeyRevokeView(StoreScopedView, View):
    permission_required = "core.manage_connectorkey"

    def post(self, request: HttpRequest, key_id: str) -> HttpResponse:
        try:
            key = connector_key_revoke(key_id=key_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Connector key {key.key_id} ({key.name}) revoked; it is refused from now on.")
        return HttpResponseRedirect(reverse("operations:settings") + "#connector-keys")


class SignInLockClearView(StoreScopedView, View):
    """An admin lets a locked account or address try again at once."""

    permission_required = "core.clear_signinlock"

    def post(self, request: HttpRequest, lock_id: int) -> HttpResponse:
        try:
            lock = sign_in_lock_clear(lock_id=lock_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Sign-in lock on {lock.get_kind_display().lower()} {lock.key} cleared.")
        return HttpResponseRedirect(reverse("operations:settings") + "#sign-in-locks")
