"""Catalog's staff screens, under /catalog/ (namespace ``catalog``): products, imports and their
column mappings, the sync with Amazon. The store form is operations' (it spans entry and orders).
"""

from django.urls import path

from catalog.models import ProductStatus
from catalog.views import imports, product_edit, products, sync

staff_urlpatterns = [
    path("", products.ProductListView.as_view(), name="product_list"),
    path("products/<int:pk>/", products.ProductDetailView.as_view(), name="product_detail"),
    path("products/new/", product_edit.ProductCreateView.as_view(), name="product_create"),
    path("products/bulk/", product_edit.ProductBulkView.as_view(), name="product_bulk"),
    path("products/<int:pk>/edit/", product_edit.ProductUpdateView.as_view(), name="product_update"),
    path(
        "products/<int:pk>/archive/",
        product_edit.ProductStatusView.as_view(status=ProductStatus.ARCHIVED),
        name="product_archive",
    ),
    path(
        "products/<int:pk>/reactivate/",
        product_edit.ProductStatusView.as_view(status=ProductStatus.ACTIVE),
        name="product_reactivate",
    ),
    path(
        "products/<int:pk>/use-suggested-name/",
        product_edit.ProductSuggestedNameView.as_view(),
        name="product_use_suggested_name",
    ),
    path("products/<int:pk>/send/", product_edit.ProductSendView.as_view(), name="product_send"),
    path("products/<int:pk>/barcodes/", product_edit.BarcodeAddView.as_view(), name="barcode_add"),
    path(
        "products/<int:pk>/barcodes/<int:barcode_pk>/remove/",
        product_edit.BarcodeRemoveView.as_view(),
        name="barcode_remove",
    ),
    path(
        "products/<int:pk>/barcodes/<int:barcode_pk>/retype/",
        product_edit.BarcodeRetypeView.as_view(),
        name="barcode_retype",
    ),
    path("imports/", imports.ImportListView.as_view(), name="import_list"),
    path("imports/new/", imports.ImportCreateView.as_view(), name="import_create"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/progress/", imports.ImportProgressView.as_view(), name="import_progress"),
    path("imports/<int:pk>/confirm/", imports.ImportConfirmView.as_view(), name="import_confirm"),
    path("imports/<int:pk>/problems.csv", imports.ImportProblemsCsvView.as_view(), name="import_problems_csv"),
    path("mappings/", imports.MappingProfileListView.as_view(), name="mapping_list"),
    path("mappings/new/", imports.MappingProfileCreateView.as_view(), name="mapping_create"),
    path("mappings/<int:pk>/", imports.MappingProfileUpdateView.as_view(), name="mapping_update"),
    path("stores/<int:pk>/amazon-catalog.json", products.AmazonCatalogExportView.as_view(), name="amazon_export"),
    path("sync/", sync.SyncOverviewView.as_view(), name="sync_overview"),
    path("sync/start/", sync.SyncStartView.as_view(), name="sync_start"),
    path("sync/connectivity/", sync.ConnectivityView.as_view(), name="sync_connectivity"),
    path("sync/runs/<int:pk>/", sync.SyncDetailView.as_view(), name="sync_detail"),
    path("sync/runs/<int:pk>/progress/", sync.SyncProgressView.as_view(), name="sync_progress"),
    path("sync/runs/<int:pk>/retry/", sync.SyncRetryView.as_view(), name="sync_retry"),
    path("sync/batches/<int:pk>/report/", sync.SyncReportView.as_view(), name="sync_report"),
    path(
        "sync/subscriptions/<int:pk>/confirm/",
        sync.SubscriptionConfirmView.as_view(),
        name="sync_subscription_confirm",
    ),
]
