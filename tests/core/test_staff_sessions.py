"""Staff sessions end after JWO_STAFF_IDLE_HOURS without activity; live polls are not activity."""

import time
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from jwo_admin.core.staff_sessions import LAST_ACTIVITY
from tests.conftest import client_for


def _age_last_activity(client: Client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY] = time.time() - seconds
    session.save()


def test_a_session_idle_past_the_limit_is_signed_out_with_a_word(viewer: User, settings: Any) -> None:
    settings.JWO_STAFF_IDLE_HOURS = 12
    client = client_for(viewer)
    assert client.get("/catalog/").status_code == 200
    _age_last_activity(client, 12 * 3600 + 5)

    response = client.get("/catalog/")
    login = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/catalog/")
    assert "You were signed out after 12 hours without activity." in login.content.decode()
    assert client.get("/catalog/").status_code == 302  # still signed out


def test_activity_within_the_limit_keeps_the_session(viewer: User, settings: Any) -> None:
    settings.JWO_STAFF_IDLE_HOURS = 12
    client = client_for(viewer)
    client.get("/")
    _age_last_activity(client, 11 * 3600)

    assert client.get("/catalog/").status_code == 200  # activity: the clock starts again
    assert time.time() - client.session[LAST_ACTIVITY] < 5


def test_live_polls_do_not_keep_an_idle_session_alive(viewer: User, settings: Any) -> None:
    settings.JWO_STAFF_IDLE_HOURS = 1
    client = client_for(viewer)
    client.get("/")
    _age_last_activity(client, 3000)
    before = client.session[LAST_ACTIVITY]

    poll = client.get("/entry/gate-log/", headers={"HX-Request": "true"})

    assert poll.status_code == 200
    assert client.session[LAST_ACTIVITY] == before  # not renewed by the poll
    _age_last_activity(client, 3700)
    assert client.get("/entry/gate-log/", headers={"HX-Request": "true"}).status_code == 302
