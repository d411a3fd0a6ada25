"""PostgreSQL fast path: new products stream into the database while the rest of the file is
still being checked, on a connection of their own whose transaction commits only at the end.

Python checks rows on one core while PostgreSQL parses COPY and maintains indexes on the other.
Rows that cannot be written before the end (changed products, and new ones taking a barcode from
another product) stay in the checker's spool and are written by the end phase on the same
connection and in the same transaction.
"""

import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

from catalog.importing.checker import SpooledRow
from catalog.models import Barcode, Product
from jwo_admin.core import db

# Product fields an import writes, in the order of the checker's ProductValues.
PRODUCT_FIELDS = (
    "sku",
    "name",
    "brand",
    "price",
    "tax_code",
    "category",
    "subcategory",
    "unit",
    "status",
    "warnings",
    "suggested_name",
)
PRODUCT_COLUMNS = (
    "id",
    "store_id",
    *PRODUCT_FIELDS,
    "amazon_fingerprint",
    "synced_fingerprint",
    "is_archived_on_amazon",
    "sync_error",
    "import_hash",
    "last_import_id",
    "created_by_import_id",
    "created_at",
    "updated_at",
)
BARCODE_COLUMNS = ("store_id", "product_id", "value", "type", "match_key", "is_primary", "position")
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CHUNK_ROWS = 5_000
# The writer thread needs the GIL each time the socket takes more of a chunk; this checking thread
# is pure Python and would keep it for the interpreter's whole switch interval (5 ms) each time,
# which leaves PostgreSQL waiting for data. Releasing it every YIELD_ROWS rows keeps COPY fed.
YIELD_ROWS = 100
ID_BLOCK = 10_000


# After this many new rows the tables' statistics are stale enough for PostgreSQL to pick plans that
# scan every barcode per product (seen: a 13-minute count after a 100,000-row import, before
# autovacuum's analyze ran); the import refreshes them itself.
ANALYZE_AFTER_ROWS = 10_000


# The columns the catalog's lookups and joins use: what the planner needs right after an import.
# The rest of the statistics follow from autovacuum (see db.key_statistics_refresh).
ANALYZE_COLUMNS = {Product: ("id", "store_id", "sku"), Barcode: ("store_id", "product_id", "match_key")}


def tables_analyze(conn: db.WriteConnection) -> None:
    """Refresh the planner's statistics of the catalog tables an import has just filled (committed)."""
    db.key_statistics_refresh(ANALYZE_COLUMNS, on=conn)
    conn.commit()


class IdAllocator:
    """Product ids taken from the table's sequence in blocks (on Django's autocommit connection)."""

    def __init__(self) -> None:
        self._ids: list[int] = []

    def next(self) -> int:
        if not self._ids:
            self._ids = db.next_ids(Product, ID_BLOCK)[::-1]
        return self._ids.pop()


class ProductStream:
    """Formats new rows as COPY text and hands them, a chunk at a time, to a writer thread."""

    def __init__(self, write_connection: db.WriteConnection, *, store_id: int, job_id: int, now: datetime) -> None:
        self.conn = write_connection
        self.store_id = str(store_id)
        self.job_id = str(job_id)
        self.now = now.isoformat()
        self.ids = IdAllocator()
        self.products: list[str] = []
        self.barcodes: list[str] = []
        self.pending_rows = 0
        self.written = 0
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self.copy_seconds = 0.0
        self._thread = threading.Thread(target=self._write_loop, name="import-copy", daemon=True)
        self._thread.start()

    def add(self, row: SpooledRow) -> None:
        row_number, _, values, barcodes, fingerprint, import_hash = row
        sku, name, brand, price, tax_code, category, subcategory, unit, status, warnings, suggested = values
        joined = "\t".join((sku, name, brand, tax_code, category, subcategory, suggested))
        if joined.count("\t") != 6 or "\\" in joined or "\n" in joined or "\r" in joined:
            # Rare: most rows need no escaping, and one scan of the joined text tells.
            sku, name, brand, tax_code, category, subcategory, suggested = (
                text.translate(_ESCAPE) for text in (sku, name, brand, tax_code, category, subcategory, suggested)
            )
        product_id = str(self.ids.next())
        self.products.append(
            "\t".join(
                (
                    product_id,
                    self.store_id,
                    sku,
                    name,
                    brand,
                    price or "\\N",
                    tax_code,
                    category,
                    subcategory,
                    unit,
                    status,
                    json.dumps(warnings).translate(_ESCAPE) if warnings else "[]",
                    suggested,
                    fingerprint,
                    "",
                    "f",
                    "",
                    import_hash,
                    self.job_id,
                    self.job_id,
                    self.now,
                    self.now,
                )
            )
        )
        store_id = self.store_id
        for position, (value, kind, key) in enumerate(barcodes):
            # Barcode values are validated digits (an ISBN may end in X): nothing to escape.
            self.barcodes.append(
                f"{store_id}\t{product_id}\t{value}\t{kind}\t{key}\t{'t' if position == 0 else 'f'}\t{position}"
            )
        self.pending_rows += 1
        if self.pending_rows >= CHUNK_ROWS:
            self.flush()
        elif not self.pending_rows % YIELD_ROWS:
            time.sleep(0)  # hand the GIL to the writer thread if it waits (see YIELD_ROWS)

    def flush(self) -> None:
        if self._error is not None:
            raise self._error
        if self.products:
            self._queue.put(("\n".join(self.products) + "\n", "\n".join(self.barcodes) + "\n"))
            self.written += self.pending_rows
        self.products, self.barcodes, self.pending_rows = [], [], 0

    def _write_loop(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the import has already failed
            started = time.monotonic()
            try:
                db.copy_text(Product._meta.db_table, PRODUCT_COLUMNS, chunk[0], on=self.conn)
                db.copy_text(Barcode._meta.db_table, BARCODE_COLUMNS, chunk[1], on=self.conn)
            except BaseException as error:  # reported to the checking thread on its next flush
                self._error = error
            self.copy_seconds += time.monotonic() - started

    def close(self, on_progress: Callable[[int], None] | None = None) -> int:
        """Write what is buffered and wait for the writer; returns the rows streamed."""
        self.flush()
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        if on_progress is not None:
            on_progress(self.written)
        return self.written

    def abandon(self) -> None:
        """Stop the writer without waiting for a result (the transaction will be rolled back)."""
        self.products, self.barcodes = [], []
        self._queue.put(None)
        self._thread.join(timeout=60)
