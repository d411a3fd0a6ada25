"""The check pass: every row of a file against Amazon's rules and the store's current catalog.

Accepted rows are spooled to a temporary file (a million-row import never sits in memory as
objects); what stays in memory is only what cross-row checks need: SKUs seen and barcode claims.
"""

import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

from catalog.amazon_items import item_fingerprint, name_sent, row_hash
from catalog.barcodes import plain_gs1
from catalog.importing.mapping import ColumnMap, MappedRow
from catalog.importing.readers import FileRefused, TableReader
from catalog.models import ProductStatus, SaleUnit
from catalog.rules import (
    MAX_ADDITIONAL_BARCODES,
    ItemInput,
    ValidItem,
    plain_price,
    plain_sku,
    plain_text_fits,
    validate_item,
)

MAX_RECORDED_PROBLEMS = 100_000
PROGRESS_SECONDS = 0.25  # how often a running check reports its progress
_UNITS = frozenset(SaleUnit.values)
_STATUSES = {"": ProductStatus.ACTIVE.value, "active": "active", "archived": "archived", "inactive": "archived"}


@dataclass(frozen=True, slots=True)
class ExistingProduct:
    id: int
    import_hash: str


@dataclass
class ExistingCatalog:
    """What the check needs of the store's catalog: products by SKU and who owns each barcode."""

    products: dict[str, ExistingProduct]
    owners: dict[str, str]  # barcode match_key → SKU


@dataclass(frozen=True, slots=True)
class Problem:
    row_number: int
    sku: str
    field: str
    message: str
    is_warning: bool = False
    original_row: tuple[str, ...] = ()  # the row's cells as read, for the problems download


@dataclass(frozen=True, slots=True)
class StoreContext:
    store_id: str
    price_places: int
    sync_fields: frozenset[str]
    send_clean_names: bool = True


# A spooled row: (row_number, product_id or None, product values, barcodes, fingerprint, import_hash)
ProductValues = tuple[str, str, str, str, str, str, str, str, str, list[str], str]
SpooledRow = tuple[int, int | None, ProductValues, tuple[tuple[str, str, str], ...], str, str]


class RowSink(Protocol):
    def add(self, row: "SpooledRow") -> None: ...


@dataclass
class CheckResult:
    rows_total: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    warned: int = 0
    plain: int = 0  # new rows taken by the tight pass (JWO_IMPORT_PLAIN_PASS), of ``new``
    problems: list[Problem] = field(default_factory=list)
    problems_truncated: bool = False
    rejected_rows: set[int] = field(default_factory=set)
    late_rejected: set[int] = field(default_factory=set)
    spool: IO[bytes] | None = None

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    def add_problem(self, problem: Problem) -> None:
        if len(self.problems) < MAX_RECORDED_PROBLEMS:
            self.problems.append(problem)
        else:
            self.problems_truncated = True

    def spooled_rows(self) -> Iterator[SpooledRow]:
        """Accepted rows in file order, leaving out rows a later cross-row check rejected."""
        if self.spool is None:
            return
        self.spool.seek(0)
        late = self.late_rejected
        while True:
            try:
                chunk: list[SpooledRow] = pickle.load(self.spool)  # noqa: S301 - our own temporary file
            except EOFError:
                return
            for row in chunk:
                if row[0] not in late:
                    yield row

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


