"""The staff page's form: a short simulation, bounded so a click cannot start a day-long one, on a
store the simulator may use (only test stores in production: ``simulator_stores``)."""

from typing import Any

from django import forms

from catalog.models import Store
from operations.simulation.services import simulator_refusal, simulator_stores


class SimulationForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.order_by("store_id"), to_field_name="store_id")
    gates = forms.IntegerField(min_value=1, max_value=8, initial=4)
    shoppers = forms.IntegerField(min_value=1, max_value=200, initial=30)
    seconds = forms.IntegerField(
        min_value=5, max_value=120, initial=20, help_text="Arrivals are spread over this long."
    )
    seed = forms.IntegerField(min_value=0, initial=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The list offers only the stores it may run on; any store is read back, so another one
        # posted is refused by clean_store with the reason rather than "not a valid choice".
        field: forms.ModelChoiceField = self.fields["store"]  # type: ignore[assignment]
        field.choices = [("", "---------")] + [(store.store_id, str(store)) for store in simulator_stores()]

    def clean_store(self) -> Store:
        store: Store = self.cleaned_data["store"]
        refusal = simulator_refusal(store)
        if refusal:
            raise forms.ValidationError(refusal)
        return store
