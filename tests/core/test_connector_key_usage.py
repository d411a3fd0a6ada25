"""A connector key notes when it was last used (once a minute at most, off the request's path)."""

import pytest
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from jwo_admin.core.api.authentication import ConnectorKeyAuthentication
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.deadline import pool_shutdown
from jwo_admin.core.models import ConnectorKey


def authenticate(key: str) -> object:
    request = Request(APIRequestFactory().post("/v1/identity/identity-keys", headers={"X-JWO-Connector-Key": key}))
    result = ConnectorKeyAuthentication().authenticate(request)
    pool_shutdown()  # wait for the background write
    assert result is not None
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_last_used_is_set_on_first_use_and_not_rewritten_within_the_minute() -> None:
    cache.clear()
    row, key = connector_key_create(name="gateway")

    authenticate(key)
    first = ConnectorKey.objects.get(pk=row.pk).last_used_at
    authenticate(key)
    second = ConnectorKey.objects.get(pk=row.pk).last_used_at

    assert first is not None
    assert second == first
