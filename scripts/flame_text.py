"""A flame graph as text: py-spy's collapsed stacks (``py-spy record --format raw``) as a top-down
tree, each frame with its share of the samples, so a profile can sit in a plain-text note or a
review beside the figures it explains (the SVG that ``--format flamegraph`` writes cannot).

    python scripts/flame_text.py identity.raw --min 2 --title "Identity Connector, closed loop"

A frame is shown when it holds at least ``--min`` per cent of the samples; a frame whose one shown
child holds (nearly) all of it is written on the same line (``a › b``), so gunicorn's and Django's
long call chains take one line instead of twenty (its first two frames and its last). The
workers of ``py-spy record --subprocesses`` are added up into one tree. ``self`` is the share of samples
whose innermost frame this is (the time spent in it, not in what it calls).
"""

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CHAIN_SHOWN = 4  # frames of a one-line chain written out; a longer one keeps its first two and its last


@dataclass
class Node:
    name: str
    total: int = 0
    own: int = 0
    children: dict[str, "Node"] = field(default_factory=dict)


def collapsed_read(lines: Iterable[str]) -> Node:
    """The tree of ``frame;frame;…;frame count`` lines (outermost frame first)."""
    root = Node("all")
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        root.total += count
        node = root
        frames = stack.split(";")
        while frames and frames[0].startswith("process "):  # py-spy --subprocesses: one tree for all workers
            frames = frames[1:]
        for frame in frames:
            key = _without_line(frame)  # a function is one frame, whichever of its lines was running
            node = node.children.setdefault(key, Node(_short(key)))
            node.total += count
        node.own += count
    return root


def _without_line(frame: str) -> str:
    """``function (path/module.py:12)`` → ``function (path/module.py)``."""
    head, colon, line = frame.rstrip(")").rpartition(":")
    return f"{head})" if colon and line.isdigit() and "(" in head else frame


def _short(frame: str) -> str:
    """``function (…/site-packages/pkg/sub/module.py:12)`` → ``function (sub/module.py)``: enough of the
    path to tell the frame, short enough for a line."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")")
    parts = path.split("/")
    # a package's files from its own name on, the standard library's from the module's
    marks = [i for i, part in enumerate(parts) if part == "site-packages" or part.startswith("python3.")]
    if marks:
        parts = parts[marks[-1] + 1 :]
    return f"{name} ({'/'.join(parts[-2:])})" if path else name


def flame_lines(root: Node, *, minimum: float, chain: float = 0.98) -> list[str]:
    """The tree as indented lines: ``total%  self%  frame › frame …``."""
    lines: list[str] = []
    floor = root.total * minimum / 100

    def shown(node: Node) -> list[Node]:
        return sorted((child for child in node.children.values() if child.total >= floor), key=lambda n: -n.total)

    def walk(node: Node, depth: int) -> None:
        names = [node.name]
        own = node.own
        children = shown(node)
        while len(children) == 1 and children[0].total >= node.total * chain:
            node = children[0]
            names.append(node.name)
            own += node.own
            children = shown(node)
        if len(names) > CHAIN_SHOWN:  # the chain's ends say where it runs; its middle is plumbing
            names = [*names[:2], f"… {len(names) - 3} frames …", names[-1]]
        share = 100 * node.total / root.total
        lines.append(f"{share:5.1f}% {100 * own / root.total:5.1f}%  {'  ' * depth}{' › '.join(names)}")
        for child in children:
            walk(child, depth + 1)

    for child in shown(root):
        walk(child, 0)
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--min", type=float, default=2.0, help="smallest share shown, per cent (default 2)")
    parser.add_argument("--title", default="", help="first line of the output")
    args = parser.parse_args(argv)
    root = collapsed_read(args.raw.read_text().splitlines())
    if root.total == 0:
        print(f"{args.raw}: no samples", file=sys.stderr)
        return 1
    if args.title:
        print(args.title)
    print(f"{root.total:,} samples; frames holding ≥ {args.min:g} % shown; total%  self%  frame")
    print("\n".join(flame_lines(root, minimum=args.min)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
