"""Column mapping: finding our fields in a retailer's header row and reading them from each row."""

from decimal import Decimal
from pathlib import Path

import pytest

from catalog.importing.mapping import (
    AMAZON_COLUMNS,
    ColumnMap,
    MappedRow,
    ProfileSpec,
    file_column_label,
    file_column_labels,
)
from catalog.importing.readers import FileRefused
from catalog.models import ImportRowError, ImportStatus, MappingProfile, Product, Store
from tests.catalog.helpers import AMAZON_HEADER, run_import

ERP = {"sku": "Item No", "name": "Description", "barcode": "EAN", "price": "Price", "unit": "UOM", "status": "State"}


def mapped(
    sku: str = "",
    name: str = "",
    barcodes: tuple[tuple[str, str | None], ...] = (("", None),),
    **fields: str,
) -> MappedRow:
    values = dict.fromkeys(("brand", "price", "tax_code", "category", "subcategory", "unit", "status"), "")
    values.update(fields)
    return MappedRow(sku=sku, name=name, barcodes=barcodes, **values)


def test_headers_match_our_columns_case_and_space_insensitively() -> None:
    columns = ColumnMap(["  ITEM   no ", "description", "ean", "PRICE"], ProfileSpec(columns=ERP))

    row = columns.map([" SKU-1 ", " Acme Cola ", " 036000291452 ", " 1.49 "])

    assert row == mapped("SKU-1", "Acme Cola", (("036000291452", None),), price="1.49")


def test_first_of_two_columns_with_the_same_header_is_used() -> None:
    columns = ColumnMap(["Item No", "Description", "EAN", "ean"], ProfileSpec(columns=ERP))

    row = columns.map(["SKU-1", "Cola", "036000291452", "4006381333931"])

    assert row.barcodes == (("036000291452", None),)


def test_amazon_field_names_map_every_field() -> None:
    header = [*AMAZON_HEADER, "product_tax_code", "product_subcategory", "unit", "status"]
    columns = ColumnMap(header, ProfileSpec.amazon())

    row = columns.map(
        [
            "SKU-1",
            "Acme Cola 330ml",
            "036000291452",
            "UPC",
            "4006381333931:EAN|96385074",
            "1.49",
            "Acme",
            "Beverages",
            "A_GEN_TAX",
            "Soda",
            "each",
            "active",
        ]
    )

    assert row == MappedRow(
        sku="SKU-1",
        name="Acme Cola 330ml",
        barcodes=(("036000291452", "UPC"), ("4006381333931", "EAN"), ("96385074", None)),
        brand="Acme",
        price="1.49",
        tax_code="A_GEN_TAX",
        category="Beverages",
        subcategory="Soda",
        unit="each",
        status="active",
    )


def test_optional_columns_absent_from_the_file_read_as_blank() -> None:
    columns = ColumnMap(["item_sku", "item_name", "external_product_id"], ProfileSpec.amazon())

    row = columns.map(["SKU-1", "Cola", "036000291452"])

    assert row == mapped("SKU-1", "Cola", (("036000291452", None),))


def test_missing_required_columns_are_named_with_what_the_file_has() -> None:
    with pytest.raises(FileRefused) as refused:
        ColumnMap(["item_sku", "title", "", "price"], ProfileSpec.amazon())

    assert str(refused.value) == (
        "Required columns are missing: item_name (Name); external_product_id (Primary barcode). "
        "Columns found: item_sku, title, price."
    )


def test_required_field_left_out_of_the_profile_is_named_by_its_label() -> None:
    with pytest.raises(FileRefused) as refused:
        ColumnMap(["Item No", "Description"], ProfileSpec(columns={"sku": "Item No", "name": "Description"}))

    assert str(refused.value) == "Required columns are missing: Primary barcode. Columns found: Item No, Description."


def test_required_field_mapped_to_a_blank_column_name_is_reported_missing() -> None:
    spec = ProfileSpec(columns={"sku": "Item No", "name": "Description", "barcode": ""})

    with pytest.raises(FileRefused) as refused:
        ColumnMap(["Item No", "Description"], spec)

    assert str(refused.value) == "Required columns are missing: Primary barcode. Columns found: Item No, Description."


def test_file_without_any_named_column_says_none_were_found() -> None:
    with pytest.raises(FileRefused) as refused:
        ColumnMap(["", "", ""], ProfileSpec(columns=ERP))

    assert str(refused.value) == (
        "Required columns are missing: Item No (SKU); Description (Name); EAN (Primary barcode). Columns found: none."
    )


def test_list_column_gives_additional_barcodes_with_declared_types() -> None:
    columns = ColumnMap(AMAZON_HEADER, ProfileSpec.amazon())

    row = columns.map(
        ["SKU-1", "Cola", "036000291452", "UPC", " 4006381333931:EAN | 96385074 || 0036000291452 : GTIN |", "", "", ""]
    )

    assert row.barcodes == (
        ("036000291452", "UPC"),
        ("4006381333931", "EAN"),
        ("96385074", None),
        ("0036000291452", "GTIN"),
    )


def test_list_column_uses_the_profile_separator() -> None:
    spec = ProfileSpec(columns={**ERP, "additional_barcodes": "Alt"}, list_separator=";")
    columns = ColumnMap(["Item No", "Description", "EAN", "Alt"], spec)

    row = columns.map(["SKU-1", "Cola", "036000291452", "4006381333931:EAN;96385074|x"])

    assert row.barcodes == (("036000291452", None), ("4006381333931", "EAN"), ("96385074|x", None))


