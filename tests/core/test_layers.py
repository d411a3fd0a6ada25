"""The house's rules that the code itself can be asked about (STYLE §1 and §5).

- Services never import tasks: they enqueue a task by name through the kernel, on commit.
- Dependencies point one way: kernel (``jwo_admin/core``, ``jwo_admin/integrations``) ← catalog ←
  entry ← orders ← operations. The kernel imports no app; no app imports operations.
- ``requests``, ``boto3`` and ``botocore`` only in ``jwo_admin/integrations/``.
- No import cycle between the project's modules (imports at module level, as Python runs them).
- No import inside a function unless a comment on that line or the line above says why.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("catalog", "entry", "orders", "operations")
KERNEL = ("jwo_admin.core", "jwo_admin.integrations")
LAYERS = (KERNEL, ("catalog",), ("entry",), ("orders",), ("operations",))  # each may import only those before it
OUTSIDE_CLIENTS = ("requests", "boto3", "botocore")
PROJECT = (*APPS, "jwo_admin", "fake_amazon")


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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _code_modules(*packages: str) -> dict[str, Path]:
    """The project's own modules (migrations aside: they are history, written by Django)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _layer(module: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if any(module == name or module.startswith(f"{name}.") for name in layer):
            return index
    return None


def test_each_layer_imports_only_the_layers_before_it() -> None:
    modules = _code_modules(*KERNEL, *APPS)
    offenders = [
        f"{name}:{line} imports {imported}"
        for name, path in modules.items()
        for line, imported in _imported(path)
        if (mine := _layer(name)) is not None and (theirs := _layer(imported)) is not None and theirs > mine
    ]

    assert len(modules) > 150  # the rule reads the real tree
    assert offenders == []


def test_requests_and_boto3_are_used_only_in_integrations() -> None:
    modules = _code_modules(*APPS, "jwo_admin")
    offenders = [
        f"{name}:{line} imports {imported}"
        for name, path in modules.items()
        if not name.startswith("jwo_admin.integrations")
        for line, imported in _imported(path)
        if imported.split(".")[0] in OUTSIDE_CLIENTS
    ]

    assert offenders == []


def _top_level_imports(path: Path) -> list[str]:
    """What importing the module imports at once: module-level statements, ``if`` and ``try`` blocks
    included, ``if TYPE_CHECKING:`` blocks not (they never run)."""
    found: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.extend([node.module] + [f"{node.module}.{alias.name}" for alias in node.names])
            elif isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(ast.parse(path.read_text(), str(path)).body)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_cycles_are_found_by_the_check() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}

    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_between_modules() -> None:
    """A module importing its own package's ``__init__`` is how Python imports a submodule, so a
    package is not counted as importing its submodules (``__init__`` files here are empty)."""
    modules = _code_modules(*PROJECT)
    graph = {
        name: {imported for imported in _top_level_imports(path) if imported in modules and imported != name}
        for name, path in modules.items()
    }

    assert len(graph) > 200
    assert _cycles(graph) == []


MODULE_REASON = "# Imports inside functions:"  # a module whose imports wait for one reason says it once


def _imports_in_functions(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text().splitlines()
    found: list[tuple[int, str]] = []
    if any(line.startswith(MODULE_REASON) for line in lines):
        return found
    for function in ast.walk(ast.parse("\n".join(lines), str(path))):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    line = above = node.lineno
                    while lines[above - 2].strip().startswith(("from ", "import ")):  # a block of imports
                        above -= 1
                    said = "#" in lines[line - 1] or lines[above - 2].strip().startswith("#")
                    if not said:
                        found.append((line, lines[line - 1].strip()))
    return found


def test_no_import_inside_a_function_without_a_reason() -> None:
    modules = _code_modules(*PROJECT, "bench", "scripts")
    offenders = [
        f"{name}:{line} {text}" for name, path in modules.items() for line, text in _imports_in_functions(path)
    ]

    assert offenders == []
