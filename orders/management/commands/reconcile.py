"""python manage.py reconcile --store STORE_ID --day YYYY-MM-DD

What the nightly beat run does for one store day (README, "Reconciliation"): match every admission
with its purchase and every priced purchase with its payments, and fill the queue. Safe to re-run."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Store
from orders.services.reconciliation import reconciliation_run


class Command(BaseCommand):
    help = "Reconcile one store day from our own records (missing carts, payment discrepancies)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="Amazon's store id.")
        parser.add_argument("--day", required=True, type=date.fromisoformat, help="The day on the store's clock.")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(store_id=options["store"]).first()
        if store is None:
            raise CommandError(f"No store {options['store']}.")
        result = reconciliation_run(
            store=store, day=options["day"], progress=lambda step: self.stdout.write(f"… {step}")
        )
        cut_off = "decided" if result.missing_carts_decided else "not decided yet (too early)"
        self.stdout.write(
            f"{store.store_id} {result.store_day}: {result.admissions} admissions (missing carts {cut_off}), "
            f"{result.purchases_checked} priced purchases checked; {result.opened} new, {result.cleared} cleared, "
            f"{result.open_count} open{' — day closed' if not result.open_count else ''}."
        )
