"""Every staff page says when payments go through the sandbox, and says nothing otherwise."""

from typing import Any

from django.test import Client

BANNER = "JWO_PAYMENT_GATEWAY is the sandbox: cards are test cards and no money moves."


def test_every_staff_page_carries_the_sandbox_banner_while_the_sandbox_is_the_gateway(
    viewer_client: Client, settings: Any
) -> None:
    settings.JWO_PAYMENT_GATEWAY = "jwo_admin.integrations.payments.sandbox.SandboxGateway"

    for path in ("/", "/catalog/", "/entry/", "/orders/", "/settings/"):
        html = viewer_client.get(path).content.decode()
        assert html.count(BANNER) == 1, path


def test_the_sandbox_named_by_its_former_path_keeps_the_banner(viewer_client: Client, settings: Any) -> None:
    settings.JWO_PAYMENT_GATEWAY = "orders.payments.sandbox.SandboxGateway"  # set before the sandbox moved

    assert viewer_client.get("/orders/").content.decode().count(BANNER) == 1


def test_a_real_gateway_has_no_banner(viewer_client: Client, settings: Any) -> None:
    settings.JWO_PAYMENT_GATEWAY = "payments_acme.gateway.AcmeGateway"

    assert BANNER not in viewer_client.get("/orders/").content.decode()
    assert "Sandbox payments" not in viewer_client.get("/").content.decode()


def test_signed_out_pages_do_not_show_it(client: Client, settings: Any, db: None) -> None:
    settings.JWO_PAYMENT_GATEWAY = "jwo_admin.integrations.payments.sandbox.SandboxGateway"

    assert BANNER not in client.get("/accounts/login/").content.decode()
