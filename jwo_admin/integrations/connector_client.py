"""Our own connectors called over HTTP, as Amazon and the shoppers' phones call them: the
simulator's transport (operations/simulation), kept here with every other HTTP client.

Transport only: one connection pool per thread (the simulator's gates are threads), bounded
waits, and an answer for every call — a network failure is an answer with no status.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

POST_TIMEOUT = 10
PROBE_TIMEOUT = 5


class ConnectorUnreachable(Exception):
    """The app did not answer at all (refused, timed out)."""


@dataclass(frozen=True)
class ConnectorAnswer:
    status_code: int  # 0: no answer (the body then says why)
    body: Any
    duration_ms: float


class ConnectorClient:
    """POSTs JSON to ``base_url`` + path; safe to share between threads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> ConnectorAnswer:
        """The answer's status and JSON body ({} when it is not JSON); status 0 and
        ``{"error": ...}`` when no answer came."""
        started = time.perf_counter()
        try:
            response = self._session().post(self.base_url + path, json=body, headers=headers, timeout=POST_TIMEOUT)
        except requests.RequestException as error:
            elapsed = (time.perf_counter() - started) * 1000
            return ConnectorAnswer(0, {"error": f"{type(error).__name__}: {error}"[:200]}, elapsed)
        elapsed = (time.perf_counter() - started) * 1000
        try:
            return ConnectorAnswer(response.status_code, response.json(), elapsed)
        except ValueError:
            return ConnectorAnswer(response.status_code, {}, elapsed)


def connector_status(*, base_url: str, path: str) -> int:
    """The HTTP status a GET of ``path`` answers (a liveness probe). Raises ConnectorUnreachable."""
    try:
        return requests.get(base_url.rstrip("/") + path, timeout=PROBE_TIMEOUT).status_code
    except requests.RequestException as error:
        raise ConnectorUnreachable(type(error).__name__) from error
