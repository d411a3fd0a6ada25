"""The metrics endpoint of a worker machine: what its Celery workers and results consumer counted.

gunicorn's ``/metrics`` sums the web processes' files (their ``PROMETHEUS_MULTIPROC_DIR``); the
workers count in theirs (queue lag, payments settled, sync items…) and nothing served them.
``manage.py metrics_serve`` serves every directory it is given, summed as one, behind the same
bearer token as ``/metrics`` (``JWO_METRICS_TOKEN``): one scrape target per worker machine.
"""

import glob
import hmac
import os
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector


class DirectoriesCollector(Collector):
    """prometheus-client's multiprocess merge over the files of several directories at once (the
    worker unit's and the results consumer's), so each series appears once, summed."""

    def __init__(self, directories: Iterable[str]) -> None:
        self.directories = list(directories)

    def collect(self) -> Iterator[Metric]:
        files = sorted(path for directory in self.directories for path in glob.glob(os.path.join(directory, "*.db")))
        return iter(MultiProcessCollector.merge(files, accumulate=True))


def metrics_server(*, host: str, port: int, directories: list[str], token: str) -> ThreadingHTTPServer:
    registry = CollectorRegistry()
    registry.register(DirectoriesCollector(directories))
    expected = f"Bearer {token}".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            sent = self.headers.get("Authorization", "").encode()
            if self.path.split("?")[0] != "/metrics":
                self._answer(404, b"Not found: ask /metrics\n", "text/plain")
            elif not token or not hmac.compare_digest(sent, expected):
                self._answer(401, b"Metrics need a bearer token.\n", "text/plain")
            else:
                self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="metrics"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            return  # scrapes every 15 s would drown the worker's own lines

    return ThreadingHTTPServer((host, port), Handler)
