"""Request bodies sent with ``Transfer-Encoding: chunked``, read as if they had a ``Content-Length``.

A client (or a proxy in front of us) may send a body in chunks, with no ``Content-Length``.
gunicorn decodes the chunks and says so (``wsgi.input_terminated``, a WSGI extension), but Django
reads ``CONTENT_LENGTH`` bytes of the input — none — and DRF then sees no body at all: a valid
Create Purchases call was refused with "requestId: This field is required". This WSGI wrapper
reads such a body (at most ``limit + 1`` bytes: a larger one is still refused, by size, by the
parser) and hands Django a stream of known length.
"""

import io
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ChunkedBodies:
    def __init__(self, app: WSGIApp, *, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(self.limit() + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)
