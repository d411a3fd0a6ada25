"""demo_seed, run as an operator would: demo stores, catalog, pricing, staff, shoppers and a connector key."""

import os
import re
import secrets
import sys
import tempfile
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from catalog.demo import ERP_COLUMNS, ERP_PROFILE_NAME
from catalog.models import ImportJob, ImportRowError, ImportStatus, MappingProfile, Product, Store
from entry.models import Shopper
from jwo_admin.core.connector_keys import connector_key_verify
from jwo_admin.core.models import ConnectorKey
from operations.management.commands.demo_seed import shown_path
from orders.demo import DEMO_LOST_CART_EVENT
from orders.models import PaymentIssue, Purchase, ReconciliationItem
from tests.catalog.helpers import run_import
from tests.conftest import missing_service
from tests.core.test_settings import PRODUCTION_ENV, manage
from tests.e2e.processes import free_port

PRODUCTION = "jwo_admin.settings.production"
# The interpreter as typed from the project's folder (`.venv/bin/python` under `make test`).
PYTHON_AS_TYPED = shown_path(sys.executable)

pytestmark = pytest.mark.django_db


def demo_seed(*args: str) -> str:
    stdout, stderr = StringIO(), StringIO()
    call_command("demo_seed", "--products", "200", *args, stdout=stdout, stderr=stderr)
    assert stderr.getvalue() == ""
    return stdout.getvalue()


def printed_password(output: str) -> str:
    passwords = set(re.findall(r"^Staff login: \S+ / (\S+) \(", output, flags=re.MULTILINE))
    assert len(passwords) == 1
    return passwords.pop()


@pytest.fixture
def var_dir(tmp_path: Path, settings: Any) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path / "var"


def test_demo_seed_creates_stores_products_profile_staff_and_sample(var_dir: Path) -> None:
    output = demo_seed()

    password = printed_password(output)
    key = output.split("Connector key (shown once): ")[1].split()[0]
    sample = var_dir / "demo" / "sample-import.csv"
    open_items = ReconciliationItem.objects.filter(status="open")
    # the lost cart, and the declined card when its trip (17:00 UTC the day before) falls on the
    # store's yesterday in New York, which depends on the hour the test runs
    lost = open_items.get(kind="missing_cart")
    assert (lost.trip_id, lost.store.store_id) == (DEMO_LOST_CART_EVENT, "DEMO-STORE-001")
    assert set(open_items.exclude(pk=lost.pk).values_list("kind", "purchase__shopper__external_id")) <= {
        ("uncaptured", "cust-demo-declined")
    }
    assert output.splitlines() == [
        "Demo store DEMO-STORE-001: 200 catalog rows imported (200 new, 0 unchanged). "
        f"Sample file to import: {sample} (mapping “Demo ERP”).",
        "Pricing: tax rates for both stores and 6 promotions, one of each kind.",
        "Orders: 65 demo purchases over two weeks (one bad cart to resolve; a shopper whose card was declined "
        "twice, blocked as a repeat offender).",
        f"Reconciliation: yesterday at DEMO-STORE-001 has {open_items.count()} items open, among them a lost cart "
        "(a shopper admitted at 15:00, no purchase since): Orders → Reconciliation.",
        "Try Create Purchases: Orders → Try a cart prices a cart and prints the curl command that sends it.",
        f"Staff login: admin / {password} (Admin)",
        f"Staff login: catalog / {password} (Catalog manager)",
        f"Staff login: store / {password} (Store manager)",
        f"Staff login: viewer / {password} (Viewer)",
        f"Shopper sign-in at http://127.0.0.1:8000/shop/: alex@example.com / {password} (also sam@example.com, "
        "jo@example.com, cash@example.com, blocked@example.com, nocard@example.com, dee@example.com)",
        f"Connector key (shown once): {key}",
        "Try the gate from this folder (it prints the Base64 identityKey and a curl line that sends it):",
        f"  export JWO_CONNECTOR_KEY={key}",
        f"  {PYTHON_AS_TYPED} manage.py identity_key cust-demo-001 --store DEMO-STORE-001",
    ]
    assert connector_key_verify(key) is not None
    assert list(Shopper.objects.order_by("external_id").values_list("external_id", "visitor_type", "status")) == [
        ("assoc-demo-001", "ASSOCIATE", "active"),
        ("cash-demo-001", "CASH_SHOPPER", "active"),
        ("cust-demo-001", "SHOPPER", "active"),
        ("cust-demo-002", "SHOPPER", "active"),
        ("cust-demo-blocked", "SHOPPER", "blocked"),
        ("cust-demo-declined", "SHOPPER", "blocked"),  # its sandbox card declined twice: a repeat offender
        ("cust-demo-nocard", "SHOPPER", "active"),
    ]
    purchases = Purchase.objects.filter(store__store_id="DEMO-STORE-001")
    assert sorted(Counter(purchases.values_list("status", "payment_status")).items()) == [
        (("bad_cart", "on_hold"), 1),
        (("empty", "not_charged"), 1),
        (("priced", "at_counter"), 1),
        (("priced", "captured"), 60),
        (("priced", "failed"), 2),
    ]
    assert (
        list(PaymentIssue.objects.values_list("shopper__external_id", "kind", "outcome", "status"))
        == [("cust-demo-declined", "authorise", "declined", "open")] * 2
    )
    assert Shopper.objects.get(external_id="cust-demo-declined").status_reason == "2 unpaid debts in 30 days"
    assert list(Store.objects.order_by("store_id").values_list("store_id", "currency")) == [
        ("DEMO-STORE-001", "USD"),
        ("DEMO-STORE-002", "EUR"),
    ]
    assert Product.objects.filter(store__store_id="DEMO-STORE-001").count() == 200
    assert Product.objects.filter(store__store_id="DEMO-STORE-002").count() == 0
    assert MappingProfile.objects.get(name=ERP_PROFILE_NAME).columns == ERP_COLUMNS
    assert sorted(User.objects.values_list("username", flat=True)) == ["admin", "catalog", "store", "viewer"]


