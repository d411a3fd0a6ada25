"""Staff pages of operations, mounted at the site root: the pages under /operations/ and the settings
page under /settings/ (the dashboard itself is the site's home, ``home_urls``)."""

from django.urls import include, path

app_name = "operations"

urlpatterns = [
    path("operations/", include("operations.dashboard_urls")),
    path("operations/simulator/", include("operations.simulator_urls")),
    path("settings/", include("operations.settings_urls")),
]
