"""deploy/: the CloudFormation template passes cfn-lint and says what SPEC §3 and §5.3 ask; the
gunicorn configuration starts a real server; the process definitions agree with each other."""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "cloudformation" / "jwo-retailer.yaml"


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt) kept as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


CloudFormationLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)  # noqa: S506 - SafeLoader
    return loaded


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def test_the_template_passes_cfn_lint() -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is installed by requirements-dev.txt"
    result = subprocess.run([cfn_lint, str(TEMPLATE)], capture_output=True, text=True, check=False)  # noqa: S603
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_connectors_are_iam_authorised_for_amazon_alone_and_get_the_connector_key(
    template: dict[str, Any],
) -> None:
    api = resources(template, "AWS::ApiGateway::RestApi")["ConnectorApi"]["Properties"]
    statement = api["Policy"]["Statement"][0]
    assert statement["Principal"] == {"AWS": {"Ref": "AmazonCallerArn"}}
    assert statement["Action"] == "execute-api:Invoke"
    methods = resources(template, "AWS::ApiGateway::Method")
    paths = {}
    for method in methods.values():
        properties = method["Properties"]
        assert properties["AuthorizationType"] == "AWS_IAM"
        assert properties["HttpMethod"] == "POST"
        integration = properties["Integration"]
        assert integration["Type"] == "HTTP_PROXY"
        assert integration["RequestParameters"] == {
            "integration.request.header.X-JWO-Connector-Key": {"Sub": "'${ConnectorKey}'"}
        }
        paths[integration["Uri"]["Sub"]] = integration["TimeoutInMillis"]
    assert paths == {"${BackendUrl}/v1/identity/identity-keys": 2000, "${BackendUrl}/v1/order/purchases": 29000}
    assert template["Parameters"]["ConnectorKey"]["NoEcho"] is True
    stage = resources(template, "AWS::ApiGateway::Stage")["ConnectorStage"]["Properties"]
    assert stage["MethodSettings"][0]["DataTraceEnabled"] is False  # bodies carry Scan Key Codes


def test_the_results_queue_has_a_dead_letter_queue_and_only_amazons_topic_may_send(template: dict[str, Any]) -> None:
    queue = resources(template, "AWS::SQS::Queue")["CatalogResultsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"GetAtt": "CatalogResultsDeadLetterQueue.Arn"},
        "maxReceiveCount": 5,
    }
    policy = resources(template, "AWS::SQS::QueuePolicy")["CatalogResultsQueuePolicy"]["Properties"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "AmazonCatalogTopicArn"}}}


def test_the_catalog_role_may_only_invoke_amazons_api_and_is_assumed_by_our_workers(template: dict[str, Any]) -> None:
    role = resources(template, "AWS::IAM::Role")["CatalogApiRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": {"Ref": "WorkerPrincipalArn"}}, "Action": "sts:AssumeRole"}
    ]
    [policy] = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": {"Ref": "AmazonCatalogApiArn"}}
    ]
    assert set(template["Outputs"]) >= {"ConnectorInvokeUrl", "CatalogResultsQueueUrl", "CatalogApiRoleArn"}


