"""gunicorn's access log as one JSON object per line, like the app's own log lines.

``logger_class`` in deploy/gunicorn.conf.py (with ``JWO_LOG_FORMAT=json``, production's default).
Each line carries the request id the app answered with (``X-Request-ID``), so an access line and
the app's lines about the same call are found together; the path goes through the same masking
as every other line (a Scan Key Code or a card reference never reaches a log).
"""

import json
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger

from jwo_admin.core.logging import redact


def _header(headers: Any, name: str) -> str:
    for key, value in headers or ():
        if key.lower() == name:
            return str(value)
    return ""


class JsonAccessLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        query = environ.get("QUERY_STRING", "")
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": _header(resp.headers, "x-request-id"),
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": redact(environ.get("PATH_INFO", "") + (f"?{query}" if query else "")),
            "status": int(status),
            "bytes": getattr(resp, "sent", 0) or 0,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
        }
        try:
            self.access_log.info(json.dumps(entry, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - gunicorn's own access() swallows alike: a log line never fails a call
            self.exception("access log line not written")
