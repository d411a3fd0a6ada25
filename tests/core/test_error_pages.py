"""The 403, 404 and 500 pages staff see (DEBUG off, as in production): styled like every page,
with the navigation; a refusal names the roles that would let them in; the connectors keep their
JSON answers; the API docs page links back to the staff site."""

import json
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import Resolver404, reverse

from jwo_admin.core.api.connector import status_message
from jwo_admin.core.views.errors import page_not_found, server_error
from jwo_admin.core.views.staff import role_needed
from tests.conftest import client_for
from tests.orders.test_views import element_text

pytestmark = pytest.mark.django_db

STAFF_NAVIGATION = [
    ("/catalog/", "Catalog"),
    ("/catalog/sync/", "Sync"),
    ("/entry/", "Entry"),
    ("/orders/", "Orders"),
    ("/operations/simulator/", "Simulator"),
    ("/operations/readiness/", "Launch"),
    ("/settings/", "Settings"),
]


def navigation(html: str) -> list[tuple[str, str]]:
    """(href, text) of each plain link of the site header's navigation (the brand is in <strong>)."""
    header = re.search(r'<header class="container-fluid site-header">(.*?)</header>', html, re.S)
    assert header is not None, "no site header"
    links = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', header.group(1))
    return [(href, text.strip()) for href, text in links]


def title(html: str) -> str:
    found = re.search(r"<title>\s*(.*?)\s*</title>", html, re.S)
    assert found is not None
    return found.group(1)


def test_role_needed_says_the_roles_in_words() -> None:
    assert role_needed(what="page", roles=["Admin"]) == "This page needs the Admin role."
    assert role_needed(what="action", roles=["Store manager", "Admin"]) == (
        "This action needs the Store manager or Admin role."
    )
    assert role_needed(what="page", roles=["Catalog manager", "Store manager", "Admin"]) == (
        "This page needs the Catalog manager, Store manager or Admin role."
    )
    assert role_needed(what="page", roles=[]) == (
        "This page needs a permission no staff role grants: ask an administrator."
    )


def test_a_refused_page_names_the_roles_that_open_it(catalog_client: Client) -> None:
    response = catalog_client.get(reverse("orders:promotion_create"))

    assert response.status_code == 403
    html = response.content.decode()
    assert title(html) == "Not allowed · jwo-admin"
    assert element_text(html, "role-needed") == "This page needs the Store manager or Admin role."
    assert element_text(html, "your-roles") == (
        "You are signed in as catalog, with the Catalog manager role. "
        "An administrator can change your role (Django admin, Users)."
    )
    assert navigation(html) == STAFF_NAVIGATION
    assert "Sign out catalog" in html


def test_a_refused_action_names_the_roles_that_may_do_it(viewer_client: Client, store: Any) -> None:
    response = viewer_client.post(reverse("entry:gate_default", args=[store.pk]), {"default_gate_decision": "OPEN"})

    assert response.status_code == 403
    html = response.content.decode()
    assert element_text(html, "role-needed") == "This action needs the Store manager or Admin role."
    assert navigation(html) == STAFF_NAVIGATION


def test_a_store_manager_is_told_the_catalog_roles_for_an_import(store_manager: User) -> None:
    html = client_for(store_manager).get(reverse("catalog:import_create")).content.decode()

    assert element_text(html, "role-needed") == "This page needs the Catalog manager or Admin role."
    assert element_text(html, "your-roles").startswith("You are signed in as storemgr, with the Store manager role.")


def test_an_unknown_address_is_a_styled_404_with_the_navigation(viewer_client: Client) -> None:
    response = viewer_client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert title(html) == "Not found · jwo-admin"
    assert element_text(html, "not-found") == "Nothing is at this address: /no/such/page/"
    assert navigation(html) == STAFF_NAVIGATION


def test_a_missing_object_says_what_is_missing(viewer_client: Client) -> None:
    response = viewer_client.get(reverse("orders:purchase_detail", args=[999]))

    assert response.status_code == 404
    assert element_text(response.content.decode(), "not-found") == "No such purchase."


def test_a_signed_out_visitor_gets_the_404_without_the_staff_navigation(client: Client) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert title(html) == "Not found · jwo-admin"
    assert navigation(html) == []


def test_a_server_error_is_a_styled_500_with_plain_navigation(viewer: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(viewer)

    with mock.patch("operations.views.dashboard.dashboard", side_effect=RuntimeError("boom")):
        response = client.get("/")

    assert response.status_code == 500
    html = response.content.decode()
    assert title(html) == "Server error · jwo-admin"
    assert element_text(html, "server-error") == "The server could not finish this request."
    assert navigation(html) == STAFF_NAVIGATION
    assert "boom" not in html
    assert "Sign out" not in html  # no request context: nothing that needs the user


def test_the_connectors_keep_their_json_answers(client: Client) -> None:
    response = client.post("/v1/no-such-endpoint", data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == {"message": "No such connector endpoint."}


def test_the_api_docs_page_links_back_to_the_staff_site(viewer_client: Client) -> None:
    html = viewer_client.get("/api/docs/").content.decode()

    assert re.search(r'<a href="/" id="back-to-staff">← Back to jwo-admin</a>', html)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script (CSP)


def test_a_500_page_that_cannot_render_still_answers_in_plain_text(settings: Any, tmp_path: Path) -> None:
    """Production without its collected static files (the manifest is missing): the staff 500 page
    cannot render, and the answer is plain text instead of the web server's bare error page."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    answer = server_error(RequestFactory().get("/orders/"))

    assert (answer.status_code, answer["Content-Type"]) == (500, "text/plain")
    assert answer.content == b"Server error (500). The team has been told."


def test_connector_paths_get_the_json_shape_from_the_404_and_500_handlers() -> None:
    request = RequestFactory().post("/v1/identity/identity-keys/more")

    not_found = page_not_found(request, Resolver404())
    failed = server_error(request)

    assert (not_found.status_code, json.loads(not_found.content)) == (404, {"message": "No such connector endpoint."})
    assert (failed.status_code, failed["Content-Type"]) == (500, "application/json")
    assert json.loads(failed.content) == {"message": status_message(500)}
