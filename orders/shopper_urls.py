"""The shopper's receipt pages, at the site root (no namespace: ``receipt_list`` and ``receipt`` are
linked from the shopper page and from the receipt emails)."""

from django.urls import path

from orders import receipt_views

urlpatterns = [
    path("shop/receipts/", receipt_views.ShopperReceiptListView.as_view(), name="receipt_list"),
    path("receipts/<str:token>/", receipt_views.receipt_view, name="receipt"),
]
