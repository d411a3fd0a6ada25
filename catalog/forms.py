"""Staff forms: they validate input; services act on it."""

from typing import Any

from django import forms
from django.conf import settings

from catalog.importing.mapping import FIELDS, REQUIRED_FIELDS
from catalog.models import BarcodeType, MappingProfile, ProductStatus, SaleUnit, Store
from catalog.selectors.imports import mapping_profile_list
from catalog.selectors.products import SORT_KEYS, SYNC_STATES, ProductFilters
from catalog.selectors.stores import store_list
from jwo_admin.core.currencies import currency_choices, is_currency
from jwo_admin.core.zones import is_time_zone, time_zone_choices

UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


class ProductFilterForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label="All stores")
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "SKU, name or barcode", "type": "search"}),
    )
    category = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ProductStatus.choices])
    sync = forms.ChoiceField(required=False, label="Sync state", choices=[("", "Any sync state"), *SYNC_STATES.items()])
    sort = forms.ChoiceField(
        required=False,
        choices=[("", "SKU"), *((key, key) for key in SORT_KEYS), *((f"-{key}", f"-{key}") for key in SORT_KEYS)],
    )

    def __init__(self, *args: Any, categories: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = store_list()  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "All categories")] + [(c, c) for c in categories or []]  # type: ignore[attr-defined]

    def filters(self) -> ProductFilters:
        data = self.cleaned_data
        return ProductFilters(
            store=data["store"],
            search=data["q"],
            category=data["category"],
            status=data["status"],
            sync_state=data["sync"],
            sort=data["sort"],
        )


# --- Editing products ----------------------------------------------------------------------------
BARCODE_TYPE_CHOICES = [("", "Work it out from the digits"), *BarcodeType.choices]


