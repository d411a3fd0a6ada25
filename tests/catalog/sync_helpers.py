"""Drive a sync to its end the way beat and workers would, without sleeping longer than needed."""

import contextlib
import time

from django.utils import timezone

from catalog.models import SyncRun
from catalog.selectors.sync import sync_due_batches
from catalog.services.notifications import notifications_consume
from catalog.services.sync_poll import sync_batch_poll
from catalog.services.sync_records import sync_run_refresh
from catalog.services.sync_results import ReportNotReady
from catalog.services.sync_send import sync_batch_send


def drive(run: SyncRun, *, use_notifications: bool = True, timeout: float = 30.0) -> SyncRun:
    """Send due batches, consume notifications (or poll), until the run is done."""
    deadline = time.monotonic() + timeout
    for batch_id in run.batches.values_list("pk", flat=True):
        sync_batch_send(batch_id=batch_id)
    while time.monotonic() < deadline:
        run = sync_run_refresh(run_id=run.pk)
        if run.status == "done":
            return run
        to_send, to_poll = sync_due_batches()
        for batch_id in to_send:
            sync_batch_send(batch_id=batch_id)
        if use_notifications:
            notifications_consume(seconds=0.5, stop_when_empty=True)
        else:
            # Act as the clock: every accepted batch is due for its next poll now.
            run.batches.filter(status="accepted").update(next_poll_at=timezone.now())
            for batch_id in run.batches.filter(status="accepted").values_list("pk", flat=True):
                with contextlib.suppress(ReportNotReady):
                    sync_batch_poll(batch_id=batch_id)
        time.sleep(0.05)
    raise AssertionError(f"sync {run.pk} did not finish: {run.status}")
