"""The shape of the code: which layer may import which (see DESIGN.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "clerk_console"

# Our modules each layer may import (besides itself). Top-level helpers: config (settings),
# catalog_files (reading catalog files), faults (telling a machine's faults apart, the crash
# log), private (data files for the program's own user), report_files (a report written as
# text, CSV or Excel), cli (the entry point, may import anything).
ALLOWED = {
    "domain": set(),
    "store": {"domain", "private"},
    "central": {"domain", "config", "catalog_files", "faults", "private"},
    "sync": {"store", "domain", "config", "catalog_files"},
    "devices": {"store", "domain", "config"},
    "tui": {"sync", "store", "devices", "domain", "config", "faults", "report_files"},
    "catalog_files": {"domain"},
    "report_files": {"domain"},
    "config": set(),
    "faults": set(),
    "private": set(),
}
FORBIDDEN_IN_DOMAIN = {"textual", "rich", "sqlmodel", "sqlalchemy", "httpx", "escpos", "sqlite3"}


def our_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "clerk_console" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] in FORBIDDEN_IN_DOMAIN:
                found.add("!" + parts[0])
    return found


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_layers_import_only_what_the_design_allows() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue
        for target in our_imports(path):
            if target.startswith("!"):
                if layer == "domain":
                    problems.append(f"{path.relative_to(PACKAGE)} imports {target[1:]}")
                continue
            if target != layer and target not in ALLOWED[layer]:
                problems.append(f"{path.relative_to(PACKAGE)} ({layer}) imports {target}")
    assert problems == []


def test_the_tui_never_reaches_into_central() -> None:
    for path in (PACKAGE / "tui").rglob("*.py"):
        assert "central" not in our_imports(path), path


def test_importing_the_domain_loads_no_ui_database_or_network_library() -> None:
    code = (
        "import sys, pkgutil, importlib, clerk_console.domain as d\n"
        "for m in pkgutil.iter_modules(d.__path__):\n"
        "    importlib.import_module(f'{d.__name__}.{m.name}')\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in "
        f"{sorted(FORBIDDEN_IN_DOMAIN)!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
