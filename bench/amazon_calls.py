"""Amazon's side of the overload step (``bench/load.py``): the planned connector calls, sent at their
due times from one process, over keep-alive connections, each timed from when it began.

Why not locust here: at 1,000 calls/s two locust processes took half of the machine's two cores
and fell behind (due time → request written, p99 749 ms on a quiet machine), so calls that nginx
answered in time were counted late, and the generator took CPU the servers needed. Amazon's gate
runs on Amazon's machines; its 2 s count from when it sends the call. This generator is a bare
asyncio loop (raw sockets, requests built once, no HTTP library): some 0.1 ms of CPU per call.

Each call is timed from the moment the generator **began** it — the connection opened, or the
request written on a kept-alive connection — to the last byte of its answer; how late it began
after its due time (the generator's own lag) is written beside it, so both can be told apart.
A walk-out answered 503 is sent again after its ``Retry-After`` (as Amazon retries), plus a
random fraction of a second: the header has whole seconds, and a retry never goes out sooner
than it says. Its time runs from its first attempt to its final answer; the first answer's time
is kept too.

    python bench/amazon_calls.py DIRECTORY START PORT

reads ``setup.json``, ``identity.tsv`` and ``purchases.tsv`` in DIRECTORY (``bench/load.py``'s
plan; due times in seconds after START, epoch seconds) and writes ``trace-<pid>.tsv`` there: a
``start`` line, then per call: due, began, answered, endpoint, kind (``new+2``: two retries),
outcome ("" when right), first answer (epoch seconds).
"""

import asyncio
import gc
import json
import os
import random
import resource
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
IDENTITY_PATH = "/v1/identity/identity-keys"
PURCHASES_PATH = "/v1/order/purchases"
MAX_RETRIES = 30
TIMEOUT = {"identity": 10.0, "purchases": 60.0}  # a call not answered by then is a timeout


@dataclass(frozen=True)
class Call:
    due: float  # epoch seconds
    name: str  # "identity" or "purchases"
    kind: str
    expected: int
    request: bytes


class Answer(asyncio.Protocol):
    """One keep-alive connection: a request at a time, its answer parsed just enough (status,
    Content-Length, Retry-After, Connection: close)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, dict[bytes, bytes], bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - a TCP connection
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            last = self.buffer.find(b"0\r\n\r\n", end + 4)
            if last < 0:
                return
            body = bytes(self.buffer[end + 4 : last])  # the chunks with their sizes: enough to look into
            del self.buffer[: last + 5]
        else:
            length = int(headers.get(b"content-length", b"0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
        self.waiter.set_result((int(lines[0].split()[1]), headers, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed before the answer"))


class Generator:
    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: deque[Answer] = deque()
        self.trace: list[str] = []
        self.rng = random.Random(20)

    async def exchange(self, request: bytes, timeout: float) -> tuple[float, int, dict[bytes, bytes], bytes]:
        """Begin the call (on an idle kept-alive connection, else a new one) and wait for its answer:
        the moment it began, the status, headers and body."""
        loop = asyncio.get_running_loop()
        began = time.time()
        while self.idle and self.idle[-1].closed:
            self.idle.pop()
        if self.idle:
            connection = self.idle.pop()
        else:
            _, connection = await asyncio.wait_for(loop.create_connection(Answer, HOST, self.port), timeout=timeout)
        assert connection.transport is not None  # noqa: S101 - connected above
        connection.waiter = loop.create_future()
        connection.transport.write(request)
        try:
            status, headers, body = await asyncio.wait_for(connection.waiter, timeout=timeout - (time.time() - began))
        except BaseException:
            connection.transport.abort()
            raise
        connection.waiter = None
        if headers.get(b"connection", b"").lower() == b"close" or connection.closed:
            connection.transport.close()
        else:
            self.idle.append(connection)
        return began, status, headers, body

    async def call(self, planned: Call) -> None:
        first_began, first_done, retries = 0.0, 0.0, 0
        while True:
            began = time.time()
            try:
                began, status, headers, body = await self.exchange(planned.request, TIMEOUT[planned.name])
                error = ""
            except (TimeoutError, OSError) as failure:
                status, headers, body = 0, {}, b""
                error = "timeout" if isinstance(failure, TimeoutError) else type(failure).__name__
            done = time.time()
            first_began, first_done = first_began or began, first_done or done
            if status and status != planned.expected:
                error = f"HTTP {status}"
                if planned.name == "identity" and status == 500:
                    error = "store default 500"  # the gate follows the store's default: an answer in time
            elif planned.name == "purchases" and b'"purchaseId":""' in body.replace(b" ", b""):
                error = "empty purchaseId"
            if planned.name != "purchases" or status != 503 or retries >= MAX_RETRIES:
                break
            retries += 1
            await asyncio.sleep(float(headers.get(b"retry-after", b"1")) + self.rng.random())
        kind = f"{planned.kind}+{retries}" if retries else planned.kind
        self.trace.append(
            f"{planned.due:.6f}\t{first_began:.6f}\t{done:.6f}\t{planned.name}\t{kind}\t{error}\t{first_done:.6f}"
        )

    async def run(self, calls: list[Call]) -> None:
        running = set()
        for planned in calls:
            wait = planned.due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(self.call(planned))
            running.add(task)
            task.add_done_callback(running.discard)
        while running:
            await asyncio.gather(*list(running))


def plan(directory: Path, start: float, port: int) -> list[Call]:
    setup = json.loads((directory / "setup.json").read_text())
    calls = []
    for name, path, key in (
        ("identity", IDENTITY_PATH, setup["gate_key"]),
        ("purchases", PURCHASES_PATH, setup["exit_key"]),
    ):
        for line in (directory / f"{name}.tsv").read_text().splitlines():
            due, kind, expected, body = line.split("\t", 3)
            data = body.encode()
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n{setup['header']}: {key}\r\n\r\n"
            )
            calls.append(Call(start + float(due), name, kind, int(expected), head.encode() + data))
    return sorted(calls, key=lambda call: call.due)


def main(argv: list[str]) -> int:
    directory, start, port = Path(argv[0]), float(argv[1]), int(argv[2])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a connection per call in flight
    calls = plan(directory, start, port)
    # No pause in the middle of the run: the plan's objects are never collected.
    gc.collect()
    gc.freeze()
    generator = Generator(port)
    asyncio.run(generator.run(calls))
    (directory / f"trace-{os.getpid()}.tsv").write_text("\n".join([f"start\t{start:.6f}", *generator.trace]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
