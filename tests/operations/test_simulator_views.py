"""The simulator page's permissions: viewers look, store managers start."""

from typing import Any

from operations.models import SimulationRun
from tests.conftest import client_for


def test_a_viewer_sees_the_page_but_cannot_start_a_run(viewer: Any, store: Any) -> None:
    client = client_for(viewer)
    page = client.get("/operations/simulator/")
    assert page.status_code == 200
    assert b"simulation-form" not in page.content
    refused = client.post("/operations/simulator/", {"store": store.store_id, "gates": 1, "shoppers": 1, "seconds": 5})
    assert refused.status_code == 403
    assert not SimulationRun.objects.exists()


def test_the_form_refuses_a_long_run_and_starts_nothing(store_manager: Any, store: Any) -> None:
    response = client_for(store_manager).post(
        "/operations/simulator/", {"store": store.store_id, "gates": 4, "shoppers": 10, "seconds": 3600, "seed": 1}
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 120." in response.content.decode()
    assert not SimulationRun.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(db: None, client: Any) -> None:
    response = client.get("/operations/simulator/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/operations/simulator/")