def test_extra_barcode_columns_each_add_one_barcode_in_profile_order() -> None:
    spec = ProfileSpec(columns=ERP, additional_barcode_columns=("EAN 3", "ean_2", "Not In File"))
    columns = ColumnMap(["Item No", "Description", "EAN", "EAN_2", "ean   3"], spec)

    row = columns.map(["SKU-1", "Cola", "036000291452", " 96385074 ", "4006381333931:EAN"])
    blank = columns.map(["SKU-2", "Water", "4000000000013", "", " "])

    assert row.barcodes == (("036000291452", None), ("4006381333931", "EAN"), ("96385074", None))
    assert blank.barcodes == (("4000000000013", None),)


def test_decimal_comma_prices_become_decimal_points() -> None:
    header = ["Item No", "Description", "EAN", "Price"]
    comma = ColumnMap(header, ProfileSpec(columns=ERP, decimal_comma=True))
    point = ColumnMap(header, ProfileSpec(columns=ERP))

    assert comma.map(["S1", "Cola", "036000291452", "1,49"]).price == "1.49"
    assert comma.map(["S1", "Cola", "036000291452", ""]).price == ""
    assert point.map(["S1", "Cola", "036000291452", "1,49"]).price == "1,49"


def test_status_and_unit_are_read_in_lower_case() -> None:
    columns = ColumnMap(["Item No", "Description", "EAN", "UOM", "State"], ProfileSpec(columns=ERP))

    row = columns.map(["SKU-1", "Bananas", "4011", " KG ", "Archived"])

    assert (row.unit, row.status) == ("kg", "archived")


def test_row_with_fewer_cells_than_the_header_reads_missing_cells_as_blank() -> None:
    columns = ColumnMap(["Item No", "Description", "EAN", "Price", "UOM"], ProfileSpec(columns=ERP))

    assert columns.map(["SKU-1", "Cola"]) == mapped("SKU-1", "Cola")
    assert columns.map([]) == mapped()


def test_profile_spec_reads_a_profile_and_defaults_a_blank_separator() -> None:
    profile = MappingProfile(
        name="ERP",
        columns=ERP,
        additional_barcode_columns=["EAN_2"],
        list_separator="",
        csv_delimiter=";",
        decimal_comma=True,
    )

    assert ProfileSpec.from_model(profile) == ProfileSpec(
        columns=ERP, additional_barcode_columns=("EAN_2",), list_separator="|", csv_delimiter=";", decimal_comma=True
    )


@pytest.mark.django_db
def test_builtin_profile_reads_amazon_field_names(amazon_profile: MappingProfile) -> None:
    assert ProfileSpec.from_model(amazon_profile) == ProfileSpec.amazon()
    assert amazon_profile.columns == AMAZON_COLUMNS


@pytest.mark.django_db
def test_semicolon_decimal_comma_file_imports_through_its_profile(store: Store, tmp_path: Path) -> None:
    profile = MappingProfile.objects.create(
        name="German ERP", columns=ERP, additional_barcode_columns=["EAN 2"], decimal_comma=True
    )
    path = tmp_path / "export.csv"
    path.write_text(
        "Item No;Description;EAN;EAN 2;Price;UOM;State\n"
        "SKU-1;Acme Cola 330ml;036000291452;4006381333931;1,49;EACH;Active\n"
        "SKU-2;Bananas (loose);4011;;0,69;KG;Archived\n"
        "SKU-3;Old Soda;4000000000013;;2,00;crate;gone\n",
        encoding="cp1252",
    )

    job = run_import(store, path, profile=profile)

    assert (job.status, job.rows_total, job.rows_new, job.rows_rejected) == ("applied", 3, 2, 1)
    assert list(Product.objects.order_by("sku").values_list("sku", "price", "unit", "status")) == [
        ("SKU-1", Decimal("1.490"), "each", "active"),
        ("SKU-2", Decimal("0.690"), "kg", "archived"),
    ]
    assert list(Product.objects.get(sku="SKU-1").barcodes.values_list("value", "type")) == [
        ("036000291452", "UPC"),
        ("4006381333931", "EAN"),
    ]
    assert list(ImportRowError.objects.filter(job=job).values_list("row_number", "field", "message")) == [
        (4, "status", "status must be active or archived, not 'gone'."),
        (4, "unit", "unit must be one of each, g, kg, l, lb, oz, not 'crate'."),
    ]


@pytest.mark.django_db
def test_file_missing_profile_columns_is_refused_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    profile = MappingProfile.objects.create(name="ERP", columns=ERP)
    path = tmp_path / "export.csv"
    path.write_text("Item No,Title,EAN\nSKU-1,Cola,036000291452\n")

    job = run_import(store, path, profile=profile)

    assert (job.status, job.message) == (
        ImportStatus.REFUSED,
        "Required columns are missing: Description (Name). Columns found: Item No, Title, EAN.",
    )
    assert Product.objects.count() == 0


def test_labels_put_the_files_own_column_spelling_beside_amazons_field() -> None:
    columns = {**ERP, "additional_barcodes": "More EANs"}
    headers = ["ITEM NO", "Description", "ean", "Price", "UOM", "State", "More EANs"]

    labels = file_column_labels(columns=columns, headers=headers)

    assert file_column_label("external_product_id", labels) == "ean (external_product_id)"
    assert file_column_label("item_sku", labels) == "ITEM NO (item_sku)"
    assert file_column_label("unit", labels) == "UOM (unit)"
    assert (
        file_column_label("additional_external_product_information[1]", labels)
        == "More EANs (additional_external_product_information[1])"
    )
    assert file_column_label("brand_name", labels) == "brand_name"


def test_amazon_named_columns_are_shown_once() -> None:
    labels = file_column_labels(columns=dict(AMAZON_COLUMNS), headers=AMAZON_HEADER)

    assert labels == {}
    assert file_column_label("external_product_id", labels) == "external_product_id"
