"""The settings page's connector keys: admins create (shown once) and revoke; others only see."""

import re

from django.contrib.auth.models import User

from jwo_admin.core.connector_keys import connector_key_create, connector_key_verify
from jwo_admin.core.models import ConnectorKey
from tests.conftest import client_for


def test_admin_creates_a_key_shown_once(admin_user: User) -> None:
    client = client_for(admin_user)

    response = client.post("/settings/connector-keys/", {"name": "gateway prod"})
    later = client.get("/settings/")

    assert response.status_code == 201
    shown = re.search(r"<code>(jwock_[^<]+)</code>", response.content.decode())
    assert shown is not None
    principal = connector_key_verify(shown.group(1))
    assert principal is not None
    assert principal.name == "gateway prod"
    assert ConnectorKey.objects.get().created_by == "boss"
    assert shown.group(1) not in later.content.decode()
    assert principal.key_id in later.content.decode()


def test_a_blank_name_creates_nothing(admin_user: User) -> None:
    response = client_for(admin_user).post("/settings/connector-keys/", {"name": "  "}, follow=True)

    assert "Give the key a name that says where it is used." in response.content.decode()
    assert ConnectorKey.objects.count() == 0


def test_admin_revokes_a_key_and_it_is_refused_at_once(admin_user: User) -> None:
    key, full = connector_key_create(name="old gateway")

    response = client_for(admin_user).post(f"/settings/connector-keys/{key.key_id}/revoke/", follow=True)

    assert f"Connector key {key.key_id} (old gateway) revoked" in response.content.decode()
    assert connector_key_verify(full) is None


def test_store_managers_and_viewers_cannot_create_or_revoke(store_manager: User, viewer: User) -> None:
    key, full = connector_key_create(name="gateway")
    for user in (store_manager, viewer):
        client = client_for(user)
        page = client.get("/settings/").content.decode()
        assert client.post("/settings/connector-keys/", {"name": "mine"}).status_code == 403
        assert client.post(f"/settings/connector-keys/{key.key_id}/revoke/").status_code == 403
        assert "Create a connector key" not in page
        assert key.key_id in page
    assert ConnectorKey.objects.count() == 1
    assert connector_key_verify(full) is not None


def test_settings_show_the_qr_pattern_for_amazons_portal(viewer: User) -> None:
    page = client_for(viewer).get("/settings/").content.decode()

    assert '<code id="qr-pattern">^JWOAPP1[0-9]{10}[0-9A-F]{52}$</code>' in page
