"""Which stores each staff user may see and act on.

A chain runs many stores and a store manager of one must not act on another. The rule lives here,
in the first layer that knows stores, so every app above reads the same answer."""

from django.conf import settings
from django.db import models

from catalog.models.catalog import Store


class StaffStoreAccess(models.Model):
    """A staff user's stores: every store (``all_stores``), or the ones listed.

    A staff user without a row sees no store at all (secure by default: a new account shows
    "You have no stores yet"); superusers and the Admin role see every store whatever the row says.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_access")
    all_stores = models.BooleanField(
        default=False, help_text="Every store, today's and those created later; the list below is then ignored."
    )
    stores = models.ManyToManyField(Store, blank=True, related_name="+", help_text="The stores this user works for.")

    class Meta:
        verbose_name = "store access"
        verbose_name_plural = "store access"

    def __str__(self) -> str:
        return f"Stores of {self.user}"
