"""The fake Amazon itself: what it keeps once an upload is reported."""

import time
from typing import Any

import requests

from jwo_admin.core.ratelimit import LocalRateLimiter
from jwo_admin.integrations.amazon_catalog import AmazonCatalogClient, AmazonSettings, Outcome


def test_a_reported_upload_keeps_its_report_but_not_its_items(fake_amazon: Any, settings: Any) -> None:
    """The fake's heap must not grow with every upload (a full garbage collection over 200,000
    kept items paused its request threads and bunched their arrival stamps)."""
    client = AmazonCatalogClient(
        AmazonSettings(
            endpoint=fake_amazon.endpoint,
            region=fake_amazon.region,
            role_arn=settings.JWO_AMAZON_ROLE_ARN,
            aws_endpoint_url=fake_amazon.aws_endpoint_url,
        ),
        LocalRateLimiter(10),
    )
    items = [
        {
            "item_sku": f"FORGET-{index}",
            "external_product_id": "036000291452",
            "external_product_id_type": "UPC",
            "item_name": f"Item {index}",
            "store_id": "TEST_STORE_001",
            "standard_price": "1.00",
        }
        for index in range(3)
    ]
    accepted = client.upload(items)
    assert accepted.outcome is Outcome.ACCEPTED
    ingestion = fake_amazon.amazon.ingestions[accepted.ingestion_id]
    assert len(ingestion.items) == 3  # kept while it is being processed

    deadline = time.monotonic() + 10
    while ingestion.status != "DONE":
        assert time.monotonic() < deadline, f"the upload is still {ingestion.status}"
        time.sleep(0.02)
    assert ingestion.items == []

    status = client.status(accepted.ingestion_id)
    report = requests.get(status.report_link, timeout=5).json()
    assert [(item["item_sku"], item["status"]) for item in report["items"]] == [
        ("FORGET-0", "SUCCESS"),
        ("FORGET-1", "SUCCESS"),
        ("FORGET-2", "SUCCESS"),
    ]
    fake_amazon.amazon.ingestions.pop(accepted.ingestion_id)
