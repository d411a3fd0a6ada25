"""Drill: PostgreSQL down, the gate answered with the store default, and then the web processes are
killed (a deploy, the worker timeout) before the database is back.

What must hold: every answer Amazon got is in the gate log once the database is back — as the
store-default 500 it was, at the time it was given — although the processes that gave them are
gone (the records waited in Redis, not in their memory).
"""

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.models import Store
from entry.models import GateEvent
from entry.services.identity import gate_events_spool_drain
from entry.services.shoppers import scan_key_issue
from jwo_admin.core.spool import spool_length
from tests.drills.proxy import fault_proxy
from tests.drills.servers import database_url, drill_shop, gate_call, gunicorn, production_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]
GATE = "/v1/identity/identity-keys"


def test_store_default_answers_given_during_an_outage_outlive_the_killed_web_processes(
    store: Store, redis_url: str, tmp_path: Path
) -> None:
    shopper, headers = drill_shop(store, "cust-spool")
    codes = [scan_key_issue(shopper=shopper, store=store).code for _ in range(21)]
    database = settings.DATABASES["default"]
    with fault_proxy(database["HOST"], int(database["PORT"])) as proxy:
        env = production_env(database=database_url(host="127.0.0.1", port=proxy.port), redis=redis_url)
        with gunicorn(env, tmp_path / "web.log", workers=2) as web:
            warm = web.post(GATE, gate_call(codes[0], store.store_id), headers)
            proxy.set("down")
            outage_started = timezone.now()
            calls = [gate_call(code, store.store_id) for code in codes[1:]]
            answers = [web.post(GATE, body, headers) for body in calls]
            os.killpg(web.process.pid, signal.SIGKILL)  # no goodbye: memory and timers gone
            web.process.wait(timeout=10)
            kept = spool_length("gate_events")
            proxy.set("pass")

    drained = gate_events_spool_drain()  # what beat does every 5 s on a worker

    assert warm.status == 200
    assert [answer.status for answer in answers] == [500] * 20
    assert max(answer.seconds for answer in answers) < 2.0
    assert (kept, drained, spool_length("gate_events")) == (20, 20, 0)
    events = GateEvent.objects.filter(auth_event_ref__in=[call["authEvent"]["id"] for call in calls])
    assert events.count() == 20
    assert set(events.values_list("status_code", "decision")) == {(500, "store_default")}
    times = sorted(events.values_list("created_at", flat=True))
    assert outage_started - timedelta(seconds=1) <= times[0] <= times[-1] <= outage_started + timedelta(seconds=60)
    assert gate_events_spool_drain() == 0  # nothing twice
    assert events.count() == 20
