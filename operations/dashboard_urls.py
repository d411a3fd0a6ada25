"""The launch readiness checklist (the dashboard itself is the site's home, ``home``)."""

from django.urls import path

from operations import readiness_views

urlpatterns = [
    path("readiness/", readiness_views.ReadinessView.as_view(), name="readiness"),
    path("readiness/mark/", readiness_views.ReadinessMarkView.as_view(), name="readiness_mark"),
    path("readiness.csv", readiness_views.ReadinessCsvView.as_view(), name="readiness_csv"),
]
