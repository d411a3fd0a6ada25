"""Staff screens for products: the filtered list, a product's page, a store's catalog as Amazon receives it."""

import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.views import View
from django.views.generic import TemplateView

from catalog.forms import BarcodeAddForm, ProductBulkForm, ProductFilterForm
from catalog.models import BarcodeType, Product, Store
from catalog.selectors import products
from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.views.staff import query_without_page


class ProductListView(StoreScopedView, TemplateView):
    permission_required = "catalog.view_product"
    template_name = "catalog/product_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = ProductFilterForm(self.request.GET or None, categories=products.category_list())
        filters = form.filters() if form.is_valid() else products.ProductFilters()
        paginator = Paginator(
            self.scoped(products.product_list(filters=filters)).prefetch_related("barcodes"), self.paginate_by
        )
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            form=form,
            page=page,
            products=page.object_list,
            query=query_without_page(self.request),
            sort_links=sort_links(self.request, current=filters.sort or "sku"),
            filter_fields=[(name, value) for name, value in self.request.GET.items() if name in FILTER_NAMES],
            bulk_form=ProductBulkForm(),
        )
        return context


FILTER_NAMES = ("q", "store", "category", "status", "sync", "sort")


def sort_links(request: HttpRequest, *, current: str) -> dict[str, str]:
    """Each sortable column's link: the list's filters kept, the page dropped, the direction
    flipped when the list is already sorted by that column."""
    links = {}
    for key in products.SORT_KEYS:
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = f"-{key}" if current == key else key
        links[key] = f"?{query.urlencode()}"
    return links


class ProductDetailView(StoreScopedView, TemplateView):
    permission_required = "catalog.view_product"
    template_name = "catalog/product_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            product = products.product_detail(product_id=kwargs["pk"])
        except Product.DoesNotExist:
            raise Http404("No such product") from None
        self.store_or_404(product.store_id)
        context.update(product=product, barcode_form=BarcodeAddForm(), barcode_types=BarcodeType.choices)
        return context


class AmazonCatalogExportView(StoreScopedView, View):
    """The store's active catalog exactly as Upload Catalog would receive it ({"catalogItems": [...]})."""

    permission_required = "catalog.view_product"

    def get(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        store = self.scoped_get(Store, field="pk", pk=pk)

        def body() -> Iterator[str]:
            yield '{"catalogItems": ['
            for index, item in enumerate(products.amazon_catalog_items(store=store)):
                yield ("," if index else "") + "\n" + json.dumps(item, ensure_ascii=False)
            yield "\n]}\n"

        response = StreamingHttpResponse(body(), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="amazon-catalog-{store.store_id}.json"'
        return response
