"""The simulator's staff page: start a short simulation against this app, follow it, read its
summary, and clean up what a run created."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from catalog.views.staff_stores import StoreScopedView
from operations.models import SimulationRun
from operations.simulation.cleanup import simulation_clean_up
from operations.simulation.config import SimulationConfig
from operations.simulation.forms import SimulationForm
from operations.simulation.report import summary_lines
from operations.simulation.services import simulation_start, simulator_stores
from operations.tasks import simulation_run_task


class SimulatorView(StoreScopedView, FormView):
    permission_required = "operations.view_simulationrun"
    template_name = "operations/simulator.html"
    form_class = SimulationForm

    def get_initial(self) -> dict[str, Any]:
        first = self.scoped(simulator_stores(), field="pk").first()
        return {"store": first.store_id if first else None}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["runs"] = self.scoped(SimulationRun.objects.select_related("store", "started_by"))[:20]
        context["can_start"] = self.request.user.has_perm("operations.add_simulationrun")
        context["test_stores_only"] = settings.JWO_SIMULATOR_TEST_STORES_ONLY
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("operations.add_simulationrun"):
            return HttpResponse("You may look at simulations but not start one.", status=403)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SimulationForm) -> HttpResponse:
        data = form.cleaned_data
        config = SimulationConfig(
            store_id=data["store"].store_id,
            gates=data["gates"],
            shoppers=data["shoppers"],
            seconds=float(data["seconds"]),
            seed=data["seed"],
        )
        run = simulation_start(
            config=config,
            base_url=self.request.build_absolute_uri("/").rstrip("/"),
            started_by=self.request.user,  # type: ignore[arg-type]
        )
        transaction.on_commit(lambda: simulation_run_task.delay(run.pk))
        return HttpResponseRedirect(reverse("operations:simulation_detail", args=[run.pk]))


class SimulationDetailView(StoreScopedView, DetailView):
    permission_required = "operations.view_simulationrun"
    model = SimulationRun
    context_object_name = "run"

    def get_queryset(self) -> QuerySet[SimulationRun]:
        return self.scoped(SimulationRun.objects.all())

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["operations/_simulation_run.html"]
        return ["operations/simulation_detail.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run: SimulationRun = self.object
        context["report"] = summary_lines(run.summary) if run.summary else []
        context["can_clean_up"] = self.request.user.has_perm("operations.add_simulationrun")
        return context


class SimulationCleanUpView(StoreScopedView, View):
    """Delete every row a run created (its shoppers, gate events, purchases and their payments)."""

    permission_required = "operations.add_simulationrun"  # whoever may start a run may clean one up

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self.scoped_get(SimulationRun, pk=pk)
        removed = simulation_clean_up(run=run)
        messages.success(request, removed.as_sentence())
        return HttpResponseRedirect(reverse("operations:simulation_detail", args=[run.pk]))
