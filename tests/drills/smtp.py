"""A mail server on loopback that speaks enough SMTP (RFC 5321) for Django's SMTP backend: the
receipts leave the process through a real socket, and the drill reads what arrived. It can also
be silent (accepts the connection, never greets) to stand for a mail server that hangs."""

import contextlib
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    silent: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Session(socketserver.StreamRequestHandler):
    timeout = 10
    mailbox: Mailbox

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        if self.mailbox.silent:
            self.rfile.readline()  # wait for the client to give up
            return
        self.reply("220 drill.example.com ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-drill.example.com\r\n250 8BITMIME\r\n")
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self._receive()
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def _receive(self) -> None:
        lines = []
        while True:
            line = self.rfile.readline()
            if line in (b".\r\n", b".\n", b""):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        with self.mailbox.lock:
            self.mailbox.messages.append(message_from_bytes(b"".join(lines)))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def smtp_server(port: int, *, silent: bool = False) -> Iterator[Mailbox]:
    """Serve SMTP on 127.0.0.1:``port`` until the block ends; yields what arrives."""
    mailbox = Mailbox(silent=silent)
    handler: Any = type("Session", (_Session,), {"mailbox": mailbox})
    server = _Server(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield mailbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
