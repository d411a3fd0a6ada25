"""The settings page and its actions, under /settings/."""

from django.urls import path

from operations import settings_views

urlpatterns = [
    path("", settings_views.SettingsView.as_view(), name="settings"),
    path("connector-keys/", settings_views.ConnectorKeyCreateView.as_view(), name="connector_key_create"),
    path(
        "connector-keys/<str:key_id>/revoke/",
        settings_views.ConnectorKeyRevokeView.as_view(),
        name="connector_key_revoke",
    ),
    path(
        "sign-in-locks/<int:lock_id>/clear/",
        settings_views.SignInLockClearView.as_view(),
        name="sign_in_lock_clear",
    ),
]
