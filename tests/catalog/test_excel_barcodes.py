"""A catalog as Excel leaves it: barcodes typed as numbers lose their leading zeros, prices carry a
double's binary noise, and a 12-digit UPC that became 10 digits can pass an ISBN-10 check. From a
workbook's number cells the codes come back as printed on the package, each with a warning; from
a CSV (text: no way to know) the row is refused with the code it probably was."""

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from catalog.models import Barcode, ImportRowError, Product, Store
from tests.catalog.helpers import AMAZON_HEADER, run_import, write_csv

pytestmark = pytest.mark.django_db

# As printed: 001000000052 (whose remaining 10 digits pass an ISBN-10 check), 012345678905,
# 000012345670 (whose remaining 8 pass for an EAN-8). As Excel keeps them: numbers.
ROWS = [
    ["SKU-1", "Book-shaped UPC", 1000000052, "", "", 4.680000000000001, "Acme", "Snacks"],
    ["SKU-2", "Cola", 12345678905, "UPC", "", 1.99, "Acme", "Drinks"],
    ["SKU-3", "Gum", 12345670, "", "", 0.3, "Acme", "Candy"],
    ["SKU-4", "Chips", "4006381333931", "", "", 2.5, "Acme", "Snacks"],  # a text cell: as typed
]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(AMAZON_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_number_cells_get_their_leading_zeros_back_with_a_warning(store: Store, tmp_path: Path) -> None:
    job = run_import(store, write_xlsx(tmp_path / "erp.xlsx", ROWS))

    assert (job.status, job.rows_new, job.rows_rejected, job.rows_warned) == ("applied", 4, 0, 3)
    assert list(Barcode.objects.order_by("product__sku").values_list("product__sku", "value", "type", "match_key")) == [
        ("SKU-1", "001000000052", "UPC", "00001000000052"),
        ("SKU-2", "012345678905", "UPC", "00012345678905"),
        ("SKU-3", "000012345670", "UPC", "00000012345670"),
        ("SKU-4", "4006381333931", "EAN", "04006381333931"),
    ]
    assert list(
        ImportRowError.objects.filter(job=job, is_warning=True).order_by("row_number").values_list("sku", "message")
    ) == [
        (
            "SKU-1",
            "barcode 1000000052 lost its leading zeros in the spreadsheet (a number cell); restored as 001000000052",
        ),
        (
            "SKU-2",
            "barcode 12345678905 lost its leading zeros in the spreadsheet (a number cell); restored as 012345678905",
        ),
        (
            "SKU-3",
            "barcode 12345670 lost its leading zeros in the spreadsheet (a number cell); restored as 000012345670",
        ),
    ]
    # 4.680000000000001 in the cell is the 4.68 the ERP meant
    assert Product.objects.get(sku="SKU-1").price == Decimal("4.68")


def test_the_same_codes_as_csv_text_are_refused_with_the_code_they_probably_were(store: Store, tmp_path: Path) -> None:
    rows = [[str(cell) for cell in row] for row in ROWS]
    rows[0][5] = "4.68"

    job = run_import(store, write_csv(tmp_path / "erp.csv", rows))

    assert (job.status, job.rows_new, job.rows_rejected) == ("applied", 1, 3)
    assert list(
        ImportRowError.objects.filter(job=job, is_warning=False).order_by("row_number").values_list("sku", "message")
    ) == [
        (
            "SKU-1",
            "10-digit barcode 1000000052: leading zeros were probably lost (Excel): did you mean 001000000052? "
            "(if it really is a book's ISBN-10, declare its type)",
        ),
        (
            "SKU-2",
            "11-digit barcode 12345678905: leading zeros were probably lost (Excel): did you mean 012345678905?",
        ),
        (
            "SKU-3",
            "8-digit barcode 12345670: leading zeros were probably lost (Excel): did you mean 000012345670? "
            "(if it really is an EAN-8 as printed on the package, declare its type)",
        ),
    ]
    assert list(Product.objects.values_list("sku", flat=True)) == ["SKU-4"]
