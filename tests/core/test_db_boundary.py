"""Raw SQL runs, and the database's dialect is asked about, only in ``jwo_admin/core/db.py``
(issue 17: one database-dialect module). Elsewhere a module asks db.py a named question
(``db.supports_copy()``) or runs its statement through a named operation (``db.fetch_all``)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("catalog", "entry", "orders", "operations", "jwo_admin")
DIALECT_MODULE = ROOT / "jwo_admin" / "core" / "db.py"
# Calls that run SQL on a cursor or a connection, or open one (Django's and psycopg's names).
RUNNING = frozenset({"cursor", "execute", "executemany", "executescript", "raw", "copy_expert", "copy_from"})
DRIVERS = ("psycopg", "psycopg2", "sqlite3")


def _modules() -> list[Path]:
    found: list[Path] = []
    for folder in SCANNED:
        found += [
            path
            for path in sorted((ROOT / folder).rglob("*.py"))
            if "migrations" not in path.parts and path != DIALECT_MODULE
        ]
    return found


def _offences(path: Path, root: Path = ROOT) -> list[str]:
    where = path.relative_to(root)
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "vendor":
            found.append(f"{where}:{node.lineno} asks .vendor")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            through_db = isinstance(receiver, ast.Name) and receiver.id == "db"
            if node.func.attr in RUNNING and not through_db:
                found.append(f"{where}:{node.lineno} calls .{node.func.attr}()")
            elif node.func.attr == "copy" and node.args and isinstance(node.args[0], ast.JoinedStr | ast.Constant):
                found.append(f"{where}:{node.lineno} runs COPY")  # cursor.copy("COPY …"); a dict's .copy() is fine
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            found += [f"{where}:{node.lineno} imports {name}" for name in names if name.split(".")[0] in DRIVERS]
    return found


def test_raw_sql_and_dialect_questions_live_only_in_the_dialect_module() -> None:
    modules = _modules()
    offences = [offence for path in modules for offence in _offences(path)]

    assert len(modules) > 100  # the rule reads the real tree
    assert offences == []


def test_the_check_sees_what_it_forbids(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import psycopg\n"
        "from django.db import connection\n"
        "if connection.vendor == 'postgresql':\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT 1')\n"
        "        cursor.copy(f'COPY t FROM STDIN')\n"
        "query = {}.copy()\n"
        "db.execute('SELECT 1')\n"
    )

    found = sorted(_offences(sample, tmp_path), key=lambda offence: int(offence.split(":")[1].split(" ")[0]))

    assert [offence.split(" ", 1)[1] for offence in found] == [
        "imports psycopg",
        "asks .vendor",
        "calls .cursor()",
        "calls .execute()",
        "runs COPY",
    ]
