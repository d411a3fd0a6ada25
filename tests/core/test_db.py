"""The database-dialect module: each named operation does the same thing on PostgreSQL and SQLite
(the suite runs on both), and the PostgreSQL-only ones (COPY, a second write connection) do
theirs there."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, models, transaction

from catalog.models import Product, ProductChange, Store
from jwo_admin.core import db
from jwo_admin.core.models import SignInLock

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = "postgresql"


@pytest.fixture
def scratch() -> Iterator[str]:
    """A temporary table of the test's own: a key, a counter and a JSON body."""
    db.execute("CREATE TEMP TABLE jwo_db_scratch (k varchar(10) PRIMARY KEY, n integer NOT NULL, body jsonb)")
    yield "jwo_db_scratch"
    db.execute("DROP TABLE jwo_db_scratch")


def test_the_questions_follow_the_database() -> None:
    on_postgresql = connection.vendor == ON_POSTGRESQL

    assert db.dialect() == connection.vendor
    assert db.is_postgresql() is on_postgresql
    assert db.supports_copy() is on_postgresql
    assert db.supports_data_modifying_ctes() is on_postgresql
    assert db.supports_percentile_aggregates() is on_postgresql


def test_statements_run_and_return_their_rows(scratch: str) -> None:
    db.execute(f"INSERT INTO {scratch} (k, n) VALUES (%s, %s)", ["a", 1])  # noqa: S608
    db.execute_many(f"INSERT INTO {scratch} (k, n) VALUES (%s, %s)", [["b", 2], ["c", 3]])  # noqa: S608

    assert db.fetch_one(f"SELECT k, n FROM {scratch} WHERE k = %s", ["b"]) == ("b", 2)  # noqa: S608
    assert db.fetch_one(f"SELECT k FROM {scratch} WHERE k = %s", ["z"]) is None  # noqa: S608
    assert db.fetch_all(f"SELECT k, n FROM {scratch} ORDER BY k") == [("a", 1), ("b", 2), ("c", 3)]  # noqa: S608


def test_upsert_keeps_the_first_row_and_counts_the_others(scratch: str) -> None:
    def upsert(key: str, body: dict[str, int]) -> tuple[object, ...]:
        return db.upsert_keep_first(
            table=scratch,
            columns=("k", "n", "body"),
            values=[key, 0, json.dumps(body)],
            conflict_column="k",
            counter_column="n",
            returning=("k", "body"),
            json_columns=frozenset({"body"}),
        )

    first = upsert("a", {"answer": 1})
    again = upsert("a", {"answer": 2})
    third = upsert("a", {"answer": 3})
    other = upsert("b", {"answer": 4})

    assert first == ("a", {"answer": 1}, 0)
    assert again == ("a", {"answer": 1}, 1)
    assert third == ("a", {"answer": 1}, 2)
    assert other == ("b", {"answer": 4}, 0)
    assert db.fetch_all(f"SELECT k, n FROM {scratch} ORDER BY k") == [("a", 2), ("b", 0)]  # noqa: S608


def test_upsert_on_a_model_table_with_a_two_column_conflict() -> None:
    at = db.datetime_parameter(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))

    def upsert() -> tuple[object, ...]:
        return db.upsert_keep_first(
            table=SignInLock._meta.db_table,
            columns=("kind", "key", "failures", "first_failure_at", "last_failure_at"),
            values=["user", "ada", 0, at, at],
            conflict_column="kind, key",
            counter_column="failures",
            returning=("key",),
        )

    assert (upsert(), upsert()) == (("ada", 0), ("ada", 1))
    lock = SignInLock.objects.get(key="ada")
    assert (lock.failures, lock.first_failure_at) == (1, datetime(2025, 3, 10, 12, 0, tzinfo=UTC))


def test_sql_fragments_compute_the_same_values() -> None:
    padded = db.fetch_one(f"SELECT {db.zero_padded_sql('42', 8)}, {db.zero_padded_sql('123456789', 8)}", [])
    json_object = db.fetch_one(f"SELECT {db.json_object_function()}('purchaseId', {db.typed_parameter('text')})", ["x"])
    flag = db.fetch_one(f"SELECT CASE WHEN {db.typed_parameter('boolean')} THEN 'yes' ELSE 'no' END", [True])

    assert padded == ("00000042", "123456789")
    assert json_object is not None
    assert db.json_result(json_object[0]) == {"purchaseId": "x"}
    assert flag == ("yes",)


def test_next_id_sql_names_the_id_an_insert_would_take(store: Store) -> None:
    row = db.fetch_one(f"SELECT {db.next_id_sql(Store._meta.db_table)}")

    assert row == (store.pk + 1,)


def test_values_are_bound_as_the_orm_binds_them() -> None:
    price = models.DecimalField(max_digits=12, decimal_places=2)
    name = models.CharField(max_length=20)
    on_postgresql = connection.vendor == ON_POSTGRESQL

    assert db.column_type(price) == ("numeric" if on_postgresql else "decimal")
    assert db.column_type(name) == "text"
    assert db.quote_name("position") == '"position"'
    assert db.json_parameter() == ("%s::jsonb" if on_postgresql else "%s")
    assert db.typed_parameter("integer") == ("%s::integer" if on_postgresql else "%s")
    assert db.json_result('{"a": 1}') == {"a": 1}
    assert db.json_result({"a": 1}) == {"a": 1}
    at = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    assert db.datetime_parameter(at) == connection.ops.adapt_datetimefield_value(at)


