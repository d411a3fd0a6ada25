"""Column mapping: which column of the retailer's file holds which of our fields.

A profile names columns the retailer's way; headers match case- and space-insensitively. The
built-in "Amazon" profile reads files that already use Amazon's Upload Catalog field names.
"""

from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from catalog.barcodes import SpreadsheetNumber
from catalog.importing.readers import FileRefused

# Our field → what staff see. sku, name and barcode are required in every file.
FIELDS: dict[str, str] = {
    "sku": "SKU",
    "name": "Name",
    "barcode": "Primary barcode",
    "barcode_type": "Primary barcode type",
    "additional_barcodes": "Additional barcodes (one column, a list)",
    "brand": "Brand",
    "price": "Price",
    "tax_code": "Tax code",
    "category": "Category",
    "subcategory": "Subcategory",
    "unit": "Sold by (each, kg, lb…)",
    "status": "Status (active / archived)",
}
REQUIRED_FIELDS = ("sku", "name", "barcode")

AMAZON_PROFILE_NAME = "Amazon field names"
AMAZON_COLUMNS: dict[str, str] = {
    "sku": "item_sku",
    "name": "item_name",
    "barcode": "external_product_id",
    "barcode_type": "external_product_id_type",
    "additional_barcodes": "additional_external_product_information",
    "brand": "brand_name",
    "price": "standard_price",
    "tax_code": "product_tax_code",
    "category": "product_category",
    "subcategory": "product_subcategory",
    "unit": "unit",
    "status": "status",
}


def file_column_labels(*, columns: dict[str, str], headers: list[str]) -> dict[str, str]:
    """Amazon field name → what staff call it: the file's own column beside the field, e.g.
    ``EAN (external_product_id)``. Problems name Amazon's fields; staff look for their ERP's column.
    A column named like the field (the Amazon profile) is shown once."""
    spelled = {_key(header): header for header in headers if header}
    labels: dict[str, str] = {}
    for field, column in columns.items():
        amazon_field = AMAZON_COLUMNS.get(field)
        if not amazon_field or not column:
            continue
        in_file = spelled.get(_key(column), column)
        if _key(in_file) != _key(amazon_field):
            labels[amazon_field] = f"{in_file} ({amazon_field})"
    return labels


def file_column_label(field: str, labels: dict[str, str]) -> str:
    """The label of one problem's field; an additional barcode keeps its position:
    ``BARCODES (additional_external_product_information[1])``."""
    base, bracket, position = field.partition("[")
    label = labels.get(base)
    if label is None:
        return field
    return f"{label[: -len(base) - 1]}{field})" if bracket else label


def _key(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """The parts of a mapping profile the reader needs (a plain value, so it can be tested alone)."""

    columns: dict[str, str]
    additional_barcode_columns: tuple[str, ...] = ()
    list_separator: str = "|"
    csv_delimiter: str = ""
    decimal_comma: bool = False

    @classmethod
    def amazon(cls) -> "ProfileSpec":
        return cls(columns=dict(AMAZON_COLUMNS))

    @classmethod
    def from_model(cls, profile: Any) -> "ProfileSpec":
        return cls(
            columns=dict(profile.columns),
            additional_barcode_columns=tuple(profile.additional_barcode_columns or ()),
            list_separator=profile.list_separator or "|",
            csv_delimiter=profile.csv_delimiter,
            decimal_comma=profile.decimal_comma,
        )


class MappedRow(NamedTuple):
    """One row's values under our field names, still as text."""

    sku: str
    name: str
    barcodes: tuple[tuple[str, str | None], ...]
    brand: str
    price: str
    tax_code: str
    category: str
    subcategory: str
    unit: str
    status: str


class ColumnMap:
    """Positions of our fields in one file's header row."""

    def __init__(self, headers: list[str], spec: ProfileSpec) -> None:
        positions: dict[str, int] = {}
        for index, header in enumerate(headers):
            positions.setdefault(_key(header), index)
        self.spec = spec
        self.index: dict[str, int] = {}
        missing = []
        for field, column in spec.columns.items():
            if field not in FIELDS or not column:
                continue
            position = positions.get(_key(column))
            if position is None:
                if field in REQUIRED_FIELDS:
                    missing.append(f"{column} ({FIELDS[field]})")
                continue
            self.index[field] = position
        missing += [f"{FIELDS[field]}" for field in REQUIRED_FIELDS if not spec.columns.get(field)]
        if missing:
            found = ", ".join(header for header in headers if header) or "none"
            raise FileRefused(f"Required columns are missing: {'; '.join(missing)}. Columns found: {found}.")
        self.extra_barcode_positions = tuple(
            positions[_key(column)] for column in spec.additional_barcode_columns if _key(column) in positions
        )
        self.width = len(headers)
        # One C-level getter for all mapped columns (this runs for every row of a million-row file);
        # an unmapped field reads the blank cell appended past the row's end.
        blank = max([self.width, *self.index.values(), *self.extra_barcode_positions], default=0) + 1
        self._blank = blank
        self._fields = _MAPPED_FIELDS
        self._getter = itemgetter(*(self.index.get(field, blank) for field in _MAPPED_FIELDS))

    def map(self, row: list[str]) -> MappedRow:
        if len(row) <= self._blank:
            row = row + [""] * (self._blank + 1 - len(row))
        sku, name, barcode, barcode_type, listed, brand, price, tax_code, category, subcategory, unit, status = (
            value.strip() for value in self._getter(row)
        )
        barcodes: list[tuple[str, str | None]] = [(barcode, barcode_type or None)]
        if listed:
            barcodes += [_split_typed(part) for part in listed.split(self.spec.list_separator) if part.strip()]
        for position in self.extra_barcode_positions:
            if row[position].strip():
                barcodes.append(_split_typed(row[position]))
        if self.spec.decimal_comma and price:
            price = price.replace(".", "\0").replace(",", ".").replace("\0", ",")
        return MappedRow(
            sku, name, tuple(barcodes), brand, price, tax_code, category, subcategory, unit.lower(), status.lower()
        )


_MAPPED_FIELDS = (
    "sku",
    "name",
    "barcode",
    "barcode_type",
    "additional_barcodes",
    "brand",
    "price",
    "tax_code",
    "category",
    "subcategory",
    "unit",
    "status",
)


def _split_typed(entry: str) -> tuple[str, str | None]:
    """``4006381333931:EAN`` → value and type; a bare value has no declared type (a number cell,
    which can hold no type, stays marked as one)."""
    if isinstance(entry, SpreadsheetNumber):
        return entry.strip(), None
    value, _, declared = entry.strip().partition(":")
    return value.strip(), (declared.strip() or None)
