"""python manage.py connector_key create|list|revoke — the keys Amazon's calls carry (SPEC §3.2)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwo_admin.core.connector_keys import connector_key_create, connector_key_list, connector_key_revoke
from jwo_admin.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create, list or revoke connector keys. A new key is printed once; only its hash is kept."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key and print it once.")
        create.add_argument("--name", required=True, help="Where the key is used, e.g. 'API gateway prod'.")
        actions.add_parser("list", help="List keys (ids and names, never secrets).")
        revoke = actions.add_parser("revoke", help="Revoke a key at once.")
        revoke.add_argument("key_id", help="The key id shown by 'list'.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                key, full = connector_key_create(name=options["name"], created_by="manage.py")
                self.stdout.write(f"Connector key {key.key_id} ({key.name}) created. Shown once, keep it safe:")
                self.stdout.write(full)
                self.stdout.write(f"The API gateway sends it in the {settings.JWO_CONNECTOR_KEY_HEADER} header.")
            elif options["action"] == "list":
                for key in connector_key_list():
                    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
                    used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
                    self.stdout.write(f"{key.key_id}  {state:<24} {used:<28} {key.name}")
            else:
                key = connector_key_revoke(key_id=options["key_id"])
                self.stdout.write(f"Connector key {key.key_id} ({key.name}) revoked.")
        except ApplicationError as error:
            raise CommandError(error.message) from error
