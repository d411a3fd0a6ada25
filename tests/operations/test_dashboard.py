"""The staff home page is the operations dashboard: who sees it, and its live part."""

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from operations.selectors.dashboard import open_work_per_hour
from tests.conftest import client_for
from tests.operations.test_alerts import NOW, purchase


def chart(page: str, name: str) -> dict[str, Any]:
    start = page.index(f'id="{name}-data"')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)


def test_anonymous_visitors_are_sent_to_sign_in(db: None, client: Any) -> None:
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/")


def test_a_viewer_sees_alerts_charts_and_each_store_today(viewer: Any, store: Any, settings: Any) -> None:
    settings.JWO_ALERT_UNPRICED_MINUTES = 5
    purchase(store, status="bad_cart", age=timedelta(minutes=10))
    page = client_for(viewer).get("/").content.decode()
    assert 'data-alert="unpriced"' in page
    assert "1 cart received more than 5 min ago not priced (bad carts)" in page
    for name in ("gates", "latency", "purchases", "revenue", "open-work", "sync"):
        assert f'id="dash-{name}-chart"' in page
    purchases = chart(page, "dash-purchases-chart")
    assert len(purchases["labels"]) == 24
    assert sum(purchases["bad_cart"]) == 1
    assert f"<td>{store.name}</td>" in page


def test_htmx_gets_only_the_live_part(viewer: Any, store: Any) -> None:
    response = client_for(viewer).get("/", headers={"HX-Request": "true"})
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="dashboard-live"')
    assert "<html" not in text
    assert 'id="no-alerts"' in text


def slot_of(moment: Any, labels: list[str]) -> int:
    return labels.index(timezone.localtime(moment).strftime("%H:00"))


def test_bad_carts_and_payment_issues_are_counted_by_the_hour_they_arrived(store: Any) -> None:
    purchase(store, status="bad_cart", age=timedelta(minutes=1))
    purchase(store, status="bad_cart", age=timedelta(hours=3))
    purchase(store, status="bad_cart", age=timedelta(hours=30))  # outside the 24 hours
    purchase(store, status="priced", age=timedelta(minutes=1))
    chart_data = open_work_per_hour(now=NOW)
    labels = chart_data["labels"]
    expected = [0] * 24
    for age in (timedelta(minutes=1), timedelta(hours=3)):
        expected[slot_of(NOW - age, labels)] += 1
    assert chart_data["bad_cart"] == expected
    assert chart_data["payment_issues"] == [0] * 24
