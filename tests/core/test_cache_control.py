"""Nothing the app renders may be stored by a proxy or a browser: staff pages, the shopper's page,
token answers, receipts. A view's own Cache-Control stays."""

import pytest
from django.test import Client

from entry.models import Shopper
from tests.entry.conftest import make_shopper


@pytest.fixture
def shopper(db: None) -> Shopper:
    return make_shopper("cust-cache-1")


def test_staff_pages_and_the_sign_in_page_are_no_store(viewer_client: Client) -> None:
    for path in ("/", "/catalog/", "/entry/gate-log/", "/orders/purchases/", "/settings/"):
        assert "no-store" in viewer_client.get(path)["Cache-Control"].split(", "), path
    assert "no-store" in Client().get("/accounts/login/")["Cache-Control"].split(", ")  # never_cache: more


def test_the_shoppers_page_and_the_token_answer_are_no_store(shopper: Shopper) -> None:
    client = Client()
    signed_in = client.post("/shop/sign-in/", {"email": shopper.email, "password": "shopper-pass-123"})
    token = Client().post(
        "/api/app/v1/token",
        {"email": shopper.email, "password": "shopper-pass-123"},
        content_type="application/json",
    )

    assert (signed_in.status_code, signed_in["Cache-Control"]) == (302, "no-store")
    assert client.get("/shop/")["Cache-Control"] == "no-store"
    assert (token.status_code, token["Cache-Control"]) == (201, "no-store")
    assert "token" in token.json()


def test_a_views_own_cache_control_is_kept(viewer_client: Client) -> None:
    # The probes say more than no-store (never_cache); the redirect to the icon says nothing.
    readiness = Client().get("/readyz")
    icon = Client().get("/favicon.ico")

    assert readiness["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert (icon.status_code, icon["Cache-Control"]) == (302, "no-store")
