"""python manage.py catalog_upload [--store S] [--full] [--dry-run] [--wait] — sync the catalog to Amazon."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.models import Store, SyncRun
from catalog.selectors.sync import sync_preview
from catalog.services.sync_follow import sync_run_follow
from catalog.services.sync_plan import SyncAlreadyRunning, sync_plan


class Command(BaseCommand):
    help = "Send the products Amazon does not have as they are (or all, with --full); --wait follows the results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", action="append", default=[], help="Amazon store id (repeat; default: all)")
        parser.add_argument("--full", action="store_true", help="Send every active product, changed or not")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be sent; send nothing")
        parser.add_argument("--wait", action="store_true", help="Stay until Amazon's results are in")
        parser.add_argument("--timeout", type=float, default=3600.0, help="Seconds to wait with --wait")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stores = list(Store.objects.order_by("store_id"))
        if options["store"]:
            wanted = set(options["store"])
            stores = [store for store in stores if store.store_id in wanted]
            missing = wanted - {store.store_id for store in stores}
            if missing:
                raise CommandError(f"No store with id {', '.join(sorted(missing))}.")
        failed = False
        for store in stores:
            preview = sync_preview(store=store, is_full=options["full"])
            self.stdout.write(
                f"{store.store_id}: {preview.total} to send — {preview.new} new, {preview.changed} changed, "
                f"{preview.reactivated} reactivated, {preview.archived} to archive"
            )
            if options["dry_run"] or not preview.total:
                continue
            try:
                run = sync_plan(store=store, is_full=options["full"])
            except SyncAlreadyRunning as error:
                self.stderr.write(error.message)
                failed = True
                continue
            self.stdout.write(f"  sync #{run.pk}: {run.batches.count()} batches queued")
            if options["wait"]:
                run = self._follow(run, options)
                self.stdout.write(
                    f"  sync #{run.pk} {run.status}: {run.items_accepted} accepted, {run.items_rejected} rejected, "
                    f"{run.items_failed} failed"
                )
                for item in run.items.exclude(result__in=("accepted", "pending")).order_by("sku")[:20]:
                    self.stdout.write(f"    {item.sku} {item.result}: {item.message}")
                failed |= run.status != "done" or bool(run.items_failed)
        if failed:
            raise CommandError("Some items failed or the sync did not finish; see the sync pages for details.")

    def _follow(self, run: SyncRun, options: dict[str, Any]) -> SyncRun:
        bar = None if options["no_progress"] else tqdm(total=run.items_total, unit="item", file=self.stderr._out)

        def progress(current: SyncRun) -> None:
            if bar is not None:
                done = current.items_total - current.items_pending
                bar.set_description(current.get_status_display())
                bar.update(done - bar.n)

        try:
            return sync_run_follow(run=run, timeout=options["timeout"], on_progress=progress)
        finally:
            if bar is not None:
                bar.close()
