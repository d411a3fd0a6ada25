"""The import service against the real database: counts, writes, history, refusals, locks."""

from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import Barcode, ImportJob, ImportRowError, ImportStatus, Product, ProductChange, Store
from catalog.services.imports import import_job_create, import_job_run
from tests.catalog.helpers import run_import, write_csv

pytestmark = pytest.mark.django_db(transaction=False)

COLA = [
    "SKU-1",
    "Acme Cola 330ml",
    "036000291452",
    "UPC",
    "4006381333931:EAN|96385074:EAN8",
    "1.49",
    "Acme",
    "Beverages",
]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Beverages"]
BANANA = ["SKU-3", "Bananas (loose)", "4011", "PLU", "", "0.69", "", "Produce"]


def test_fresh_import_creates_products_with_their_barcodes(store: Store, tmp_path: Path) -> None:
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA, WATER, BANANA]))

    assert (job.status, job.rows_total, job.rows_new, job.rows_changed, job.rows_rejected) == ("applied", 3, 3, 0, 0)
    cola = Product.objects.get(store=store, sku="SKU-1")
    assert (cola.name, cola.price, cola.brand, cola.category) == (
        "Acme Cola 330ml",
        Decimal("1.490"),
        "Acme",
        "Beverages",
    )
    assert list(cola.barcodes.values_list("value", "type", "match_key", "is_primary", "position")) == [
        ("036000291452", "UPC", "00036000291452", True, 0),
        ("4006381333931", "EAN", "04006381333931", False, 1),
        ("96385074", "EAN8", "00000096385074", False, 2),
    ]
    assert Product.objects.get(sku="SKU-3").barcodes.get().match_key == "PLU4011"
    assert len(cola.amazon_fingerprint) == 40
    assert cola.synced_fingerprint == ""
    assert cola.last_import_id == job.pk
    assert ProductChange.objects.count() == 0


def test_identical_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA, WATER])
    run_import(store, path)
    before = list(Product.objects.order_by("id").values_list("id", "updated_at", "amazon_fingerprint"))

    job = run_import(store, path)

    assert (job.status, job.rows_new, job.rows_changed, job.rows_unchanged) == ("applied", 0, 0, 2)
    assert list(Product.objects.order_by("id").values_list("id", "updated_at", "amazon_fingerprint")) == before
    assert ProductChange.objects.count() == 0


def test_changed_row_updates_product_and_records_history(store: Store, tmp_path: Path, catalog_manager) -> None:
    run_import(store, write_csv(tmp_path / "a.csv", [COLA, WATER]))
    old_fingerprint = Product.objects.get(sku="SKU-1").amazon_fingerprint
    changed = [*COLA]
    changed[1], changed[5], changed[4] = "Acme Cola 330ml Can", "1.59", "96385074:EAN8"

    job = run_import(store, write_csv(tmp_path / "b.csv", [changed, WATER]), created_by=catalog_manager)

    assert (job.rows_new, job.rows_changed, job.rows_unchanged) == (0, 1, 1)
    cola = Product.objects.get(sku="SKU-1")
    assert (cola.name, cola.price) == ("Acme Cola 330ml Can", Decimal("1.590"))
    assert list(cola.barcodes.values_list("value", flat=True)) == ["036000291452", "96385074"]
    assert cola.amazon_fingerprint != old_fingerprint
    change = ProductChange.objects.get()
    assert change.changes == {
        "name": ["Acme Cola 330ml", "Acme Cola 330ml Can"],
        "price": ["1.49", "1.59"],
        "barcodes": [
            ["036000291452 (UPC)", "4006381333931 (EAN)", "96385074 (EAN8)"],
            ["036000291452 (UPC)", "96385074 (EAN8)"],
        ],
    }
    assert (change.source, change.import_job_id, change.changed_by_id) == ("import", job.pk, catalog_manager.pk)


