from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from jwo_admin.core.views import connector_keys as connector_views
from jwo_admin.core.views import site as views

app_name = "core"

urlpatterns = [
    # The published contract: staff only (the schema view keeps DRF's session auth and IsAuthenticated).
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="core:api_schema")), name="api_docs"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/connector-keys/", connector_views.ConnectorKeyCreateView.as_view(), name="connector_key_create"),
    path(
        "settings/connector-keys/<str:key_id>/revoke/",
        connector_views.ConnectorKeyRevokeView.as_view(),
        name="connector_key_revoke",
    ),
    path(
        "settings/sign-in-locks/<int:lock_id>/clear/",
        connector_views.SignInLockClearView.as_view(),
        name="sign_in_lock_clear",
    ),
]