class ProductForm(forms.Form):
    """A product's fields as staff type them. The price stays text so the import's price rule
    (catalog.rules: plain digits, the currency's decimal places) judges it, in the import's words;
    the services raise the import's errors and the view puts them on these fields."""

    name = forms.CharField(max_length=255)
    brand = forms.CharField(max_length=255, required=False)
    price = forms.CharField(max_length=20, required=False, help_text="A plain number like 4.99; blank: no price.")
    unit = forms.ChoiceField(choices=SaleUnit.choices, label="Sold by")
    tax_code = forms.CharField(max_length=255, required=False)
    category = forms.CharField(max_length=255, required=False)
    subcategory = forms.CharField(max_length=255, required=False)

    FIELDS = ("name", "brand", "price", "unit", "tax_code", "category", "subcategory")

    def product_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class ProductCreateForm(ProductForm):
    store = forms.ModelChoiceField(queryset=Store.objects.none())
    sku = forms.CharField(max_length=255, label="SKU")
    barcode = forms.CharField(max_length=255, label="Primary barcode", help_text="UPC, EAN, GTIN, ISBN or PLU.")
    barcode_type = forms.ChoiceField(choices=BARCODE_TYPE_CHOICES, required=False, label="Barcode type")

    field_order = ("store", "sku", "barcode", "barcode_type", *ProductForm.FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = store_list()  # type: ignore[attr-defined]


class BarcodeAddForm(forms.Form):
    value = forms.CharField(
        max_length=255, label="Barcode", widget=forms.TextInput(attrs={"placeholder": "Barcode to add"})
    )
    kind = forms.ChoiceField(choices=BARCODE_TYPE_CHOICES, required=False, label="Type")


class BarcodeRetypeForm(forms.Form):
    kind = forms.ChoiceField(choices=BarcodeType.choices, label="Type")


BULK_ACTIONS = [
    ("archive", "Archive"),
    ("category", "Change category"),
    ("export_csv", "Export as CSV"),
    ("export_xlsx", "Export as Excel"),
]


class ProductBulkForm(forms.Form):
    """The catalog list's bulk actions: on the ticked rows, or (``everything``) on every product
    the list's filter matches (the filter comes along in the same POST, see ProductFilterForm)."""

    action = forms.ChoiceField(choices=BULK_ACTIONS)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    everything = forms.BooleanField(required=False, label="All products matching the filter")
    new_category = forms.CharField(max_length=255, required=False, label="New category")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any integer may be posted; the selector keeps only products the filter matches.
        self.fields["ids"].choices = [(value, value) for value in self.data.getlist("ids") if value.isdigit()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("everything") and not cleaned.get("ids"):
            raise forms.ValidationError("Tick the products to act on, or “all products matching the filter”.")
        return cleaned

    def product_ids(self) -> list[int] | None:
        """None: every product the filter matches."""
        return None if self.cleaned_data["everything"] else list(self.cleaned_data["ids"])


class ImportForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none())
    profile = forms.ModelChoiceField(
        queryset=MappingProfile.objects.none(),
        label="Column mapping",
        empty_label=None,
        help_text="How your file names the columns.",
    )
    file = forms.FileField(help_text="CSV (UTF-8 or Windows-1252) or Excel XLSX/XLSM.")
    is_strict = forms.BooleanField(
        required=False,
        label="Refuse the whole file if any row is rejected",
        help_text="Off: good rows are applied and rejected rows are listed for you to fix.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = store_list()  # type: ignore[attr-defined]
        self.fields["profile"].queryset = mapping_profile_list()  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(UPLOAD_SUFFIXES):
            raise forms.ValidationError(f"Upload a CSV or Excel file ({', '.join(UPLOAD_SUFFIXES)}).")
        if upload.size > settings.JWO_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.JWO_IMPORT_MAX_BYTES:,}."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class MappingProfileForm(forms.ModelForm):
    """One text box per field of ours: the column name in the retailer's file."""

    additional_columns = forms.CharField(
        required=False,
        label="Additional barcode columns",
        help_text="Comma-separated column names that each hold one more barcode (e.g. EAN_2, EAN_3).",
    )

    class Meta:
        model = MappingProfile
        fields = ["name", "description", "list_separator", "csv_delimiter", "decimal_comma"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = self.instance.columns or {}
        for field, label in FIELDS.items():
            self.fields[f"column_{field}"] = forms.CharField(
                label=label,
                required=field in REQUIRED_FIELDS,
                max_length=255,
                initial=columns.get(field, ""),
            )
        self.fields["additional_columns"].initial = ", ".join(self.instance.additional_barcode_columns or [])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.is_builtin:
            raise forms.ValidationError("The built-in profile cannot be changed; create your own instead.")
        return cleaned

    def save(self, commit: bool = True) -> MappingProfile:
        profile: MappingProfile = super().save(commit=False)
        profile.columns = {
            field: self.cleaned_data[f"column_{field}"].strip()
            for field in FIELDS
            if self.cleaned_data.get(f"column_{field}", "").strip()
        }
        profile.additional_barcode_columns = [
            column.strip() for column in self.cleaned_data.get("additional_columns", "").split(",") if column.strip()
        ]
        if commit:
            profile.full_clean()
            profile.save()
        return profile


class StoreForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = [
            "store_id",
            "name",
            "currency",
            "time_zone",
            "prices_include_tax",
            "send_clean_names",
            "is_test_store",
        ]
        # Picked from ISO 4217 and the IANA list; the clean_ methods still refuse anything posted outside them.
        widgets = {
            "currency": forms.Select(choices=currency_choices()),
            "time_zone": forms.Select(choices=time_zone_choices()),
        }

    def clean_store_id(self) -> str:
        value: str = self.cleaned_data["store_id"].strip()
        if not value or not all(ch.isalnum() or ch in "-_" for ch in value) or not value.isascii():
            raise forms.ValidationError("Use Amazon's store id: letters, digits, '-' and '_' only.")
        return value

    def clean_currency(self) -> str:
        value: str = self.cleaned_data["currency"].strip().upper()
        if not is_currency(value):
            raise forms.ValidationError(
                f"{value or 'An empty code'} is not an ISO 4217 currency code; pick one from the list, e.g. USD."
            )
        return value

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"].strip()
        if not is_time_zone(value):
            raise forms.ValidationError(
                f"{value or 'An empty name'} is not an IANA time zone; pick one from the list, "
                "e.g. America/New_York or Europe/London."
            )
        return value