def test_price_change_alone_changes_fingerprint_only_when_price_is_synced(
    store: Store, tmp_path: Path, settings
) -> None:
    settings.JWO_SYNC_FIELDS = ["brand_name"]
    run_import(store, write_csv(tmp_path / "a.csv", [COLA]))
    fingerprint = Product.objects.get().amazon_fingerprint
    repriced = [*COLA]
    repriced[5] = "9.99"

    job = run_import(store, write_csv(tmp_path / "b.csv", [repriced]))

    assert job.rows_changed == 1
    product = Product.objects.get()
    assert product.price == Decimal("9.990")
    assert product.amazon_fingerprint == fingerprint


def test_rejected_rows_are_reported_and_good_rows_applied(store: Store, tmp_path: Path) -> None:
    bad_check = ["SKU-9", "Bad Barcode Soda", "036000291453", "UPC", "", "1.00", "", ""]
    no_name = ["SKU-8", "", "4000000000020", "", "", "1.00", "", ""]
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA, bad_check, no_name]))

    assert (job.status, job.rows_new, job.rows_rejected) == ("applied", 1, 2)
    assert list(Product.objects.values_list("sku", flat=True)) == ["SKU-1"]
    assert list(ImportRowError.objects.filter(job=job).values_list("row_number", "sku", "field", "is_warning")) == [
        (3, "SKU-9", "external_product_id", False),
        (4, "SKU-8", "item_name", False),
    ]
    assert "check digit should be 2, not 3" in ImportRowError.objects.get(sku="SKU-9").message


def test_strict_import_refuses_whole_file_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    bad = ["SKU-9", "Bad Barcode Soda", "036000291453", "UPC", "", "1.00", "", ""]
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA, bad]), strict=True)

    assert job.status == ImportStatus.REFUSED
    assert "1 rows were rejected" in job.message
    assert Product.objects.count() == 0
    assert Barcode.objects.count() == 0
    assert ImportRowError.objects.filter(job=job).count() == 1


def test_dry_run_previews_counts_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA, WATER]), dry_run=True)

    assert (job.status, job.rows_new, job.is_dry_run) == ("previewed", 2, True)
    assert Product.objects.count() == 0


def test_duplicate_sku_and_shared_barcode_within_file_reject_later_row(store: Store, tmp_path: Path) -> None:
    same_sku = ["SKU-1", "Acme Cola Again", "4000000000020", "", "", "1.00", "", ""]
    same_barcode = ["SKU-4", "Copy Cat Cola", "036000291452", "", "", "1.00", "", ""]
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA, same_sku, same_barcode]))

    assert (job.rows_new, job.rows_rejected) == (1, 2)
    messages = list(ImportRowError.objects.filter(job=job).values_list("row_number", "message"))
    assert messages == [
        (3, "SKU SKU-1 is also on row 2; each SKU once."),
        (4, "Barcode 036000291452 is also on row 2 (SKU SKU-1)."),
    ]


def test_barcode_of_another_product_is_refused_unless_the_file_moves_it(store: Store, tmp_path: Path) -> None:
    run_import(store, write_csv(tmp_path / "a.csv", [COLA, WATER]))
    thief = ["SKU-5", "New Cola", "96385074", "EAN8", "", "1.00", "", ""]

    refused = run_import(store, write_csv(tmp_path / "b.csv", [thief]))
    assert (refused.rows_new, refused.rows_rejected) == (0, 1)
    assert ImportRowError.objects.get(job=refused).message == "Barcode 96385074 already belongs to SKU SKU-1."

    cola_without = [*COLA]
    cola_without[4] = "4006381333931:EAN"
    moved = run_import(store, write_csv(tmp_path / "c.csv", [thief, cola_without]))
    assert (moved.rows_new, moved.rows_changed, moved.rows_rejected) == (1, 1, 0)
    assert Barcode.objects.get(value="96385074").product.sku == "SKU-5"


