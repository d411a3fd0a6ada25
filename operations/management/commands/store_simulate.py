"""python manage.py store_simulate --base-url URL — play Amazon's side of a store against a running
jwo-admin over HTTP, then check the invariants against the database (the app's database: the
command must run with the same settings as the app at URL)."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from operations.models import SimulationStatus
from operations.simulation.config import SimulationConfig
from operations.simulation.report import summary_lines
from operations.simulation.services import simulation_run, simulation_start


class Command(BaseCommand):
    help = "Simulate a store's shoppers, gates and exits against a running jwo-admin; exit 1 if an invariant fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", required=True, help="The running app, e.g. http://127.0.0.1:8000")
        parser.add_argument("--store", help="Amazon store id (default: the first store)")
        parser.add_argument("--gates", type=int, default=4)
        parser.add_argument("--shoppers", type=int, default=40)
        length = parser.add_mutually_exclusive_group()
        length.add_argument("--minutes", type=float, help="Spread the arrivals over this long")
        length.add_argument("--seconds", type=float, help="The same, in seconds (default 30)")
        parser.add_argument("--seed", type=int, default=1)
        for name, default, what in (
            ("unknown-share", 0.05, "carts with a SKU the catalog lacks (bad carts)"),
            ("empty-share", 0.10, "shoppers who take nothing"),
            ("duplicate-share", 0.10, "exits Amazon delivers twice"),
            ("refused-share", 0.05, "entries with a stale or forged code"),
            ("associate-share", 0.05, "store associates among the visitors"),
            ("burst-share", 0.30, "shoppers who all walk out at once at the end"),
        ):
            parser.add_argument(f"--{name}", type=float, default=default, help=f"Share of {what} (default {default})")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(store_id=options["store"]).first() if options["store"] else None
        store = store or (None if options["store"] else Store.objects.order_by("store_id").first())
        if store is None:
            raise CommandError(f"No store {options['store']!r}." if options["store"] else "There is no store.")
        seconds = options["minutes"] * 60 if options["minutes"] else options["seconds"] or 30.0
        try:
            config = SimulationConfig(
                store_id=store.store_id,
                gates=options["gates"],
                shoppers=options["shoppers"],
                seconds=seconds,
                seed=options["seed"],
                unknown_share=options["unknown_share"],
                empty_share=options["empty_share"],
                duplicate_share=options["duplicate_share"],
                refused_share=options["refused_share"],
                associate_share=options["associate_share"],
                burst_share=options["burst_share"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        try:
            run = simulation_start(config=config, base_url=options["base_url"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"simulation #{run.pk}: {config.shoppers} shoppers, {config.gates} gates, {seconds:g} s")
        with tqdm(total=config.shoppers, unit="shopper", disable=options["no_progress"]) as bar:
            run = simulation_run(run_pk=run.pk, progress=lambda done, total: bar.update(done - bar.n))
        if run.status == SimulationStatus.ERROR:
            raise CommandError(f"simulation #{run.pk} could not run: {run.message}")
        if options["json"]:
            self.stdout.write(json.dumps(run.summary, indent=2))
        else:
            self.stdout.write("\n".join(summary_lines(run.summary)))
        if run.status != SimulationStatus.PASSED:
            raise CommandError(f"simulation #{run.pk} failed: {run.message}")
        self.stdout.write(f"simulation #{run.pk} passed")
