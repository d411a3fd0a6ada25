"""The house's rules that the code itself can be asked about (STYLE §5, issue 17's layers).

So far: services never import tasks (they enqueue a task by name through the kernel, on commit),
at module level or inside a function. More layers join this test as the house is reshaped.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("catalog", "entry", "orders", "operations")


def _service_modules() -> list[Path]:
    """Every module that writes: each app's services/, and orders' payments (its money services)."""
    found: list[Path] = []
    for app in APPS:
        for folder in (ROOT / app / "services", ROOT / app / "payments"):
            found += sorted(folder.rglob("*.py")) if folder.is_dir() else []
    return found


def _imported(path: Path) -> list[tuple[int, str]]:
    names: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
    return names


def test_services_never_import_tasks() -> None:
    modules = _service_modules()
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for line, name in _imported(path)
        if ".tasks." in f".{name}." and not name.startswith("jwo_admin.core.tasks")
    ]

    assert len(modules) > 20  # the rule reads the real tree
    assert offenders == []
