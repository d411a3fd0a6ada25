"""The site's home, the dashboard, outside the operations namespace: ``home`` is where sign-in lands
(LOGIN_REDIRECT_URL) and where every page's brand links."""

from django.urls import path

from operations import dashboard_views

urlpatterns = [
    path("", dashboard_views.DashboardView.as_view(), name="home"),
]
