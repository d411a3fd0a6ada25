"""Demo shoppers of every kind, so the gate can be tried at once (``demo_seed``)."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from entry.models import PaymentMethod, Shopper, ShopperStatus, VisitorType
from entry.services.shoppers import payment_method_add, shopper_create, shopper_set_status

# external id, name, email, type, card (month, year) or None, status, reason
DEMO_SHOPPERS = (
    ("cust-demo-001", "Alex Rivera", "alex@example.com", VisitorType.SHOPPER, (12, 2030), ShopperStatus.ACTIVE, ""),
    ("cust-demo-002", "Sam Lee", "sam@example.com", VisitorType.SHOPPER, (6, 2029), ShopperStatus.ACTIVE, ""),
    ("assoc-demo-001", "Jo Associate", "jo@example.com", VisitorType.ASSOCIATE, None, ShopperStatus.ACTIVE, ""),
    ("cash-demo-001", "Cash Customer", "cash@example.com", VisitorType.CASH_SHOPPER, None, ShopperStatus.ACTIVE, ""),
    (
        "cust-demo-blocked",
        "Blocked Shopper",
        "blocked@example.com",
        VisitorType.SHOPPER,
        (12, 2030),
        ShopperStatus.BLOCKED,
        "Repeated chargebacks",
    ),
    ("cust-demo-nocard", "No Card Yet", "nocard@example.com", VisitorType.SHOPPER, None, ShopperStatus.ACTIVE, ""),
    ("cust-demo-declined", "Dee Clined", "dee@example.com", VisitorType.SHOPPER, (3, 2031), ShopperStatus.ACTIVE, ""),
)
# The sandbox gateway decides by the end of the card reference (jwo_admin/integrations/payments/sandbox.py):
# 4242 approves; Dee's card is declined, to show the payment-issues queue.
DEMO_CARD_ENDINGS = {"cust-demo-declined": "0002"}


@transaction.atomic
def demo_shoppers_ensure(*, password: str) -> list[Shopper]:
    """Create the demo shoppers (or reset them to their demo state); all share ``password``."""
    shoppers = []
    for external_id, name, email, visitor_type, card, status, reason in DEMO_SHOPPERS:
        shopper = Shopper.objects.filter(external_id=external_id).first()
        if shopper is None:
            shopper = shopper_create(
                external_id=external_id, name=name, email=email, visitor_type=visitor_type, password=password
            )
        else:
            Shopper.objects.filter(pk=shopper.pk).update(password=make_password(password), visitor_type=visitor_type)
        if card and not PaymentMethod.objects.filter(shopper=shopper).exists():
            payment_method_add(
                shopper=shopper,
                provider_reference=f"demo_card_{external_id}_{DEMO_CARD_ENDINGS.get(external_id, '4242')}",
                expiry_month=card[0],
                expiry_year=card[1],
                brand="Visa",
                last4=DEMO_CARD_ENDINGS.get(external_id, "4242"),
            )
        # seeding again lifts a block the demo's own trips caused (the repeat offender): say so
        shopper_set_status(shopper=shopper, status=status, reason=reason or "Demo seeded again")
        shoppers.append(shopper)
    return shoppers
