from typing import Any

from django.apps import AppConfig

from catalog.signals import store_saved


def _forget_cached_store(sender: Any, *, store_ids: set[str], **_: Any) -> None:
    """A store created, renamed or edited in catalog: the gate reads it afresh at its next call."""
    # Imported here: the selectors import models, which the app registry has not loaded yet when
    # this module is.
    from entry.selectors.stores import store_gate_cache_forget

    store_gate_cache_forget(store_ids=store_ids)


class EntryConfig(AppConfig):
    name = "entry"
    verbose_name = "Entry"

    def ready(self) -> None:
        store_saved.connect(_forget_cached_store, dispatch_uid="entry.forget_cached_store")
