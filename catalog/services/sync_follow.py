"""Follow a sync to its end in the current process: what `catalog_upload --wait` does while the
workers may be doing the same (every step claims its work, so the two never collide)."""

import contextlib
import time
from collections.abc import Callable

from django.utils import timezone

from catalog.models import BatchStatus, SyncRun
from catalog.services.notifications import notifications_consume
from catalog.services.sync_poll import sync_batch_poll
from catalog.services.sync_records import sync_run_refresh
from catalog.services.sync_results import ReportNotReady
from catalog.services.sync_send import sync_batch_send


def sync_run_follow(
    *,
    run: SyncRun,
    timeout: float = 3600.0,
    use_notifications: bool = True,
    on_progress: Callable[[SyncRun], None] | None = None,
) -> SyncRun:
    """Send due batches, read notifications and poll due batches until the run is done or
    ``timeout`` seconds pass; returns the run as it then stands."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = sync_run_refresh(run_id=run.pk)
        if on_progress is not None:
            on_progress(run)
        if run.status == "done":
            return run
        now = timezone.now()
        for batch_id in run.batches.filter(status=BatchStatus.PENDING).values_list("pk", flat=True):
            sync_batch_send(batch_id=batch_id)
        if use_notifications:
            notifications_consume(seconds=0.5, stop_when_empty=True)
        for batch_id in run.batches.filter(status=BatchStatus.ACCEPTED, next_poll_at__lte=now).values_list(
            "pk", flat=True
        ):
            with contextlib.suppress(ReportNotReady):
                sync_batch_poll(batch_id=batch_id)
        time.sleep(0.2)
    return sync_run_refresh(run_id=run.pk)
