"""python manage.py identity_key SHOPPER_ID --store STORE_ID — what Amazon would send for this shopper's scan."""

import base64
import json
import shlex
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from catalog.models import Store
from entry.models import Shopper
from entry.services.shoppers import ScanKeyNotIssued, scan_key_issue


class Command(BaseCommand):
    help = "Issue a fresh Scan Key Code and print it Base64-encoded as Amazon's identityKey, with a curl line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("shopper_id", help="The shopper's external id.")
        parser.add_argument("--store", required=True, help="Amazon's store id of the gate.")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--only-this-store", action="store_true", help="Bind the code to --store.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Issue even if the app would not (blocked, no card…), to see the gate refuse it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shopper = Shopper.objects.filter(external_id=options["shopper_id"]).first()
        if shopper is None:
            raise CommandError(f"No shopper {options['shopper_id']!r}.")
        store = Store.objects.filter(store_id=options["store"]).first()
        if store is None:
            raise CommandError(f"No store {options['store']!r}.")
        try:
            issued = scan_key_issue(
                shopper=shopper,
                store=store if options["only_this_store"] else None,
                check_prerequisites=not options["force"],
            )
        except ScanKeyNotIssued as refusal:
            raise CommandError(
                f"No code for {shopper.external_id}: {refusal.message} "
                "(--force issues one anyway, for the gate to refuse)"
            ) from refusal
        identity_key = base64.b64encode(issued.code.encode()).decode()
        body = {
            "requestId": str(uuid.uuid4()),
            "identityKey": identity_key,
            "storeId": store.store_id,
            "authEvent": {
                "id": str(uuid.uuid4()),
                "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "location": "ENTRY",
            },
            "keyChannel": "OPTICAL",
        }
        url = f"{options['base_url'].rstrip('/')}/v1/identity/identity-keys"
        self.stdout.write(identity_key)
        self.stdout.write(
            f"Fresh for {settings.JWO_SCAN_KEY_TTL_SECONDS} s (until {issued.expires_at:%H:%M:%S} UTC). "
            "Try it (JWO_CONNECTOR_KEY: a key from `manage.py connector_key create`):"
        )
        self.stdout.write(
            f"curl -sS -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
            f'-H "{settings.JWO_CONNECTOR_KEY_HEADER}: $JWO_CONNECTOR_KEY" -d {shlex.quote(json.dumps(body))}'
        )
