from django.urls import path

from catalog.views import catalog as views
from catalog.views import sync as sync_views

staff_urlpatterns = [
    path("", views.ProductListView.as_view(), name="product_list"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product_detail"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/new/", views.ImportCreateView.as_view(), name="import_create"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/progress/", views.ImportProgressView.as_view(), name="import_progress"),
    path("imports/<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import_confirm"),
    path("imports/<int:pk>/problems.csv", views.ImportProblemsCsvView.as_view(), name="import_problems_csv"),
    path("mappings/", views.MappingProfileListView.as_view(), name="mapping_list"),
    path("mappings/new/", views.MappingProfileCreateView.as_view(), name="mapping_create"),
    path("mappings/<int:pk>/", views.MappingProfileUpdateView.as_view(), name="mapping_update"),
    path("stores/<int:pk>/amazon-catalog.json", views.AmazonCatalogExportView.as_view(), name="amazon_export"),
    path("sync/", sync_views.SyncOverviewView.as_view(), name="sync_overview"),
    path("sync/start/", sync_views.SyncStartView.as_view(), name="sync_start"),
    path("sync/connectivity/", sync_views.ConnectivityView.as_view(), name="sync_connectivity"),
    path("sync/runs/<int:pk>/", sync_views.SyncDetailView.as_view(), name="sync_detail"),
    path("sync/runs/<int:pk>/progress/", sync_views.SyncProgressView.as_view(), name="sync_progress"),
    path("sync/runs/<int:pk>/retry/", sync_views.SyncRetryView.as_view(), name="sync_retry"),
    path("sync/batches/<int:pk>/report/", sync_views.SyncReportView.as_view(), name="sync_report"),
    path(
        "sync/subscriptions/<int:pk>/confirm/",
        sync_views.SubscriptionConfirmView.as_view(),
        name="sync_subscription_confirm",
    ),
]
