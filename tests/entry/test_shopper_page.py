"""The shopper's web page through the test client: sign in, a code, or what to fix."""

import re
from typing import Any

import pytest
from django.test import Client

from entry.models import ScanKey, Shopper
from entry.services.shoppers import shopper_set_status
from tests.entry.conftest import make_shopper


@pytest.fixture
def web_shopper(db: None) -> Shopper:
    return make_shopper("cust-web-1")


def signed_in(shopper: Shopper) -> Client:
    client = Client()
    response = client.post("/shop/sign-in/", {"email": shopper.email, "password": "shopper-pass-123"})
    assert (response.status_code, response["Location"]) == (302, "/shop/")
    return client


def test_the_key_page_asks_to_sign_in_first(db: None) -> None:
    response = Client().get("/shop/")

    assert (response.status_code, response["Location"]) == (302, "/shop/sign-in/")


def test_a_wrong_password_is_refused_with_the_email_kept(web_shopper: Shopper) -> None:
    response = Client().post("/shop/sign-in/", {"email": web_shopper.email, "password": "nope"})

    assert response.status_code == 400
    assert "Wrong email or password." in response.content.decode()
    assert f'value="{web_shopper.email}"' in response.content.decode()


def test_sign_in_attempts_are_limited_per_address(web_shopper: Shopper) -> None:
    client = Client()
    wrong = {"email": web_shopper.email, "password": "x"}
    statuses = [client.post("/shop/sign-in/", wrong).status_code for _ in range(11)]

    assert statuses == [400] * 10 + [429]


def test_a_rotating_forwarded_header_gets_no_fresh_sign_in_budget(web_shopper: Shopper, settings: Any) -> None:
    settings.JWO_TRUSTED_PROXIES = ["10.0.0.0/8"]
    wrong = {"email": web_shopper.email, "password": "x"}
    statuses = [
        Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .post("/shop/sign-in/", wrong)
        .status_code
        for n in range(12)
    ]
    behind_proxy = [
        Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post("/shop/sign-in/", wrong).status_code
        for n in range(12)
    ]

    assert statuses == [400] * 10 + [429] * 2
    assert behind_proxy == [400] * 12  # twelve shoppers behind our load balancer, one try each


def test_signed_in_shopper_gets_a_qr_and_a_new_code_on_each_renewal(web_shopper: Shopper, settings: Any) -> None:
    client = signed_in(web_shopper)

    page = client.get("/shop/")
    first = client.post("/shop/code/", HTTP_HX_REQUEST="true")
    second = client.post("/shop/code/", HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert 'hx-trigger="load, every 45s"' in page.content.decode()
    codes = [re.search(r'data-code="([0-9A-Z]+)"', r.content.decode()).group(1) for r in (first, second)]  # type: ignore[union-attr]
    assert codes[0] != codes[1]
    assert all(code.startswith(settings.JWO_SCAN_KEY_PREFIX) for code in codes)
    assert "<svg" in first.content.decode()
    assert ScanKey.objects.filter(shopper=web_shopper).count() == 2


def test_a_blocked_shopper_sees_why_and_gets_no_code(web_shopper: Shopper) -> None:
    client = signed_in(web_shopper)
    shopper_set_status(shopper=web_shopper, status="blocked", reason="fraud")

    response = client.post("/shop/code/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'data-problem="blocked"' in response.content.decode()
    assert "<svg" not in response.content.decode()
    assert ScanKey.objects.count() == 0


def test_signing_out_ends_the_shopper_session(web_shopper: Shopper) -> None:
    client = signed_in(web_shopper)

    client.post("/shop/sign-out/")
    response = client.post("/shop/code/", HTTP_HX_REQUEST="true")

    assert (response.status_code, response["HX-Redirect"]) == (401, "/shop/sign-in/")
    assert ScanKey.objects.count() == 0


def test_a_shopper_session_opens_no_staff_page(web_shopper: Shopper) -> None:
    client = signed_in(web_shopper)

    response = client.get("/catalog/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/catalog/")
