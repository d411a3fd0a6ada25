"""Is Amazon's catalog API reachable and are we allowed to call it? (Merchant Portal's
"Connectivity Status", checked from our side.) And can we read the results queue?"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from catalog.services.sync_records import amazon_call_record
from jwo_admin.integrations.amazon_catalog import Outcome, client_from_settings
from jwo_admin.integrations.sqs import QueueUnreadable, queue_messages_waiting


@dataclass(frozen=True)
class Connectivity:
    checked_at: str
    amazon_ok: bool
    amazon_detail: str
    queue_ok: bool
    queue_detail: str

    @property
    def ok(self) -> bool:
        return self.amazon_ok and self.queue_ok


def connectivity_check() -> Connectivity:
    """Ask the status API about an ingestion id that cannot exist: an InvalidRequestException (400)
    proves the endpoint answered a correctly signed request from an allowed role."""
    result = client_from_settings().status(f"connectivity-check-{uuid.uuid4()}")
    call = amazon_call_record(result, None)
    call.operation = "connectivity"
    # The call's outcome is the check's: "ok" only when Amazon answered as a working setup does.
    # Any other 400 (a gateway's {"message": ...}) is an invalid request, not proof (launch readiness reads this).
    is_answered = result.outcome == Outcome.OK or (
        result.outcome == Outcome.INVALID_BODY and "InvalidRequestException" in result.message
    )
    if is_answered:
        call.outcome = Outcome.OK
    call.save(update_fields=["operation", "outcome"])
    if is_answered:
        amazon_ok, amazon_detail = True, f"Success: signed call answered in {result.duration_ms} ms"
    else:
        amazon_ok = False
        amazon_detail = f"{result.outcome.value} (HTTP {result.status_code or '—'}): {result.message}"
    queue_ok, queue_detail = False, "JWO_SQS_QUEUE_URL is not set: results arrive by polling only"
    if settings.JWO_SQS_QUEUE_URL:
        try:
            waiting = queue_messages_waiting(
                settings.JWO_SQS_QUEUE_URL, region=settings.AWS_REGION, endpoint_url=settings.AWS_ENDPOINT_URL
            )
            queue_ok = True
            queue_detail = f"Success: {waiting} messages waiting"
        except QueueUnreadable as error:
            queue_detail = f"Cannot read the queue: {error}"
    return Connectivity(
        checked_at=timezone.now().isoformat(timespec="seconds"),
        amazon_ok=amazon_ok,
        amazon_detail=amazon_detail,
        queue_ok=queue_ok,
        queue_detail=queue_detail,
    )
