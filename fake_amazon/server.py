"""Run the fake Amazon, with moto in a thread of the same process (tests) or beside it in its own
process (``python -m fake_amazon``: moto's work then does not slow the fake's request threads)."""

import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass

from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, make_server

from fake_amazon.app import FakeAmazon, Knobs
from fake_amazon.aws import BotoSink, MotoApiCredentials, Resources, create_resources, moto_credentials
from fake_amazon.store_feed import FeedResources, StoreFeed, create_feed_resources


@dataclass
class Running:
    amazon: FakeAmazon
    resources: Resources
    endpoint: str  # the fake catalog API
    aws_endpoint_url: str  # moto
    region: str
    _moto: ThreadedMotoServer | None
    _server: BaseWSGIServer
    feed: FeedResources | None = None  # the store reports' prefix and the event feed's topic and queue

    def stop(self) -> None:
        self.amazon.stop()
        self._server.shutdown()
        if self._moto is not None:
            self._moto.stop()


def start(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    moto_port: int = 0,
    region: str = "us-east-1",
    known_stores: list[str] | None = None,
    bucket: str = "jwo-amazon-reports",
    topic: str = "jwo-catalog-results",
    queue: str = "jwo-catalog-results",
    raw_delivery: bool = False,
    knobs: Knobs | None = None,
    moto_endpoint: str = "",
) -> Running:
    """``moto_endpoint``: use a moto server already running there instead of starting one here."""
    moto: ThreadedMotoServer | None = None
    if moto_endpoint:
        aws_endpoint_url = moto_endpoint.rstrip("/")
    else:
        moto = ThreadedMotoServer(ip_address=host, port=moto_port or free_port(host), verbose=False)
        moto.start()
        aws_endpoint_url = f"http://{host}:{moto._port}"  # noqa: SLF001 - moto keeps the port there
    resources = create_resources(
        aws_endpoint_url, region, bucket=bucket, topic=topic, queue=queue, raw_delivery=raw_delivery
    )
    amazon = FakeAmazon(
        region=region,
        lookup=MotoApiCredentials(aws_endpoint_url) if moto_endpoint else moto_credentials,
        sink=BotoSink(aws_endpoint_url, region, resources),
        known_stores=known_stores,
        knobs=knobs,
    )
    feed = create_feed_resources(aws_endpoint_url, region, bucket=bucket)
    amazon.store_feed = StoreFeed(aws_endpoint_url, region, feed)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, amazon, threaded=True)
    amazon.public_url = f"http://{host}:{server.server_port}"
    threading.Thread(target=server.serve_forever, name="fake-amazon-http", daemon=True).start()
    amazon.subscription_announce()  # the retailer's queue was just subscribed to the topic
    return Running(
        amazon=amazon,
        resources=resources,
        endpoint=f"http://{host}:{server.server_port}",
        aws_endpoint_url=aws_endpoint_url,
        region=region,
        _moto=moto,
        _server=server,
        feed=feed,
    )


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_forever(running: Running) -> None:  # pragma: no cover - used by the command line
    """Serve until SIGINT or SIGTERM, then stop. The handlers only take note: an exception raised
    from a handler while the main thread waits on a lock ends in a traceback instead of a stop."""
    received: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: received.append(number))
    while not received:
        time.sleep(0.1)
    running.stop()
