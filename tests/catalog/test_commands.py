"""The catalog_import management command, run as an operator would."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.demo import ERP_COLUMNS
from catalog.models import Barcode, ImportJob, ImportStatus, MappingProfile, Product, Store
from tests.catalog.helpers import write_csv

pytestmark = pytest.mark.django_db

COLA = ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "4006381333931:EAN", "1.49", "Acme", "Beverages"]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Beverages"]
BAD_CHECK = ["SKU-9", "Bad Barcode Soda", "036000291453", "UPC", "", "1.00", "", ""]


def catalog_import(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("catalog_import", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


# --- catalog_import ------------------------------------------------------------------------------


def test_good_file_prints_the_summary_and_exits_normally(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA, WATER])

    stdout, stderr = catalog_import(str(path), "--store", store.store_id, "--no-progress")

    job = ImportJob.objects.get()
    assert stdout == f"Import #{job.pk} applied: 2 rows — 2 new, 0 changed, 0 unchanged, 0 rejected, 0 with warnings.\n"
    assert stderr == ""
    assert (job.status, job.is_dry_run, job.profile) == (ImportStatus.APPLIED, False, None)
    assert sorted(Product.objects.filter(store=store).values_list("sku", flat=True)) == ["SKU-1", "SKU-2"]
    assert Barcode.objects.count() == 3


def test_rejected_rows_are_listed_under_the_summary(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA, BAD_CHECK])

    stdout, _ = catalog_import(str(path), "--store", store.store_id, "--no-progress")

    job = ImportJob.objects.get()
    assert stdout == (
        f"Import #{job.pk} applied: 2 rows — 1 new, 0 changed, 0 unchanged, 1 rejected, 0 with warnings.\n"
        "  row 3 SKU-9 external_product_id: UPC check digit should be 2, not 3\n"
    )
    assert list(Product.objects.values_list("sku", flat=True)) == ["SKU-1"]


def test_more_than_twenty_rejected_rows_list_twenty_and_point_to_the_import_page(store: Store, tmp_path: Path) -> None:
    bad_rows = [[f"SKU-{number:02d}", "Bad Soda", "036000291453", "UPC", "", "1.00", "", ""] for number in range(25)]
    path = write_csv(tmp_path / "c.csv", bad_rows)

    stdout, _ = catalog_import(str(path), "--store", store.store_id, "--no-progress")

    lines = stdout.splitlines()
    job = ImportJob.objects.get()
    assert len(lines) == 22
    assert (
        lines[0] == f"Import #{job.pk} applied: 25 rows — 0 new, 0 changed, 0 unchanged, 25 rejected, 0 with warnings."
    )
    assert lines[1] == "  row 2 SKU-00 external_product_id: UPC check digit should be 2, not 3"
    assert lines[20] == "  row 21 SKU-19 external_product_id: UPC check digit should be 2, not 3"
    assert lines[21] == "  … and more; see the import page for all 25 rejected rows."
    assert Product.objects.count() == 0


def test_refused_file_raises_command_error_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA], header=["item_sku", "title", "ean", "a", "b", "c", "d", "e"])
    stdout = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("catalog_import", str(path), "--store", store.store_id, "--no-progress", stdout=stdout)

    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REFUSED
    assert str(refused.value) == job.message
    assert str(refused.value).startswith("Required columns are missing: item_name (Name); external_product_id")
    assert refused.value.returncode == 1
    assert stdout.getvalue() == (
        f"Import #{job.pk} refused: 0 rows — 0 new, 0 changed, 0 unchanged, 0 rejected, 0 with warnings.\n"
    )
    assert (Product.objects.count(), Barcode.objects.count()) == (0, 0)


def test_header_only_file_raises_command_error_with_the_reason(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [])

    with pytest.raises(CommandError) as refused:
        catalog_import(str(path), "--store", store.store_id, "--no-progress")

    assert str(refused.value) == "The file has a header but no product rows."
    assert Product.objects.count() == 0


def test_strict_import_with_a_bad_row_raises_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA, BAD_CHECK])

    with pytest.raises(CommandError) as refused:
        catalog_import(str(path), "--store", store.store_id, "--strict", "--no-progress")

    assert str(refused.value) == (
        "1 rows were rejected; a strict import applies nothing unless every row is good. Fix them and upload again."
    )
    assert ImportJob.objects.get().is_strict is True
    assert (Product.objects.count(), Barcode.objects.count()) == (0, 0)


def test_dry_run_reports_counts_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA, WATER])

    stdout, _ = catalog_import(str(path), "--store", store.store_id, "--dry-run", "--no-progress")

    job = ImportJob.objects.get()
    assert stdout == (
        f"Import #{job.pk} previewed: 2 rows — 2 new, 0 changed, 0 unchanged, 0 rejected, 0 with warnings.\n"
    )
    assert (job.status, job.is_dry_run) == (ImportStatus.PREVIEWED, True)
    assert (Product.objects.count(), Barcode.objects.count()) == (0, 0)


def test_unknown_store_raises_with_its_id_and_creates_no_job(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA])

    with pytest.raises(CommandError) as refused:
        catalog_import(str(path), "--store", "NO_SUCH_STORE", "--no-progress")

    assert str(refused.value) == "No store with id 'NO_SUCH_STORE'."
    assert (ImportJob.objects.count(), Product.objects.count()) == (0, 0)


def test_unknown_mapping_raises_listing_the_profiles_and_creates_no_job(store: Store, tmp_path: Path) -> None:
    MappingProfile.objects.create(name="Acme ERP", columns=ERP_COLUMNS)
    path = write_csv(tmp_path / "c.csv", [COLA])

    with pytest.raises(CommandError) as refused:
        catalog_import(str(path), "--store", store.store_id, "--mapping", "SAP export", "--no-progress")

    assert str(refused.value) == "No mapping profile 'SAP export'. Profiles: Acme ERP, Amazon field names."
    assert (ImportJob.objects.count(), Product.objects.count()) == (0, 0)


def test_missing_file_raises_and_creates_no_job(store: Store, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        catalog_import(str(tmp_path / "nope.csv"), "--store", store.store_id, "--no-progress")

    assert str(refused.value) == f"No such file: {tmp_path / 'nope.csv'}"
    assert ImportJob.objects.count() == 0


def test_named_mapping_profile_reads_the_erp_columns(store: Store, tmp_path: Path) -> None:
    profile = MappingProfile.objects.create(name="Acme ERP", columns=ERP_COLUMNS)
    path = tmp_path / "erp.csv"
    path.write_text(
        "ITEM_NO,DESCRIPTION,EAN,ALT_BARCODES,RETAIL_PRICE,UOM\nSKU-1,Cola,036000291452,96385074:EAN8,1.49,EACH\n"
    )

    stdout, _ = catalog_import(str(path), "--store", store.store_id, "--mapping", "Acme ERP", "--no-progress")

    job = ImportJob.objects.get()
    assert stdout == f"Import #{job.pk} applied: 1 rows — 1 new, 0 changed, 0 unchanged, 0 rejected, 0 with warnings.\n"
    assert job.profile == profile
    product = Product.objects.get()
    assert (product.sku, product.name, product.unit) == ("SKU-1", "Cola", "each")
    assert list(product.barcodes.values_list("value", flat=True)) == ["036000291452", "96385074"]


def test_progress_bar_goes_to_stderr_and_leaves_stdout_unchanged(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA, WATER])

    stdout, stderr = catalog_import(str(path), "--store", store.store_id)

    job = ImportJob.objects.get()
    assert stdout == f"Import #{job.pk} applied: 2 rows — 2 new, 0 changed, 0 unchanged, 0 rejected, 0 with warnings.\n"
    assert stderr != ""
    assert Product.objects.count() == 2
