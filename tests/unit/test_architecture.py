"""The layout holds: imports only go down the picture in docs/architecture.md ("Layers"), and
no module outgrows a few screens."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("events", "service", "storage")
MAX_LINES = 400


def layers() -> list[list[str]]:
    """The picture's rows, top to bottom: each a list of package names."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"## Layers\n.*?```text\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no '## Layers' section with a text picture"
    return [row.split() for row in block.group(1).splitlines() if row.strip()]


def owner(module: str, names: set[str]) -> str | None:
    """The package of the picture that a dotted module name belongs to."""
    parts = module.split(".")
    for size in (2, 1):
        candidate = ".".join(parts[:size])
        if candidate in names:
            return candidate
    return None


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def test_the_picture_names_every_package_once() -> None:
    names = [name for row in layers() for name in row]
    assert len(names) == len(set(names))
    on_disk = {
        f"service.{p.name}" for p in (ROOT / "service").iterdir() if (p / "__init__.py").exists()
    } | {f"service.{p.stem}" for p in (ROOT / "service").glob("*.py") if p.stem != "__init__"}
    assert on_disk | {"events", "storage"} == set(names)


def test_imports_only_go_down_the_picture() -> None:
    rank = {name: row for row, names in enumerate(layers()) for name in names}
    wrong = []
    for path in modules():
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        source = owner(dotted, set(rank))
        if source is None:
            continue  # service/__init__.py
        for module in imports(path):
            target = owner(module, set(rank))
            if target is not None and target != source and rank[target] <= rank[source]:
                wrong.append(f"{dotted} imports {module} ({target} is not below {source})")
    assert wrong == []


def test_service_shows_the_system_in_a_few_entries() -> None:
    entries = [p for p in (ROOT / "service").iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 12, sorted(p.name for p in entries)


def test_no_module_is_longer_than_a_few_screens() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for path in modules()
        if "migrations" not in path.parts
        and (n := len(path.read_text().splitlines())) > MAX_LINES
        and "generated" not in "\n".join(path.read_text().splitlines()[:8]).lower()
    ]
    assert long == []


def test_the_worker_does_not_touch_the_store() -> None:
    """The store is the materialiser's: `wijkwacht worker` neither imports it nor needs its
    credentials, so that a burst has the two never compete for one process."""
    worker = ROOT / "service" / "stream" / "worker.py"
    assert not {m for m in imports(worker) if m.split(".")[0] in ("storage", "sqlalchemy")}
    processes = (ROOT / "service" / "cli" / "processes.py").read_text()
    body = processes.split("def worker(", 1)[1].split("\ndef ", 1)[0]
    assert "store(" not in body
