"""Amazon's connector endpoint and the shopper app's API (mounted at the site root: SPEC paths are fixed)."""

from django.urls import path

from entry import apis

app_name = "entry_api"

urlpatterns = [
    path("v1/identity/identity-keys", apis.IdentityKeysApi.as_view(), name="identity_keys"),
    path("api/app/v1/token", apis.ShopperTokenCreateApi.as_view(), name="app_token"),
    path("api/app/v1/scan-keys", apis.ScanKeyCreateApi.as_view(), name="app_scan_keys"),
]
