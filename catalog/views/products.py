"""Staff screens for products: the filtered list, a product's page, a store's catalog as Amazon receives it."""

import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.views import View
from django.views.generic import TemplateView

from catalog.forms import ProductFilterForm
from catalog.models import Product, Store
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
        filters = products.ProductFilters()
        if form.is_valid():
            data = form.cleaned_data
            filters = products.ProductFilters(
                store=data["store"],
                search=data["q"],
                category=data["category"],
                status=data["status"],
                sync_state=data["sync"],
            )
        paginator = Paginator(
            self.scoped(products.product_list(filters=filters)).prefetch_related("barcodes"), self.paginate_by
        )
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(form=form, page=page, products=page.object_list, query=query_without_page(self.request))
        return context


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
        context["product"] = product
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
