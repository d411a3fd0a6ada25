"""Operations models, one module per responsibility; import them from here."""

from operations.models.alerts import SentAlert
from operations.models.readiness import ReadinessMark
from operations.models.simulation import SimulationRun, SimulationStatus

__all__ = ["ReadinessMark", "SentAlert", "SimulationRun", "SimulationStatus"]
