"""No secret in the repository: every tracked file is scanned for the shapes real secrets take
(cloud keys, private keys, provider tokens, our own connector keys), and settings take every
secret from the environment. ``make test`` also runs ruff's security rules (bandit's, "S")."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SECRET_SHAPES = {
    "AWS access key id": re.compile(rb"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(rb"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"),
    "private key": re.compile(rb"-----BEGIN (RSA |EC |OPENSSH |DSA |)PRIVATE KEY-----"),
    "GitHub token": re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(rb"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
    "Stripe live key": re.compile(rb"\b[rs]k_live_[A-Za-z0-9]{16,}\b"),
    "a connector key": re.compile(rb"\bjwock_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}\b"),
    "a Django secret key in code": re.compile(rb"SECRET_KEY\s*=\s*['\"][^'\"]{20,}['\"]"),
}
SECRET_FILES = re.compile(r"(^|/)(\.env|id_rsa|id_ed25519|.*\.pem|.*\.key|.*\.p12|.*\.pfx)$")


def tracked_files() -> list[Path]:
    listed = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as the developer's
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [ROOT / name.decode() for name in listed.split(b"\0") if name]


def test_no_tracked_file_holds_something_shaped_like_a_secret() -> None:
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue
        content = path.read_bytes()
        for name, shape in SECRET_SHAPES.items():
            for match in shape.finditer(content):
                found.append(f"{path.relative_to(ROOT)}: {name} at byte {match.start()}")
    assert found == []


def test_no_secret_file_is_tracked() -> None:
    names = [str(path.relative_to(ROOT)) for path in tracked_files()]
    assert [name for name in names if SECRET_FILES.search(name)] == []
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# Built from parts, so that this file does not itself hold what the scan looks for.
SAMPLES = [
    (b"key = AKIA" + b"IOSFODNN7EXAMPLE", "AWS access key id"),
    (b"-----BEGIN RSA " + b"PRIVATE KEY-----\nMIIE", "private key"),
    (
        b"JWO_CONNECTOR_KEY=jwock_" + b"ee1666de3e04_" + b"rEwqfj9GZ1jlOgNAYJ_vP-gDhjMIzSxBDlOQu--9r6Q",
        "a connector key",
    ),
    (b"SECRET_KEY = " + b'"django-insecure-abcdefghijklmnopqrstuvwxyz"', "a Django secret key in code"),
]


@pytest.mark.parametrize(("text", "name"), SAMPLES)
def test_the_scan_recognises_each_shape(text: bytes, name: str) -> None:
    """The scan above can fail: each shape matches what it is meant to."""
    assert [label for label, shape in SECRET_SHAPES.items() if shape.search(text)] == [name]
