"""Reading catalog files: encodings, delimiters, spreadsheets, and the files we refuse."""

import shutil
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from catalog.importing.readers import CsvReader, FileRefused, XlsxReader, open_table
from catalog.models import Barcode, ImportRowError, ImportStatus, Product, Store
from tests.catalog.helpers import AMAZON_HEADER, run_import, write_csv

COLA = ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "", "1.49", "Acme", "Beverages"]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Beverages"]


def read_all(path: Path, *, delimiter: str = "") -> tuple[list[str], list[list[str]]]:
    reader = open_table(path, delimiter=delimiter)
    try:
        return reader.headers, list(reader.rows())
    finally:
        reader.close()


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


# --- CSV encodings -------------------------------------------------------------------------------


def test_utf8_file_reads_headers_and_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["SKU-1", "Café Crème"]], header=["item_sku", "item_name"])

    reader = open_table(path)
    headers, rows = reader.headers, list(reader.rows())
    reader.close()

    assert isinstance(reader, CsvReader)
    assert (reader.encoding, reader.delimiter) == ("utf-8-sig", ",")
    assert headers == ["item_sku", "item_name"]
    assert rows == [["SKU-1", "Café Crème"]]


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["SKU-1", "Crème"]], header=["item_sku", "item_name"], encoding="utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"

    headers, rows = read_all(path)

    assert headers == ["item_sku", "item_name"]
    assert rows == [["SKU-1", "Crème"]]


def test_cp1252_file_reads_accented_names(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", [["SKU-1", "Crème Brûlée™ Duo"]], header=["item_sku", "item_name"], encoding="cp1252"
    )
    assert b"\xe8" in path.read_bytes()  # è as one Windows-1252 byte, not UTF-8

    reader = open_table(path)
    rows = list(reader.rows())
    reader.close()

    assert reader.encoding == "cp1252"
    assert rows == [["SKU-1", "Crème Brûlée™ Duo"]]


def test_file_neither_utf8_nor_cp1252_is_refused_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"item_sku,item_name\nS1,\x81\x8d\n")  # 0x81 and 0x8D are undefined in Windows-1252

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == (
        "The file is neither UTF-8 nor Windows-1252 text (byte 22 cannot be read). Export it as CSV UTF-8."
    )


def test_undecodable_byte_after_the_first_megabyte_is_reported_at_its_file_offset(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    body = b"item_sku,item_name\n" + b"S1,abc\n" * 200_000
    path.write_bytes(body + b"S2,\x81\n")
    offset = len(body) + 3

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == (
        f"The file is neither UTF-8 nor Windows-1252 text (byte {offset} cannot be read). Export it as CSV UTF-8."
    )


# --- CSV delimiters and shapes -------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected_from_the_header_line(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        delimiter.join(["item_sku", "item_name", "price"]) + "\n" + delimiter.join(["S1", "Cola", "1,49"]) + "\n"
    )

    reader = open_table(path)
    headers, rows = reader.headers, list(reader.rows())
    reader.close()

    assert isinstance(reader, CsvReader)
    assert reader.delimiter == delimiter
    assert headers == ["item_sku", "item_name", "price"]
    expected_price = ["1", "49"] if delimiter == "," else ["1,49"]
    assert rows == [["S1", "Cola", *expected_price]]


def test_given_delimiter_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name;size;colour,sku\nCola;330ml;red,S1\n")

    assert read_all(path) == (["name", "size", "colour,sku"], [["Cola", "330ml", "red,S1"]])
    assert read_all(path, delimiter=",") == (["name;size;colour", "sku"], [["Cola;330ml;red", "S1"]])


def test_headers_are_stripped_of_surrounding_spaces(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("  item_sku , item_name\nS1, Cola \n")

    assert read_all(path) == (["item_sku", "item_name"], [["S1", " Cola "]])


def test_header_only_file_has_headers_and_no_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [])

    assert read_all(path) == (AMAZON_HEADER, [])


def test_rows_with_fewer_cells_than_the_header_are_returned_as_read(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b,c\n1,2\n3\n4,5,6\n")

    assert read_all(path) == (["a", "b", "c"], [["1", "2"], ["3"], ["4", "5", "6"]])


def test_blank_rows_in_the_middle_are_returned_empty(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a;b;c\n1;2;3\n\n;;\n4;5;6\n")

    assert read_all(path) == (["a", "b", "c"], [["1", "2", "3"], [], ["", "", ""], ["4", "5", "6"]])


def test_long_cell_within_the_field_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1," + "x" * 5_000 + "\n")

    _, rows = read_all(path)

    assert rows == [["1", "x" * 5_000]]


def test_cell_over_the_csv_field_limit_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 200_000 + "\n")
    reader = open_table(path)

    with pytest.raises(
        FileRefused, match=r"^The CSV is malformed near line \d+: field larger than field limit \(100000\)\.$"
    ):
        list(reader.rows())
    reader.close()


def test_malformed_csv_message_names_the_line_as_counted_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 200_000 + "\n")  # the long cell is on line 3
    reader = open_table(path)

    with pytest.raises(FileRefused) as refused:
        list(reader.rows())
    reader.close()

    assert str(refused.value) == "The CSV is malformed near line 3: field larger than field limit (100000)."


def test_csv_progress_is_complete_after_the_last_row(tmp_path: Path) -> None:
    reader = open_table(write_csv(tmp_path / "c.csv", [COLA, WATER]))

    list(reader.rows())
    progress = reader.progress()
    reader.close()

    assert progress == 1.0


# --- Refused files -------------------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"")

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == "The file is empty: the first line must name the columns."


def test_file_starting_with_a_blank_line_is_refused_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("\n \nitem_sku,item_name\n")

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == "The file is empty: the first line must name the columns."


