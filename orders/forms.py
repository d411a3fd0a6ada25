"""Staff forms for orders: filters, promotions, tax rates and "try a cart". They validate input;
report selectors read and ``orders.services.promotions`` writes."""

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from orders.models import (
    PaymentStatus,
    Promotion,
    PurchaseStatus,
    ReceiptStatus,
    ReconciliationKind,
    ReconciliationStatus,
    RefundReason,
    TaxRate,
)
from orders.pricing.types import (
    PROMOTION_KIND_FIELDS,
    VALUE_FIELDS,
    PromotionKind,
    ValueProblem,
    promotion_value_problems,
)
from orders.purchase_request import MAX_QUANTITY_LENGTH, QUANTITY_PATTERN
from orders.selectors.reconciliation import QueueFilters
from orders.selectors.reports import PurchaseFilters
from orders.services.payments.refunds import refund_amount_check
from orders.services.promotions import promotion_engine_check

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
ONE_HUNDRED: Final = Decimal(100)


def _stores() -> Any:
    return Store.objects.order_by("name")


def _datetime_field(label: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        label=label,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **kwargs,
    )


# --- Filters ---------------------------------------------------------------------------------
class ChartFilterForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label="All stores")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores()  # type: ignore[attr-defined]

    def chosen_store(self) -> Store | None:
        return self.cleaned_data["store"] if self.is_valid() else None


class PurchaseFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "Purchase id, shopper email or card last 4", "type": "search"}),
    )
    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label="All stores")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *PurchaseStatus.choices])
    payment_status = forms.ChoiceField(
        required=False, label="Payment", choices=[("", "Any payment status"), *PaymentStatus.choices]
    )
    receipt = forms.ChoiceField(required=False, label="Receipt", choices=[("", "Any receipt"), *ReceiptStatus.choices])
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    simulated = forms.BooleanField(required=False, label="Show simulated")  # a store simulation's rows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("“From” must not be after “To”.")
        return cleaned

    def filters(self) -> PurchaseFilters:
        """The selector's filters; an invalid form filters nothing rather than guessing."""
        if not self.is_valid():
            return PurchaseFilters()
        data = self.cleaned_data
        return PurchaseFilters(
            store=data["store"],
            status=data["status"],
            payment_status=data["payment_status"],
            receipt_status=data["receipt"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            search=data["q"],
            show_simulated=data["simulated"],
        )


class SimulatedFilterForm(forms.Form):
    """The queues' one filter: whether a store simulation's rows are shown too (``?simulated=on``)."""

    simulated = forms.BooleanField(required=False, label="Show simulated")

    def show_simulated(self) -> bool:
        return bool(self.cleaned_data["simulated"]) if self.is_valid() else False


class PromotionFilterForm(forms.Form):
    STATES: Final = {"active": True, "inactive": False}

    state = forms.ChoiceField(
        required=False, choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")]
    )

    def is_active(self) -> bool | None:
        return self.STATES.get(self.cleaned_data["state"]) if self.is_valid() else None


class TaxRateFilterForm(ChartFilterForm):
    pass


# --- Promotions ------------------------------------------------------------------------------
# What staff read for each problem the engine finds in a promotion's values ("{label}": the kind's).
VALUE_MESSAGES: Final[dict[ValueProblem, str]] = {
    ValueProblem.MISSING: "A “{label}” promotion needs this.",
    ValueProblem.UNUSED: "A “{label}” promotion has no use for this; leave it empty.",
    ValueProblem.PERCENT_OUT_OF_RANGE: "Must be above 0 and at most 100.",
    ValueProblem.NEGATIVE: "Must not be negative.",
    ValueProblem.AMOUNT_OFF_ZERO: "An amount off of 0 takes nothing off.",
    ValueProblem.AMOUNT_AND_PERCENT: "Give an amount or a percent off, not both.",
    ValueProblem.NEITHER_AMOUNT_NOR_PERCENT: "Give an amount or a percent off.",
    ValueProblem.NOT_WHOLE: "Must be a whole number, at least 1.",
}
WEEKDAYS: Final = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
TARGET_SEPARATORS: Final = re.compile(r"[,\n]")
ENGINE_FIELDS: Final = (
    "name",
    "kind",
    "skus",
    "categories",
    "brands",
    *VALUE_FIELDS,
    "starts_at",
    "ends_at",
    "days_of_week",
    "time_from",
    "time_to",
    "priority",
    "is_exclusive",
)


def targets_parse(text: str) -> list[str]:
    """Comma- or newline-separated values, trimmed, blanks and repeats dropped, in typed order.

    >>> targets_parse(" RET-1, RET-2\\nRET-1,,\\n Snacks ")
    ['RET-1', 'RET-2', 'Snacks']
    """
    return list(dict.fromkeys(part.strip() for part in TARGET_SEPARATORS.split(text) if part.strip()))


def _targets_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(required=False, label=label, help_text=help_text, widget=forms.Textarea(attrs={"rows": 2}))


class PromotionForm(forms.ModelForm):
    """Every field of a promotion. Value fields are checked per kind by the pricing engine's own table
    and checks (``orders.pricing.types``), and the engine itself has the last word
    (``promotion_engine_check``)."""

    kind = forms.ChoiceField(choices=[(kind, fields.label) for kind, fields in PROMOTION_KIND_FIELDS.items()])
    skus = _targets_field("SKUs", "Comma- or newline-separated, exactly as in the catalog.")
    categories = _targets_field("Categories", "Comma- or newline-separated.")
    brands = _targets_field(
        "Brands", "Comma- or newline-separated. No SKU, category or brand at all: every product of the store."
    )
    stores = forms.ModelMultipleChoiceField(
        queryset=Store.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every store.",
    )
    buy_quantity = forms.IntegerField(
        required=False, min_value=1, help_text="Multi-buy: units in a group. Buy X get Y: the X units paid for."
    )
    get_quantity = forms.IntegerField(required=False, min_value=1, help_text="Buy X get Y: the Y units free.")
    days_of_week = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text="On each store's clock. None ticked: every day.",
    )
    starts_at = _datetime_field("Starts", help_text="Included. Empty: already running.")
    ends_at = _datetime_field("Ends", help_text="Excluded. Empty: no end.")
    time_from = forms.TimeField(
        required=False,
        label="From (time of day)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="On each store's clock; an end earlier than the start runs past midnight.",
    )
    time_to = forms.TimeField(
        required=False, label="To (time of day)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    class Meta:
        model = Promotion
        fields = [
            "name",
            "kind",
            "is_active",
            "stores",
            "skus",
            "categories",
            "brands",
            "percent",
            "amount",
            "buy_quantity",
            "get_quantity",
            "minimum_spend",
            "starts_at",
            "ends_at",
            "days_of_week",
            "time_from",
            "time_to",
            "priority",
            "is_exclusive",
        ]
        labels = {"is_active": "Active", "is_exclusive": "Exclusive", "minimum_spend": "Minimum spend"}
        help_texts = {
            "percent": "Percent off (above 0, at most 100): percent off; buy X get Y (optional, else free); "
            "spend and save (or an amount).",
            "amount": "Amount off each unit; the fixed price; a multi-buy group's price; spend and save's amount off.",
            "minimum_spend": "Spend and save: what the targeted lines must come to.",
            "priority": "Higher applies first; on a tie the older promotion first.",
            "is_exclusive": "Never combined with another promotion on the same line.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = _stores()  # type: ignore[attr-defined]
        self.fields["starts_at"].label = "Starts (each store's clock)"
        self.fields["ends_at"].label = "Ends (each store's clock)"
        if not self.is_bound:
            for name in ("skus", "categories", "brands"):
                self.initial[name] = "\n".join(getattr(self.instance, name) or [])
            for name in ("starts_at", "ends_at"):  # wall-clock times: shown as stored, never converted
                moment = getattr(self.instance, name)
                if moment is not None:
                    self.initial[name] = moment.replace(tzinfo=None)

    def _wall_clock(self, name: str) -> datetime | None:
        """The date and time as typed, kept as a wall-clock time (stored as UTC; see orders.pricing.types)."""
        moment: datetime | None = self.cleaned_data[name]
        return None if moment is None else timezone.make_naive(moment).replace(tzinfo=UTC)

    def clean_starts_at(self) -> datetime | None:
        return self._wall_clock("starts_at")

    def clean_ends_at(self) -> datetime | None:
        return self._wall_clock("ends_at")

    def clean_skus(self) -> list[str]:
        return targets_parse(self.cleaned_data["skus"])

    def clean_categories(self) -> list[str]:
        return targets_parse(self.cleaned_data["categories"])

    def clean_brands(self) -> list[str]:
        return targets_parse(self.cleaned_data["brands"])

    def clean_days_of_week(self) -> list[int]:
        return sorted(set(self.cleaned_data["days_of_week"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") in PROMOTION_KIND_FIELDS:
            self._clean_values(cleaned, PromotionKind(cleaned["kind"]))
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "Must be after the start.")
        time_from, time_to = cleaned.get("time_from"), cleaned.get("time_to")
        if (time_from is None) != (time_to is None) and "time_from" not in self.errors and "time_to" not in self.errors:
            self.add_error(
                "time_to" if time_to is None else "time_from", "Give both ends of the time of day, or neither."
            )
        elif time_from is not None and time_from == time_to:
            self.add_error("time_to", "Must differ from the start: a window that starts when it ends is empty.")
        if not self.errors:
            self._engine_check(cleaned)
        return cleaned

    def _clean_values(self, cleaned: dict[str, Any], kind: PromotionKind) -> None:
        """The engine's own value checks (``promotion_value_problems``), told to staff on each field."""
        label = PROMOTION_KIND_FIELDS[kind].label
        values = {name: cleaned.get(name) for name in VALUE_FIELDS}
        for name, problem in promotion_value_problems(kind=kind, values=values):
            # A field left empty because what staff typed there could not be read already says so.
            if problem is ValueProblem.MISSING and name in self.errors:
                continue
            if problem is ValueProblem.NEITHER_AMOUNT_NOR_PERCENT and {"amount", "percent"} & self.errors.keys():
                continue
            self.add_error(name, VALUE_MESSAGES[problem].format(label=label))

    def _engine_check(self, cleaned: dict[str, Any]) -> None:
        """The pricing engine has the last word: what it would refuse is never saved."""
        candidate = Promotion(pk=self.instance.pk, **{name: cleaned[name] for name in ENGINE_FIELDS})
        try:
            promotion_engine_check(promotion=candidate, stores=cleaned["stores"])
        except ValidationError as error:
            self.add_error(None, error)


# --- Tax rates -------------------------------------------------------------------------------
class TaxRateForm(forms.ModelForm):
    """A tax code's rate in a store. Staff type a percentage (8.875); the row keeps the fraction (0.08875)."""

    rate = forms.DecimalField(
        label="Rate (%)",
        max_digits=7,
        decimal_places=4,
        min_value=Decimal(0),
        help_text="A percentage, e.g. 8.875 for 8.875 %. Exempt codes have 0.",
    )

    class Meta:
        model = TaxRate
        fields = ["store", "tax_code", "rate", "is_exempt", "is_default"]
        labels = {"is_exempt": "Exempt", "is_default": "Default for products without a tax code"}
        help_texts = {"tax_code": "As the catalog's tax code column has it, e.g. A_GEN_TAX."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores()  # type: ignore[attr-defined]
        if not self.is_bound and self.instance.pk:
            self.initial["rate"] = _plain(self.instance.rate * ONE_HUNDRED)

    def clean_tax_code(self) -> str:
        code: str = self.cleaned_data["tax_code"].strip()
        if not code:
            raise forms.ValidationError("Give the tax code.")
        return code

    def clean_rate(self) -> Decimal:
        percent: Decimal = self.cleaned_data["rate"]
        if percent >= ONE_HUNDRED:
            raise forms.ValidationError("Must be below 100 %.")
        return percent / ONE_HUNDRED

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        store, code, rate = cleaned.get("store"), cleaned.get("tax_code"), cleaned.get("rate")
        if cleaned.get("is_exempt") and rate:
            self.add_error("rate", "An exempt code has rate 0.")
        others = TaxRate.objects.filter(store=store).exclude(pk=self.instance.pk) if store else TaxRate.objects.none()
        if code and others.filter(tax_code=code).exists():
            self.add_error("tax_code", f"{store} already has a rate for {code}.")
        if cleaned.get("is_default"):
            default = others.filter(is_default=True).first()
            if default is not None:
                self.add_error(
                    "is_default", f"{store} already uses {default.tax_code} as its default; untick it there first."
                )
        return cleaned


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros, never in exponent form (8.875000 → 8.875, 10.000 → 10)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


# --- Try a cart ------------------------------------------------------------------------------
MAX_TRY_LINES: Final = 200
MAX_UNIT_LENGTH: Final = 32  # what a purchase line keeps of quantity.unit
LINE_EXAMPLE: Final = "write a SKU or barcode, a quantity and a unit, e.g. RET-000451 2 or SKU0000009 1.5 lb"


class TryCartForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none(), empty_label=None)
    moment = _datetime_field(
        "Moment (store's local time)", help_text="When the trip ends: promotions are read then. Empty: now."
    )
    lines = forms.CharField(
        label="Cart",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "RET-000451 2\n0012345678905 0.75\nSKU0000009 1.5 lb"}),
        help_text="One line per item: SKU or barcode, the quantity (1 if left out), then the unit Amazon "
        "would send (lb, g, oz, ml…; the product's own if left out).",
    )
    shopper = forms.CharField(
        required=False,
        max_length=255,
        label="Shopper id (optional)",
        help_text="Sent as the trip's scanResult.id (a SHOPPER) in the curl command.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores()  # type: ignore[attr-defined]

    def clean_lines(self) -> list[tuple[str, str, str]]:
        """(SKU or barcode, quantity as a decimal string, unit or blank) per non-blank line, as Create
        Purchases accepts them; the unit is checked when the line is priced, as the connector does."""
        parsed = []
        for number, text in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            parts = text.split()
            if not parts:
                continue
            item, quantity, unit = parts[0], parts[1] if len(parts) >= 2 else "1", " ".join(parts[2:])
            if len(item) > 255:
                raise forms.ValidationError(f"Line {number}: a SKU or barcode has at most 255 characters.")
            if len(quantity) > MAX_QUANTITY_LENGTH or not QUANTITY_PATTERN.match(quantity) or Decimal(quantity) <= 0:
                raise forms.ValidationError(
                    f"Line {number}: “{quantity}” is not a quantity above 0 "
                    f"(digits and one decimal point, at most {MAX_QUANTITY_LENGTH} characters)."
                )
            if len(unit) > MAX_UNIT_LENGTH:
                raise forms.ValidationError(f"Line {number}: a unit has at most {MAX_UNIT_LENGTH} characters.")
            parsed.append((item, quantity, unit))
        if not parsed:
            raise forms.ValidationError(f"Add at least one line: {LINE_EXAMPLE}.")
        if len(parsed) > MAX_TRY_LINES:
            raise forms.ValidationError(f"At most {MAX_TRY_LINES} lines.")
        return parsed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        store, moment = cleaned.get("store"), cleaned.get("moment")
        if store is not None and moment is not None:
            # The browser sends a wall-clock time; read it on the store's clock, as promotions are.
            cleaned["moment"] = timezone.make_naive(moment).replace(tzinfo=store.zone)
        cleaned["shopper"] = cleaned.get("shopper", "").strip()
        return cleaned


# --- Refunds ---------------------------------------------------------------------------------
class RefundAmountForm(forms.Form):
    """An amount of a purchase given back, checked against what is left to refund when the page was
    read (the service checks again under the purchase's lock). ``request_key`` is made once per
    page: the same form sent twice finds the first refund (``refund_create``)."""

    amount = forms.DecimalField(
        label="Amount to refund", max_digits=17, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    reason_code = forms.ChoiceField(
        label="Reason code", choices=RefundReason.choices, initial=RefundReason.OTHER, required=False
    )
    reason = forms.CharField(label="Reason", max_length=255)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, currency: str, remaining: Decimal, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"request_key": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.remaining = remaining

    def clean_reason_code(self) -> str:
        """A form sent without the code (an older page) counts as "other"."""
        return self.cleaned_data.get("reason_code") or RefundReason.OTHER

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        try:
            amount = refund_amount_check(amount=amount, currency=self.currency)
        except ApplicationError as error:
            raise ValidationError(error.message) from error
        if amount > self.remaining:
            raise ValidationError(f"At most {self.remaining} {self.currency} is left to refund.")
        return amount


class AmazonFeedFilterForm(forms.Form):
    """The Amazon feed page: the store and day whose trips are matched, and whether to list only
    the events that failed."""

    store = forms.ModelChoiceField(queryset=Store.objects.all(), required=False, to_field_name="store_id")
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    problems = forms.BooleanField(required=False, label="Only failed and parked")


class ReconciliationFilterForm(forms.Form):
    """The reconciliation queue's filters (the store list is limited to the user's stores)."""

    store = forms.ModelChoiceField(queryset=Store.objects.order_by("name"), required=False, empty_label="All stores")
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(required=False, choices=[("", "Every kind"), *ReconciliationKind.choices])
    status = forms.ChoiceField(
        required=False, choices=[("open", "Open"), ("resolved", "Resolved"), ("all", "Open and resolved")]
    )

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        status = data["status"] or ReconciliationStatus.OPEN
        return QueueFilters(
            store=data["store"], day=data["day"], kind=data["kind"], status="" if status == "all" else status
        )


class ReconciliationRunForm(forms.Form):
    """ "Reconcile this day": one store, one day on its clock."""

    store = forms.ModelChoiceField(queryset=Store.objects.order_by("name"))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class ReconciliationResolveForm(forms.Form):
    note = forms.CharField(max_length=500, strip=True)


# --- Settlement and sales ----------------------------------------------------------------------
NO_SIMULATION_RUN = "None (real figures only)"


class SettlementFilterForm(forms.Form):
    """A store and one of its days (blank: the user's first store, its today), real figures or one
    of the store's simulation runs' (blank: real)."""

    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label=None)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    simulation_run = forms.IntegerField(
        required=False,
        min_value=1,
        label="Simulation run",
        widget=forms.Select(choices=[("", NO_SIMULATION_RUN)]),  # the chosen store's runs: set by the view
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores()  # type: ignore[attr-defined]


class SalesFilterForm(forms.Form):
    """A store and a range of its days, both included (blank: the last 7 days to today, or the
    simulation run's days), real sales or one of the store's simulation runs' (blank: real)."""

    MAX_DAYS: Final = 366

    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label=None)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    simulation_run = forms.IntegerField(
        required=False,
        min_value=1,
        label="Simulation run",
        widget=forms.Select(choices=[("", NO_SIMULATION_RUN)]),  # the chosen store's runs: set by the view
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("“From” must not be after “To”.")
        if date_from and date_to and (date_to - date_from).days >= self.MAX_DAYS:
            raise forms.ValidationError(f"Pick at most {self.MAX_DAYS} days.")
        return cleaned
