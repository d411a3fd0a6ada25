"""Rows a store simulation created: marked by the run's id, kept out of real figures by default.

The simulator (``operations``) creates shoppers and calls the connectors with a key made for the
run (``ConnectorKey.simulation_run_id``), so the gate events and purchases those calls create
carry the run's id from their first write. The id is a plain integer, not a foreign key: entry
and orders sit below operations and may not point at its ``SimulationRun``. Every staff figure,
queue, alert, export and list reads ``.real()`` rows unless someone asks to see simulated ones
(``?simulated=1`` on a list page).
"""

from typing import Self, TypeVar

from django.db import models
from django.http import HttpRequest

_Model = TypeVar("_Model", bound=models.Model)

SHOW_SIMULATED_PARAMETER = "simulated"


class SimulatedQuerySet(models.QuerySet[_Model]):
    """A queryset of a model with a ``simulation_run_id`` column (blank: a real row)."""

    def real(self) -> Self:
        return self.filter(simulation_run_id__isnull=True)

    def simulated_shown(self, shown: bool) -> Self:
        """Every row when ``shown``, else only real ones: the list pages' "show simulated" switch."""
        return self if shown else self.real()


def simulated_shown(request: HttpRequest) -> bool:
    """Whether a staff list page was asked to include simulated rows."""
    return request.GET.get(SHOW_SIMULATED_PARAMETER) == "1"
