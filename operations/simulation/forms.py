"""The staff page's form: a short simulation, bounded so a click cannot start a day-long one, on a
store the simulator may use (only test stores in production: ``simulator_stores``)."""

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator

from catalog.models import Store
from operations.simulation.services import simulator_refusal, simulator_stores


class _SimulatorStores(ModelChoiceIterator):
    """The field's stores the simulator may run on, read when the list is drawn."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for store in simulator_stores().filter(pk__in=self.queryset.values("pk")):
            yield self.choice(store)


class SimulatorStoreField(forms.ModelChoiceField):
    """Offers only the stores the simulator may run on among the field's stores (the staff page
    narrows those to the user's own); any of the field's stores is read back, so another one
    posted is refused by the form's clean_store with the reason rather than "not a valid choice"."""

    iterator = _SimulatorStores


class SimulationForm(forms.Form):
    store = SimulatorStoreField(queryset=Store.objects.order_by("store_id"), to_field_name="store_id")
    gates = forms.IntegerField(min_value=1, max_value=8, initial=4)
    shoppers = forms.IntegerField(min_value=1, max_value=200, initial=30)
    seconds = forms.IntegerField(
        min_value=5, max_value=120, initial=20, help_text="Arrivals are spread over this long."
    )
    seed = forms.IntegerField(min_value=0, initial=1)

    def clean_store(self) -> Store:
        store: Store = self.cleaned_data["store"]
        refusal = simulator_refusal(store)
        if refusal:
            raise forms.ValidationError(refusal)
        return store
