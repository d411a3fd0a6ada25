"""The staff view every screen of every app uses: StaffView's sign-in and permission check, plus
the user's stores (``catalog.selectors.staff_stores``).

- ``self.store_ids``: the user's stores (None for every store), read once per request;
- ``self.scoped(queryset)``: a read limited to them; ``self.scoped_get(...)``: one object of
  theirs, else 404 (a detail page or an action on another store's object answers 404 and changes
  nothing);
- a ``store``/``stores`` request parameter naming another store answers 404, and every store
  drop-down of the screen's forms offers only the user's stores.
"""

from functools import cached_property
from typing import Any, TypeVar

from django import forms
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.generic.base import ContextMixin

from catalog.models import Store
from catalog.selectors.staff_stores import StoreIds, staff_store_ids, store_is_allowed, stores_scope
from jwo_admin.core.views.staff import StaffView

ModelT = TypeVar("ModelT", bound=Model)
STORE_PARAMETERS = ("store", "stores")
NO_STORES = "You have no stores yet: ask an administrator."


class StoreScopedView(StaffView, ContextMixin):
    """A staff screen limited to the signed-in user's stores."""

    @cached_property
    def store_ids(self) -> StoreIds:
        return staff_store_ids(user=self.request.user)

    def scoped(self, queryset: "QuerySet[ModelT]", *, field: str = "store") -> "QuerySet[ModelT]":
        return stores_scope(queryset, store_ids=self.store_ids, field=field)

    def scoped_get(self, queryset: "type[ModelT] | QuerySet[ModelT]", *, field: str = "store", **lookup: Any) -> ModelT:
        """The object ``lookup`` finds among the user's stores' objects, else 404."""
        rows = queryset._default_manager.all() if isinstance(queryset, type) else queryset
        return get_object_or_404(self.scoped(rows, field=field), **lookup)

    def store_or_404(self, store_pk: int | None) -> None:
        if not store_is_allowed(store_ids=self.store_ids, store_pk=store_pk):
            raise Http404("No such store.")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # After the sign-in and permission checks (which answer first), before the screen runs.
        if request.user.is_authenticated and self.has_permission():
            self._refuse_other_stores(request)
        return super().dispatch(request, *args, **kwargs)

    def _refuse_other_stores(self, request: HttpRequest) -> None:
        """A filter or form naming another store (by pk or Amazon store id) answers 404."""
        if self.store_ids is None:
            return
        named = {
            value.strip()
            for data in (request.GET, request.POST)
            for name in STORE_PARAMETERS
            for value in data.getlist(name)
            if value.strip()
        }
        if not named:
            return
        condition = Q(store_id__in=named) | Q(pk__in=[int(value) for value in named if value.isdigit()])
        if Store.objects.filter(condition).exclude(pk__in=self.store_ids).exists():
            raise Http404("No such store.")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)  # type: ignore[misc]
        self.stores_limit(form)
        return form

    def stores_limit(self, form: forms.BaseForm) -> None:
        """The form's store fields offer only the user's stores."""
        for field in form.fields.values():
            choices = getattr(field, "queryset", None)
            if isinstance(field, forms.ModelChoiceField) and choices is not None and choices.model is Store:
                field.queryset = self.scoped(choices, field="pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["no_stores_message"] = NO_STORES if self.store_ids == frozenset() else ""
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> Any:
        # The screens build their filter forms after this class's get_context_data has run: the
        # drop-downs are narrowed here, just before the page renders them.
        for value in context.values():
            if isinstance(value, forms.BaseForm):
                self.stores_limit(value)
        return super().render_to_response(context, **kwargs)  # type: ignore[misc]
