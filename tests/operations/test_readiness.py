"""Launch readiness: the app's own checks from real data, ticks with who and when, the CSV."""

import csv
import io
from datetime import timedelta
from typing import Any

from django.utils import timezone

from catalog.models import AmazonCall, InboundMessage
from jwo_admin.core.connector_keys import connector_key_create
from operations.models import ReadinessMark, SimulationRun, SimulationStatus
from operations.selectors.readiness import MANUAL, readiness_items
from tests.conftest import client_for


def states() -> dict[str, bool]:
    return {item.key: item.ok for item in readiness_items()}


def test_a_fresh_install_has_everything_open_but_its_stores(store: Any, settings: Any) -> None:
    settings.JWO_PAYMENT_GATEWAY = "jwo_admin.integrations.payments.sandbox.SandboxGateway"
    settings.JWO_SCAN_KEY_SECRETS = [f"scan-key:{settings.SECRET_KEY}"]  # the local default
    assert states() == {
        "store_ids": True,
        "connector_keys": False,
        "amazon_connectivity": False,
        f"catalog_synced:{store.store_id}": False,
        "notifications": False,
        "gate_defaults": True,
        "scan_key_prefix": False,
        "payment_gateway": False,
        "simulation": False,
        **{key: False for key, _, _ in MANUAL},
    }


def test_the_app_checks_what_it_can_see(store: Any, settings: Any) -> None:
    settings.JWO_SCAN_KEY_PREFIX = "JWOAPP"
    settings.JWO_SCAN_KEY_SECRETS = ["a-secret-of-its-own"]
    settings.JWO_PAYMENT_GATEWAY = "payments_acme.gateway.AcmeGateway"
    key, _ = connector_key_create(name="gateway")
    key.last_used_at = timezone.now()
    key.save()
    AmazonCall.objects.create(operation="connectivity", outcome="ok", status_code=400)
    InboundMessage.objects.create(message_id="m1", status=InboundMessage.Status.APPLIED, body="{}")
    run = SimulationRun.objects.create(store=store, base_url="http://x", status=SimulationStatus.PASSED)
    SimulationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=2))
    found = states()
    for key_name in ("connector_keys", "amazon_connectivity", "notifications", "scan_key_prefix", "payment_gateway"):
        assert found[key_name] is True, key_name
    assert found["simulation"] is True

    settings.JWO_SIMULATION_FRESH_DAYS = 1
    settings.JWO_SCAN_KEY_SECRETS = [f"scan-key:{settings.SECRET_KEY}"]
    AmazonCall.objects.create(operation="connectivity", outcome="forbidden", status_code=403)
    found = states()
    assert (found["simulation"], found["scan_key_prefix"], found["amazon_connectivity"]) == (False, False, False)


def test_a_store_manager_ticks_a_step_and_a_viewer_cannot(store_manager: Any, viewer: Any) -> None:
    refused = client_for(viewer).post("/operations/readiness/mark/", {"item": "aws_role", "is_done": "on"})
    assert refused.status_code == 403
    assert not ReadinessMark.objects.exists()

    client = client_for(store_manager)
    response = client.post("/operations/readiness/mark/", {"item": "aws_role", "is_done": "on", "note": "role ok"})
    assert (response.status_code, response["Location"]) == (302, "/operations/readiness/")
    mark = ReadinessMark.objects.get()
    assert (mark.item, mark.is_done, mark.note, mark.marked_by) == ("aws_role", True, "role ok", store_manager)
    assert states()["aws_role"] is True

    wrong = client.post("/operations/readiness/mark/", {"item": "simulation", "is_done": "on"})
    assert wrong.status_code == 400
    assert ReadinessMark.objects.count() == 1


def test_the_csv_lists_every_item_with_its_state(store_manager: Any, store: Any) -> None:
    client = client_for(store_manager)
    client.post("/operations/readiness/mark/", {"item": "runbooks", "is_done": "on", "note": "read by on-call"})
    response = client.get("/operations/readiness.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "item", "checked by", "state", "evidence or note", "ticked by", "ticked at"]
    assert len(rows) == 1 + len(readiness_items())
    runbooks = next(row for row in rows if row[1].startswith("Runbooks"))
    assert runbooks[2:6] == ["staff", "done", "read by on-call", store_manager.username]
    assert sum(1 for row in rows[1:] if row[2] == "app") == 8 + 1  # eight, and the catalog of each store


def test_the_page_shows_every_item(viewer: Any, store: Any) -> None:
    page = client_for(viewer).get("/operations/readiness/").content.decode()
    assert page.count("<tr data-item=") == len(readiness_items())
    assert "/operations/readiness/mark/" not in page  # a viewer sees no forms
    assert 'name="is_done"' not in page


def test_connectivity_is_done_only_on_a_recorded_success_and_says_so_in_words(store: Any) -> None:
    call = AmazonCall.objects.create(operation="connectivity", outcome="invalid_body", status_code=400)
    when = f"{timezone.localtime(call.created_at):%Y-%m-%d %H:%M}"

    failed = {item.key: item for item in readiness_items()}["amazon_connectivity"]

    assert (failed.ok, failed.evidence) == (False, f"failed at {when}: Amazon refused the request as invalid, HTTP 400")

    call = AmazonCall.objects.create(operation="connectivity", outcome="ok", status_code=400)
    when = f"{timezone.localtime(call.created_at):%Y-%m-%d %H:%M}"
    answered = {item.key: item for item in readiness_items()}["amazon_connectivity"]
    assert (answered.ok, answered.evidence) == (True, f"succeeded at {when}")


def test_staff_read_plain_words_with_references_in_a_tooltip(store: Any, store_manager: Any, settings: Any) -> None:
    settings.JWO_SCAN_KEY_SECRETS = [f"scan-key:{settings.SECRET_KEY}"]

    page = client_for(store_manager).get("/operations/readiness/").content.decode()

    for item in readiness_items():
        assert "`" not in item.title + item.evidence, item.key
        assert "§" not in item.title + item.evidence + item.reference, item.key
    assert "`" not in page
    assert "SPEC" not in page
    assert "§" not in page
    assert '<small class="muted" title="Amazon&#x27;s onboarding guide, step 1">Reference</small>' in page
    assert "The load test run against the production-sized deployment; figures reviewed" in page
