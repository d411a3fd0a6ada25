"""What Amazon tells us about the store's trips, through its intra-day report files and its event
feed ([INFERRED] formats, see ``orders.amazon_formats``), kept so each trip can be matched with our
purchase.

- ``AmazonReportFile``: a file seen at its source, recorded once per (source, key, etag); a file
  that failed is read again on the next poll, at most ``JWO_AMAZON_FEED_MAX_ATTEMPTS`` times, then
  parked for staff.
- ``AmazonFeedEvent``: an event of the feed, recorded once per event id (redelivery is harmless),
  with the same retry-then-park rule; test events are kept but never counted.
- ``AmazonTrip`` / ``AmazonTripLine``: a trip as Amazon saw it, assembled from every file and
  event that mentions it; a line is one row per (trip, line id) however often it arrives.
"""

from django.db import models

from catalog.models import Store


class FeedStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be read"
    DONE = "done", "Read"
    FAILED = "failed", "Failed (read again on the next poll)"
    PARKED = "parked", "Parked for staff"
    TEST = "test", "Test event (not counted)"


class ReportSource(models.TextChoices):
    S3 = "s3", "S3 bucket"
    DROP = "drop", "SFTP drop folder"


class AmazonReportFile(models.Model):
    source = models.CharField(max_length=8, choices=ReportSource.choices)
    key = models.CharField(max_length=1024, help_text="The object key, or the file name in the drop folder.")
    etag = models.CharField(max_length=128, help_text="S3's ETag, or the SHA-256 of a dropped file.")
    status = models.CharField(max_length=8, choices=FeedStatus.choices, default=FeedStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=0, help_text="Rows read at the last attempt.")
    new_lines = models.PositiveIntegerField(default=0, help_text="Lines this file added (others were known).")
    received_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "key", "etag"], name="amazon_report_file_once")]

    def __str__(self) -> str:
        return self.key


class AmazonFeedEvent(models.Model):
    event_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=10, blank=True, help_text="cart, payment, decline or test; blank: unread.")
    trip_id = models.CharField(max_length=64, blank=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    body = models.TextField(help_text="The message as it arrived (kept to retry it).")
    status = models.CharField(max_length=8, choices=FeedStatus.choices, default=FeedStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    deliveries = models.PositiveIntegerField(default=1, help_text="How often the feed delivered it.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status"], name="amazon_feed_event_status")]

    def __str__(self) -> str:
        return self.event_id


class AmazonTrip(models.Model):
    trip_id = models.CharField(max_length=64, unique=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(db_index=True)
    captured = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    decline_reason = models.CharField(max_length=255, blank=True)
    is_declined = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ended_at", "-id"]
        indexes = [models.Index(fields=["store", "ended_at"], name="amazon_trip_store_end")]

    def __str__(self) -> str:
        return self.trip_id


class AmazonTripLine(models.Model):
    trip = models.ForeignKey(AmazonTrip, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=255)
    sku = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        ordering = ["trip", "line_id"]
        constraints = [models.UniqueConstraint(fields=["trip", "line_id"], name="amazon_trip_line_once")]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"