def test_old_excel_xls_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == "This is an old Excel .xls file: save it as .xlsx or CSV and upload again."


def test_corrupt_zip_named_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"not really a zip archive" * 10)

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == "The file is not a readable XLSX/XLSM workbook (File is not a zip file)."


def test_workbook_with_empty_first_sheet_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "catalog.xlsx", [])

    with pytest.raises(FileRefused) as refused:
        open_table(path)

    assert str(refused.value) == "The first worksheet is empty: its first row must name the columns."


# --- XLSX / XLSM ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_spreadsheet_numbers_read_back_as_the_text_the_erp_meant(tmp_path: Path, suffix: str) -> None:
    path = write_xlsx(
        tmp_path / f"catalog{suffix}",
        [
            [" item_sku ", "external_product_id", "standard_price", "brand_name", "flag"],
            ["SKU-1", 4006381333931, 1.5, None, True],
            ["SKU-2", 96385074.0, 12.0, "Acme", False],
        ],
    )

    reader = open_table(path)
    headers, rows = reader.headers, list(reader.rows())
    reader.close()

    assert isinstance(reader, XlsxReader)
    assert reader.encoding == "xlsx"
    assert headers == ["item_sku", "external_product_id", "standard_price", "brand_name", "flag"]
    assert rows == [
        ["SKU-1", "4006381333931", "1.5", "", "TRUE"],
        ["SKU-2", "96385074", "12", "Acme", "FALSE"],
    ]


def test_spreadsheet_blank_rows_in_the_middle_are_returned_empty(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "catalog.xlsx", [["a", "b"], ["1", "2"], [None, None], ["3", "4"]])

    assert read_all(path) == (["a", "b"], [["1", "2"], ["", ""], ["3", "4"]])


def test_header_only_workbook_has_headers_and_no_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "catalog.xlsx", [AMAZON_HEADER])

    assert read_all(path) == (AMAZON_HEADER, [])


def test_workbook_renamed_to_csv_still_opens_by_its_content(tmp_path: Path) -> None:
    original = write_xlsx(tmp_path / "catalog.xlsx", [["item_sku", "item_name"], ["SKU-1", "Cola"]])
    renamed = tmp_path / "catalog.csv"
    shutil.copy(original, renamed)

    assert read_all(renamed) == (["item_sku", "item_name"], [["SKU-1", "Cola"]])


def test_spreadsheet_progress_is_complete_after_the_last_row(tmp_path: Path) -> None:
    reader = open_table(write_xlsx(tmp_path / "catalog.xlsx", [["a"], ["1"], ["2"], ["3"]]))

    list(reader.rows())
    progress = reader.progress()
    reader.close()

    assert progress == 1.0


# --- Through an import ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_cp1252_import_keeps_the_accented_name_and_warns(store: Store, tmp_path: Path) -> None:
    fancy = ["SKU-7", "Crème Brûlée™ Duo", "4000000000037", "", "", "3.50", "", ""]

    job = run_import(store, write_csv(tmp_path / "c.csv", [fancy], encoding="cp1252"))

    assert (job.status, job.rows_total, job.rows_new, job.rows_warned) == ("applied", 1, 1, 1)
    product = Product.objects.get()
    assert (product.name, product.suggested_name) == ("Crème Brûlée™ Duo", "Creme Brulee Duo")


@pytest.mark.django_db
def test_xlsx_import_stores_numeric_barcode_and_price_exactly(store: Store, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "catalog.xlsx",
        [AMAZON_HEADER, ["SKU-1", "Acme Cola 330ml", 4006381333931, "EAN", None, 1.5, "Acme", "Beverages"]],
    )

    job = run_import(store, path)

    assert (job.status, job.rows_total, job.rows_new, job.rows_rejected) == ("applied", 1, 1, 0)
    product = Product.objects.get()
    assert product.price == Decimal("1.500")
    assert list(product.barcodes.values_list("value", "type")) == [("4006381333931", "EAN")]


@pytest.mark.django_db
def test_blank_rows_are_skipped_and_not_counted_but_keep_line_numbers(store: Store, tmp_path: Path) -> None:
    bad_check = ["SKU-9", "Bad Barcode Soda", "036000291453", "UPC", "", "1.00", "", ""]
    path = write_csv(tmp_path / "c.csv", [COLA, [], [""] * 8, WATER, bad_check])

    job = run_import(store, path)

    assert (job.rows_total, job.rows_new, job.rows_rejected) == (3, 2, 1)
    assert list(ImportRowError.objects.filter(job=job).values_list("row_number", "sku")) == [(6, "SKU-9")]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["SKU-1", "SKU-2"]


@pytest.mark.django_db
def test_file_in_unknown_encoding_is_refused_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [COLA])
    path.write_bytes(path.read_bytes().replace(b"Acme Cola", b"Acme \x81\x8d Cola"))

    job = run_import(store, path)

    assert job.status == ImportStatus.REFUSED
    assert job.message.startswith("The file is neither UTF-8 nor Windows-1252 text (byte ")
    assert (Product.objects.count(), Barcode.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_oversized_cell_refuses_the_import_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    huge = [*WATER]
    huge[7] = "x" * 200_000
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA, huge]))

    assert job.status == ImportStatus.REFUSED
    assert job.message.endswith(": field larger than field limit (100000).")
    assert (Product.objects.count(), Barcode.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_old_xls_upload_is_refused_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "catalog.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)

    job = run_import(store, path)

    assert (job.status, job.message) == (
        "refused",
        "This is an old Excel .xls file: save it as .xlsx or CSV and upload again.",
    )
    assert Product.objects.count() == 0
