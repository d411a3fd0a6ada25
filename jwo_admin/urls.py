"""Top-level URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jwo_admin.core import views as core_views
from jwo_admin.core.sign_in_forms import StaffAuthenticationForm
from operations import dashboard_views
from orders import receipt_views

urlpatterns = [
    path("", dashboard_views.DashboardView.as_view(), name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("catalog/", include("catalog.urls")),
    path("", include("entry.urls")),
    path("", include("orders.urls")),
    path("entry/", include("entry.staff_urls")),
    path("orders/", include("orders.staff_urls")),
    path("shop/", include("entry.shopper_urls")),
    path("shop/receipts/", receipt_views.ShopperReceiptListView.as_view(), name="receipt_list"),
    path("receipts/<str:token>/", receipt_views.receipt_view, name="receipt"),
    path("", include("jwo_admin.core.urls")),
    path("", include("operations.probe_urls")),
    path("operations/", include("operations.urls")),
    path("admin/", admin.site.urls),
]
