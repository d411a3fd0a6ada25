"""The demo, seeded across every app at once (``manage.py demo_seed``, ``make run``): two stores, a
catalog imported as staff would, pricing, staff of each role, shoppers of each kind, purchases and a
connector key. Operations holds it because it is the one room that may reach into every app."""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from catalog.demo import ERP_COLUMNS, ERP_PROFILE_NAME, erp_rows, sample_problem_rows, write_erp_csv
from catalog.models import ImportStatus, MappingProfile, Store
from catalog.services.imports import import_job_create, import_job_run
from catalog.services.staff_stores import staff_stores_set
from catalog.services.stores import mapping_profile_save
from entry.demo import demo_shoppers_ensure
from jwo_admin.core.connector_keys import connector_key_create, connector_key_list, connector_key_revoke
from jwo_admin.core.services import demo_staff_ensure
from orders.demo import demo_lost_cart_ensure, demo_pricing_ensure, demo_purchases_ensure

DEMO_KEY_NAME = "demo (make run)"


@dataclass
class DemoSeedReport:
    """What the operator is told: ``lines`` (what was seeded) for the console, ``problems`` for its
    error stream, and what signing in needs, for the command to lay out (``make run`` prints it last)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # username, password, role
    shopper_emails: list[str] = field(default_factory=list)  # the first one is ready to shop
    shopper_password: str = ""
    connector_key: str = ""
    gate_shopper_id: str = ""  # whose scan to try at the gate
    gate_store_id: str = ""


def demo_seed(*, products: int, password: str) -> DemoSeedReport:
    """Create or refresh the demo; safe to re-run (stores and the profile are kept, the catalog is
    re-imported, staff passwords renewed, the previous demo connector key revoked for a new one)."""
    report = DemoSeedReport()
    store, _ = Store.objects.get_or_create(
        store_id="DEMO-STORE-001",
        # demo stores are test stores: the simulator may run on them under production settings too
        defaults={
            "name": "Demo Market Downtown",
            "currency": "USD",
            "time_zone": "America/New_York",
            "is_test_store": True,
        },
    )
    station, _ = Store.objects.get_or_create(
        store_id="DEMO-STORE-002",
        defaults={
            "name": "Demo Market Station",
            "currency": "EUR",
            "time_zone": "Europe/Berlin",
            "prices_include_tax": True,
            "is_test_store": True,
        },
    )
    profile = MappingProfile.objects.filter(name=ERP_PROFILE_NAME).first() or mapping_profile_save(
        profile=MappingProfile(
            name=ERP_PROFILE_NAME,
            description="The demo ERP's export: ITEM_NO, DESCRIPTION, EAN, ALT_BARCODES (| separated)…",
            columns=ERP_COLUMNS,
        )
    )
    demo_dir = Path(settings.VAR_DIR) / "demo"
    catalog_file = demo_dir / "demo-catalog.csv"
    count = write_erp_csv(catalog_file, erp_rows(products))
    job = import_job_create(store=store, upload=catalog_file, profile=profile, is_dry_run=False)
    job = import_job_run(job_id=job.pk)
    job.refresh_from_db()
    if job.status != ImportStatus.APPLIED:
        report.problems.append(f"demo catalog import {job.status}: {job.message}")
    sample = demo_dir / "sample-import.csv"
    next_number = products + 1
    write_erp_csv(sample, [*erp_rows(20, seed=11, start=next_number), *sample_problem_rows(next_number + 20)])
    report.lines.append(
        f"Demo store {store.store_id}: {count} catalog rows imported ({job.rows_new} new, "
        f"{job.rows_unchanged} unchanged). Sample file to import: {sample} (mapping “{ERP_PROFILE_NAME}”)."
    )
    promotions = demo_pricing_ensure(stores=[store, station])
    report.lines.append(f"Pricing: tax rates for both stores and {promotions} promotions, one of each kind.")
    report.staff = demo_staff_ensure(password=password)
    for username, _, _ in report.staff:  # the demo's staff work for every store, said explicitly
        staff_stores_set(user=get_user_model().objects.get(username=username), all_stores=True)
    report.shopper_password = report.staff[0][1]
    shoppers = demo_shoppers_ensure(password=report.shopper_password)
    report.shopper_emails = [shopper.email for shopper in shoppers]
    report.gate_shopper_id, report.gate_store_id = shoppers[0].external_id, store.store_id
    purchases = demo_purchases_ensure(store=store)
    if purchases:
        report.lines.append(
            f"Orders: {purchases} demo purchases over two weeks (one bad cart to resolve; a shopper whose card "
            "was declined twice, blocked as a repeat offender)."
        )
    reconciled = demo_lost_cart_ensure(store=store)
    if reconciled is not None:
        report.lines.append(
            f"Reconciliation: yesterday at {store.store_id} has {reconciled.open_count} items open, among them a "
            "lost cart (a shopper admitted at 15:00, no purchase since): Orders → Reconciliation."
        )
    for old in connector_key_list().filter(name=DEMO_KEY_NAME, revoked_at__isnull=True):
        connector_key_revoke(key_id=old.key_id)
    _, report.connector_key = connector_key_create(name=DEMO_KEY_NAME, created_by="demo_seed")
    report.lines.append(
        "Try Create Purchases: Orders → Try a cart prices a cart and prints the curl command that sends it."
    )
    return report
