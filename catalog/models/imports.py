"""Import jobs, their row-level problems, and the column mapping profiles they use."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models.catalog import Store
from jwo_admin.core.models import TimeStampedModel


class MappingProfile(TimeStampedModel):
    """How one ERP's export names our fields ("ERP column ITEM_NO is our SKU")."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    is_builtin = models.BooleanField(default=False)
    columns = models.JSONField(
        default=dict, help_text="Our field → the column name in the file, e.g. {'sku': 'ITEM_NO'}."
    )
    additional_barcode_columns = models.JSONField(
        default=list, blank=True, help_text="Columns that each hold one additional barcode."
    )
    list_separator = models.CharField(
        max_length=3, default="|", help_text="Separator between barcodes when one column holds a list."
    )
    csv_delimiter = models.CharField(max_length=1, blank=True, help_text="Blank: detect (comma, semicolon, tab).")
    decimal_comma = models.BooleanField(default=False, help_text="Prices are written 1,49 instead of 1.49.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Checking"
    WRITING = "writing", "Writing"
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


class ImportJob(TimeStampedModel):
    """One catalog file: its preview or application, counts, progress and row-level errors."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="imports")
    profile = models.ForeignKey(MappingProfile, null=True, blank=True, on_delete=models.SET_NULL)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255)
    is_dry_run = models.BooleanField(default=True)
    is_strict = models.BooleanField(
        default=False, help_text="Refuse the whole file when any row is rejected (default: apply the good rows)."
    )
    status = models.CharField(max_length=9, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_warned = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why the file was refused or failed, in plain words.")
    preview_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    holds_store_lock = models.BooleanField(default=False, help_text="Set while this import may write the store.")
    problems_truncated = models.BooleanField(default=False)
    headers = models.JSONField(
        default=list, blank=True, help_text="The file's header row as read, so problems can name its own columns."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two imports may not write one store's catalog at once.
            models.UniqueConstraint(
                fields=["store"], condition=Q(holds_store_lock=True), name="import_one_writer_per_store"
            ),
            # A preview is applied at most once, however many times "Apply" is clicked.
            models.UniqueConstraint(
                fields=["preview_of"], condition=Q(preview_of__isnull=False), name="import_preview_applied_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.PREVIEWED, ImportStatus.APPLIED, ImportStatus.REFUSED, ImportStatus.FAILED}

    @property
    def percent(self) -> int:
        return 100 if self.is_finished else self.progress_percent


class ImportRowError(models.Model):
    """A row the import rejected, or accepted with a warning, and why."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField(help_text="Line in the file, counting the header as 1.")
    sku = models.CharField(max_length=255, blank=True)
    field = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=500)
    is_warning = models.BooleanField(default=False)
    original_row = models.JSONField(
        default=list, blank=True, help_text="The row's cells as read from the file, to fix it in the ERP."
    )

    class Meta:
        ordering = ["row_number", "id"]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.message}"
