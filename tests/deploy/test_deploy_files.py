"""deploy/: the CloudFormation template passes cfn-lint and says what SPEC §3 and §5.3 ask; the
gunicorn configuration starts a real server; the process definitions agree with each other."""

import configparser
import os
import shutil
import subprocess
import sys
import time
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
    assert set(procfile) == {"release", "web", "worker", "beat", "results"}
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
    assert set(units) == {"release", "web", "worker", "beat", "results"}
    # The release step does the same in both: migrate, then collectstatic.
    assert [step.split("manage.py ")[1].split()[0] for step in procfile.pop("release").split("&&")] == [
        "migrate",
        "collectstatic",
    ]
    assert [step.split("manage.py ")[1].split()[0] for step in release] == ["migrate", "collectstatic"]
    del units["release"]
    for name, command in units.items():
        program = procfile[name].split()[0]
        assert f"/{program} " in command, (name, command)
        assert procfile[name].split()[1:3] == command.split()[1:3], (name, procfile[name], command)
