"""Connector keys on the settings page: create (shown once), revoke at once."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from jwo_admin.core.connector_keys import connector_key_create, connector_key_revoke
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.views import SettingsView


class ConnectorKeyCreateView(LoginRequiredMixin, PermissionRequiredMixin, View):
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


class ConnectorKeyRevokeView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "core.manage_connectorkey"

    def post(self, request: HttpRequest, key_id: str) -> HttpResponse:
        try:
            key = connector_key_revoke(key_id=key_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Connector key {key.key_id} ({key.name}) revoked; it is refused from now on.")
        return HttpResponseRedirect(reverse("core:settings") + "#connector-keys")
