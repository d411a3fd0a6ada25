"""Entry's URLs, in three lists the site mounts under their own prefixes and namespaces.

- ``connector_urlpatterns``: Amazon's Identity Connector and the shopper app's API, at the site root
  (SPEC paths are fixed), namespace ``entry_api``.
- ``staff_urlpatterns``: the gate log, shoppers and charts, under ``/entry/``, namespace ``entry``.
- ``shopper_urlpatterns``: the shopper's web page (the app's reference client), under ``/shop/``,
  namespace ``shop``.
"""

from django.urls import path

from entry import apis
from entry.views import shopper, staff

connector_urlpatterns = [
    path("v1/identity/identity-keys", apis.IdentityKeysApi.as_view(), name="identity_keys"),
    path("api/app/v1/token", apis.ShopperTokenCreateApi.as_view(), name="app_token"),
    path("api/app/v1/scan-keys", apis.ScanKeyCreateApi.as_view(), name="app_scan_keys"),
]

staff_urlpatterns = [
    path("", staff.EntryOverviewView.as_view(), name="overview"),
    path("stores/<int:pk>/gate-default/", staff.GateDefaultUpdateView.as_view(), name="gate_default"),
    path("gate-log/", staff.GateLogView.as_view(), name="gate_log"),
    path("gate-log/rows/", staff.GateLogRowsView.as_view(), name="gate_log_rows"),
    path("shoppers/", staff.ShopperListView.as_view(), name="shopper_list"),
    path("shoppers/<int:pk>/", staff.ShopperDetailView.as_view(), name="shopper_detail"),
    path("shoppers/<int:pk>/status/", staff.ShopperStatusView.as_view(), name="shopper_status"),
    path("shoppers/<int:pk>/revoke-codes/", staff.ShopperRevokeCodesView.as_view(), name="shopper_revoke_codes"),
    path("shoppers/<int:pk>/type/", staff.ShopperTypeView.as_view(), name="shopper_type"),
]

shopper_urlpatterns = [
    path("", shopper.ShopKeyView.as_view(), name="key"),
    path("code/", shopper.ShopCodeView.as_view(), name="code"),
    path("sign-in/", shopper.ShopSignInView.as_view(), name="sign_in"),
    path("sign-out/", shopper.ShopSignOutView.as_view(), name="sign_out"),
]
