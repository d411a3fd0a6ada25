"""python manage.py demo_seed — demo stores, products, shoppers of each kind, staff of each role and a
connector key, so every part of the app can be tried at once (``operations.services.demo``).

The output ends with what a newcomer needs to sign in and try the gate (``make run`` prints it as
its last block): the commands in it run as printed from the project's folder, with the interpreter
this command was run with (``.venv/bin/python`` under ``make run``; a bare ``python`` may be one
without Django).
"""

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from operations.services.demo import DemoSeedReport, demo_seed

DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # the default of runserver and of identity_key --base-url
FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def shown_path(path: Path | str) -> str:
    """A path as a person types it from the project's folder: relative inside it, absolute outside."""
    absolute = Path(path).absolute()
    try:
        return str(absolute.relative_to(Path(settings.BASE_DIR).absolute()))
    except ValueError:
        return str(absolute)


def sign_in_lines(report: DemoSeedReport, *, base_url: str) -> list[str]:
    """Where to sign in, as whom, and how to try the gate: one short block, commands runnable as printed."""
    base_url = base_url.rstrip("/")
    identity_key = (
        f"{shown_path(sys.executable)} manage.py identity_key {report.gate_shopper_id} --store {report.gate_store_id}"
    )
    if base_url != DEFAULT_BASE_URL:
        identity_key += f" --base-url {base_url}"
    lines = [f"Staff login: {username} / {password} ({role})" for username, password, role in report.staff]
    lines += [
        f"Shopper sign-in at {base_url}/shop/: {report.shopper_emails[0]} / {report.shopper_password} "
        f"(also {', '.join(report.shopper_emails[1:])})",
        f"Connector key (shown once): {report.connector_key}",
        "Try the gate from this folder (it prints the Base64 identityKey and a curl line that sends it):",
        f"  export JWO_CONNECTOR_KEY={report.connector_key}",
        f"  {identity_key}",
    ]
    if settings.EMAIL_BACKEND == FILE_EMAIL_BACKEND:
        mail = shown_path(settings.EMAIL_FILE_PATH)  # type: ignore[misc]  # a setting django-stubs does not list
        lines.append(f"Receipts emailed in the demo are in {mail}/ (a file per email).")
    return lines


class Command(BaseCommand):
    help = "Create demo stores, products, a sample import file with mistakes, and demo staff. Safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=3000)
        parser.add_argument("--password", default="", help="Password for the demo staff (default: generated)")
        parser.add_argument(
            "--base-url", default=DEFAULT_BASE_URL, help="Where the app answers, for the printed links and commands"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_seed(products=options["products"], password=options["password"])
        for problem in report.problems:
            self.stderr.write(problem)
        for line in [*report.lines, *sign_in_lines(report, base_url=options["base_url"])]:
            self.stdout.write(line)
