"""Every staff screen works under the Content Security Policy: Chromium, which enforces it, reports
no violation on any of them (charts drawn, htmx loaded, Swagger UI rendered), and each page is
sent with the policy."""

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from catalog.models import ImportJob, Product, Store
from jwo_admin.core.roles import ADMIN
from jwo_admin.core.services import staff_user_create
from orders.models import Purchase
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs: every violation the page reports is kept.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def test_no_staff_screen_breaks_the_content_security_policy(
    page: Any, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    call_command("demo_seed", "--products", "200", stdout=StringIO(), stderr=StringIO())
    staff_user_create(username="csp-admin", password="correct-horse-battery-staple", role=ADMIN)
    store = Store.objects.get(store_id="DEMO-STORE-001")
    product = Product.objects.filter(store=store).order_by("pk").first()
    purchase = Purchase.objects.order_by("pk").first()
    job = ImportJob.objects.order_by("pk").first()
    assert product is not None
    assert purchase is not None
    assert job is not None
    pages = [
        ("/", "canvas[data-drawn]"),
        ("/catalog/", "table"),
        (f"/catalog/products/{product.pk}/", "h1"),
        ("/catalog/imports/", "table"),
        ("/catalog/imports/new/", "form"),
        (f"/catalog/imports/{job.pk}/", "h1"),
        ("/catalog/sync/", "canvas[data-drawn]"),
        ("/entry/", "canvas"),
        ("/entry/gate-log/", "table"),
        ("/entry/shoppers/", "table"),
        ("/orders/", "canvas[data-drawn]"),
        ("/orders/purchases/", "table"),
        (f"/orders/purchases/{purchase.pk}/", "h1"),
        ("/orders/promotions/", "table"),
        ("/orders/promotions/new/", "form"),
        ("/orders/try-a-cart/", "form"),
        ("/orders/bad-carts/", "h1"),
        ("/operations/simulator/", "h1"),
        ("/operations/readiness/", "table"),
        ("/settings/", "#connector-key-table"),
        ("/api/docs/", ".swagger-ui .info .title"),
        ("/admin/", "#content"),
        ("/admin/catalog/product/", "#result_list"),
        (f"/receipts/{purchase.receipt_token}/", "table"),
        ("/shop/", "form"),  # the shopper's page, signed out
    ]
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server.url, "csp-admin")

    seen: dict[str, list[str]] = {}
    for path, ready in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, path
        assert "style-src 'self'" in policy, path
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        seen[path] = page.evaluate("window.__csp")
        if not path.startswith(("/admin/", "/api/", "/receipts/")):  # our layouts load htmx
            assert page.evaluate("typeof htmx") == "object", path

    assert {path: found for path, found in seen.items() if found} == {}
