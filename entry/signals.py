"""What entry tells the rest of the system, without knowing who listens (payments places a hold)."""

from django.dispatch import Signal

# Sent once per gate event, after an admission is on record, off the gate's clock (the connector's
# background pool). Arguments: auth_event_id, store_pk, shopper_pk, visitor_type.
shopper_admitted = Signal()


def shopper_admitted_announce(
    *, auth_event_id: str, store_pk: int | None, shopper_pk: int | None, visitor_type: str
) -> None:
    shopper_admitted.send(
        sender=None,
        auth_event_id=auth_event_id,
        store_pk=store_pk,
        shopper_pk=shopper_pk,
        visitor_type=visitor_type,
    )
