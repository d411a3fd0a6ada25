"""Production as the README deploys it: `collectstatic`, then gunicorn from deploy/gunicorn.conf.py
with production settings. Every stylesheet, script and icon a staff screen loads answers 200 with a
year's caching, and Chromium, walking every staff screen the navigation reaches, sees no failed
request and no console error (a missing asset, a CSP refusal or a script error would show as one)."""

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from tests.conftest import PASSWORD
from tests.drills.servers import ROOT, database_url, production_env, require_postgresql
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEPLOY = ROOT / "deploy"
YEAR = 365 * 24 * 3600
# Pages the navigation leads to that are not HTML for a browser to render, or act on a GET.
NOT_PAGES = (".csv", "/export", "/download", "/report", "/metrics", "/api/schema/", "/logout")


@pytest.fixture
def production_site(tmp_path: Path, settings: Any, redis_url: str) -> Iterator[str]:
    """The demo data in the test database, its static files collected as the release step does
    (not the session's shared copy: this test checks collectstatic itself), gunicorn serving both."""
    require_postgresql()
    settings.VAR_DIR = tmp_path / "var"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # production's
    call_command("demo_seed", "--products", "200", "--password", PASSWORD, stdout=StringIO(), stderr=StringIO())
    port = free_port()
    env = production_env(
        database=database_url(),
        redis=redis_url,
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        JWO_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        EMAIL_URL="memorymail://",
    )
    collected = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "jwo_admin.wsgi:application"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "gunicorn did not answer within 40 s"
                time.sleep(0.2)
        # "localhost": a secure context, where Chromium keeps the production cookies (Secure) over
        # plain HTTP; in production TLS ends at the load balancer.
        yield f"http://localhost:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text(errors="replace")


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return int(response.status), {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_every_staff_screen_loads_every_asset_and_chromium_sees_no_error(production_site: str, page: Any) -> None:
    failed: list[str] = []
    errors: list[str] = []
    assets: set[str] = set()

    def request_failed(request: Any) -> None:
        # Leaving a page cancels what is still in flight (net::ERR_ABORTED): a live poll, the icon
        # the browser fetches lazily. Not a failure, unless a stylesheet or script of the page.
        if request.failure != "net::ERR_ABORTED" or request.resource_type in ("stylesheet", "script", "font"):
            failed.append(f"{request.url} {request.failure}")

    page.on("requestfailed", request_failed)
    page.on("console", lambda message: errors.extend([message.text] if message.type == "error" else []))
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))

    def watch(response: Any) -> None:
        if response.status >= 400:
            failed.append(f"{response.url} {response.status}")
        if "/static/" in response.url:
            assets.add(response.url)

    page.on("response", watch)

    # Signed out: the sign-in pages (staff and shopper) and the favicon browsers ask for by name.
    for path in ("/accounts/login/", "/shop/sign-in/", "/admin/login/"):
        page.goto(production_site + path, wait_until="load")
    assert page.request.get(production_site + "/favicon.ico").status == 200

    page.goto(f"{production_site}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{production_site}/")

    # Every screen the navigation reaches, two clicks deep (lists, then details): one page per shape
    # of address (/catalog/products/<n>/ once), so the walk covers every kind of screen.
    queue = ["/", "/api/docs/", "/admin/", *page.eval_on_selector_all("header nav a", "as => as.map(a => a.pathname)")]
    depth = dict.fromkeys(queue, 0)
    shapes: set[str] = set()
    visited: list[str] = []
    while queue:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "<n>", path)
        if shape in shapes or any(part in path for part in NOT_PAGES):
            continue
        shapes.add(shape)
        if "text/html" not in page.request.get(production_site + path).headers.get("content-type", ""):
            continue
        page.goto(production_site + path, wait_until="load")
        page.wait_for_load_state("networkidle")  # scripts that run after load (charts, htmx) have their turn
        visited.append(path)
        if depth[path] < 2 and not path.startswith("/admin/"):
            for link in page.eval_on_selector_all("main a[href]", "as => as.map(a => a.href)"):
                parts = urlsplit(link)
                if f"{parts.scheme}://{parts.netloc}" == production_site and parts.path not in depth:
                    depth[parts.path] = depth[path] + 1
                    queue.append(parts.path)

    walked = {re.sub(r"\d+", "<n>", path) for path in visited}
    assert walked >= {  # the walk really went through the app: every section and its details
        "/", "/catalog/", "/catalog/products/<n>/", "/catalog/imports/", "/catalog/imports/<n>/",
        "/catalog/sync/", "/catalog/stores/<n>/", "/entry/", "/entry/gate-log/", "/entry/shoppers/",
        "/entry/shoppers/<n>/", "/orders/", "/orders/purchases/", "/orders/purchases/<n>/",
        "/operations/simulator/", "/operations/readiness/", "/settings/", "/api/docs/", "/admin/",
    }, sorted(walked)  # fmt: skip
    assert failed == [], failed
    assert errors == []

    # Every asset: 200, compressed when asked, cached for a year (hashed names change per release).
    assert {urlsplit(url).path.rsplit(".", 1)[-1] for url in assets} >= {"css", "js", "svg"}
    for url in sorted(assets):
        status, headers, _ = _get(url)
        assert status == 200, url
        max_age = int(headers["cache-control"].split("max-age=")[1].split(",")[0])
        assert max_age >= YEAR, (url, headers["cache-control"])
    status, headers, body = _get(production_site + "/static/css/app.css")
    assert (status, headers.get("content-encoding")) == (200, "gzip")  # whitenoise's compressed copy
    assert len(body) < (ROOT / "static" / "css" / "app.css").stat().st_size