class Checker:
    """Runs the check pass for one file; call :meth:`run` once."""

    def __init__(
        self,
        *,
        reader: TableReader,
        columns: ColumnMap,
        existing: ExistingCatalog,
        context: StoreContext,
        on_progress: Callable[[int, float], None] | None = None,
        max_rows: int = 2_000_000,
        stream: "RowSink | None" = None,
        keep_rows: bool = True,
        plain_pass: bool = True,
    ) -> None:
        self.max_rows = max_rows
        self.stream = stream  # takes new rows that can be written at once (PostgreSQL fast path)
        self.keep_rows = keep_rows  # a preview only counts: it spools nothing
        self.plain_pass = plain_pass  # False: every row through the full check (JWO_IMPORT_PLAIN_PASS)
        self.reader = reader
        self.columns = columns
        self.existing = existing
        self.context = context
        self.on_progress = on_progress
        self.result = CheckResult()
        self._sku_rows: dict[str, int] = {}
        self._claims: dict[str, tuple[str, int]] = {}  # match_key → (sku, row) for new and changed rows
        self._changed_keys: dict[str, frozenset[str]] = {}  # existing SKU → its barcode keys after import
        self._deferred: list[tuple[int, str, str, str, str]] = []  # row, sku, key, value, owner SKU
        self._deferred_rows: dict[int, tuple[str, ...]] = {}  # row → its cells, for problems found after the pass
        self._row: list[str] = []  # the row being checked, as read (its text only when a problem needs it)
        # Rows hash with the settings that shape their result, so a settings change re-checks them.
        self._hash_salt = f"{context.store_id}|{context.price_places}|{','.join(sorted(context.sync_fields))}"

    def run(self) -> CheckResult:
        result = self.result
        result.spool = tempfile.TemporaryFile(prefix="jwo-import-")  # noqa: SIM115 - closed by CheckResult
        pickler = pickle.Pickler(result.spool, protocol=pickle.HIGHEST_PROTOCOL)
        chunk: list[SpooledRow] = []
        row_number = 1
        reported = time.monotonic()
        for raw in self.reader.rows():
            row_number += 1
            if not "".join(raw).strip():  # a blank row (every cell blank), skipped
                continue
            result.rows_total += 1
            if result.rows_total > self.max_rows:
                raise FileRefused(
                    f"The file has more than {self.max_rows:,} product rows; split it and import the parts."
                )
            self._row = raw
            spooled = self._check_row(row_number, self.columns.map(raw))
            if spooled is not None and self.keep_rows:
                chunk.append(spooled)
                if len(chunk) >= 2000:
                    pickler.dump(chunk)
                    pickler.clear_memo()  # each chunk stands alone: readable one by one, no memory growth
                    chunk = []
            if self.on_progress is not None and result.rows_total % 1000 == 0:
                now = time.monotonic()
                if now - reported >= PROGRESS_SECONDS:  # each report is a write to the job row
                    reported = now
                    self.on_progress(result.rows_total, self.reader.progress())
        if chunk:
            pickler.dump(chunk)
        self._resolve_deferred()
        result.spool.flush()
        return result

    @property
    def _raw(self) -> tuple[str, ...]:
        """The row being checked, as read: what a problem shows and the problems download gives."""
        return tuple(str(cell) for cell in self._row)

    def _reject(
        self, row_number: int, sku: str, errors: list[tuple[str, str]], original_row: tuple[str, ...] | None = None
    ) -> None:
        cells = self._raw if original_row is None else original_row
        for field_name, message in errors:
            self.result.add_problem(Problem(row_number, sku, field_name, message, original_row=cells))
        self.result.rejected_rows.add(row_number)

    def _check_row(self, row_number: int, mapped: MappedRow) -> SpooledRow | None:
        result = self.result
        sku = mapped.sku
        first_row = self._sku_rows.get(sku)
        if first_row is not None and sku:
            self._reject(row_number, sku, [("item_sku", f"SKU {sku} is also on row {first_row}; each SKU once.")])
            return None
        if sku:
            self._sku_rows[sku] = row_number
        import_hash = row_hash((self._hash_salt, *mapped))
        existing = self.existing.products.get(sku)
        if existing is not None and existing.import_hash == import_hash:
            result.unchanged += 1
            return None
        if existing is None and self.plain_pass:
            plain = self._check_plain_row(row_number, mapped, import_hash)
            if plain is not None:
                result.plain += 1
                if self.stream is not None:
                    self.stream.add(plain)  # nothing later in the file can reject it: write it now
                    return None
                return plain

        status = _STATUSES.get(mapped.status)
        unit = mapped.unit or SaleUnit.EACH.value
        extra_errors: list[tuple[str, str]] = []
        if status is None:
            extra_errors.append(("status", f"status must be active or archived, not {mapped.status!r}."))
        if unit not in _UNITS:
            extra_errors.append(("unit", f"unit must be one of {', '.join(sorted(_UNITS))}, not {mapped.unit!r}."))
        checked = validate_item(
            ItemInput(
                sku=sku,
                name=mapped.name,
                brand=mapped.brand,
                price=mapped.price,
                tax_code=mapped.tax_code,
                category=mapped.category,
                subcategory=mapped.subcategory,
                barcodes=mapped.barcodes,
            ),
            price_places=self.context.price_places,
        )
        if not isinstance(checked, ValidItem) or extra_errors:
            field_errors = [] if isinstance(checked, ValidItem) else [(error.field, error.message) for error in checked]
            self._reject(row_number, sku, field_errors + extra_errors)
            return None
        deferred_before = len(self._deferred)
        if not self._claim_barcodes(row_number, checked, existing):
            return None
        for warning in checked.warnings:
            result.add_problem(Problem(row_number, sku, "", warning, is_warning=True, original_row=self._raw))
        if checked.warnings:
            result.warned += 1
        if existing is None:
            result.new += 1
        else:
            result.changed += 1
        spooled = self._spooled(row_number, checked, existing, unit, status or "active", import_hash)
        if self.stream is not None and existing is None and len(self._deferred) == deferred_before:
            self.stream.add(spooled)  # nothing later in the file can reject it: write it now
            return None
        return spooled

    def _check_plain_row(self, row_number: int, mapped: MappedRow, import_hash: str) -> SpooledRow | None:
        """A new product whose row needs none of :meth:`_check_row`'s explanations, checked in one
        tight pass: every field plain (see ``plain_*`` in catalog.rules and catalog.barcodes), no
        warning, no barcode claimed by another row or product. It gets exactly what the full check
        would give it (a test pins the two together), without the per-row objects; any other row
        returns None, untouched, for the full check to judge and explain."""
        sku, name, entries, brand, price, tax_code, category, subcategory, unit, status_text = mapped
        status = _STATUSES.get(status_text)
        unit = unit or "each"
        if status is None or unit not in _UNITS or len(entries) > MAX_ADDITIONAL_BARCODES + 1 or not plain_sku(sku):
            return None
        if not plain_text_fits(name=name, brand=brand, tax_code=tax_code, category=category, subcategory=subcategory):
            return None
        price_text = plain_price(price, self.context.price_places)
        if price_text is None:
            return None
        barcodes = []
        claims, owners = self._claims, self.existing.owners
        for value, declared in entries:
            parsed = None if declared else plain_gs1(value)
            if parsed is None:
                return None
            kind, key = parsed
            claim = claims.get(key)
            if (claim is not None and claim[0] != sku) or (owners and owners.get(key, sku) != sku):
                return None
            barcodes.append((value, kind, key))
        if len({key for _, _, key in barcodes}) != len(barcodes):
            return None  # the same barcode twice in the row: the full check drops one, with a warning
        for _, _, key in barcodes:
            claims[key] = (sku, row_number)
        self.result.new += 1
        context = self.context
        fingerprint = item_fingerprint(
            store_id=context.store_id,
            sku=sku,
            name=name,
            barcodes=[(value, kind) for value, kind, _ in barcodes],
            price=price_text,
            brand=brand,
            tax_code=tax_code,
            category=category,
            subcategory=subcategory,
            sync_fields=context.sync_fields,
        )
        values: ProductValues = (sku, name, brand, price_text, tax_code, category, subcategory, unit, status, [], "")
        return (row_number, None, values, tuple(barcodes), fingerprint, import_hash)

    def _claim_barcodes(self, row_number: int, item: ValidItem, existing: ExistingProduct | None) -> bool:
        keys = [barcode.match_key for barcode in item.barcodes]
        for barcode in item.barcodes:
            claim = self._claims.get(barcode.match_key)
            if claim is not None and claim[0] != item.sku:
                self._reject(
                    row_number,
                    item.sku,
                    [("external_product_id", f"Barcode {barcode.value} is also on row {claim[1]} (SKU {claim[0]}).")],
                )
                return False
        for barcode in item.barcodes:
            owner = self.existing.owners.get(barcode.match_key)
            if owner is not None and owner != item.sku:
                self._deferred.append((row_number, item.sku, barcode.match_key, barcode.value, owner))
                self._deferred_rows[row_number] = self._raw
        for key in keys:
            self._claims[key] = (item.sku, row_number)
        if existing is not None:
            self._changed_keys[item.sku] = frozenset(keys)
        return True

    def _resolve_deferred(self) -> None:
        """A barcode may move from one product to another only if the file also takes it off the first."""
        result = self.result
        pending = self._deferred
        while pending:
            still_pending = []
            for deferred in pending:
                row_number, sku, key, value, owner = deferred
                if row_number in result.late_rejected:
                    continue
                owner_row = self._sku_rows.get(owner)
                owner_keys = self._changed_keys.get(owner)
                owner_rejected = owner_row is not None and (
                    owner_row in result.rejected_rows or owner_row in result.late_rejected
                )
                if owner_keys is not None and key not in owner_keys and not owner_rejected:
                    still_pending.append(deferred)
                    continue
                self._reject(
                    row_number,
                    sku,
                    [("external_product_id", f"Barcode {value} already belongs to SKU {owner}.")],
                    original_row=self._deferred_rows.get(row_number, ()),
                )
                result.late_rejected.add(row_number)
                if sku in self.existing.products:
                    result.changed -= 1
                else:
                    result.new -= 1
            if len(still_pending) == len(pending):
                break
            pending = still_pending

    def _spooled(
        self,
        row_number: int,
        item: ValidItem,
        existing: ExistingProduct | None,
        unit: str,
        status: str,
        import_hash: str,
    ) -> SpooledRow:
        context = self.context
        barcodes = tuple((barcode.value, barcode.type.value, barcode.match_key) for barcode in item.barcodes)
        # The price is already at the currency's places (validate_item), so its text is what Amazon gets.
        price = "" if item.price is None else str(item.price)
        values: ProductValues = (
            item.sku,
            item.name,
            item.brand,
            price,
            item.tax_code,
            item.category,
            item.subcategory,
            unit,
            status,
            list(item.warnings),
            item.suggested_name or "",
        )
        amazon_fingerprint = item_fingerprint(
            store_id=context.store_id,
            sku=item.sku,
            name=name_sent(item.name, item.suggested_name or "", send_clean_names=context.send_clean_names),
            barcodes=[(value, kind) for value, kind, _ in barcodes],
            price=price,
            brand=item.brand,
            tax_code=item.tax_code,
            category=item.category,
            subcategory=item.subcategory,
            sync_fields=context.sync_fields,
        )
        return (
            row_number,
            existing.id if existing else None,
            values,
            barcodes,
            amazon_fingerprint,
            import_hash,
        )
