"""Navigation shared by every staff page."""

from typing import Any

from django.http import HttpRequest

NAVIGATION = (
    ("catalog", "Catalog", "catalog:product_list"),
    ("sync", "Sync", "catalog:sync_overview"),
    ("entry", "Entry", "entry:overview"),
    ("orders", "Orders", "orders:overview"),
    ("operations", "Simulator", "operations:simulator"),
    ("readiness", "Launch", "operations:readiness"),
    ("settings", "Settings", "operations:settings"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    url_name = match.url_name if match else ""
    section = "sync" if url_name and url_name.startswith("sync") else namespace
    if namespace in ("core", "operations") and url_name:
        section = url_name.split("_")[0]
    if section == "simulator" or section == "simulation":
        section = "operations"
    return {"nav_items": NAVIGATION, "nav_section": section}
