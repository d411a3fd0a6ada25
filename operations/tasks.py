"""Operations' Celery tasks: ids in, safe to run twice."""

from celery import shared_task
from django.core.management import call_command

from operations.services.alerts import alerts_notify
from operations.simulation.services import simulation_run


@shared_task(acks_late=True)
def simulation_run_task(run_pk: int) -> str:
    """A simulation started from the staff page (a finished run is left as it is)."""
    return simulation_run(run_pk=run_pk).status


@shared_task
def sessions_clear_task() -> None:
    """Expired staff and shopper sessions out of the database (Django's clearsessions), daily."""
    call_command("clearsessions")


@shared_task
def alerts_send_task() -> dict[str, list[str]]:
    """Evaluate the alerts and send new ones by email and webhook (beat, every minute)."""
    done = alerts_notify()
    return {"raised": done.raised, "cleared": done.cleared, "failed": done.failed}
