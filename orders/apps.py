from typing import Any

from django.apps import AppConfig

from jwo_admin.integrations.payments.sandbox import sandbox_books_register


def _hold_on_admission(sender: Any, *, auth_event_id: str, visitor_type: str, **_: Any) -> None:
    """A SHOPPER let in at the gate gets a hold on their card (associates and cash shoppers do not)."""
    # Models and the services that use them can be imported only once the app registry is ready.
    from entry.models import VisitorType
    from orders.services.payments.holds import hold_announce

    if visitor_type == VisitorType.SHOPPER:
        hold_announce(auth_event_id=auth_event_id)


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # Connected once the app registry is ready (entry's signals module imports its models).
        from entry.signals import shopper_admitted

        # Inside ready(): the books are models, which can be imported only once the apps are loaded.
        from orders.services.payments.sandbox_books import SandboxChargeBooks

        shopper_admitted.connect(_hold_on_admission, dispatch_uid="orders.hold_on_admission")
        sandbox_books_register(SandboxChargeBooks())
