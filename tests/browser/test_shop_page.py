"""The shopper's page in headless Chromium: the QR on screen decodes to a code the gate admits."""

import base64
from typing import Any

import pytest
import zxingcpp
from django.conf import settings
from django.test import Client

from catalog.models import Store
from entry.models import GateEvent
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.deadline import pool_shutdown
from tests.entry.conftest import gate_body, make_shopper

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Draw the on-screen SVG into a canvas and hand back grey levels, as a phone camera would see them.
SVG_TO_GREY = """async () => {
  const svg = document.querySelector('#scan-key svg');
  const size = 400;
  // A data: URL, which the page's Content Security Policy allows for images (a blob: URL it does not).
  const xml = new XMLSerializer().serializeToString(svg);
  const url = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(xml)));
  const image = new Image();
  await new Promise((resolve, reject) => { image.onload = resolve; image.onerror = reject; image.src = url; });
  const canvas = document.createElement('canvas');
  canvas.width = size; canvas.height = size;
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff'; context.fillRect(0, 0, size, size);
  context.drawImage(image, 0, 0, size, size);
  const rgba = context.getImageData(0, 0, size, size).data;
  const grey = new Array(size * size);
  for (let i = 0; i < size * size; i++) { grey[i] = rgba[i * 4]; }
  return {size, grey};
}"""


def read_qr(page: Any) -> str:
    pixels = page.evaluate(SVG_TO_GREY)
    size = pixels["size"]
    image = memoryview(bytes(pixels["grey"])).cast("B", (size, size))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return str(results[0].text)


def test_the_qr_on_the_shopper_page_opens_the_gate(page: Any, live_server: Any) -> None:
    store = Store.objects.create(store_id="TEST_STORE_001", name="Test Store")
    shopper = make_shopper("cust-qr-1")
    _, connector_key = connector_key_create(name="browser test")

    page.goto(f"{live_server.url}/shop/")
    page.fill("#shop-email", shopper.email)
    page.fill("#shop-password", "shopper-pass-123")
    page.click("button[type=submit]")
    page.wait_for_selector("#scan-key svg")
    scanned = read_qr(page)
    shown = page.get_attribute("#scan-key figure", "data-code")
    identity_key = base64.b64encode(scanned.encode()).decode()
    response = Client().post(
        "/v1/identity/identity-keys",
        data=gate_body(identity_key, store_id=store.store_id),
        content_type="application/json",
        headers={settings.JWO_CONNECTOR_KEY_HEADER: connector_key},
    )
    pool_shutdown()

    assert scanned == shown
    assert scanned.startswith(settings.JWO_SCAN_KEY_PREFIX)
    assert (response.status_code, response.json()) == (
        200,
        {"visitorDetails": {"id": "cust-qr-1", "type": "SHOPPER"}},
    )
    assert list(GateEvent.objects.values_list("reason", "shopper_id")) == [("admitted", shopper.pk)]


def test_a_shopper_without_a_card_sees_why_there_is_no_qr(page: Any, live_server: Any) -> None:
    shopper = make_shopper("cust-qr-2", card=None)

    page.goto(f"{live_server.url}/shop/sign-in/")
    page.fill("#shop-email", shopper.email)
    page.fill("#shop-password", "shopper-pass-123")
    page.click("button[type=submit]")
    page.wait_for_selector("#scan-key-problems")

    assert page.inner_text("[data-problem=no_payment_method]") == "Add a payment card to enter the store."
    assert page.locator("#scan-key svg").count() == 0
