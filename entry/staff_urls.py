"""Staff screens for entry: gate log, shoppers, charts."""

from django.urls import path

from entry import views

app_name = "entry"

urlpatterns = [
    path("", views.EntryOverviewView.as_view(), name="overview"),
    path("stores/<int:pk>/gate-default/", views.GateDefaultUpdateView.as_view(), name="gate_default"),
    path("gate-log/", views.GateLogView.as_view(), name="gate_log"),
    path("gate-log/rows/", views.GateLogRowsView.as_view(), name="gate_log_rows"),
    path("shoppers/", views.ShopperListView.as_view(), name="shopper_list"),
    path("shoppers/<int:pk>/", views.ShopperDetailView.as_view(), name="shopper_detail"),
    path("shoppers/<int:pk>/status/", views.ShopperStatusView.as_view(), name="shopper_status"),
    path("shoppers/<int:pk>/revoke-codes/", views.ShopperRevokeCodesView.as_view(), name="shopper_revoke_codes"),
    path("shoppers/<int:pk>/type/", views.ShopperTypeView.as_view(), name="shopper_type"),
]
