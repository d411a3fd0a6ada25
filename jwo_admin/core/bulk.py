"""Bulk inserts that stay fast at hundreds of thousands of rows: COPY on PostgreSQL, batched
INSERTs elsewhere. Rows are plain tuples in the order of ``columns``."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def copy_rows(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Stream rows into ``table`` with PostgreSQL's COPY (``cursor`` is psycopg's own cursor)."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows given as tuples of column values (attnames, e.g. ``product_id``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_rows(cursor.cursor, model._meta.db_table, columns, rows)
        return
    model._default_manager.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000)


def statistics_refresh(*models_: type[models.Model]) -> None:
    """``ANALYZE`` the models' tables on PostgreSQL (nothing elsewhere): after a bulk insert the
    planner's row counts are stale until autovacuum gets to them, and a query planned on "this
    table is empty" can turn a hash join into a scan per row (seen: minutes instead of a second).
    Inside a transaction it counts that transaction's own new rows too."""
    if connection.vendor != "postgresql" or not models_:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models_))
