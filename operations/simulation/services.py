"""A whole simulation, from the command or the staff page: cast, drive, wait for the money, check,
and keep the summary on its ``SimulationRun``."""

import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from catalog.models import Store
from entry.models import GateEvent
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.integrations.connector_client import ConnectorUnreachable, connector_status
from operations.models import SimulationRun, SimulationStatus
from operations.simulation.cast import cast_create, cast_dismiss, shelf_read
from operations.simulation.checks import finance_check, invariants_check
from operations.simulation.config import SimulationConfig, journeys_plan
from operations.simulation.driver import Driver, Trip
from orders.models import PaymentStatus, Purchase


def simulator_stores() -> QuerySet[Store]:
    """The stores a simulation may run on: test stores only where settings say so (production)."""
    stores = Store.objects.order_by("store_id")
    return stores.filter(is_test_store=True) if settings.JWO_SIMULATOR_TEST_STORES_ONLY else stores


def simulator_refusal(store: Store) -> str:
    """Why no simulation may run on ``store`` ("" when one may)."""
    if simulator_stores().filter(pk=store.pk).exists():
        return ""
    return (
        f"Store {store.store_id} is not a test store: here the simulator runs only on stores flagged "
        "“Test store” (its real figures would take in simulated shoppers and purchases). Nothing was started."
    )


def simulation_start(*, config: SimulationConfig, base_url: str, started_by: User | None = None) -> SimulationRun:
    """Record a run to start; ApplicationError (nothing recorded) for a store it may not run on."""
    store = Store.objects.get(store_id=config.store_id)
    refusal = simulator_refusal(store)
    if refusal:
        raise ApplicationError(refusal)
    return SimulationRun.objects.create(
        store=store, base_url=base_url, parameters=config.as_dict(), started_by=started_by
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _latency(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        endpoint: {
            "calls": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p99_ms": round(_percentile(values, 0.99), 1),
            "max_ms": round(max(values), 1),
        }
        for endpoint, values in sorted(samples.items())
        if values
    }


def settlement_wait(trip_ids: list[str], *, timeout: float) -> int:
    """Wait (bounded) until no purchase of the run waits for its first payment step; returns how many still do."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = Purchase.objects.filter(
            trip_id__in=trip_ids, status="priced", payment_status=PaymentStatus.PENDING
        ).count()
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(0.25)


def _summary(trips: list[Trip], driver: Driver, seconds: float) -> dict[str, Any]:
    events = dict(
        GateEvent.objects.filter(auth_event_id__in=[trip.auth_event_id for trip in trips]).values_list(
            "auth_event_id", "reason"
        )
    )
    refused = Counter(events.get(trip.auth_event_id, "no answer") for trip in trips if not trip.admitted)
    statuses = Counter(
        Purchase.objects.filter(trip_id__in=[trip.trip_id for trip in trips if trip.trip_id]).values_list(
            "status", flat=True
        )
    )
    payments = Counter(
        Purchase.objects.filter(trip_id__in=[trip.trip_id for trip in trips if trip.trip_id]).values_list(
            "payment_status", flat=True
        )
    )
    return {
        "shoppers": len(trips),
        "seconds": round(seconds, 1),
        "entries": {"admitted": sum(trip.admitted for trip in trips), "refused": dict(sorted(refused.items()))},
        "carts": {
            "priced": statuses.get("priced", 0),
            "empty": statuses.get("empty", 0),
            "bad": statuses.get("bad_cart", 0),
        },
        "payments": dict(sorted(payments.items())),
        "deliveries": {
            "sent": sum(len(trip.answers) for trip in trips),
            "duplicates": sum(max(len(trip.answers) - 1, 0) for trip in trips),
        },
        "rates": {
            "entries_per_s": round(len(trips) / seconds, 1) if seconds else 0,
            "purchases_per_s": round(sum(len(trip.answers) for trip in trips) / seconds, 1) if seconds else 0,
        },
        "latency": _latency(driver.recorder.latency_ms),
        "errors": dict(driver.recorder.errors),
        "problems": [trip.error for trip in trips if trip.error][:20],
    }


def app_reachable(base_url: str) -> None:
    """Before anyone is created: the app must answer its liveness probe."""
    try:
        status = connector_status(base_url=base_url, path="/healthz")
    except ConnectorUnreachable as error:
        raise RuntimeError(f"{base_url} does not answer: {error}") from error
    if status != 200:
        raise RuntimeError(f"{base_url}/healthz answered {status}")


def simulation_run(*, run_pk: int, progress: Callable[[int, int], None] = lambda done, total: None) -> SimulationRun:
    """Run it to the end; safe to call twice (a finished run is left as it is)."""
    run = SimulationRun.objects.select_related("store").get(pk=run_pk)
    claimed = SimulationRun.objects.filter(pk=run.pk, status=SimulationStatus.RUNNING, finished_at__isnull=True)
    if run.finished_at is not None or not claimed.exists():
        return run
    try:
        config = SimulationConfig(**run.parameters)
        app_reachable(run.base_url)
        shelf = shelf_read(store=run.store)
        journeys = journeys_plan(config, shelf, run_tag=str(run.pk))
        cast = cast_create(run_id=run.pk, journeys=journeys)
        driver = Driver(
            base_url=run.base_url,
            cast=cast,
            config=config,
            key_header=settings.JWO_CONNECTOR_KEY_HEADER,
            ttl_seconds=settings.JWO_SCAN_KEY_TTL_SECONDS,
        )
        started = time.monotonic()
        try:
            trips = driver.run(progress=lambda done: progress(done, len(journeys)))
        finally:
            cast_dismiss(cast)
        seconds = time.monotonic() - started
        unsettled = settlement_wait([trip.trip_id for trip in trips if trip.trip_id], timeout=60)
        invariants = [
            *invariants_check(trips=trips, shelf=shelf, store=run.store),
            finance_check(run_pk=run.pk, store=run.store, now=timezone.now()),
        ]
        summary = _summary(trips, driver, seconds)
        summary["unsettled"] = unsettled
        summary["invariants"] = [invariant.as_dict() for invariant in invariants]
        passed = all(invariant.ok for invariant in invariants) and not summary["errors"]
        status = SimulationStatus.PASSED if passed else SimulationStatus.FAILED
        message = "" if passed else "; ".join(i.name for i in invariants if not i.ok) or "calls failed"
    except Exception as error:  # noqa: BLE001 - the run is recorded as not run, with why
        summary, status, message = {}, SimulationStatus.ERROR, f"{type(error).__name__}: {error}"[:1000]
    SimulationRun.objects.filter(pk=run.pk).update(
        status=status, summary=summary, message=message, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run
