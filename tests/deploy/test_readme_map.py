"""The README's "Where things are" map matches the tree: every folder and module it names exists,
every app has the same rooms, and no room is left in an old shape (``views.py`` beside ``views/``,
``*_views.py``, ``*_urls.py``, ``*_selectors.py``)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("catalog", "entry", "orders", "operations")
ROOMS = ("views", "services", "selectors", "models")  # packages every app has
CONNECTOR_APPS = ("entry", "orders")


def _map_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things are", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def _entries() -> list[tuple[str, str]]:
    """(folder, text) per entry; continuation lines (indented) belong to the entry above."""
    entries: list[tuple[str, str]] = []
    for line in _map_lines():
        if line.startswith(" "):
            folder, text = entries[-1]
            entries[-1] = (folder, f"{text} {line.strip()}")
        else:
            first, _, text = line.partition(" ")
            entries.append((first.rstrip(","), text))
    return entries


def _named_modules(text: str) -> set[str]:
    """``name.py`` and the items of ``room/ (a, b: words, c → d)`` lists."""
    names = set(re.findall(r"\b([a-z_]+)\.py\b", text))
    for _, items in re.findall(r"\b([a-z_]+)/ \(([^)]*)\)", text):
        for item in re.split(r"[,;→]", items):
            word = item.split(":")[0].strip().split(" ")[0].rstrip("/")
            if re.fullmatch(r"[a-z_]+", word):
                names.add(word)
    return names


def test_every_folder_and_module_the_map_names_exists() -> None:
    missing = []
    entries = _entries()
    for folder, text in entries:
        if "<app>" in folder:
            continue
        for path in folder.split(","):
            if path and not (ROOT / path.strip()).exists():
                missing.append(path)
        base = ROOT / folder.split(",")[0].strip()
        if base.is_dir():
            found = {p.stem for p in base.rglob("*.py")} | {p.name for p in base.rglob("*") if p.is_dir()}
            missing += [f"{folder} {name}" for name in sorted(_named_modules(text)) if name not in found]

    assert len(entries) > 15  # the map is read
    assert missing == []


def test_every_app_has_the_same_rooms() -> None:
    absent = [f"{app}/{room}/" for app in APPS for room in ROOMS if not (ROOT / app / room / "__init__.py").exists()]
    absent += [f"{app}/{name}" for app in APPS for name in ("urls.py", "tasks.py") if not (ROOT / app / name).exists()]
    absent += [f"{app}/apis.py" for app in CONNECTOR_APPS if not (ROOT / app / "apis.py").exists()]

    assert absent == []


def test_no_room_is_left_in_an_old_shape() -> None:
    old = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in sorted((ROOT / app).glob("*.py"))
        if path.stem in ROOMS or re.fullmatch(r"[a-z_]+_(views|urls|selectors|services)", path.stem)
    ]

    assert old == []
