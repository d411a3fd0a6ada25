"""What entry tells the rest of the system, without knowing who listens (payments places a hold)."""

from django.dispatch import Signal

# Sent once per gate event, after an admission is on record and final, on the thread that decided
# it, before the answer leaves: a receiver only takes note and must not wait on anything (payments
# adds the id to its batch and writes the hold rows on the background pool), because a thread hop
# per admission was a measurable part of a gate call's CPU (bench/profiles/identity.txt).
# Arguments: auth_event_id, store_pk, shopper_pk, visitor_type.
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