def test_bulk_insert_takes_python_values_json_included(store: Store) -> None:
    product = Product.objects.create(store=store, sku="SKU-1", name="Bulk")
    at = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    columns = ("product_id", "source", "changes", "created_at")
    rows = [(product.pk, "import", {"name": ["old", f"new {n}"]}, at) for n in range(3)]

    db.bulk_insert(ProductChange, columns, rows)
    db.statistics_refresh(ProductChange, Product)

    stored = list(ProductChange.objects.filter(product=product).order_by("pk").values_list("source", "changes"))
    assert stored == [("import", {"name": ["old", f"new {n}"]}) for n in range(3)]


def test_statement_budget_ends_a_slow_statement_on_postgresql() -> None:
    if connection.vendor != ON_POSTGRESQL:
        with transaction.atomic():
            db.statement_budget(50)  # nothing to set: SQLite has no statement timeout
            assert db.fetch_one("SELECT 1") == (1,)
        return
    with transaction.atomic():
        db.statement_budget(50)
        budget = db.fetch_one("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
        with pytest.raises(OperationalError, match="statement timeout"), transaction.atomic():
            db.fetch_one("SELECT pg_sleep(1)")

    assert budget == ("50ms", "50ms")


def test_connection_budget_holds_for_the_connection() -> None:
    before = db.fetch_one("SELECT current_setting('statement_timeout')") if db.is_postgresql() else None
    try:
        db.connection_budget(1500)
        if db.is_postgresql():
            assert db.fetch_all("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')") == [
                ("1500ms", "1500ms")
            ]
    finally:
        if before is not None:
            db.execute(
                "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
                [before[0], before[0]],
            )


def test_round_trip_answers() -> None:
    with transaction.atomic():
        db.round_trip(timeout_ms=2000)


# --- PostgreSQL only: COPY and the second write connection -------------------------------------
@pytest.fixture
def write_connection(require_postgres: None) -> Iterator[db.WriteConnection]:
    conn = db.write_connection_open()
    db.execute("CREATE TEMP TABLE jwo_copy (id integer PRIMARY KEY, name text, price numeric, body jsonb)", on=conn)
    yield conn
    conn.rollback()
    conn.close()


def test_copy_rows_and_copy_text_stream_rows_in(write_connection: db.WriteConnection) -> None:
    db.copy_rows(
        "jwo_copy",
        ("id", "name", "price", "body"),
        [(1, "tab\there", Decimal("9.99"), '{"a": 1}')],
        on=write_connection,
    )
    db.copy_text("jwo_copy", ("id", "name", "price", "body"), "2\tplain\t\\N\t[]\n", on=write_connection)

    assert db.fetch_all("SELECT id, name, price, body FROM jwo_copy ORDER BY id", on=write_connection) == [
        (1, "tab\there", Decimal("9.99"), {"a": 1}),
        (2, "plain", None, []),
    ]


def test_update_from_rows_sets_every_column_but_the_key(write_connection: db.WriteConnection) -> None:
    db.copy_text("jwo_copy", ("id", "name", "price"), "1\tone\t1\n2\ttwo\t2\n3\tthree\t3\n", on=write_connection)

    db.update_from_rows(
        table="jwo_copy",
        columns=("id", "name", "price"),
        rows=[(1, "uno", Decimal("1.50")), (3, "tres", None)],
        staging="jwo_copy_update",
        on=write_connection,
    )

    assert db.fetch_all("SELECT id, name, price FROM jwo_copy ORDER BY id", on=write_connection) == [
        (1, "uno", Decimal("1.50")),
        (2, "two", Decimal("2")),
        (3, "tres", None),
    ]


def test_the_write_connection_is_a_session_of_its_own(write_connection: db.WriteConnection) -> None:
    own = db.fetch_all("SELECT pg_backend_pid()", on=write_connection)
    django = db.fetch_all("SELECT pg_backend_pid()", on=db.connection_shared())

    assert write_connection.autocommit is False
    assert own != django
    assert db.connection_shared() is connection.connection


def test_next_ids_come_from_the_sequence(require_postgres: None) -> None:
    ids = db.next_ids(Store, 3)
    store = Store.objects.create(store_id="S-SEQ", name="Sequence")

    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    assert store.pk > ids[-1]


def test_json_rows_unpack_one_parameter_into_rows(require_postgres: None) -> None:
    rows = json.dumps([[1, {"a": 1}], [2, None]])
    cells = f"{db.json_row_cell(0, 'integer', is_json=False)}, {db.json_row_cell(1, 'jsonb', is_json=True)}"

    found = db.fetch_all(f"SELECT {cells} FROM {db.json_rows_source()}", [rows])  # noqa: S608

    assert [(number, db.json_result(body)) for number, body in found] == [(1, {"a": 1}), (2, None)]
