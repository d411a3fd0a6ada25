"""The client's address, the one every throttle and lockout keys on.

``X-Forwarded-For`` is whatever the caller wrote, plus one address per proxy on the way. Only the
part our own proxies appended can be believed: walking the header from the right, each address
that belongs to a trusted proxy (``JWO_TRUSTED_PROXIES``, addresses or networks) is a hop of ours
and the first that does not is the client. A request that did not come from a trusted proxy keeps
its socket address, whatever its header says, so a rotating header buys no fresh budget.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent the request, as far as our own proxies can vouch for it."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted(tuple(settings.JWO_TRUSTED_PROXIES))
    current = _address(remote)
    if current is None or not networks:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while any(current in network for network in networks) and hops:
        previous = _address(hops.pop())
        if previous is None:  # garbage in a hop we cannot vouch for: stop at the last proxy
            break
        current = previous
    return str(current)
