"""Amazon's connector endpoints for entry (mounted at the site root: SPEC paths are fixed)."""

from django.urls import path

from entry import apis

app_name = "entry_api"

urlpatterns = [
    path("v1/identity/identity-keys", apis.IdentityKeysApi.as_view(), name="identity_keys"),
]
