"""The staff page's form: a short simulation, bounded so a click cannot start a day-long one."""

from django import forms

from catalog.models import Store


class SimulationForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.order_by("store_id"), to_field_name="store_id")
    gates = forms.IntegerField(min_value=1, max_value=8, initial=4)
    shoppers = forms.IntegerField(min_value=1, max_value=200, initial=30)
    seconds = forms.IntegerField(
        min_value=5, max_value=120, initial=20, help_text="Arrivals are spread over this long."
    )
    seed = forms.IntegerField(min_value=0, initial=1)
