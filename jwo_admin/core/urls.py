from django.urls import path

from jwo_admin.core import connector_views, views

app_name = "core"

urlpatterns = [
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/connector-keys/", connector_views.ConnectorKeyCreateView.as_view(), name="connector_key_create"),
    path(
        "settings/connector-keys/<str:key_id>/revoke/",
        connector_views.ConnectorKeyRevokeView.as_view(),
        name="connector_key_revoke",
    ),
]
