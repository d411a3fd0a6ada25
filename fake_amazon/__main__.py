"""python -m fake_amazon [--port 8899] [--moto-port 5055] [--store ID ...] — for `make run` and demos."""

import argparse
import json

from fake_amazon.app import Knobs
from fake_amazon.server import start, wait_forever


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--moto-port", type=int, default=5055)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--store", action="append", dest="stores", help="a store id of the retailer (repeat)")
    parser.add_argument("--reject-rate", type=float, default=0.0, help="share of items rejected in reports")
    parser.add_argument("--ready-file", default="", help="write the endpoints here as JSON once serving")
    args = parser.parse_args()
    running = start(
        host=args.host,
        port=args.port,
        moto_port=args.moto_port,
        region=args.region,
        known_stores=args.stores,
        knobs=Knobs(reject_rate=args.reject_rate),
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
    wait_forever(running)


if __name__ == "__main__":
    main()
