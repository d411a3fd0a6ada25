"""python manage.py shopper_add — a shopper (or associate) who can get Scan Key Codes."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from entry.models import Shopper, ShopperStatus, VisitorType
from entry.services.shoppers import payment_method_add, shopper_create, shopper_set_status


def _card_expiry(value: str) -> tuple[int, int]:
    try:
        month, year = (int(part) for part in value.split("/"))
    except ValueError as error:
        raise CommandError(f"--card wants MM/YYYY, got {value!r}.") from error
    if not 1 <= month <= 12 or year < 2000:
        raise CommandError(f"--card wants MM/YYYY, got {value!r}.")
    return month, year


class Command(BaseCommand):
    help = "Add a shopper, associate or cash shopper, optionally with a card on file and an app password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("external_id", help="The retailer's id (Amazon receives it as visitorDetails.id).")
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--type", choices=VisitorType.values, default=VisitorType.SHOPPER)
        parser.add_argument("--password", default="", help="For the app and the shopper page (default: none).")
        parser.add_argument("--card", metavar="MM/YYYY", help="Put a test card expiring then on file.")
        parser.add_argument("--status", choices=ShopperStatus.values, default=ShopperStatus.ACTIVE)
        parser.add_argument("--reason", default="", help="Why flagged or blocked.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Shopper.objects.filter(external_id=options["external_id"]).exists():
            raise CommandError(f"A shopper {options['external_id']!r} already exists.")
        card = _card_expiry(options["card"]) if options["card"] else None
        try:
            shopper = shopper_create(
                external_id=options["external_id"],
                name=options["name"],
                email=options["email"],
                visitor_type=options["type"],
                password=options["password"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        if card:
            payment_method_add(
                shopper=shopper,
                provider_reference=f"test_card_{shopper.external_id}",
                expiry_month=card[0],
                expiry_year=card[1],
                brand="Test card",
                last4="4242",
            )
        if options["status"] != ShopperStatus.ACTIVE:
            shopper_set_status(shopper=shopper, status=options["status"], reason=options["reason"])
        self.stdout.write(f"Shopper {shopper.external_id} ({shopper.get_visitor_type_display()}) added.")
