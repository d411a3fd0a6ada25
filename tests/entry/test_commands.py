"""shopper_add, identity_key and connector_key, run as an operator would; the printed curl line works."""

import json
import shlex
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from catalog.models import Store
from entry.models import GateEvent, PaymentMethod, ScanKey, Shopper
from jwo_admin.core.connector_keys import connector_key_verify
from jwo_admin.core.models import ConnectorKey


def run(*args: str) -> str:
    stdout = StringIO()
    call_command(*args, stdout=stdout)
    return stdout.getvalue()


def test_shopper_add_with_a_card_and_password(db: None) -> None:
    output = run("shopper_add", "cust-9", "--name", "Pat Doe", "--email", "Pat@Example.com", "--card", "08/2031")

    assert output == "Shopper cust-9 (Shopper) added.\n"
    shopper = Shopper.objects.get(external_id="cust-9")
    assert (shopper.name, shopper.email, shopper.visitor_type, shopper.status) == (
        "Pat Doe",
        "pat@example.com",
        "SHOPPER",
        "active",
    )
    assert list(PaymentMethod.objects.values_list("expiry_month", "expiry_year", "is_default")) == [(8, 2031, True)]


def test_shopper_add_blocked_associate(db: None) -> None:
    run("shopper_add", "assoc-9", "--name", "Jo", "--email", "jo@example.com", "--type", "ASSOCIATE")
    run("shopper_add", "bad-9", "--name", "B", "--email", "b@example.com", "--status", "blocked", "--reason", "theft")

    assert Shopper.objects.get(external_id="assoc-9").visitor_type == "ASSOCIATE"
    blocked = Shopper.objects.get(external_id="bad-9")
    assert (blocked.status, blocked.status_reason) == ("blocked", "theft")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--card", "13/2030"], "--card wants MM/YYYY, got '13/2030'."),
        (["--card", "soon"], "--card wants MM/YYYY, got 'soon'."),
        (["--email", "not-an-email"], "email: Enter a valid email address."),
    ],
)
def test_shopper_add_refuses_bad_input_and_adds_nothing(db: None, args: list[str], message: str) -> None:
    base = {"--name": "Pat", "--email": "pat@example.com"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [item for pair in base.items() for item in pair]

    with pytest.raises(CommandError) as error:
        run("shopper_add", "cust-1", *flat)

    assert str(error.value) == message
    assert Shopper.objects.count() == 0


def test_shopper_add_refuses_a_duplicate_id(db: None) -> None:
    run("shopper_add", "cust-1", "--name", "A", "--email", "a@example.com")

    with pytest.raises(CommandError, match="A shopper 'cust-1' already exists."):
        run("shopper_add", "cust-1", "--name", "B", "--email", "b@example.com")
    assert Shopper.objects.count() == 1


def test_connector_key_create_list_revoke(db: None) -> None:
    created = run("connector_key", "create", "--name", "gateway prod").splitlines()
    key = created[1]
    key_id = ConnectorKey.objects.get().key_id

    listed = run("connector_key", "list")
    revoked = run("connector_key", "revoke", key_id)

    assert created[0] == f"Connector key {key_id} (gateway prod) created. Shown once, keep it safe:"
    assert created[2] == "The API gateway sends it in the X-JWO-Connector-Key header."
    assert listed.startswith(f"{key_id}  active")
    assert key not in listed
    assert revoked == f"Connector key {key_id} (gateway prod) revoked.\n"
    assert connector_key_verify(key) is None


def test_connector_key_revoke_of_an_unknown_id_fails_clearly(db: None) -> None:
    with pytest.raises(CommandError, match="No connector key 'nope'."):
        run("connector_key", "revoke", "nope")


def test_identity_key_prints_what_amazon_sends_and_its_curl_line_is_admitted(
    gate_store: Store, shopper: Shopper, connector_key: str, settings: Any
) -> None:
    lines = run("identity_key", shopper.external_id, "--store", gate_store.store_id).splitlines()
    curl = shlex.split(lines[2].replace("$JWO_CONNECTOR_KEY", connector_key))
    body = json.loads(curl[curl.index("-d") + 1])
    header_name, header_value = curl[curl.index("-H", curl.index("-H") + 1) + 1].split(": ")

    response = Client().post(
        "/v1/identity/identity-keys", data=body, content_type="application/json", headers={header_name: header_value}
    )

    assert body["identityKey"] == lines[0]
    assert curl[:4] == ["curl", "-sS", "-X", "POST"]
    assert curl[4] == "http://127.0.0.1:8000/v1/identity/identity-keys"
    assert (response.status_code, response.json()) == (
        200,
        {"visitorDetails": {"id": shopper.external_id, "type": "SHOPPER"}},
    )
    assert GateEvent.objects.get().reason == "admitted"


def test_identity_key_refuses_a_shopper_without_a_card(gate_store: Store, transactional_db: None) -> None:
    run("shopper_add", "cust-nocard", "--name", "N", "--email", "n@example.com")

    with pytest.raises(CommandError) as error:
        run("identity_key", "cust-nocard", "--store", gate_store.store_id)

    assert str(error.value) == (
        "No code for cust-nocard: Add a payment card to enter the store. "
        "(--force issues one anyway, for the gate to refuse)"
    )
    assert ScanKey.objects.count() == 0


def test_identity_key_force_issues_a_code_the_gate_refuses_with_the_reason(
    gate_store: Store, connector_key: str, transactional_db: None
) -> None:
    run("shopper_add", "bad-1", "--name", "B", "--email", "b@example.com", "--card", "12/2099")
    run("shopper_add", "bad-2", "--name", "C", "--email", "c@example.com", "--status", "blocked", "--reason", "fraud")
    Shopper.objects.filter(external_id="bad-1").update(status="blocked", status_reason="chargebacks")

    responses = []
    for external_id in ("bad-1", "bad-2"):
        lines = run("identity_key", external_id, "--store", gate_store.store_id, "--force").splitlines()
        curl = shlex.split(lines[2])
        responses.append(
            Client().post(
                "/v1/identity/identity-keys",
                data=json.loads(curl[curl.index("-d") + 1]),
                content_type="application/json",
                headers={"X-JWO-Connector-Key": connector_key},
            )
        )

    assert [(r.status_code, r.json()) for r in responses] == [
        (401, {"message": "Unauthorized - Invalid or Unknown Key"}),
        (401, {"message": "Unauthorized - Invalid or Unknown Key"}),
    ]
    assert list(GateEvent.objects.order_by("id").values_list("reason", "detail", "shopper__external_id")) == [
        ("blocked", "chargebacks", "bad-1"),
        ("blocked", "fraud", "bad-2"),
    ]
