"""bench/amazon_calls.py, the overload step's generator (Amazon's side), against a small HTTP/1.1
server on loopback: each call is timed from when it was sent, a gate's 500 is the store-default
answer, a walk-out answered 503 is sent again no sooner than its Retry-After, and connections are
kept alive until the server closes them."""

import asyncio
import http.server
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))  # as bench/load.py runs it

import amazon_calls  # noqa: E402


class _Amazonless(http.server.BaseHTTPRequestHandler):
    """The gate's call: 500 (the store default). A purchase: 503 with Retry-After: 1 the first time
    its body is seen, 201 after. The third answer on a connection says Connection: close."""

    protocol_version = "HTTP/1.1"
    seen: set[bytes] = set()
    connections: list[int] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(0)
        self.answered = 0

    def log_message(self, *args: object) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.headers["X-Key"] == ("g" if self.path == amazon_calls.IDENTITY_PATH else "e")  # noqa: S101
        if self.path == amazon_calls.IDENTITY_PATH:
            status, extra, answer = 500, {}, b'{"message": "follow the store default"}'
        elif body not in self.seen:
            self.seen.add(body)
            status, extra, answer = 503, {"Retry-After": "1"}, b'{"message": "retry"}'
        else:
            status, extra, answer = 201, {}, b'{"purchaseId": "p-1"}'
        self.answered += 1
        self.connections[-1] = self.answered
        if self.answered == 3:
            extra["Connection"] = "close"
            self.close_connection = True
        self.send_response(status)
        for name, value in {**extra, "Content-Length": str(len(answer))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def server() -> Iterator[int]:
    _Amazonless.seen, _Amazonless.connections = set(), []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Amazonless)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_each_call_is_timed_from_when_it_was_sent_and_a_shed_walk_out_comes_back_after_retry_after(
    server: int, tmp_path: Path
) -> None:
    (tmp_path / "setup.json").write_text('{"header": "X-Key", "gate_key": "g", "exit_key": "e"}')
    (tmp_path / "identity.tsv").write_text("".join(f'{n * 0.3:.4f}\tnew\t200\t{{"n": {n}}}\n' for n in range(4)))
    (tmp_path / "purchases.tsv").write_text('1.2000\tnew\t201\t{"trip": 1}\n')
    start = time.time() + 0.2
    calls = amazon_calls.plan(tmp_path, start, server)
    generator = amazon_calls.Generator(server)

    asyncio.run(generator.run(calls))

    rows = [line.split("\t") for line in generator.trace]
    gates = sorted((row for row in rows if row[3] == "identity"), key=lambda row: float(row[0]))
    assert [float(row[0]) - start for row in gates] == pytest.approx(
        [0.0, 0.3, 0.6, 0.9], abs=1e-5
    )  # written to the µs
    for due, sent, done, _, kind, error, first in gates:
        assert float(due) <= float(sent) <= float(first) == float(done)
        assert (kind, error) == ("new", "store default 500")  # a gate's 500 is its answer
    [(due, sent, done, name, kind, error, first)] = [row for row in rows if row[3] == "purchases"]
    assert (name, kind, error) == ("purchases", "new+1", "")  # 503, then 201 when sent again
    assert float(first) - float(sent) < 0.5  # the 503 came at once
    assert 1.0 <= float(done) - float(first) < 2.5  # sent again no sooner than Retry-After: 1 (+ < 1 s)
    # Six answers one after another (four gates 0.3 s apart, a walk-out and its retry) on kept-alive
    # connections, a new one each time the server closed the last after its third answer.
    assert _Amazonless.connections == [3, 3]
