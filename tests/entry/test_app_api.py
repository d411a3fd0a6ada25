"""The shopper app's API: sign in for a token, then fresh Scan Key Codes (SPEC §9.1)."""

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.models import Store
from entry.models import ScanKey, Shopper, ShopperToken
from entry.scan_keys import qr_pattern, scan_key_verify
from entry.services.shoppers import shopper_set_status, shopper_token_create
from tests.entry.conftest import make_shopper

TOKEN_URL = "/api/app/v1/token"
SCAN_KEYS_URL = "/api/app/v1/scan-keys"


def app_post(url: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Token {token}"} if token else {}
    return Client().post(url, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def app_shopper(db: None) -> Shopper:
    return make_shopper("cust-app-1")


def test_sign_in_returns_a_token_that_is_stored_only_as_a_hash(app_shopper: Shopper) -> None:
    response = app_post(TOKEN_URL, {"email": "CUST-APP-1@example.com", "password": "shopper-pass-123"})

    assert response.status_code == 201
    assert set(response.json()) == {"token", "shopperId"}
    assert response.json()["shopperId"] == "cust-app-1"
    stored = ShopperToken.objects.get(shopper=app_shopper)
    assert stored.key_hash != response.json()["token"]
    assert len(stored.key_hash) == 64


@pytest.mark.parametrize(
    ("email", "password"), [("cust-app-1@example.com", "wrong-password"), ("nobody@example.com", "shopper-pass-123")]
)
def test_sign_in_refuses_a_wrong_email_or_password_alike(app_shopper: Shopper, email: str, password: str) -> None:
    response = app_post(TOKEN_URL, {"email": email, "password": password})

    assert (response.status_code, response.json()) == (401, {"detail": "Wrong email or password."})
    assert ShopperToken.objects.count() == 0


def test_sign_in_names_the_missing_field(app_shopper: Shopper) -> None:
    response = app_post(TOKEN_URL, {"email": "cust-app-1@example.com"})

    assert (response.status_code, response.json()) == (400, {"password": ["This field is required."]})


def test_scan_key_needs_a_valid_token(app_shopper: Shopper) -> None:
    assert app_post(SCAN_KEYS_URL, {}).status_code == 401
    assert app_post(SCAN_KEYS_URL, {}, token="not-a-token").status_code == 401
    assert ScanKey.objects.count() == 0


def test_scan_key_is_a_fresh_signed_code_with_its_qr(app_shopper: Shopper, settings: Any) -> None:
    token = shopper_token_create(shopper=app_shopper)
    before = datetime.now(tz=UTC).replace(microsecond=0)

    response = app_post(SCAN_KEYS_URL, {}, token=token)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "identityKey", "issuedAt", "expiresAt", "storeId", "qrSvg"}
    code = body["code"]
    assert code.isalnum()
    assert code == code.upper()
    assert re.fullmatch(qr_pattern(settings.JWO_SCAN_KEY_PREFIX), code)
    assert base64.b64decode(body["identityKey"]).decode() == code
    issued_at = datetime.fromisoformat(body["issuedAt"])
    assert before <= issued_at <= before + timedelta(seconds=2)
    assert datetime.fromisoformat(body["expiresAt"]) - issued_at == timedelta(seconds=60)
    assert body["storeId"] is None
    assert body["qrSvg"].startswith("<svg")
    decoded = scan_key_verify(
        code,
        prefix=settings.JWO_SCAN_KEY_PREFIX,
        secrets_=settings.JWO_SCAN_KEY_SECRETS,
        event_at=issued_at,
        ttl_seconds=60,
        skew_seconds=5,
    )
    record = ScanKey.objects.get()
    assert (record.token, record.shopper_id, record.store_id) == (decoded.token, app_shopper.pk, None)


def test_scan_key_can_be_bound_to_one_store(app_shopper: Shopper, store: Store) -> None:
    token = shopper_token_create(shopper=app_shopper)

    response = app_post(SCAN_KEYS_URL, {"storeId": store.store_id}, token=token)

    assert response.status_code == 201
    assert response.json()["storeId"] == store.store_id
    assert ScanKey.objects.get().store_id == store.pk


def test_scan_key_for_an_unknown_store_is_a_400_naming_the_field(app_shopper: Shopper) -> None:
    token = shopper_token_create(shopper=app_shopper)

    response = app_post(SCAN_KEYS_URL, {"storeId": "NOPE"}, token=token)

    assert (response.status_code, response.json()) == (400, {"storeId": ["Unknown store."]})
    assert ScanKey.objects.count() == 0


@pytest.mark.parametrize(
    ("setup", "problems"),
    [
        ("no_card", [("no_payment_method", "Add a payment card to enter the store.")]),
        ("expired_card", [("payment_expired", "Your card Visa …4242 01/2020 has expired; add a new one to enter.")]),
        ("blocked", [("blocked", "Your account is blocked; please contact the store.")]),
        ("flagged", [("flagged", "Your account is under review; please contact the store.")]),
        (
            "blocked_no_card",
            [
                ("blocked", "Your account is blocked; please contact the store."),
                ("no_payment_method", "Add a payment card to enter the store."),
            ],
        ),
    ],
)
def test_scan_key_says_what_to_fix_instead_of_issuing(db: None, setup: str, problems: list[tuple[str, str]]) -> None:
    card = {"no_card": None, "blocked_no_card": None, "expired_card": (1, 2020)}.get(setup, (12, 2099))
    shopper = make_shopper("cust-x", card=card)
    if setup.startswith("blocked"):
        shopper_set_status(shopper=shopper, status="blocked", reason="fraud")
    if setup == "flagged":
        shopper_set_status(shopper=shopper, status="flagged", reason="review")
    token = shopper_token_create(shopper=shopper)

    response = app_post(SCAN_KEYS_URL, {}, token=token)

    assert response.status_code == 409
    body = response.json()
    assert [(problem["code"], problem["message"]) for problem in body["problems"]] == problems
    assert body["message"] == " ".join(message for _, message in problems)
    assert ScanKey.objects.count() == 0


def test_associates_and_cash_shoppers_need_no_card(db: None) -> None:
    for external_id, visitor_type in (("assoc-1", "ASSOCIATE"), ("cash-1", "CASH_SHOPPER")):
        shopper = make_shopper(external_id, visitor_type=visitor_type, card=None)
        token = shopper_token_create(shopper=shopper)
        assert app_post(SCAN_KEYS_URL, {}, token=token).status_code == 201
    assert ScanKey.objects.count() == 2


def _token_tries(count: int, *, remote: str, forwarded: list[str]) -> list[int]:
    return [
        Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded[n % len(forwarded)])
        .post(TOKEN_URL, data={"email": "cust-app-1@example.com", "password": "wrong"}, content_type="application/json")
        .status_code
        for n in range(count)
    ]


def test_sign_in_is_throttled_per_address_whatever_forwarded_header_the_caller_rotates(
    app_shopper: Shopper, settings: Any
) -> None:
    cache.clear()
    settings.JWO_TRUSTED_PROXIES = ["10.0.0.0/8"]
    rotating = [f"198.51.100.{n}" for n in range(15)]

    statuses = _token_tries(15, remote="203.0.113.9", forwarded=rotating)

    assert statuses == [401] * 10 + [429] * 5  # JWO_SHOPPER_SIGN_IN_RATE: 10/min
    assert ShopperToken.objects.count() == 0


def test_behind_our_proxy_each_shopper_has_a_budget_and_a_repeated_one_runs_out(
    app_shopper: Shopper, settings: Any
) -> None:
    cache.clear()
    settings.JWO_TRUSTED_PROXIES = ["10.0.0.0/8"]

    many = _token_tries(15, remote="10.0.0.5", forwarded=[f"198.51.100.{n}" for n in range(15)])
    one = _token_tries(11, remote="10.0.0.5", forwarded=["6.6.6.6, 198.51.100.200"])

    assert many == [401] * 15  # fifteen shoppers behind one load balancer
    assert one == [401] * 10 + [429]  # one of them, whatever they put before our proxy's entry
