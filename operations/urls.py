"""Staff pages of operations, under /operations/ (the dashboard itself is the site's home)."""

from django.urls import include, path

app_name = "operations"

urlpatterns = [
    path("", include("operations.dashboard_urls")),
    path("simulator/", include("operations.simulator_urls")),
]
