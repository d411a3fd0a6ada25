"""The journeys over HTTP, as Amazon and the shoppers' phones make them.

Each gate is a thread: shoppers arrive paced over the run's length, fetch a Scan Key Code from
the app API, are let in (or not) by the Identity Connector, and walk out through Create Purchases.
The shoppers of the burst walk out together after everyone is in; some deliveries are sent twice,
at the same moment or later, as Amazon's retries do. Nothing here reads the database.
"""

import base64
import secrets
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jwo_admin.integrations.connector_client import ConnectorClient
from operations.simulation.cast import Cast, Participant
from operations.simulation.config import SimulationConfig

IDENTITY = "/v1/identity/identity-keys"
PURCHASES = "/v1/order/purchases"
SCAN_KEYS = "/api/app/v1/scan-keys"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Trip:
    """What happened to one shopper, as the simulator saw it over HTTP."""

    participant: Participant
    auth_event_id: str = ""
    gate_status: int = 0
    visitor_type: str = ""
    trip_id: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    answers: list[tuple[int, str]] = field(default_factory=list)  # (status, purchaseId) per delivery
    error: str = ""

    @property
    def admitted(self) -> bool:
        return self.gate_status == 200


class Recorder:
    """Latencies and failures per endpoint, from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.calls = 0

    def note(self, endpoint: str, ms: float, *, failed: bool) -> None:
        with self._lock:
            self.latency_ms[endpoint].append(ms)
            self.calls += 1
            if failed:
                self.errors[endpoint] += 1


class Driver:
    def __init__(self, *, base_url: str, cast: Cast, config: SimulationConfig, key_header: str, ttl_seconds: int):
        self.base_url = base_url.rstrip("/")
        self.cast = cast
        self.config = config
        self.key_header = key_header
        self.ttl_seconds = ttl_seconds
        self.recorder = Recorder()
        self.client = ConnectorClient(self.base_url)

    # --- HTTP -----------------------------------------------------------------------------------
    def _post(self, endpoint: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        answer = self.client.post(path, body, headers)
        failed = answer.status_code == 0 or answer.status_code >= 500
        self.recorder.note(endpoint, answer.duration_ms, failed=failed)
        return answer.status_code, answer.body

    def _connector(self) -> dict[str, str]:
        return {self.key_header: self.cast.connector_key}

    # --- one shopper ----------------------------------------------------------------------------
    def enter(self, participant: Participant) -> Trip:
        trip = Trip(participant, auth_event_id=str(uuid.uuid4()))
        status, issued = self._post(
            "app scan-keys",
            SCAN_KEYS,
            {"storeId": self.config.store_id},
            {"Authorization": f"Token {participant.app_token}"},
        )
        if status != 201:
            trip.error = f"no Scan Key Code: {status} {issued}"[:300]
            return trip
        at = datetime.now(UTC)
        identity_key = issued["identityKey"]
        if participant.journey.entry == "stale":  # a screenshot of yesterday's code
            at = datetime.fromisoformat(issued["issuedAt"].replace("Z", "+00:00")) + timedelta(
                seconds=self.ttl_seconds + 30
            )
        elif participant.journey.entry == "forged":
            identity_key = base64.b64encode(f"{issued['code'][:-20]}{secrets.token_hex(10).upper()}".encode()).decode()
        body = {
            "requestId": str(uuid.uuid4()),
            "identityKey": identity_key,
            "storeId": self.config.store_id,
            "authEvent": {"id": trip.auth_event_id, "timestamp": _stamp(at), "location": "ENTRY"},
            "keyChannel": "OPTICAL",
        }
        trip.gate_status, answer = self._post("identity", IDENTITY, body, self._connector())
        if trip.admitted:
            trip.visitor_type = answer.get("visitorDetails", {}).get("type", "")
            trip.body = self._cart_body(trip, answer.get("visitorDetails", {}).get("id", participant.external_id))
        return trip

    def _cart_body(self, trip: Trip, visitor_id: str) -> dict[str, Any]:
        trip.trip_id = str(uuid.uuid4())
        end = datetime.now(UTC)
        return {
            "requestId": str(uuid.uuid4()),
            "idempotentShoppingTripId": trip.trip_id,
            "storeId": self.config.store_id,
            "shoppingTrip": {
                "startTime": _stamp(end - timedelta(minutes=4)),
                "endTime": _stamp(end),
                "authEvents": [
                    {
                        "id": trip.auth_event_id,
                        "timestamp": _stamp(end - timedelta(minutes=4)),
                        "location": "ENTRY",
                        "payloadType": "SCAN_CODE",
                        "scanResult": {"id": visitor_id, "type": trip.visitor_type},
                    }
                ],
            },
            "cartItems": [
                {
                    "id": line.sku,
                    "type": "SKU",
                    "quantity": {"value": line.quantity, "unit": line.unit},
                    "lineItemId": f"line-{index}",
                }
                for index, line in enumerate(trip.participant.journey.cart)
            ],
        }

    def leave(self, trip: Trip, *, again: bool = False) -> None:
        body = {**trip.body, "requestId": str(uuid.uuid4())} if again else trip.body
        status, answer = self._post("purchases", PURCHASES, body, self._connector())
        trip.answers.append((status, answer.get("purchaseId", "") if isinstance(answer, dict) else ""))

    def _leave_concurrently(self, trip: Trip) -> None:
        both = [threading.Thread(target=self.leave, args=(trip,), kwargs={"again": again}) for again in (False, True)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()

    # --- the whole store --------------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] = lambda done: None) -> list[Trip]:
        participants = self.cast.participants
        interval = self.config.seconds / max(len(participants), 1)
        started = time.monotonic()
        done = 0
        lock = threading.Lock()

        def visit(index: int, participant: Participant) -> Trip:
            nonlocal done
            delay = started + index * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            trip = self.enter(participant)
            if trip.admitted and not participant.journey.in_burst:
                self._exit(trip)
            with lock:
                done += 1
                progress(done)
            return trip

        with ThreadPoolExecutor(max_workers=self.config.gates, thread_name_prefix="gate") as gates:
            trips = list(gates.map(visit, range(len(participants)), participants))
        burst = [trip for trip in trips if trip.admitted and trip.participant.journey.in_burst]
        if burst:  # everyone walks out at once
            with ThreadPoolExecutor(max_workers=min(len(burst), 32), thread_name_prefix="exit") as exits:
                list(exits.map(self._exit, burst))
        for trip in trips:  # Amazon's later retries
            if trip.admitted and trip.participant.journey.duplicate == "later":
                self.leave(trip, again=True)
        return trips

    def _exit(self, trip: Trip) -> None:
        if trip.participant.journey.duplicate == "concurrent":
            self._leave_concurrently(trip)
        else:
            self.leave(trip)
