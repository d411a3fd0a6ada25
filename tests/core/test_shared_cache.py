"""The shared cache's backend: Django's Redis cache with one client per connection pool."""

import threading

import pytest
from django.core.cache.backends.redis import RedisCache

from jwo_admin.core.cache import SharedRedisCache


@pytest.fixture
def shared() -> SharedRedisCache:
    # A backend of its own, on a server nobody answers at: building clients needs no connection.
    return SharedRedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.05}})


def test_it_is_djangos_redis_cache(shared: SharedRedisCache) -> None:
    assert isinstance(shared, RedisCache)


def test_one_client_per_pool_whatever_the_thread(shared: SharedRedisCache) -> None:
    client = shared._cache.get_client()
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(shared._cache.get_client(write=True)))
    thread.start()
    thread.join()

    assert shared._cache.get_client("any key") is client
    assert seen == [client]  # one server: reads and writes share its pool
    assert client.connection_pool.connection_kwargs["port"] == 9  # the configured server's pool
