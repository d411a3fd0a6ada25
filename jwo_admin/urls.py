"""Top-level URL configuration: the kernel's own paths, and each app's lists by name (the project's
wiring imports no app)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jwo_admin.core import views as core_views
from jwo_admin.core.sign_in_forms import StaffAuthenticationForm

urlpatterns = [
    path("", include("operations.home_urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("catalog/", include("catalog.urls")),
    path("", include("entry.urls")),
    path("", include("orders.urls")),
    path("entry/", include("entry.staff_urls")),
    path("orders/", include("orders.staff_urls")),
    path("", include("orders.shopper_urls")),
    path("shop/", include("entry.shopper_urls")),
    path("", include("jwo_admin.core.urls")),
    path("", include("operations.probe_urls")),
    path("", include("operations.urls")),
    path("admin/", admin.site.urls),
]
