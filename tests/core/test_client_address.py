"""The client's address: X-Forwarded-For believed only as far as our own proxies wrote it."""

from typing import Any

import pytest
from django.test import RequestFactory

from jwo_admin.core.client_address import client_address


def address(remote: str, forwarded: str | None = None) -> str:
    meta: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory(**meta).get("/"))


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.JWO_TRUSTED_PROXIES = []

    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address("203.0.113.9") == "203.0.113.9"


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),  # one load balancer
        ("10.0.0.5", "198.51.100.7, 10.0.0.9", "198.51.100.7"),  # two hops of ours
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the caller's own header: not believed
        ("10.0.0.5", "6.6.6.6,198.51.100.7 , 10.1.2.3", "198.51.100.7"),
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not through our proxy: its socket address
        ("10.0.0.5", "not-an-address", "10.0.0.5"),  # garbage where our proxy should have written
        ("10.0.0.5", "10.0.0.7, 10.0.0.8", "10.0.0.7"),  # only proxies: the farthest of them
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "198.51.100.7:51234", "198.51.100.7"),  # with a port
        ("10.0.0.5", "[2001:db8::1]:443", "2001:db8::1"),
        ("fd00::5", "2001:db8::2", "2001:db8::2"),  # IPv6 proxy network
    ],
)
def test_trusted_proxies_vouch_for_the_hop_before_them(remote: str, forwarded: str, client: str, settings: Any) -> None:
    settings.JWO_TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]

    assert address(remote, forwarded) == client
