"""The write pass: apply what the check spooled (changed products, and new ones that had to wait).

Two passes over the spool: first the changed products (updated, history recorded, barcodes
removed), then every insert, so a barcode may move between products in any order without a
uniqueness clash. On PostgreSQL this runs with COPY on the import's own write connection (see
``pgstream``); other databases use bulk ORM calls inside the caller's transaction.
"""

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from django.utils import timezone

from catalog.importing.checker import CheckResult, SpooledRow
from catalog.importing.pgstream import BARCODE_COLUMNS, PRODUCT_COLUMNS, PRODUCT_FIELDS
from catalog.models import Barcode, ImportJob, Product, ProductChange
from jwo_admin.core import db

BATCH = 5_000
HISTORY_FIELDS = ("name", "brand", "price", "tax_code", "category", "subcategory", "unit", "status")
UPDATE_COLUMNS = ("id", *PRODUCT_FIELDS, "amazon_fingerprint", "import_hash", "last_import_id", "updated_at")


def _batches(rows: Iterator[SpooledRow], size: int = BATCH) -> Iterator[list[SpooledRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _price(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _comparable(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field == "price":
        return format(Decimal(value).normalize(), "f") if value != "" else ""
    return str(value)


def _changed_id(row: SpooledRow) -> int:
    """The product id of a changed row (new rows have none)."""
    if row[1] is None:
        raise ValueError(f"row {row[0]} is new, not changed")
    return row[1]


def _diff(old: dict[str, Any], old_barcodes: list[str], row: SpooledRow) -> dict[str, list[Any]]:
    new_values = dict(zip(PRODUCT_FIELDS, row[2], strict=True))
    diff: dict[str, list[Any]] = {}
    for field in HISTORY_FIELDS:
        before, after = _comparable(field, old[field]), _comparable(field, new_values[field])
        if before != after:
            diff[field] = [before, after]
    new_barcodes = [f"{value} ({kind})" for value, kind, _ in row[3]]
    if old_barcodes != new_barcodes:
        diff["barcodes"] = [old_barcodes, new_barcodes]
    return diff


class _Writer:
    def __init__(self, job: ImportJob, result: CheckResult, on_progress: Callable[[int], None] | None) -> None:
        self.job = job
        self.result = result
        self.on_progress = on_progress
        self.now = timezone.now()
        self.done = 0
        self.new_ids: dict[int, int] = {}

    def _progress(self, count: int) -> None:
        self.done += count
        if self.on_progress is not None and count:
            self.on_progress(self.done)

    def write(self) -> None:
        changed = self.result.changed and (row for row in self.result.spooled_rows() if row[1] is not None)
        for batch in _batches(changed) if changed else ():
            self.update_products(batch)
        for batch in _batches(self.result.spooled_rows()):
            self.new_ids = {}
            new_rows = [row for row in batch if row[1] is None]
            if new_rows:
                self.insert_products(new_rows)
            self.insert_barcodes(batch)
            self._progress(len(batch))

    def product_id(self, row: SpooledRow) -> int:
        return row[1] if row[1] is not None else self.new_ids[row[0]]

    def insert_products(self, rows: list[SpooledRow]) -> None:
        raise NotImplementedError

    def update_products(self, rows: list[SpooledRow]) -> None:
        """Record history, update the products and remove their barcodes (re-inserted later)."""
        raise NotImplementedError

    def insert_barcodes(self, rows: list[SpooledRow]) -> None:
        raise NotImplementedError


class _OrmWriter(_Writer):
    def _product(self, row: SpooledRow) -> Product:
        values: dict[str, Any] = dict(zip(PRODUCT_FIELDS, row[2], strict=True))
        values["price"] = _price(values["price"])
        return Product(
            id=row[1],
            store_id=self.job.store_id,
            amazon_fingerprint=row[4],
            import_hash=row[5],
            last_import=self.job,
            updated_at=self.now,
            **values,
        )

    def insert_products(self, rows: list[SpooledRow]) -> None:
        products = [self._product(row) for row in rows]
        for product in products:
            product.created_by_import = self.job
        Product.objects.bulk_create(products)
        self.new_ids.update((row[0], product.pk) for row, product in zip(rows, products, strict=True))

    def update_products(self, rows: list[SpooledRow]) -> None:
        ids = [_changed_id(row) for row in rows]
        old = {
            values[0]: dict(zip(HISTORY_FIELDS, values[1:], strict=True))
            for values in Product.objects.filter(pk__in=ids).values_list("pk", *HISTORY_FIELDS)
        }
        old_barcodes: dict[int, list[str]] = {}
        for product_id, value, kind in (
            Barcode.objects.filter(product_id__in=ids)
            .order_by("product_id", "position")
            .values_list("product_id", "value", "type")
        ):
            old_barcodes.setdefault(product_id, []).append(f"{value} ({kind})")
        changes = []
        for row in rows:
            product_id = _changed_id(row)
            diff = _diff(old[product_id], old_barcodes.get(product_id, []), row)
            if diff:
                changes.append(
                    ProductChange(
                        product_id=product_id,
                        source=ProductChange.Source.IMPORT,
                        import_job=self.job,
                        changed_by_id=self.job.created_by_id,
                        changes=diff,
                    )
                )
        ProductChange.objects.bulk_create(changes)
        Product.objects.bulk_update(
            [self._product(row) for row in rows],
            [*PRODUCT_FIELDS, "amazon_fingerprint", "import_hash", "last_import", "updated_at"],
        )
        Barcode.objects.filter(product_id__in=ids).delete()

    def insert_barcodes(self, rows: list[SpooledRow]) -> None:
        store_id = self.job.store_id
        Barcode.objects.bulk_create(
            [
                Barcode(
                    store_id=store_id,
                    product_id=self.product_id(row),
                    value=value,
                    type=kind,
                    match_key=key,
                    is_primary=position == 0,
                    position=position,
                )
                for row in rows
                for position, (value, kind, key) in enumerate(row[3])
            ]
        )


class PostgresWriter(_Writer):
    """The same passes with statements and COPY on the import's write connection (one transaction)."""

    def __init__(
        self, job: ImportJob, result: CheckResult, on_progress: Callable[[int], None] | None, conn: db.WriteConnection
    ) -> None:
        super().__init__(job, result, on_progress)
        self.conn = conn

    @staticmethod
    def _values(row: SpooledRow) -> list[Any]:
        values: list[Any] = list(row[2])
        values[3] = values[3] or None  # price
        values[9] = json.dumps(values[9])  # warnings
        return values

    def insert_products(self, rows: list[SpooledRow]) -> None:
        ids = db.next_ids(Product, len(rows), on=self.conn)
        store_id, job_id, now = self.job.store_id, self.job.pk, self.now
        db.copy_rows(
            Product._meta.db_table,
            PRODUCT_COLUMNS,
            (
                (product_id, store_id, *self._values(row), row[4], "", False, "", row[5], job_id, job_id, now, now)
                for product_id, row in zip(ids, rows, strict=True)
            ),
            on=self.conn,
        )
        self.new_ids.update((row[0], product_id) for row, product_id in zip(rows, ids, strict=True))

    def update_products(self, rows: list[SpooledRow]) -> None:
        ids = [_changed_id(row) for row in rows]
        old = {
            record[0]: dict(zip(HISTORY_FIELDS, record[1:], strict=True))
            for record in db.fetch_all(
                f"SELECT id, {', '.join(HISTORY_FIELDS)} FROM catalog_product WHERE id = ANY(%s)",  # noqa: S608
                [ids],
                on=self.conn,
            )
        }
        old_barcodes: dict[int, list[str]] = {}
        for product_id, value, kind in db.fetch_all(
            "SELECT product_id, value, type FROM catalog_barcode WHERE product_id = ANY(%s) "
            "ORDER BY product_id, position",
            [ids],
            on=self.conn,
        ):
            old_barcodes.setdefault(product_id, []).append(f"{value} ({kind})")
        history = []
        for row, product_id in zip(rows, ids, strict=True):
            diff = _diff(old[product_id], old_barcodes.get(product_id, []), row)
            if diff:
                history.append((product_id, "import", self.job.pk, self.job.created_by_id, json.dumps(diff), self.now))
        db.copy_rows(
            ProductChange._meta.db_table,
            ("product_id", "source", "import_job_id", "changed_by_id", "changes", "created_at"),
            history,
            on=self.conn,
        )
        job_id, now = self.job.pk, self.now
        db.update_from_rows(
            table=Product._meta.db_table,
            columns=UPDATE_COLUMNS,
            rows=((row[1], *self._values(row), row[4], row[5], job_id, now) for row in rows),
            staging="jwo_product_update",
            on=self.conn,
        )
        db.execute("DELETE FROM catalog_barcode WHERE product_id = ANY(%s)", [ids], on=self.conn)

    def insert_barcodes(self, rows: list[SpooledRow]) -> None:
        store_id, product_id = self.job.store_id, self.product_id
        db.copy_rows(
            Barcode._meta.db_table,
            BARCODE_COLUMNS,
            (
                (store_id, product_id(row), value, kind, key, position == 0, position)
                for row in rows
                for position, (value, kind, key) in enumerate(row[3])
            ),
            on=self.conn,
        )


def write_import(
    *, job: ImportJob, result: CheckResult, on_progress: Callable[[int], None] | None = None, conn: Any = None
) -> None:
    """Write the spooled rows: with ``conn`` (PostgreSQL) on that connection, else through the ORM."""
    if conn is not None:
        PostgresWriter(job, result, on_progress, conn).write()
    else:
        _OrmWriter(job, result, on_progress).write()
