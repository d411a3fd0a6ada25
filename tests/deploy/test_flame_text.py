"""scripts/flame_text.py: py-spy's collapsed stacks as a top-down text tree (the flame graphs in
bench/profiles/), shares worked out by hand from the stacks below."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = "/srv/app/.venv/lib/python3.11/site-packages/gunicorn/workers/sync.py"
STDLIB = "/root/.pyenv/versions/3.11.7/lib/python3.11"
RUN = f"run ({GUNICORN}:10)"
HANDLE = f"{RUN};handle ({GUNICORN}:20)"
VIEW = f"{HANDLE};view (/srv/app/entry/apis.py:5)"

# 100 samples: run › handle › view (60: 40 in view itself, 20 in sql, from two of their lines),
# run › handle › parse (30),
# run › idle (9), and one stack below the 2 % line (1, in log).
STACKS = f"""\
{VIEW} 40
{VIEW};sql (/srv/app/jwo_admin/core/db.py:9) 12
{HANDLE};view (/srv/app/entry/apis.py:7);sql (/srv/app/jwo_admin/core/db.py:11) 8
{HANDLE};parse (/srv/app/entry/identity_request.py:3) 30
{RUN};idle ({STDLIB}/selectors.py:4) 9
{RUN};log ({STDLIB}/logging/__init__.py:7) 1
"""


def flame(raw: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "scripts/flame_text.py", str(raw), *options], cwd=ROOT, capture_output=True, text=True
    )


def test_collapsed_stacks_become_a_top_down_tree_with_each_frames_share(tmp_path: Path) -> None:
    raw = tmp_path / "gate.raw"
    raw.write_text(STACKS)

    done = flame(raw, "--title", "Gate")

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "Gate",
        "100 samples; frames holding ≥ 2 % shown; total%  self%  frame",
        "100.0%   0.0%  run (workers/sync.py)",
        " 90.0%   0.0%    handle (workers/sync.py)",
        " 60.0%  40.0%      view (entry/apis.py)",
        " 20.0%  20.0%        sql (core/db.py)",
        " 30.0%  30.0%      parse (entry/identity_request.py)",
        "  9.0%   9.0%    idle (selectors.py)",
    ]


def test_a_chain_of_single_callees_is_one_line(tmp_path: Path) -> None:
    raw = tmp_path / "chain.raw"
    raw.write_text(
        "a (x/a.py:1);b (x/b.py:1);c (x/c.py:1) 90\n"
        "a (x/a.py:1);b (x/b.py:1);c (x/c.py:1);d (x/d.py:1);e (x/e.py:1) 9\n"
        "f (x/f.py:1) 1\n"
    )

    done = flame(raw, "--min", "1")

    assert done.stdout.splitlines()[1:] == [
        " 99.0%  90.0%  a (x/a.py) › b (x/b.py) › c (x/c.py)",
        "  9.0%   9.0%    d (x/d.py) › e (x/e.py)",
        "  1.0%   1.0%  f (x/f.py)",
    ]


def test_a_long_chain_keeps_its_ends_and_workers_add_up(tmp_path: Path) -> None:
    raw = tmp_path / "workers.raw"
    chain = ";".join(f"f{i} (x/f{i}.py:1)" for i in range(6))
    raw.write_text(f'process 11:"gunicorn";{chain} 3\nprocess 12:"gunicorn";{chain} 1\n')

    done = flame(raw)

    assert done.stdout.splitlines()[1:] == ["100.0% 100.0%  f0 (x/f0.py) › f1 (x/f1.py) › … 3 frames … › f5 (x/f5.py)"]


def test_a_file_without_samples_is_an_error(tmp_path: Path) -> None:
    raw = tmp_path / "empty.raw"
    raw.write_text("")

    done = flame(raw)

    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"{raw}: no samples\n")
