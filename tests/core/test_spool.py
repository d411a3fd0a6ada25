"""Records kept in Redis until the database takes them: stored oldest first, each once, none lost
when storing fails, nothing kept without Redis."""

from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from jwo_admin.core.spool import PREFIX, spool_drain, spool_length, spool_push


@pytest.fixture
def spool(redis_url: str, settings: Any) -> redis.Redis:
    settings.REDIS_URL = redis_url
    client = redis.Redis.from_url(redis_url)
    client.delete(PREFIX + "test")
    return client


def test_records_are_stored_oldest_first_and_each_once(spool: redis.Redis) -> None:
    at = datetime(2026, 12, 6, 23, 5, 7, tzinfo=UTC)
    for number in range(3):
        assert spool_push("test", {"n": number, "at": at}) is True
    stored: list[dict[str, Any]] = []

    assert spool_drain("test", stored.append) == 3
    assert stored == [{"n": 0, "at": "2026-12-06T23:05:07Z"}, {"n": 1, "at": "2026-12-06T23:05:07Z"},
                      {"n": 2, "at": "2026-12-06T23:05:07Z"}]  # fmt: skip
    assert spool_length("test") == 0
    assert spool_drain("test", stored.append) == 0


def test_a_record_that_cannot_be_stored_stays_first_in_line(spool: redis.Redis) -> None:
    spool_push("test", {"n": 1})
    spool_push("test", {"n": 2})
    calls: list[int] = []

    def database_away(payload: dict[str, Any]) -> None:
        calls.append(payload["n"])
        raise ConnectionError("database away")

    with pytest.raises(ConnectionError):
        spool_drain("test", database_away)
    kept: list[dict[str, Any]] = []
    assert calls == [1]  # stopped at the first
    assert spool_drain("test", kept.append) == 2
    assert kept == [{"n": 1}, {"n": 2}]


def test_an_unreadable_record_is_dropped_and_the_rest_stored(spool: redis.Redis) -> None:
    spool.rpush(PREFIX + "test", b"{not json")
    spool_push("test", {"n": 1})
    kept: list[dict[str, Any]] = []

    assert spool_drain("test", kept.append) == 1
    assert (kept, spool_length("test")) == ([{"n": 1}], 0)


def test_without_redis_nothing_is_kept_and_the_caller_is_told(settings: Any) -> None:
    settings.REDIS_URL = ""
    assert spool_push("test", {"n": 1}) is False
    assert spool_drain("test", lambda payload: None) == 0


def test_a_redis_that_does_not_answer_is_a_refusal_not_an_error(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert spool_push("test", {"n": 1}) is False
