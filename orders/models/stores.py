"""Orders' settings per store (catalog's Store knows nothing of payments): the pre-authorisation
amount, what becomes of a hold that expired before its cart was priced, and the refund window."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from catalog.models import Store

DEFAULT_PREAUTHORISATION_AMOUNT = Decimal("50.00")


class ExpiredHoldPolicy(models.TextChoices):
    """What settling a purchase does when its gate hold expired before the cart was priced."""

    REAUTHORISE = "reauthorise", "Re-authorise the card"
    DEBT = "debt", "Record it as debt"


def default_refund_days() -> int:
    """A callable, so the migration does not freeze the setting's value of the day."""
    return int(settings.JWO_REFUND_DAYS)


class StorePayment(models.Model):
    """The payments' settings of a store. A store without a row holds the default amount: catalog
    creates stores and knows nothing of payments."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="payment")
    preauthorisation_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=DEFAULT_PREAUTHORISATION_AMOUNT,
        help_text="The hold put on a shopper's card at the gate (Amazon's Authorized Amount).",
    )
    expired_hold_policy = models.CharField(
        max_length=12,
        choices=ExpiredHoldPolicy.choices,
        default=ExpiredHoldPolicy.REAUTHORISE,
        help_text="A hold that expired before the cart was priced: authorise the total afresh, or record debt.",
    )
    refund_days = models.PositiveIntegerField(
        default=default_refund_days, help_text="Staff may refund a purchase this many days after it."
    )

    def __str__(self) -> str:
        return f"payments of {self.store_id}: hold {self.preauthorisation_amount}"
