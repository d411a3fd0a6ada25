"""Orders' settings per store (catalog's Store knows nothing of payments): the pre-authorisation amount."""

from decimal import Decimal

from django.db import models

from catalog.models import Store

DEFAULT_PREAUTHORISATION_AMOUNT = Decimal("50.00")


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

    def __str__(self) -> str:
        return f"payments of {self.store_id}: hold {self.preauthorisation_amount}"