def test_same_sku_in_two_stores_keeps_separate_prices(store: Store, other_store: Store, tmp_path: Path) -> None:
    run_import(store, write_csv(tmp_path / "a.csv", [COLA]))
    euro = [*COLA]
    euro[5] = "1.79"
    run_import(other_store, write_csv(tmp_path / "b.csv", [euro]))

    assert dict(Product.objects.values_list("store__store_id", "price")) == {
        "TEST_STORE_001": Decimal("1.490"),
        "TEST_STORE_002": Decimal("1.790"),
    }


def test_missing_required_columns_refuse_file_with_names(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["SKU-1", "x"]], header=["item_sku", "title"])
    job = run_import(store, path)

    assert job.status == ImportStatus.REFUSED
    assert job.message.startswith("Required columns are missing: item_name (Name); external_product_id")
    assert Product.objects.count() == 0


def test_header_only_file_is_refused(store: Store, tmp_path: Path) -> None:
    job = run_import(store, write_csv(tmp_path / "c.csv", []))

    assert (job.status, job.message) == ("refused", "The file has a header but no product rows.")


def test_running_a_job_twice_does_nothing_the_second_time(store: Store, tmp_path: Path) -> None:
    job = import_job_create(store=store, upload=write_csv(tmp_path / "c.csv", [COLA]), is_dry_run=False)
    import_job_run(job_id=job.pk)
    second = import_job_run(job_id=job.pk)

    assert second.status == ImportStatus.APPLIED
    assert Product.objects.count() == 1
    assert ImportJob.objects.get(pk=job.pk).rows_new == 1


def test_second_writer_for_a_store_is_refused_while_first_holds_lock(store: Store, tmp_path: Path) -> None:
    first = import_job_create(store=store, upload=write_csv(tmp_path / "a.csv", [COLA]), is_dry_run=False)
    ImportJob.objects.filter(pk=first.pk).update(holds_store_lock=True, status=ImportStatus.WRITING)
    second = run_import(store, write_csv(tmp_path / "b.csv", [WATER]))

    assert second.status == ImportStatus.REFUSED
    assert second.message.startswith("Another import is writing this store's catalog")
    assert Product.objects.count() == 0


def test_warning_rows_are_applied_with_warning_and_suggestion(store: Store, tmp_path: Path) -> None:
    fancy = ["SKU-7", "Crème Brûlée™ Duo", "4000000000037", "", "", "3.50", "", ""]
    job = run_import(store, write_csv(tmp_path / "c.csv", [fancy]))

    product = Product.objects.get()
    assert (job.rows_new, job.rows_warned) == (1, 1)
    assert product.suggested_name == "Creme Brulee Duo"
    assert len(product.warnings) == 1
    assert ImportRowError.objects.get(job=job).is_warning is True


def test_sweeper_fails_stuck_import_and_frees_the_store(store: Store, tmp_path: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from catalog.services.imports import import_jobs_sweep

    stuck = import_job_create(store=store, upload=write_csv(tmp_path / "a.csv", [COLA]), is_dry_run=False)
    alive = import_job_create(store=store, upload=write_csv(tmp_path / "b.csv", [COLA]), is_dry_run=True)
    ImportJob.objects.filter(pk=stuck.pk).update(
        status=ImportStatus.WRITING, holds_store_lock=True, updated_at=timezone.now() - timedelta(minutes=20)
    )
    ImportJob.objects.filter(pk=alive.pk).update(status=ImportStatus.RUNNING, updated_at=timezone.now())

    swept = import_jobs_sweep(stale_after=timedelta(minutes=15))

    stuck.refresh_from_db()
    assert swept == 1
    assert (stuck.status, stuck.holds_store_lock) == (ImportStatus.FAILED, False)
    assert stuck.message.startswith("The worker running this import stopped")
    assert ImportJob.objects.get(pk=alive.pk).status == ImportStatus.RUNNING
    retry = run_import(store, write_csv(tmp_path / "c.csv", [COLA]))
    assert retry.status == ImportStatus.APPLIED
