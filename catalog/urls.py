"""Catalog's staff screens, under /catalog/ (namespace ``catalog``): products, imports and their
column mappings, the sync with Amazon. The store form is operations' (it spans entry and orders).
"""

from django.urls import path

from catalog.views import imports, products, sync

staff_urlpatterns = [
    path("", products.ProductListView.as_view(), name="product_list"),
    path("products/<int:pk>/", products.ProductDetailView.as_view(), name="product_detail"),
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
