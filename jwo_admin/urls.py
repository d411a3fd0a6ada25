"""Top-level URL configuration: each app's lists mounted under their prefix and namespace.

Each app's ``urls.py`` says which list is which (connector, staff, shopper); namespaces and paths are
part of the contract (SPEC paths, links in emails, templates' ``{% url %}``) and do not move.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from catalog import urls as catalog_urls
from entry import urls as entry_urls
from jwo_admin.core.sign_in_forms import StaffAuthenticationForm
from jwo_admin.core.views import site as core_views
from operations import urls as operations_urls
from orders import urls as orders_urls

urlpatterns = [
    path("", include(operations_urls.site_urlpatterns)),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Where an invited or reset staff user sets a password (the link the staff page emails).
    path(
        "accounts/password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="registration/password_set.html"),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_set_done.html"),
        name="password_reset_complete",
    ),
    # The store screens span catalog, entry and orders, so operations holds them; their paths and names stay catalog's.
    path("catalog/", include((catalog_urls.staff_urlpatterns + operations_urls.store_urlpatterns, "catalog"))),
    path("", include((entry_urls.connector_urlpatterns, "entry_api"))),
    path("", include((orders_urls.connector_urlpatterns, "orders_api"))),
    path("entry/", include((entry_urls.staff_urlpatterns, "entry"))),
    path("orders/", include((orders_urls.staff_urlpatterns, "orders"))),
    path("shop/", include((entry_urls.shopper_urlpatterns, "shop"))),
    path("", include(orders_urls.shopper_urlpatterns)),
    path("", include("jwo_admin.core.urls")),
    path("", include((operations_urls.staff_urlpatterns, "operations"))),
    path("admin/", admin.site.urls),
]

handler404 = "jwo_admin.core.views.errors.page_not_found"
handler500 = "jwo_admin.core.views.errors.server_error"
