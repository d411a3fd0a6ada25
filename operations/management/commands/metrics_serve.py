"""python manage.py metrics_serve --port 9808 --dir /run/jwo-worker/metrics --dir /run/jwo-results/metrics

A worker machine's scrape target (README, "Operations: probes, metrics, logs")."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.worker_metrics import metrics_server


class Command(BaseCommand):
    help = "Serve /metrics for the Celery workers and results consumer of this machine (bearer token)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - Prometheus scrapes the machine
        parser.add_argument("--port", type=int, default=9808)
        parser.add_argument("--dir", action="append", dest="directories", required=True,
                            help="A PROMETHEUS_MULTIPROC_DIR to serve (repeat for each unit)")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.JWO_METRICS_TOKEN:
            raise CommandError("Set JWO_METRICS_TOKEN: worker metrics are served only behind the bearer token.")
        server = metrics_server(
            host=options["host"], port=options["port"], directories=options["directories"],
            token=settings.JWO_METRICS_TOKEN,
        )  # fmt: skip
        self.stdout.write(f"Serving /metrics on {options['host']}:{server.server_port} for {options['directories']}")
        self.stdout.flush()
        try:
            server.serve_forever()
        finally:
            server.server_close()
