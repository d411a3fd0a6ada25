"""Staff screens for entry: gate log, shoppers, charts."""

from django.urls import path

from jwo_admin.core import views as core_views

app_name = "entry"

urlpatterns = [
    path("", core_views.EntryOverviewView.as_view(), name="overview"),
]
