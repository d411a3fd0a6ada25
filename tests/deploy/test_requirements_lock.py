"""The lock files are what `make` installs (hashes checked); each must say exactly what its
requirements*.txt asks for. A pin changed, added or removed in a .txt without `make lock` fails here."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ["requirements", "requirements-local", "requirements-dev", "requirements-load"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def asked(path: Path) -> dict[str, str]:
    """Every pin a requirements file asks for, following its -r includes."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("-r "):
            pins.update(asked(path.parent / line[3:].strip()))
        elif match := PIN.match(line):
            pins[_name(match.group(1))] = match.group(2)
    return pins


def locked(path: Path) -> tuple[dict[str, str], dict[str, int], set[str]]:
    """The lock's pins, how many hashes each has, and those it says were asked for directly."""
    pins: dict[str, str] = {}
    hashes: dict[str, int] = {}
    direct: set[str] = set()
    current = ""
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = _name(match.group(1))
            pins[current], hashes[current] = match.group(2), 0
        if current:
            hashes[current] += line.count("--hash=sha256:")
        if current and re.search(r"#\s+(?:via\s+)?-r requirements[\w-]*\.txt", line):
            direct.add(current)
    return pins, hashes, direct


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_lock_pins_what_the_requirements_ask_for_with_hashes(environment: str) -> None:
    wanted = asked(ROOT / f"{environment}.txt")
    pins, hashes, direct = locked(ROOT / f"{environment}.lock")

    assert wanted, environment
    assert {name: pins.get(name) for name in wanted} == wanted  # every pin, at the asked version
    assert direct == set(wanted)  # nothing the .txt no longer asks for
    assert [name for name, count in hashes.items() if count == 0] == []  # every entry checkable


def test_make_installs_from_the_locks_with_hashes_required() -> None:
    makefile = (ROOT / "Makefile").read_text()

    assert "pip install -q --require-hashes -r requirements-local.lock" in makefile
    assert "pip install -q --require-hashes -r requirements-dev.lock" in makefile
    assert not re.search(r"pip install[^\n]*-r requirements[\w-]*\.txt", makefile)
