"""A TCP proxy that a drill puts between the app and a real server (PostgreSQL, Redis, moto) to
make that server slow or gone, then well again — without touching the server itself.

Modes: ``pass`` (forward), ``slow`` (hold every chunk ``delay`` seconds), ``down`` (close every
connection, new and open, at once: what a crashed server or a cut network looks like).
"""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.delay = 0.0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()

    def set(self, mode: str, delay: float = 0.0) -> None:
        """Switch mode; ``down`` also cuts every connection that is open now."""
        self.mode, self.delay = mode, delay
        if mode == "down":
            with self._lock:
                for sock in list(self._open):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                self._open.clear()

    def stop(self) -> None:
        self._stopped = True
        self.set("down")
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "down":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.mode == "down":
                    break
                if self.mode == "slow" and self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
                with self._lock:
                    self._open.discard(sock)


@contextlib.contextmanager
def fault_proxy(host: str, port: int) -> Iterator[FaultProxy]:
    proxy = FaultProxy(host, port)
    try:
        yield proxy
    finally:
        proxy.stop()
