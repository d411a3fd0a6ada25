"""Malformed import files: each gets a clear refusal or a row-level report, never a crash (a
FAILED job) and never a partial write. Named cases first, then generated files (hypothesis, fixed
seed; ``make fuzz`` runs more of them)."""

import csv
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from catalog.barcodes import parse_barcode
from catalog.demo import ean13
from catalog.models import Barcode, ImportJob, ImportRowError, ImportStatus, Product, Store
from tests.catalog.helpers import AMAZON_HEADER, run_import, write_csv

pytestmark = pytest.mark.fuzz

EXAMPLES = max(60, int(os.environ.get("JWO_FUZZ_EXAMPLES", "300")) // 3)
GOOD = ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "", "1.49", "Acme", "Beverages"]


def counts() -> tuple[int, int]:
    return Product.objects.count(), Barcode.objects.count()


def import_bytes(store: Store, tmp_path: Path, name: str, content: bytes) -> ImportJob:
    path = tmp_path / name
    path.write_bytes(content)
    return run_import(store, path)


def assert_refused_and_nothing_written(job: ImportJob, before: tuple[int, int], words: str) -> None:
    assert job.status == ImportStatus.REFUSED, (job.status, job.message)
    assert words in job.message
    assert counts() == before


def csv_bytes(rows: list[list[str]], header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header or AMAZON_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("utf16.csv", csv_bytes([GOOD], encoding="utf-16"), "UTF-16 or UTF-32"),
        ("utf16be.csv", "\ufeffitem_sku,item_name\n".encode("utf-16-be"), "UTF-16 or UTF-32"),
        ("undefined-cp1252.csv", b"item_sku,item_name\nSKU-1,Caf\x81\n", "neither UTF-8 nor Windows-1252"),
        ("empty.csv", b"", "empty"),
        ("bom-only.csv", b"\xef\xbb\xbf", "empty"),
        ("blank-lines.csv", b"\n\n\n", "empty"),
        ("header-only.csv", csv_bytes([]), "no product rows"),
        ("missing-columns.csv", b"sku,description\nSKU-1,Cola\n", "Required columns are missing"),
        ("nul.csv", csv_bytes([GOOD]) + b"SKU-2,Nul\x00Cola,4000000000013,,,1.00,,\n", "NUL character"),
        ("huge-cell.csv", csv_bytes([[*GOOD[:1], "x" * 200_000, *GOOD[2:]]]), "malformed"),
        ("unclosed-quote.csv", csv_bytes([GOOD]) + b'SKU-2,"never closed' + b"y" * 150_000, "malformed"),
        ("no-newline.csv", b"item_sku," + b"a" * (1 << 20) + b"\n", "first line is over"),
        ("old-excel.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old Excel .xls"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "not a readable XLSX"),
        ("png.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "NUL character"),
        ("nul-header.csv", b"item_sku\x00,item_name\n", "NUL character"),
    ],
)
def test_a_malformed_csv_is_refused_in_plain_words_and_writes_nothing(
    store: Store, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    before = counts()
    job = import_bytes(store, tmp_path, name, content)
    assert_refused_and_nothing_written(job, before, words)


@pytest.mark.django_db
def test_a_million_empty_rows_are_refused_as_a_file_with_no_products(store: Store, tmp_path: Path) -> None:
    content = csv_bytes([]) + b",,,,,,,\n" * 1_000_000
    before = counts()
    job = import_bytes(store, tmp_path, "empty-rows.csv", content)
    assert_refused_and_nothing_written(job, before, "no product rows")
    assert job.rows_total == 0


def workbook_bytes(rows: list[list[Any]], *, empty_rows: int = 0) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(AMAZON_HEADER)
    for row in rows:
        sheet.append(row)
    if empty_rows:
        sheet.cell(row=len(rows) + 1 + empty_rows, column=1, value=None).number_format = "0"  # a styled, empty cell
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_workbook_whose_sheet_runs_a_million_rows_down_but_holds_none_is_refused(
    store: Store, tmp_path: Path
) -> None:
    before = counts()
    job = import_bytes(store, tmp_path, "tall.xlsx", workbook_bytes([], empty_rows=1_000_000))
    assert_refused_and_nothing_written(job, before, "no product rows")


@pytest.mark.django_db
def test_a_workbook_that_is_a_zip_of_something_else_is_refused(store: Store, tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    before = counts()
    job = import_bytes(store, tmp_path, "other.xlsx", out.getvalue())
    assert_refused_and_nothing_written(job, before, "not a readable XLSX")


@pytest.mark.django_db
def test_formulas_are_data_rejected_or_kept_as_text_and_neutralised_in_the_report(
    store: Store, tmp_path: Path, client: Any, catalog_manager: Any
) -> None:
    rows = [
        ["=1+1", "Formula SKU", "4000000000013", "", "", "1.00", "", ""],
        ["SKU-2", '=HYPERLINK("http://x.test","Click")', "4000000000020", "", "", "1.00", "", ""],
        ["SKU-3", "Plain", "4000000000037", "", "", "+1.00", "@brand", ""],
    ]
    job = run_import(store, write_csv(tmp_path / "formulas.csv", rows))

    assert (job.status, job.rows_new, job.rows_rejected) == (ImportStatus.APPLIED, 1, 2)
    assert list(Product.objects.values_list("sku", "name")) == [("SKU-2", '=HYPERLINK("http://x.test","Click")')]
    rejected = set(ImportRowError.objects.filter(job=job, is_warning=False).values_list("sku", "field"))
    assert rejected == {("=1+1", "item_sku"), ("SKU-3", "standard_price")}
    client.force_login(catalog_manager)
    response = client.get(f"/catalog/imports/{job.pk}/problems.csv")
    report = b"".join(response.streaming_content).decode()
    assert "'=1+1" in report
    assert "\n=1+1" not in report
    assert ",=1+1" not in report


# --- Generated files ----------------------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(["", "SKU-1", "036000291452", "4006381333931", "96385074", "4011", "1.49", "UPC", "EAN", "kg"]),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300),
    st.sampled_from(["=1+1", "+1", "-1", "@SUM(A1)", '"', '""', "\r", "\n", "\t", "\\", ";", "|", "™®©"]),
    st.integers(min_value=0, max_value=20).map(lambda n: "9" * n),
)
HEADERS = st.one_of(
    st.just(AMAZON_HEADER),
    st.permutations(AMAZON_HEADER),
    st.lists(st.sampled_from([*AMAZON_HEADER, "", "x", "ITEM_NO"]), min_size=1, max_size=10),
)


@st.composite
def nearly_good_row(draw: st.DrawFn) -> list[str]:
    """A row Amazon would take (unique SKU, barcodes with check digits), some cells then spoilt."""
    number = draw(st.integers(min_value=1, max_value=999))
    extra = "|".join(ean13(number * 10 + index, prefix="50") for index in range(draw(st.integers(0, 3))))
    row = [f"SKU-{number}", f"Product {number}", ean13(number), "", extra, "1.49", "Acme", "Snacks"]
    return [draw(CELL) if draw(st.integers(0, 7)) == 0 else cell for cell in row]


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(HEADERS)
    row = st.one_of(nearly_good_row(), st.lists(CELL, min_size=0, max_size=len(header) + 2))
    rows = draw(st.lists(row, max_size=12))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):  # damage: cut it short, or splice in bytes
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:cut] + draw(st.binary(max_size=20)) + data[cut:]
    return data


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_generated(store: Store, tmp_path: Path, content: bytes) -> None:
    """One generated file: refused with nothing written, or applied exactly as its report says."""
    Barcode.objects.filter(store=store).delete()
    Product.objects.filter(store=store).delete()
    job = import_bytes(store, tmp_path, "generated.csv", content)

    assert job.status in (ImportStatus.APPLIED, ImportStatus.REFUSED), (job.status, job.message)
    event(f"{job.status}, {'some' if job.rows_new else 'no'} products")  # --hypothesis-show-statistics
    products = Product.objects.filter(store=store)
    if job.status == ImportStatus.REFUSED:
        assert job.message
        assert products.count() == 0
        return
    assert job.rows_total == job.rows_new + job.rows_changed + job.rows_unchanged + job.rows_rejected
    assert products.count() == job.rows_new
    rejected_rows = set(ImportRowError.objects.filter(job=job, is_warning=False).values_list("row_number", flat=True))
    assert len(rejected_rows) == job.rows_rejected
    for product in products.prefetch_related("barcodes"):
        barcodes = list(product.barcodes.all())
        assert barcodes, product.sku
        for barcode in barcodes:
            assert parse_barcode(barcode.value, barcode.type).match_key == barcode.match_key


@pytest.mark.django_db
@seed(20261202)
@FUZZ_SETTINGS
@given(content=csv_files())
def test_any_file_is_refused_or_applied_row_by_row_never_crashes_or_half_writes(
    store: Store, tmp_path: Path, content: bytes
) -> None:
    check_generated(store, tmp_path, content)


@pytest.mark.django_db(transaction=True)
@seed(20261203)
@FUZZ_SETTINGS
@given(content=csv_files())
def test_any_file_on_the_postgresql_fast_path_too(
    require_postgres: None, store: Store, tmp_path: Path, content: bytes
) -> None:
    """The COPY stream of an import run outside a transaction (as a worker runs it)."""
    check_generated(store, tmp_path, content)
