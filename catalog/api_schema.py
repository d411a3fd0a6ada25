"""What the published contract says about the catalog: the items we send to Amazon's Upload Catalog.

No endpoint of ours takes them, so drf-spectacular cannot find them from a view; this hook adds
them beside what the connectors answer (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``).
"""

from typing import Any

from catalog.amazon_items import upload_json_schema


def add_catalog_upload(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Postprocessing hook: what we send to Amazon's Upload Catalog, published beside what we
    answer (staff export it and the sync sends it)."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(upload_json_schema())
    return result