def _parent(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def test_gunicorn_starts_from_its_configuration_and_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test",
        "JWO_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "jwo_admin.wsgi:application"]
    process = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    assert (response.status, response.read()) == (200, b'{"status": "ok"}')
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        children = [
            stat for stat in Path("/proc").glob("[0-9]*/stat") if _parent(stat) == process.pid
        ]  # the workers the configuration asked for
        assert len(children) == 2
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_procfile_and_the_systemd_units_run_the_same_processes() -> None:
    procfile = dict(
        line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines() if line and line[0] != "#"
    )
    processes = {"release", "web", "web-identity", "worker", "worker-payments", "beat", "results", "metrics"}
    assert set(procfile) == processes
    units = {}
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read_string(path.read_text())
        assert parser["Service"]["Environment"] or parser["Service"]["EnvironmentFile"]
        name = path.stem.removeprefix("jwo-")
        assert parser["Service"]["Restart"] == ("no" if name == "release" else "always")
        units[name] = parser["Service"]["ExecStart"]
        if name == "release":
            release = [units[name], parser["Service"]["ExecStartPost"]]
    assert set(units) == processes
    # The release step does the same in both: migrate, then collectstatic.
    assert [step.split("manage.py ")[1].split()[0] for step in procfile.pop("release").split("&&")] == [
        "migrate",
        "collectstatic",
    ]
    assert [step.split("manage.py ")[1].split()[0] for step in release] == ["migrate", "collectstatic"]
    del units["release"]
    for name, command in units.items():
        if name.startswith("worker"):  # each worker takes its own queue
            queue = {"worker": "celery", "worker-payments": "payments"}[name]
            assert f" -Q {queue} " in command, name
            assert f" -Q {queue} " in procfile[name], name
        program = procfile[name].split()[0]
        assert f"/{program} " in command, (name, command)
        assert procfile[name].split()[1:3] == command.split()[1:3], (name, procfile[name], command)


def _unit(path: Path) -> dict[str, list[str]]:
    """A unit's [Service] settings, every value of a repeated key kept (Environment=, ExecStartPre=)."""
    service: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            service.setdefault(key, []).append(value)
    return service


def _environment_file(path: Path) -> dict[str, str]:
    """Read as systemd reads an EnvironmentFile: KEY=VALUE to the end of the line, comment lines
    skipped, nothing after the "=" treated as a comment."""
    variables = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            variables[key.strip()] = value.strip()
    return variables


UNITS = {path.stem.removeprefix("jwo-"): _unit(path) for path in sorted((DEPLOY / "systemd").glob("*.service"))}
PRINT = """
import json, os
from django.conf import settings
print(json.dumps({"rate": settings.JWO_AMAZON_RATE_LIMIT, "window": settings.JWO_AMAZON_RATE_WINDOW,
  "fields": settings.JWO_SYNC_FIELDS, "media": settings.MEDIA_ROOT, "static": settings.STATIC_ROOT,
  "hosts": settings.ALLOWED_HOSTS, "gateway": settings.JWO_PAYMENT_GATEWAY, "email": settings.EMAIL_HOST,
  "metrics": os.environ.get("PROMETHEUS_MULTIPROC_DIR"), "units": settings.JWO_QUANTITY_UNIT_ALIASES,
  "broker": settings.CELERY_BROKER_URL, "cache": settings.CACHES["default"]["LOCATION"]}))
"""


def test_the_identity_connector_gets_the_cpu_before_the_other_web_processes() -> None:
    """When the machine cannot keep up, gate calls (Amazon gives up after 2 s) run before
    walk-outs (Amazon retries) and staff pages: the main pool runs niced, the identity pool not
    (the load test's overload step reads jwo-web's Nice= and runs its main pool so)."""
    niceness = {name: int(unit.get("Nice", ["0"])[-1]) for name, unit in UNITS.items() if name.startswith("web")}

    assert niceness == {"web": 10, "web-identity": 0}


def test_env_example_copied_as_the_units_environment_file_starts_production(tmp_path: Path) -> None:
    """README: copy .env.example to /etc/jwo-admin/env and fill in the secret. Read the way systemd
    reads it, on top of the web unit's own Environment= (the file wins, as in systemd), it loads."""
    example = _environment_file(ROOT / ".env.example")
    unit_env = dict(line.split("=", 1) for line in UNITS["web"]["Environment"])
    unit_env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "run" / "metrics")  # /run/jwo-web/metrics, here
    env = {"PATH": os.environ.get("PATH", ""), **unit_env, **example, "DJANGO_SECRET_KEY": "filled-in-" + "x" * 40}

    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", "import django; django.setup()\n" + PRINT],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "rate": 10,
        "window": 1.15,
        "fields": ["standard_price", "brand_name", "product_tax_code", "product_category"],
        "media": "/srv/jwo-admin/var/media",
        "static": "/srv/jwo-admin/var/static",
        "hosts": ["jwo.example.com"],
        "gateway": "payments_acme.gateway.AcmeGateway",
        "email": "smtp.example.com",
        "metrics": str(tmp_path / "run" / "metrics"),  # the unit's, not overridden by the file
        "units": {},
        "broker": "redis://redis.example.com:6379/0",  # the blank CELERY_BROKER_URL= means REDIS_URL
        "cache": "redis://redis.example.com:6379/0",
    }
    assert (tmp_path / "run" / "metrics").is_dir()  # created by the settings, not left to fail calls


