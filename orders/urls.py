"""Amazon's Ordering Connector (mounted at the site root: SPEC paths are fixed)."""

from django.urls import path

from orders import apis

app_name = "orders_api"

urlpatterns = [
    path("v1/order/purchases", apis.CreatePurchasesApi.as_view(), name="create_purchases"),
]
