"""python -m fake_amazon [--port 8899] [--moto-port 5055] [--store ID ...] — for `make run` and demos."""

import argparse
import json
import signal
import subprocess
import sys
import time
import urllib.request

from fake_amazon.app import Knobs
from fake_amazon.server import free_port, start, wait_forever


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--moto-port", type=int, default=5055)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--store", action="append", dest="stores", help="a store id of the retailer (repeat)")
    parser.add_argument("--reject-rate", type=float, default=0.0, help="share of items rejected in reports")
    parser.add_argument("--ready-file", default="", help="write the endpoints here as JSON once serving")
    parser.add_argument(
        "--moto-in-process", action="store_true", help="run moto in a thread here instead of its own process"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so moto's process is stopped with ours
    # A request thread waiting for the interpreter lock would be timed late, and throttled by a
    # window it did not arrive in: switch threads every millisecond instead of every five.
    sys.setswitchinterval(0.001)
    moto_process = None if args.moto_in_process else _start_moto(args.host, args.moto_port)
    running = start(
        host=args.host,
        port=args.port,
        moto_port=args.moto_port,
        region=args.region,
        known_stores=args.stores,
        knobs=Knobs(reject_rate=args.reject_rate),
        moto_endpoint=moto_process[1] if moto_process else "",
    )
    ready = {
        "endpoint": running.endpoint,
        "aws_endpoint_url": running.aws_endpoint_url,
        "queue_url": running.resources.queue_url,
        "bucket": running.resources.bucket,
    }
    if args.ready_file:
        with open(args.ready_file, "w", encoding="utf-8") as handle:
            json.dump(ready, handle)
    print(f"fake Amazon at {running.endpoint}, moto at {running.aws_endpoint_url}", flush=True)  # noqa: T201
    try:
        wait_forever(running)
    finally:
        if moto_process:
            moto_process[0].terminate()


def _start_moto(host: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """moto's server in a child process (its own GIL, its own core), ready when it answers."""
    port = port or free_port(host)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://{host}:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1):  # noqa: S310 - loopback
                return process, endpoint
        except OSError:
            if process.poll() is not None:
                raise SystemExit("moto's server did not start") from None
            time.sleep(0.05)
    process.terminate()
    raise SystemExit("moto's server did not answer in 10 s")


if __name__ == "__main__":
    main()
