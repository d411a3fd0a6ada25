"""The one place that speaks a database's dialect: raw statements, COPY, and PostgreSQL-or-not.

The apps describe their own statements (built from their own models' tables and columns) and hand
them here to run; everything that differs between PostgreSQL (production) and SQLite (the embedded
default) is a named operation or a named question of this module, so a second dialect concern
never grows inside an app. Statements run on Django's connection unless ``on`` names another
PostgreSQL connection (an import's own write connection, see :func:`write_connection_open`).
Nothing here imports an app.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

import psycopg
from django.db import connection, models, transaction

WriteConnection = psycopg.Connection[Any]
Row = tuple[Any, ...]


# --- Questions about the database --------------------------------------------------------------
def dialect() -> str:
    """The database's dialect name (``postgresql``, ``sqlite``): a cache key for statements built once
    per dialect, never to branch on (ask one of the questions below instead)."""
    return connection.vendor


def is_postgresql() -> bool:
    """Whether the database is PostgreSQL: its features (COPY, data-modifying CTEs, ordered-set
    aggregates, timeouts) all come with it, and the embedded default has none of them."""
    return connection.vendor == "postgresql"


def supports_copy() -> bool:
    """Whether rows can be streamed in with ``COPY … FROM STDIN`` (an import's fast path)."""
    return is_postgresql()


def supports_data_modifying_ctes() -> bool:
    """Whether ``WITH x AS (INSERT … RETURNING …)`` can chain inserts in one statement (a purchase
    with its lines and discounts in one round trip); elsewhere they run one after another."""
    return is_postgresql()


def supports_percentile_aggregates() -> bool:
    """Whether ``percentile_cont(…) WITHIN GROUP`` exists, so percentiles are computed by the database
    rather than in Python over every row."""
    return is_postgresql()


# --- Running statements ------------------------------------------------------------------------
def execute(sql: str, params: Sequence[Any] | None = None, *, on: WriteConnection | None = None) -> None:
    """Run one statement whose result is not read."""
    if on is not None:
        with on.cursor() as cursor:
            cursor.execute(sql, params)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement once per row of parameters, on Django's connection."""
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def fetch_one(sql: str, params: Sequence[Any] | None = None) -> Row | None:
    """The first row a statement returns (a read, or a write with ``RETURNING``), or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: Sequence[Any] | None = None, *, on: WriteConnection | None = None) -> list[Row]:
    """Every row a statement returns."""
    if on is not None:
        with on.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Binding values as the ORM binds them ------------------------------------------------------
def quote_name(name: str) -> str:
    """A table or column name quoted for the database."""
    return connection.ops.quote_name(name)


def column_type(field: "models.Field[Any, Any]") -> str:
    """The database type of a model field without modifiers (``numeric`` for ``numeric(12, 2)``),
    for casts that leave length and scale to the insert; PostgreSQL's ``varchar`` is ``text``."""
    found = (field.db_type(connection) or "").split("(")[0].strip()
    return "text" if found == "varchar" else found


def datetime_parameter(value: Any) -> Any:
    """A datetime as the ORM hands it to the driver (SQLite stores text in the connection's zone)."""
    return connection.ops.adapt_datetimefield_value(value)


def typed_parameter(sql_type: str) -> str:
    """A parameter placeholder cast to ``sql_type`` where the database needs the cast to type an
    ``INSERT … SELECT`` (PostgreSQL); a plain placeholder elsewhere."""
    return f"%s::{sql_type}" if is_postgresql() else "%s"


def json_parameter() -> str:
    """The placeholder of a JSON value bound as text: PostgreSQL casts it to ``jsonb``, SQLite stores
    the text as it is (Django's JSONField reads both)."""
    return typed_parameter("jsonb")


def json_result(value: Any) -> Any:
    """A JSON column as a statement returns it: decoded by psycopg already, text from SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def json_object_function() -> str:
    """The SQL function that builds a JSON object from key, value pairs."""
    return "jsonb_build_object" if is_postgresql() else "json_object"


def zero_padded_sql(expression: str, digits: int) -> str:
    """``expression`` (an integer) as text, left-padded with zeros to at least ``digits`` digits."""
    if is_postgresql():
        return f"lpad({expression}::text, greatest({digits}, length({expression}::text)), '0')"
    return f"printf('%%0{digits}d', {expression})"


def next_id_sql(table: str) -> str:
    """An expression taking the next id of ``table``'s integer primary key ``id``, as an insert
    without one would: its sequence on PostgreSQL; SQLite's AUTOINCREMENT rule (above every id ever
    used, ``sqlite_sequence``, and every id present) elsewhere."""
    if is_postgresql():
        return f"nextval(pg_get_serial_sequence('{table}', 'id'))"
    return (
        f"MAX(COALESCE((SELECT MAX(seq) FROM sqlite_sequence WHERE name = '{table}'), 0), "  # noqa: S608 - our names
        f"COALESCE((SELECT MAX(id) FROM {table}), 0)) + 1"
    )


def json_rows_source() -> str:
    """A ``FROM`` item unpacking one JSON parameter, an array of arrays, into rows ``r.v`` (PostgreSQL):
    many rows in one parameter, so an insert of any number of rows is one statement."""
    return "jsonb_array_elements(%s::jsonb) AS r(v)"


def json_row_cell(index: int, sql_type: str, *, is_json: bool) -> str:
    """Cell ``index`` of a row ``r.v`` of :func:`json_rows_source`, typed as ``sql_type``; a JSON cell
    stays JSON, and its JSON null is SQL NULL, as the ORM stores None."""
    return f"NULLIF(r.v -> {index}, 'null')" if is_json else f"(r.v ->> {index})::{sql_type}"


# --- Insert returning, upsert keeping the first row -------------------------------------------
@cache
def _upsert_sql(
    vendor: str,
    table: str,
    columns: tuple[str, ...],
    conflict_column: str,
    counter_column: str,
    returning: tuple[str, ...],
    json_columns: frozenset[str],
) -> str:
    body = json_parameter()
    values = ", ".join(body if column in json_columns else "%s" for column in columns)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) "  # noqa: S608 - the caller's own names
        f"ON CONFLICT ({conflict_column}) DO UPDATE SET {counter_column} = {table}.{counter_column} + 1 "
        f"RETURNING {', '.join(returning)}, {counter_column}"
    )


def upsert_keep_first(
    *,
    table: str,
    columns: tuple[str, ...],
    values: Sequence[Any],
    conflict_column: str,
    counter_column: str,
    returning: tuple[str, ...],
    json_columns: frozenset[str] = frozenset(),
) -> Row:
    """Insert a row, or — when ``conflict_column`` clashes with a stored row — keep the stored row,
    add one to its ``counter_column``, and return it: one statement, so a replay racing the first
    delivery gets the first answer back without an error. Returns the ``returning`` columns, then
    the counter (0 for a new row that starts at 0). ``values`` follow ``columns``; JSON columns are
    bound as text (see :func:`json_parameter`) and come back decoded."""
    sql = _upsert_sql(dialect(), table, columns, conflict_column, counter_column, returning, json_columns)
    row = fetch_one(sql, values)
    if row is None:  # an upsert always returns its row
        raise RuntimeError(f"upsert into {table} returned nothing")
    return tuple(
        json_result(value) if column in json_columns else value
        for column, value in zip((*returning, counter_column), row, strict=True)
    )


def next_ids(model: type[models.Model], count: int, *, on: WriteConnection | None = None) -> list[int]:
    """``count`` ids taken from the model table's sequence (PostgreSQL), for rows written by COPY,
    which takes no ``RETURNING``."""
    sql = f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', 'id')) FROM generate_series(1, %s)"  # noqa: S608
    return [row[0] for row in fetch_all(sql, [count], on=on)]


# --- COPY and bulk loads -----------------------------------------------------------------------
def write_connection_open() -> WriteConnection:
    """A second PostgreSQL connection to the same database (Django's settings), outside Django's
    transactions, for a long load that commits once at its end while Django's connection goes on.

    Its transaction checks foreign keys row by row as COPY sends them (Django declares them
    deferred): PostgreSQL does that work on its own core while this process prepares the next rows,
    instead of hundreds of thousands of queued checks at commit, with the Python side waiting.
    """
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**params, autocommit=False)
    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return conn


def connection_shared() -> WriteConnection:
    """Django's own PostgreSQL connection, for writes that must join the caller's open transaction."""
    connection.ensure_connection()
    return connection.connection


def _copy_sql(table: str, columns: Sequence[str]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def copy_rows(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, on: WriteConnection | None = None
) -> None:
    """Stream rows (tuples in the order of ``columns``) into ``table`` with PostgreSQL's COPY: far
    faster than INSERTs at hundreds of thousands of rows. JSON cells go as JSON text."""
    if on is not None:
        with on.cursor() as own, own.copy(_copy_sql(table, columns)) as copy:
            for row in rows:
                copy.write_row(row)
        return
    with connection.cursor() as django_cursor, django_cursor.cursor.copy(_copy_sql(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)


def copy_out_csv(query: str, params: Sequence[Any] | None = None) -> Iterator[bytes]:
    """The rows of ``query`` as CSV with a header, in the chunks PostgreSQL sends (``COPY (…) TO
    STDOUT``): what the server itself does with no Python per row (the exports' bench reference)."""
    with connection.cursor() as django_cursor:
        copy_sql = django_cursor.cursor.mogrify(query, params) if params else query
        with django_cursor.cursor.copy(f"COPY ({copy_sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            yield from (bytes(chunk) for chunk in copy)


def copy_text(table: str, columns: Sequence[str], text: str, *, on: WriteConnection) -> None:
    """Stream rows already formatted as COPY text (tab-separated, ``\\N`` for NULL, one per line)
    into ``table``: the caller formats while PostgreSQL parses, with no per-row driver work."""
    with on.cursor() as cursor, cursor.copy(_copy_sql(table, columns)) as copy:
        copy.write(text)


def copy_out_size(query: str, params: Sequence[Any] | None = None) -> int:
    """Stream ``query``'s rows out with ``COPY (query) TO STDOUT`` and return how many bytes came:
    what the database takes to read and send rows, with nothing done to them (a benchmark's
    reference figure)."""
    size = 0
    with connection.cursor() as django_cursor, django_cursor.cursor.copy(f"COPY ({query}) TO STDOUT", params) as copy:
        for block in copy:
            size += len(block)
    return size


def update_from_rows(
    *,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    staging: str,
    on: WriteConnection,
) -> None:
    """Update many rows of ``table`` at once (PostgreSQL): the new values go by COPY into a temporary
    ``staging`` table shaped like ``table`` (dropped at commit), then one ``UPDATE … FROM`` sets
    ``columns[1:]`` of each row whose ``columns[0]`` (its key) matches."""
    key, assigned = columns[0], columns[1:]
    execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608 - the caller's own names
        f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA",
        on=on,
    )
    execute(f"TRUNCATE {staging}", on=on)
    copy_rows(staging, columns, rows, on=on)
    assignments = ", ".join(f"{column} = u.{column}" for column in assigned)
    execute(f"UPDATE {table} p SET {assignments} FROM {staging} u WHERE p.{key} = u.{key}", on=on)  # noqa: S608


def bulk_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows given as tuples of column values (attnames, e.g. ``product_id``), fast at hundreds
    of thousands of rows: COPY on PostgreSQL, batched INSERTs elsewhere. JSON values are Python
    values, as for the ORM."""
    if supports_copy():
        fields = [model._meta.get_field(column) for column in columns]
        json_at = [index for index, field in enumerate(fields) if isinstance(field, models.JSONField)]
        if json_at:
            rows = (
                tuple(json.dumps(value) if index in json_at else value for index, value in enumerate(row))
                for row in rows
            )
        copy_rows(model._meta.db_table, columns, rows)
        return
    model._default_manager.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000)


def statistics_refresh(*models_: type[models.Model], on: WriteConnection | None = None) -> None:
    """``ANALYZE`` the models' tables on PostgreSQL (nothing elsewhere): after a bulk insert the
    planner's row counts are stale until autovacuum gets to them, and a query planned on "this
    table is empty" can turn a hash join into a scan per row (seen: minutes instead of a second).
    Inside a transaction it counts that transaction's own new rows too."""
    if not is_postgresql() or not models_:
        return
    execute("ANALYZE " + ", ".join(quote_name(model._meta.db_table) for model in models_), on=on)


def key_statistics_refresh(
    columns: Mapping[type[models.Model], Sequence[str]], *, on: WriteConnection | None = None
) -> None:
    """``ANALYZE`` only the named columns (attnames) of each model's table on PostgreSQL (nothing
    elsewhere): the table's row and page counts, which keep the planner off a scan per row after a
    bulk insert, and the statistics of the columns its lookups and joins use, in a fraction of a
    whole-table ``ANALYZE`` (a third, measured after a 100,000-product import). PostgreSQL resets
    autovacuum's count of changed rows only after a whole-table ``ANALYZE``, so the other columns'
    statistics still follow on autovacuum's own schedule."""
    if not is_postgresql() or not columns:
        return
    tables = ", ".join(
        f"{quote_name(model._meta.db_table)} ({', '.join(quote_name(name) for name in names)})"
        for model, names in columns.items()
    )
    execute(f"ANALYZE {tables}", on=on)


# --- Statement budgets -------------------------------------------------------------------------
def connection_budget(milliseconds: int) -> None:
    """From now on, PostgreSQL ends any statement or lock wait on this connection past
    ``milliseconds`` (a connection kept for answers that must arrive in time); nothing elsewhere."""
    if is_postgresql():
        budget = f"{milliseconds}ms"
        execute(
            "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
            [budget, budget],
        )


def statement_budget(milliseconds: int) -> None:
    """Inside a transaction, a tighter budget than the connection already has (PostgreSQL ends a
    statement or a lock wait past it; the budget ends with the transaction)."""
    if is_postgresql():
        execute(
            "SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)",
            [f"{milliseconds}ms", f"{milliseconds}ms"],
        )


def round_trip(*, timeout_ms: int) -> None:
    """One trivial statement, which PostgreSQL gives up after ``timeout_ms``: the database answers."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        cursor.execute("SELECT 1")
        cursor.fetchone()


# --- One statement that may fail ----------------------------------------------------------------
def statement_guard() -> AbstractContextManager[Any]:
    """Around one statement that may raise IntegrityError (a unique key a concurrent writer took):
    a savepoint inside a transaction, so the failure leaves the transaction usable; nothing in
    autocommit (a worker's settlement), where the statement is its own transaction and a savepoint
    would only add BEGIN and COMMIT round trips."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()
