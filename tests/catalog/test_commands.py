"""The catalog_import and demo_seed management commands, run as an operator would."""

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from catalog.demo import ERP_COLUMNS, ERP_PROFILE_NAME
from catalog.models import Barcode, ImportJob, ImportRowError, ImportStatus, MappingProfile, Product, Store
from entry.models import Shopper
from jwo_admin.core.connector_keys import connector_key_verify
from jwo_admin.core.models import ConnectorKey
from tests.catalog.helpers import run_import, write_csv

pytestmark = pytest.mark.django_db

COLA = ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "4006381333931:EAN", "1.49", "Acme", "Beverages"]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Beverages"]
BAD_CHECK = ["SKU-9", "Bad Barcode Soda", "036000291453", "UPC", "", "1.00", "", ""]


def catalog_import(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("catalog_import", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def demo_seed(*args: str) -> str:
    stdout, stderr = StringIO(), StringIO()
    call_command("demo_seed", "--products", "200", *args, stdout=stdout, stderr=stderr)
    assert stderr.getvalue() == ""
    return stdout.getvalue()


def printed_password(output: str) -> str:
    passwords = set(re.findall(r"^Staff login: \S+ / (\S+) \(", output, flags=re.MULTILINE))
    assert len(passwords) == 1
    return passwords.pop()


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
        "ITEM_NO,DESCRIPTION,EAN,ALT_BARCODES,RETAIL_PRICE,UOM\nSKU-1,Cola,036000291452,96385074,1.49,EACH\n"
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


# --- demo_seed -----------------------------------------------------------------------------------


@pytest.fixture
def var_dir(tmp_path: Path, settings: Any) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path / "var"


def test_demo_seed_creates_stores_products_profile_staff_and_sample(var_dir: Path) -> None:
    output = demo_seed()

    password = printed_password(output)
    key = output.split("Connector key (shown once): ")[1].split()[0]
    sample = var_dir / "demo" / "sample-import.csv"
    assert output.splitlines() == [
        "Demo store DEMO-STORE-001: 200 catalog rows imported (200 new, 0 unchanged). "
        f"Sample file to import: {sample} (mapping “Demo ERP”).",
        "Pricing: tax rates for both stores and 6 promotions, one of each kind.",
        f"Staff login: admin / {password} (Admin)",
        f"Staff login: catalog / {password} (Catalog manager)",
        f"Staff login: store / {password} (Store manager)",
        f"Staff login: viewer / {password} (Viewer)",
        f"Shopper page /shop/: alex@example.com / {password} (also sam@example.com, jo@example.com, "
        "cash@example.com, blocked@example.com, nocard@example.com)",
        f"Connector key (shown once): {key}",
        f"Try the gate: export JWO_CONNECTOR_KEY={key}; "
        "python manage.py identity_key cust-demo-001 --store DEMO-STORE-001",
    ]
    assert connector_key_verify(key) is not None
    assert list(Shopper.objects.order_by("external_id").values_list("external_id", "visitor_type", "status")) == [
        ("assoc-demo-001", "ASSOCIATE", "active"),
        ("cash-demo-001", "CASH_SHOPPER", "active"),
        ("cust-demo-001", "SHOPPER", "active"),
        ("cust-demo-002", "SHOPPER", "active"),
        ("cust-demo-blocked", "SHOPPER", "blocked"),
        ("cust-demo-nocard", "SHOPPER", "active"),
    ]
    assert list(Store.objects.order_by("store_id").values_list("store_id", "currency")) == [
        ("DEMO-STORE-001", "USD"),
        ("DEMO-STORE-002", "EUR"),
    ]
    assert Product.objects.filter(store__store_id="DEMO-STORE-001").count() == 200
    assert Product.objects.filter(store__store_id="DEMO-STORE-002").count() == 0
    assert MappingProfile.objects.get(name=ERP_PROFILE_NAME).columns == ERP_COLUMNS
    assert sorted(User.objects.values_list("username", flat=True)) == ["admin", "catalog", "store", "viewer"]


def test_demo_staff_log_in_with_the_printed_password_in_their_role(var_dir: Path) -> None:
    password = printed_password(demo_seed())

    roles = {}
    for username in ("admin", "catalog", "store", "viewer"):
        user = authenticate(username=username, password=password)
        assert isinstance(user, User)
        roles[username] = (list(user.groups.values_list("name", flat=True)), user.is_staff)
    assert authenticate(username="admin", password=password + "x") is None
    assert roles == {
        "admin": (["Admin"], True),
        "catalog": (["Catalog manager"], False),
        "store": (["Store manager"], False),
        "viewer": (["Viewer"], False),
    }


def test_demo_seed_run_twice_keeps_one_active_demo_connector_key(var_dir: Path) -> None:
    first = demo_seed().split("Connector key (shown once): ")[1].split()[0]
    second = demo_seed().split("Connector key (shown once): ")[1].split()[0]

    assert connector_key_verify(first) is None
    assert connector_key_verify(second) is not None
    assert ConnectorKey.objects.filter(revoked_at__isnull=True).count() == 1
    assert Shopper.objects.count() == 6


def test_demo_seed_uses_a_given_password(var_dir: Path) -> None:
    output = demo_seed("--password", "demo-pass-1234")

    assert printed_password(output) == "demo-pass-1234"
    assert isinstance(authenticate(username="viewer", password="demo-pass-1234"), User)


def test_demo_sample_file_has_the_expected_problem_rows(var_dir: Path) -> None:
    demo_seed()
    store = Store.objects.get(store_id="DEMO-STORE-001")
    profile = MappingProfile.objects.get(name=ERP_PROFILE_NAME)

    job = run_import(store, var_dir / "demo" / "sample-import.csv", dry_run=True, profile=profile)

    assert (job.status, job.rows_total, job.rows_new, job.rows_rejected, job.rows_warned) == (
        ImportStatus.PREVIEWED,
        26,
        21,
        5,
        1,
    )
    problems = list(ImportRowError.objects.filter(job=job).values_list("row_number", "sku", "field", "is_warning"))
    assert problems == [
        (22, "SKU0000221", "external_product_id", False),
        (23, "SKU0000222", "item_name", False),
        (24, "SKU0000223", "standard_price", False),
        (25, "SKU0000224", "product_category", False),
        (26, "SKU0000225", "", True),
        (27, "SKU0000226", "external_product_id", False),
    ]
    assert Product.objects.count() == 200


def test_demo_seed_twice_keeps_the_same_counts_and_renews_the_password(var_dir: Path) -> None:
    first = printed_password(demo_seed())
    products = list(Product.objects.order_by("id").values_list("id", "sku", "amazon_fingerprint"))

    output = demo_seed()

    second = printed_password(output)
    assert output.splitlines()[0] == (
        "Demo store DEMO-STORE-001: 200 catalog rows imported (0 new, 200 unchanged). "
        f"Sample file to import: {var_dir / 'demo' / 'sample-import.csv'} (mapping “Demo ERP”)."
    )
    assert (Store.objects.count(), User.objects.count()) == (2, 4)
    assert MappingProfile.objects.filter(name=ERP_PROFILE_NAME).count() == 1
    assert list(Product.objects.order_by("id").values_list("id", "sku", "amazon_fingerprint")) == products
    assert ImportJob.objects.filter(status=ImportStatus.APPLIED).count() == 2
    assert second != first
    assert isinstance(authenticate(username="catalog", password=second), User)
    assert authenticate(username="catalog", password=first) is None
