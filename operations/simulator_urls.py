"""The store simulator's staff page."""

from django.urls import path

from operations import simulator_views

urlpatterns = [
    path("", simulator_views.SimulatorView.as_view(), name="simulator"),
    path("<int:pk>/", simulator_views.SimulationDetailView.as_view(), name="simulation_detail"),
]
