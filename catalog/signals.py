"""What catalog tells the apps that read it, without knowing who listens (entry's gate keeps stores in
a cache and forgets a store that is created, renamed or edited)."""

from django.dispatch import Signal

# Sent after a store is saved, and again after the commit (a call in between may re-cache the old
# row). Argument: store_ids, the Amazon store ids it had before and has now.
store_saved = Signal()


def store_saved_announce(*, store_ids: set[str]) -> None:
    store_saved.send(sender=None, store_ids=store_ids)
