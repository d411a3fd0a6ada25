from django.urls import path

from jwo_admin.core import views

app_name = "core"

urlpatterns = [
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("orders/", views.OrdersOverviewView.as_view(), name="orders_overview"),
]
