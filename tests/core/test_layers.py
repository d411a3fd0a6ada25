"""The house's rules that the code itself can be asked about (STYLE §5, issue 17's layers).

So far: services never import tasks (they enqueue a task by name through the kernel, on commit),
at module level or inside a function. More layers join this test as the house is reshaped.
"""

import ast
import os
import subprocess
import sys
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


ENQUEUE_FROM_THREADS = """
import threading
import django
django.setup()
from jwo_admin.core.tasks import _task
names = ["orders.tasks.purchase_settle_task", "orders.tasks.hold_place_task", "orders.tasks.refund_process_task",
         "catalog.tasks.catalog_import_run_task", "orders.tasks.receipt_send_task", "catalog.tasks.sync_plan_task"]
found, barrier = [], threading.Barrier(len(names))
def look(name):
    barrier.wait()
    found.append(_task(name).name)
threads = [threading.Thread(target=look, args=(name,)) for name in names]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(sorted(found) == sorted(names))
"""


def test_a_task_is_found_by_name_from_several_threads_at_once_in_a_fresh_process() -> None:
    """What a web process does at its first admission and purchase: no tasks module imported yet,
    a request thread and a background thread enqueueing at the same moment."""
    for _ in range(5):
        done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", ENQUEUE_FROM_THREADS],
            cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test"},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr[-2000:]


# Each layer may import those before it only: kernel ← catalog ← entry ← orders ← operations (STYLE §1).
LAYERS = ("jwo_admin", "catalog", "entry", "orders", "operations")


def _layer_modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def test_each_layer_imports_only_the_layers_below_it() -> None:
    """At module level or inside a function: the kernel imports no app, catalog no app that reads
    it, and no app imports operations."""
    offenders = []
    for index, layer in enumerate(LAYERS):
        above = LAYERS[index + 1 :]
        for path in _layer_modules(ROOT / layer):
            offenders += [
                f"{path.relative_to(ROOT)}:{line} imports {name}"
                for line, name in _imported(path)
                if name.split(".")[0] in above
            ]

    assert len(_layer_modules(ROOT / "jwo_admin" / "core")) > 20  # the rule reads the real tree
    assert offenders == []