def test_env_example_sets_nothing_a_unit_sets_differently_and_its_paths_are_writable() -> None:
    example = _environment_file(ROOT / ".env.example")
    for name, unit in UNITS.items():
        own = dict(line.split("=", 1) for line in unit.get("Environment", []))
        # An EnvironmentFile overrides Environment=: a different value in the file would win.
        assert {key: example[key] for key in own if key in example} == {
            key: value for key, value in own.items() if key in example
        }, name
        assert unit["EnvironmentFile"] == ["/etc/jwo-admin/env"], name
        if name == "beat":
            continue  # writes only its schedule, in its StateDirectory
        writable = " ".join(unit.get("ReadWritePaths", [])).split()
        for variable in ("DJANGO_STATIC_ROOT", "DJANGO_MEDIA_ROOT", "JWO_VAR_DIR"):
            path = Path(example[variable])
            assert path.is_absolute(), variable  # the units' WorkingDirectory is not the app's concern
            assert any(path.is_relative_to(allowed) for allowed in writable), (name, variable, writable)
        for directory in [line.split("=", 1)[1] for line in unit.get("Environment", []) if "MULTIPROC" in line]:
            runtime = [f"/run/{entry}" for entry in " ".join(unit.get("RuntimeDirectory", [])).split()]
            assert any(Path(directory).is_relative_to(allowed) for allowed in runtime), (name, directory)


def test_the_readme_marks_required_exactly_what_production_refuses_to_start_without() -> None:
    source = (ROOT / "jwo_admin" / "settings" / "production.py").read_text()
    required = set(re.findall(r'required\("([A-Z][A-Z0-9_]*)"\)', source))
    readme = (ROOT / "README.md").read_text()
    marked = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \| [^|]* \| \*required\*", readme, re.MULTILINE))
    said_required, comments = set(), ""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#"):
            comments += line
        elif "=" in line:
            if "required in production" in comments:
                said_required.add(line.split("=", 1)[0])
            comments = ""

    assert len(required) == 11
    assert marked == required
    assert said_required == required


def test_gunicorns_access_log_is_json_with_the_request_id_and_no_secret(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test",
        "JWO_LOG_FORMAT": "json",
        "JWO_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "jwo_admin.wsgi:application"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)  # noqa: S603
    secret_path = "/receipts/pm_4242abcd4242/"  # a card reference where none belongs
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "lb-77.z"}
                )  # noqa: S310
                with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{secret_path}", timeout=5)  # noqa: S310 - loopback
        assert refused.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=20)

    access = [json.loads(line) for line in log.read_text().splitlines() if '"logger": "gunicorn.access"' in line]
    healthz = [line for line in access if line["path"] == "/healthz" and line["request_id"] == "lb-77.z"]
    assert len(healthz) == 1
    assert (healthz[0]["method"], healthz[0]["status"], healthz[0]["remote_addr"]) == ("GET", 200, "127.0.0.1")
    assert healthz[0]["bytes"] == len(b'{"status": "ok"}')
    assert healthz[0]["duration_ms"] >= 0
    [receipt] = [line for line in access if line["status"] == 404]
    assert receipt["path"] == "/receipts/[redacted]/"
    assert len(receipt["request_id"]) == 32  # the id the app made up and answered with
    assert "pm_4242abcd4242" not in log.read_text()
