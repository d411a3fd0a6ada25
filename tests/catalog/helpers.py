"""Small builders for catalog files used across the catalog tests."""

import csv
from pathlib import Path

from catalog.models import ImportJob, Store
from catalog.services.imports import import_job_create, import_job_run

AMAZON_HEADER = [
    "item_sku",
    "item_name",
    "external_product_id",
    "external_product_id_type",
    "additional_external_product_information",
    "standard_price",
    "brand_name",
    "product_category",
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header or AMAZON_HEADER)
        writer.writerows(rows)
    return path


def run_import(store: Store, path: Path, *, dry_run: bool = False, strict: bool = False, **kwargs: object) -> ImportJob:
    job = import_job_create(store=store, upload=path, is_dry_run=dry_run, is_strict=strict, **kwargs)  # type: ignore[arg-type]
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


# Three products used across the sync tests: valid barcodes, one with an additional barcode.
COLA = ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "4006381333931:EAN", "1.49", "Acme", "Beverages"]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Water"]
JUICE = ["SKU-3", "Golden Juice 1L", "4000000000020", "", "", "2.99", "Golden", "Juice"]
