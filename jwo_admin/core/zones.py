"""Time zones by IANA name: which names exist, and what staff are shown for a zone.

A store keeps its zone as a name (``America/New_York``); staff screens show each time on that
store's clock with the zone's abbreviation (``EST``) and, on hover, the name. The kernel knows no
store, so these take a ``tzinfo`` or a name.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.db.models import Q


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name this machine's zone database knows (``zoneinfo.available_timezones()``)."""
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone name known here.

    >>> is_time_zone("America/New_York"), is_time_zone("Mars/Base"), is_time_zone("")
    (True, False, False)
    """
    return name in time_zone_names()


def zone_named(name: str) -> tzinfo:
    """The zone called ``name``; UTC for a name the zone database does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(zone: tzinfo) -> str:
    """The IANA name of ``zone`` (``America/New_York``); ``UTC`` for UTC itself.

    >>> zone_name(ZoneInfo("Pacific/Kiritimati")), zone_name(UTC)
    ('Pacific/Kiritimati', 'UTC')
    """
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else (zone.tzname(None) or "UTC")


def validate_time_zone_name(name: str) -> None:
    """Refuse a name that is not an IANA time zone known here (a model field validator)."""
    if not is_time_zone(name):
        raise ValidationError(
            "%(name)s is not an IANA time zone; pick one from the list, e.g. America/New_York or Europe/London.",
            code="unknown_time_zone",
            params={"name": name},
        )


def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every zone name grouped by its region (``America``, ``Europe``…; ``Other`` for ``UTC`` and
    the like), for a select with one group per region."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(time_zone_names()):
        region = name.split("/", 1)[0] if "/" in name else "Other"
        groups.setdefault(region, []).append((name, name))
    return sorted(groups.items())


def wall_clock_filter(
    *,
    field: str,
    zone_names: Iterable[str],
    start: datetime | None,
    end: datetime | None,
    end_inclusive: bool = False,
    store_field: str = "store",
    default_zone: tzinfo = UTC,
) -> Q:
    """Rows whose ``field`` lies between two wall-clock times (naive), each row read on its own
    store's clock: ``from 7 Dec 00:00`` is 7 Dec midnight in New York for a New York store's rows
    and in Kiritimati for a Kiritimati store's. One branch per zone name in ``zone_names`` (those of
    the stores in scope; an unknown name reads as UTC, as ``Store.zone`` does); rows without a store
    are read on ``default_zone``. ``end`` is exclusive unless ``end_inclusive``.
    """

    def between(zone: tzinfo) -> Q:
        bounds = Q()
        if start is not None:
            bounds &= Q(**{f"{field}__gte": start.replace(tzinfo=zone)})
        if end is not None:
            bounds &= Q(**{f"{field}__{'lte' if end_inclusive else 'lt'}": end.replace(tzinfo=zone)})
        return bounds

    matches = Q(**{f"{store_field}__isnull": True}) & between(default_zone)
    for name in sorted(set(zone_names)):
        matches |= Q(**{f"{store_field}__time_zone": name}) & between(zone_named(name))
    return matches
