"""Orders' URLs, in three lists the site mounts under their own prefixes and namespaces.

- ``connector_urlpatterns``: Amazon's Ordering Connector, at the site root (SPEC paths are fixed),
  namespace ``orders_api``.
- ``staff_urlpatterns``: purchases, promotions, tax rates, the queues, under ``/orders/``, namespace
  ``orders``.
- ``shopper_urlpatterns``: the shopper's receipts, at the site root without a namespace (a receipt's
  link is sent by email and must not move).
"""

from django.urls import path

from orders import apis
from orders.views import (
    actions,
    exports,
    overview,
    promotions,
    purchases,
    queues,
    receipts,
    reconciliation,
    settlement,
    shoppers,
    tax_rates,
    try_cart,
)
from orders.views import amazon_feed as feed_views

connector_urlpatterns = [
    path("v1/order/purchases", apis.CreatePurchasesApi.as_view(), name="create_purchases"),
]

staff_urlpatterns = [
    path("", overview.OrdersOverviewView.as_view(), name="overview"),
    path("purchases/", purchases.PurchaseListView.as_view(), name="purchase_list"),
    path("purchases/<int:pk>/", purchases.PurchaseDetailView.as_view(), name="purchase_detail"),
    path("promotions/", promotions.PromotionListView.as_view(), name="promotion_list"),
    path("promotions/new/", promotions.PromotionCreateView.as_view(), name="promotion_create"),
    path("promotions/<int:pk>/", promotions.PromotionUpdateView.as_view(), name="promotion_update"),
    path("promotions/<int:pk>/deactivate/", promotions.PromotionDeactivateView.as_view(), name="promotion_deactivate"),
    path("tax-rates/", tax_rates.TaxRateListView.as_view(), name="tax_rate_list"),
    path("tax-rates/new/", tax_rates.TaxRateCreateView.as_view(), name="tax_rate_create"),
    path("tax-rates/<int:pk>/", tax_rates.TaxRateUpdateView.as_view(), name="tax_rate_update"),
    path("tax-rates/<int:pk>/delete/", tax_rates.TaxRateDeleteView.as_view(), name="tax_rate_delete"),
    path("try-a-cart/", try_cart.TryCartView.as_view(), name="try_cart"),
    path("bad-carts/", queues.BadCartQueueView.as_view(), name="bad_cart_queue"),
    path("payment-issues/", queues.PaymentIssueQueueView.as_view(), name="issue_list"),
    path("amazon-feed/", feed_views.AmazonFeedView.as_view(), name="amazon_feed"),
    path("amazon-feed/files/<int:pk>/retry/", feed_views.ReportFileRetryView.as_view(), name="report_file_retry"),
    path("amazon-feed/events/<int:pk>/retry/", feed_views.FeedEventRetryView.as_view(), name="feed_event_retry"),
    path("reconciliation/", reconciliation.ReconciliationQueueView.as_view(), name="reconciliation"),
    path("reconciliation/run/", reconciliation.ReconciliationRunView.as_view(), name="reconciliation_run"),
    path(
        "reconciliation/<int:pk>/resolve/",
        reconciliation.ReconciliationResolveView.as_view(),
        name="reconciliation_resolve",
    ),
    path("shoppers/<int:pk>/purchases/", shoppers.ShopperPurchasesView.as_view(), name="shopper_purchases"),
    path("payment-issues/<int:pk>/dismiss/", actions.IssueDismissView.as_view(), name="issue_dismiss"),
    path("purchases/<int:pk>/lines/<int:line_pk>/map/", actions.LineMapView.as_view(), name="line_map"),
    path("purchases/<int:pk>/lines/<int:line_pk>/quantity/", actions.LineQuantityView.as_view(), name="line_quantity"),
    path("purchases/<int:pk>/shopper/", actions.ShopperAssignView.as_view(), name="shopper_assign"),
    path("purchases/<int:pk>/resend-receipt/", actions.ReceiptResendView.as_view(), name="receipt_resend"),
    path("purchases/<int:pk>/reprice/", actions.RepriceView.as_view(), name="reprice"),
    path("purchases/<int:pk>/charge/", actions.ChargeView.as_view(), name="charge"),
    path("purchases/<int:pk>/payment/", purchases.PaymentStatusView.as_view(), name="payment_status"),
    path("purchases/<int:pk>/charge-newest-card/", actions.NewCardChargeView.as_view(), name="charge_new_card"),
    path("purchases/<int:pk>/write-off/", actions.WriteOffView.as_view(), name="write_off"),
    path("purchases/<int:pk>/paid-at-counter/", actions.PaidAtCounterView.as_view(), name="paid_at_counter"),
    path("purchases/<int:pk>/refund/", actions.RefundView.as_view(), name="refund"),
    path("purchases/<int:pk>/refund-amount/", actions.RefundAmountView.as_view(), name="refund_amount"),
    path("settlement/", settlement.SettlementView.as_view(), name="settlement"),
    path("sales/", settlement.SalesReportView.as_view(), name="sales_report"),
    path("exports/settlement-days.<slug:fmt>", exports.SettlementExportView.as_view(), name="export_settlement"),
    path("exports/<slug:kind>.<slug:fmt>", exports.ExportView.as_view(), name="export"),
]

shopper_urlpatterns = [
    path("shop/receipts/", receipts.ShopperReceiptListView.as_view(), name="receipt_list"),
    path("receipts/<str:token>/", receipts.receipt_view, name="receipt"),
]
