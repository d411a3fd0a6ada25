"""``{{ moment|store_time:zone }}``: a time on a store's clock, saying which clock.

Every timestamp on a staff screen goes through here, so a list never mixes UTC with store time:
``7 Dec 2026 09:14 EST`` inside a ``<time>`` element whose ``title`` is the zone's IANA name
(``America/New_York``) and whose ``datetime`` is the exact instant. ``zone`` is a ``tzinfo``
(``purchase.store.zone``), an IANA name or anything with a ``zone`` (a store, or None when a row
has no store: ``event.store``); without one the site's zone (``TIME_ZONE``) is used and named the
same way. ``store_time_seconds`` adds the seconds (payment events, gate decisions).
``{{ zone|zone_name }}`` gives the name for a page header ("Times in America/New_York").
"""

from datetime import datetime, tzinfo

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from jwo_admin.core.zones import zone_name as name_of_zone
from jwo_admin.core.zones import zone_named

register = template.Library()


def _zone(zone: object) -> tzinfo:
    if isinstance(zone, tzinfo):
        return zone
    own = getattr(zone, "zone", None)  # a store (the kernel knows no app model, only its ``zone``)
    if isinstance(own, tzinfo):
        return own
    if isinstance(zone, str) and zone:
        return zone_named(zone)
    return timezone.get_current_timezone()


def store_time_text(moment: datetime, zone: tzinfo, *, seconds: bool = False) -> str:
    """``moment`` on ``zone``'s clock as staff read it: ``7 Dec 2026 09:14 EST``.

    >>> from datetime import UTC
    >>> from zoneinfo import ZoneInfo
    >>> store_time_text(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), ZoneInfo("Pacific/Kiritimati"))
    '7 Dec 2026 13:30 +14'
    >>> store_time_text(datetime(2026, 12, 7, 14, 14, 5, tzinfo=UTC), ZoneInfo("America/New_York"), seconds=True)
    '7 Dec 2026 09:14:05 EST'
    """
    local = moment.astimezone(zone)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{local.day} {local:%b %Y} {clock} {local:%Z}"


def _render(moment: object, zone: object, *, seconds: bool) -> SafeString | str:
    if not isinstance(moment, datetime):
        return "" if moment is None else str(moment)
    clock = _zone(zone)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.astimezone(clock).isoformat(timespec="seconds"),
        name_of_zone(clock),
        store_time_text(moment, clock, seconds=seconds),
    )


@register.filter
def store_time(moment: object, zone: object = None) -> SafeString | str:
    return _render(moment, zone, seconds=False)


@register.filter
def store_time_seconds(moment: object, zone: object = None) -> SafeString | str:
    return _render(moment, zone, seconds=True)


@register.filter
def zone_name(zone: object = None) -> str:
    """The IANA name of a zone given as a ``tzinfo`` or a name (the site's zone for none)."""
    return name_of_zone(_zone(zone))