def test_demo_seed_on_another_address_with_mail_in_files_says_so_last(var_dir: Path, settings: Any) -> None:
    """As `make run` calls it: the links and the printed command follow --base-url; the last line says
    where the receipts went (the file backend, under the project's folder: shown relative to it)."""
    settings.BASE_DIR = var_dir.parent  # a project folder of its own: any mail is written there
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = var_dir / "mail"

    lines = demo_seed("--base-url", "http://127.0.0.1:8123/").splitlines()

    assert lines[-6].startswith("Shopper sign-in at http://127.0.0.1:8123/shop/: alex@example.com / ")
    assert lines[-2:] == [
        f"  {shown_path(sys.executable)} manage.py identity_key cust-demo-001 --store DEMO-STORE-001 "
        "--base-url http://127.0.0.1:8123",
        "Receipts emailed in the demo are in var/mail/ (a file per email).",
    ]


def test_demo_staff_log_in_with_the_printed_password_in_their_role(var_dir: Path) -> None:
    password = printed_password(demo_seed())

    roles = {}
    for username in ("admin", "catalog", "store", "viewer"):
        user = authenticate(username=username, password=password)
        assert isinstance(user, User)
        roles[username] = (list(user.groups.values_list("name", flat=True)), user.is_staff)
    assert authenticate(username="admin", password=password + "x") is None
    assert roles == {
        "admin": (["Admin"], True),
        "catalog": (["Catalog manager"], False),
        "store": (["Store manager"], False),
        "viewer": (["Viewer"], False),
    }


def test_demo_seed_run_twice_keeps_one_active_demo_connector_key(var_dir: Path) -> None:
    first = demo_seed().split("Connector key (shown once): ")[1].split()[0]
    second = demo_seed().split("Connector key (shown once): ")[1].split()[0]

    assert connector_key_verify(first) is None
    assert connector_key_verify(second) is not None
    assert ConnectorKey.objects.filter(revoked_at__isnull=True).count() == 1
    assert Shopper.objects.count() == 7
    assert Purchase.objects.count() == 65  # the demo trips are made once
    assert ReconciliationItem.objects.filter(kind="missing_cart").count() == 1  # and the lost cart too


def test_demo_seed_uses_a_given_password(var_dir: Path) -> None:
    output = demo_seed("--password", "demo-pass-1234")

    assert printed_password(output) == "demo-pass-1234"
    assert isinstance(authenticate(username="viewer", password="demo-pass-1234"), User)


