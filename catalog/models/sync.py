"""The catalog sync with Amazon: runs, batches (one request each), items, attempts, notifications.

Every step of the reference architecture leaves a record (SPEC §B): the upload request (the
batch and its payload), each call (AmazonCall), the ingestion id and its status, the
notification (InboundMessage) and the per-item result (SyncItem).
"""

import json
import zlib
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models.catalog import Product, Store
from jwo_admin.core.models import TimeStampedModel


class SyncStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    SENDING = "sending", "Sending"
    WAITING = "waiting", "Waiting for Amazon"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SyncRun(TimeStampedModel):
    """One sync of one store: the products whose Amazon item changed (or all, with ``is_full``)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="sync_runs")
    is_full = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.SENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text='Limited to this product ("send this product now" on its page).',
    )
    items_total = models.PositiveIntegerField(default=0)
    items_accepted = models.PositiveIntegerField(default=0)
    items_rejected = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    items_unknown = models.PositiveIntegerField(
        default=0, help_text="Items Amazon's report did not mention: sent again by the next sync."
    )
    reasons = models.JSONField(default=dict, blank=True, help_text="Why items were sent: {reason: count}.")
    finished_at = models.DateTimeField(null=True, blank=True)
    is_follow_up = models.BooleanField(
        default=False, help_text="Sends again the items a batch gave up on in ``retry_of`` (scheduled by itself)."
    )
    follow_up_generation = models.PositiveSmallIntegerField(default=0, help_text="0: a sync staff asked for.")
    follow_up_at = models.DateTimeField(
        null=True, blank=True, help_text="When a follow-up sync of the items a batch gave up on is due."
    )
    retry_includes_rejected = models.BooleanField(
        default=False,
        help_text="A retry that also sends the items rejected in ``retry_of`` (Amazon refuses them again "
        "unless their product changed); by default a retry sends the failed and unknown ones.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two syncs of one store never send at once.
            models.UniqueConstraint(
                fields=["store"], condition=Q(status__in=["planning", "sending"]), name="sync_one_sender_per_store"
            ),
        ]
        permissions = [("retry_sync", "Can retry failed sync items")]

    def __str__(self) -> str:
        return f"Sync #{self.pk} {self.store.store_id}"

    @property
    def items_pending(self) -> int:
        return self.items_total - self.items_accepted - self.items_rejected - self.items_failed - self.items_unknown

    @property
    def items_to_retry(self) -> int:
        return self.items_rejected + self.items_failed + self.items_unknown

    @property
    def is_finished(self) -> bool:
        """No more results will come: the page stops following it."""
        return self.status in (SyncStatus.DONE, SyncStatus.FAILED)

    @property
    def items_failed_to_retry(self) -> int:
        """What a retry sends by default: items that failed or got no result (no fault of their own)."""
        return self.items_failed + self.items_unknown


class BatchKind(models.TextChoices):
    UPLOAD = "upload", "Upload"
    ARCHIVE = "archive", "Archive"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # planned, not sent (or waiting to retry)
    SENDING = "sending", "Sending"  # claimed by a worker
    ACCEPTED = "accepted", "Accepted"  # Amazon returned an ingestion id; results to come
    DONE = "done", "Done"  # results applied to every item
    FAILED = "failed", "Failed"  # refused, or Amazon's processing failed: items failed with the reason
    SPLIT = "split", "Split in two"  # too large, or refused as a whole: its items went to two smaller batches


class UploadBatch(TimeStampedModel):
    """One Upload Catalog or Archive Catalog request of at most 10,000 items."""

    sync_run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="batches")
    kind = models.CharField(max_length=7, choices=BatchKind.choices, default=BatchKind.UPLOAD)
    sequence = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    # The request body exactly as sent (and re-sent on retry), JSON compressed with zlib: a
    # 10,000-item body is about 3 MB, and stored as bytes it needs no parsing on either side.
    body = models.BinaryField()
    item_count = models.PositiveIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    ingestion_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    processing_status = models.CharField(max_length=10, blank=True, help_text="Amazon's: INQUEUE, DONE, FATAL…")
    polls = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    report_link = models.TextField(blank=True)
    report_link_expires_at = models.DateTimeField(null=True, blank=True)
    report_file = models.FileField(upload_to="reports/%Y/%m/", blank=True, max_length=300)
    results_applied_at = models.DateTimeField(null=True, blank=True)
    report_note = models.TextField(
        blank=True, help_text="What was unexpected in Amazon's report (its shape, items it did not mention)."
    )
    last_error = models.TextField(blank=True)
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="halves", help_text="Half of this batch."
    )
    gave_up = models.BooleanField(
        default=False, help_text="Failed for want of an answer (throttled, server errors): worth a follow-up sync."
    )

    class Meta:
        ordering = ["sync_run_id", "sequence"]  # by column: ordering by relation would join sync runs
        constraints = [models.UniqueConstraint(fields=["sync_run", "sequence"], name="batch_unique_sequence")]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["status", "next_poll_at"])]

    def __str__(self) -> str:
        return f"Batch {self.sync_run_id}/{self.sequence} ({self.kind}, {self.item_count} items)"

    @property
    def request_body(self) -> bytes:
        return zlib.decompress(bytes(self.body))

    @property
    def payload(self) -> dict[str, Any]:
        """The request body as JSON (for screens and tests; sending uses the bytes)."""
        decoded: dict[str, Any] = json.loads(self.request_body)
        return decoded

    @staticmethod
    def encode_body(payload: dict[str, Any]) -> bytes:
        return zlib.compress(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(), 1)


class ItemResult(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected by Amazon"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Result unknown"  # accepted by Amazon, not mentioned in its report


# Items a retry (and a follow-up of a run that gave up) sends again.
ITEM_RESULTS_TO_RETRY = (ItemResult.REJECTED, ItemResult.FAILED, ItemResult.UNKNOWN)
ITEM_RESULTS_FAILED = (ItemResult.FAILED, ItemResult.UNKNOWN)  # a retry's default: rejected ones need a fix first


class SyncItem(models.Model):
    """One product in one sync; ends exactly once as accepted, rejected or failed, with the reason."""

    sync_run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="items")
    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="sync_items")
    sku = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=40, help_text="The product's fingerprint as sent.")
    reason = models.CharField(max_length=16, help_text="new, changed, archived, full or retry")
    result = models.CharField(max_length=8, choices=ItemResult.choices, default=ItemResult.PENDING)
    code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="The report's entry as received.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["sync_run", "product"], name="sync_item_once_per_run"),
        ]
        indexes = [models.Index(fields=["batch", "result"]), models.Index(fields=["product", "result"])]

    def __str__(self) -> str:
        return f"{self.sku}: {self.result}"


class AmazonCall(models.Model):
    """Every call to Amazon, whatever came back: the attempt record of the reference architecture."""

    operation = models.CharField(max_length=12)  # upload, archive, status, connectivity
    batch = models.ForeignKey(UploadBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    outcome = models.CharField(max_length=16)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    request_bytes = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.operation} {self.status_code} {self.outcome}"


class InboundMessage(models.Model):
    """A notification read from the SQS queue, kept under its unique id (duplicates are no-ops)."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored (no matching ingestion)"
        POISON = "poison", "Unreadable"
        SUBSCRIPTION = "subscription", "Subscription to confirm"  # SNS asks us to confirm the topic's subscription
        CONFIRMED = "confirmed", "Subscription confirmed"

    message_id = models.CharField(max_length=255, unique=True)
    ingestion_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    body = models.TextField(help_text="As received; NUL characters (PostgreSQL cannot keep them) written \\u0000.")
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.status})"

    def _envelope_field(self, name: str) -> str:
        try:
            envelope = json.loads(self.body)
        except ValueError:
            return ""
        return str(envelope.get(name) or "") if isinstance(envelope, dict) else ""

    @property
    def topic_arn(self) -> str:
        return self._envelope_field("TopicArn")

    @property
    def subscribe_url(self) -> str:
        """Where SNS confirms the subscription (a SubscriptionConfirmation's envelope)."""
        return self._envelope_field("SubscribeURL")


class AmazonStoreList(models.Model):
    """The retailer's store ids as Amazon last listed them (an Archive Catalog call that did not
    name them all is refused with the list, SPEC §6): what the next archive names. One row."""

    store_ids = models.JSONField(default=list)
    learned_at = models.DateTimeField(auto_now=True)
    source = models.TextField(blank=True, help_text="Amazon's message the list was read from.")

    def __str__(self) -> str:
        return ", ".join(self.store_ids)