def test_demo_sample_file_has_the_expected_problem_rows(var_dir: Path) -> None:
    demo_seed()
    store = Store.objects.get(store_id="DEMO-STORE-001")
    profile = MappingProfile.objects.get(name=ERP_PROFILE_NAME)

    job = run_import(store, var_dir / "demo" / "sample-import.csv", dry_run=True, profile=profile)

    assert (job.status, job.rows_total, job.rows_new, job.rows_rejected, job.rows_warned) == (
        ImportStatus.PREVIEWED,
        26,
        21,
        5,
        1,
    )
    problems = list(ImportRowError.objects.filter(job=job).values_list("row_number", "sku", "field", "is_warning"))
    assert problems == [
        (22, "SKU0000221", "external_product_id", False),
        (23, "SKU0000222", "item_name", False),
        (24, "SKU0000223", "standard_price", False),
        (25, "SKU0000224", "product_category", False),
        (26, "SKU0000225", "", True),
        (27, "SKU0000226", "external_product_id", False),
    ]
    assert Product.objects.count() == 200


def test_demo_seed_twice_keeps_the_same_counts_and_renews_the_password(var_dir: Path) -> None:
    first = printed_password(demo_seed())
    products = list(Product.objects.order_by("id").values_list("id", "sku", "amazon_fingerprint"))

    output = demo_seed()

    second = printed_password(output)
    assert output.splitlines()[0] == (
        "Demo store DEMO-STORE-001: 200 catalog rows imported (0 new, 200 unchanged). "
        f"Sample file to import: {var_dir / 'demo' / 'sample-import.csv'} (mapping “Demo ERP”)."
    )
    assert (Store.objects.count(), User.objects.count()) == (2, 4)
    assert MappingProfile.objects.filter(name=ERP_PROFILE_NAME).count() == 1
    assert list(Product.objects.order_by("id").values_list("id", "sku", "amazon_fingerprint")) == products
    assert ImportJob.objects.filter(status=ImportStatus.APPLIED).count() == 2
    assert second != first
    assert isinstance(authenticate(username="catalog", password=second), User)
    assert authenticate(username="catalog", password=first) is None


def test_try_a_cart_prices_pounds_of_a_demo_produce_item_in_kilos(var_dir: Path) -> None:
    """The README's walk-through: *Try a cart* with `P0000025 1.5 lb` in the demo store."""
    demo_seed()
    produce = Product.objects.get(store__store_id="DEMO-STORE-001", sku="P0000025")
    store_manager = User.objects.get(username="store")
    client = Client()
    client.force_login(store_manager)

    html = client.get(
        "/orders/try-a-cart/", {"store": str(produce.store_id), "lines": "P0000025 1.5 lb"}
    ).content.decode()

    assert produce.price is not None
    price = produce.price.quantize(Decimal("0.01"))
    assert (produce.unit, price) == ("kg", Decimal("6.79"))
    gross = (Decimal("0.680389") * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # 4.62
    assert f"= 0.680389 kg × {price}/kg" in html
    assert f"<td>{gross}</td>" in html


def test_demo_seed_with_production_settings_does_not_crash_when_mail_cannot_be_sent(redis_url: str) -> None:
    """Production settings, a mail server nobody answers for: the receipts are queued, not sent
    inline, so seeding finishes; the purchases are charged and their receipts wait for a worker."""
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        missing_service("PostgreSQL (set DATABASE_URL; `make test` starts one)")
    name = f"jwo_seed_{secrets.token_hex(4)}"
    parts = urlsplit(database)
    own_database = urlunsplit(parts._replace(path=f"/{name}"))
    own_redis = urlunsplit(urlsplit(redis_url)._replace(path="/9"))
    redis.Redis.from_url(own_redis).flushdb()
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": own_database,
        "REDIS_URL": own_redis,
        "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",  # nothing listens there
        "DJANGO_MEDIA_ROOT": tempfile.mkdtemp(prefix="jwo-seed-"),
        "JWO_VAR_DIR": tempfile.mkdtemp(prefix="jwo-seed-var-"),
    }
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # a fixed prefix and hex: no injection
    try:
        migrated = manage("migrate", "--no-input", "-v", "0", DJANGO_SETTINGS_MODULE=PRODUCTION, **env)
        assert migrated.returncode == 0, migrated.stderr
        seeded = manage("demo_seed", "--products", "200", DJANGO_SETTINGS_MODULE=PRODUCTION, **env)

        assert seeded.returncode == 0, seeded.stderr[-3000:]
        assert "Orders: 65 demo purchases over two weeks" in seeded.stdout
        with psycopg.connect(own_database, autocommit=True) as sql:
            receipts: dict[str, int] = dict(
                sql.execute(
                    "SELECT receipt_status, count(*) FROM orders_purchase WHERE payment_status = 'captured' "
                    "GROUP BY receipt_status"
                ).fetchall()
            )
        assert set(receipts) == {"pending"}  # queued for a worker, none lost, none sent inline
    finally:
        redis.Redis.from_url(own_redis).flushdb()
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
