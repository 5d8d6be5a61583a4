"""sockplay.core must stay usable as a library: no UI package may be imported by it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sockplay.core

UI = {"textual", "prompt_toolkit", "pygments", "rich"}
CORE = Path(sockplay.core.__file__).parent


def test_no_ui_import_in_core_source() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in UI]
    assert offenders == []


def test_importing_core_loads_no_ui_module() -> None:
    code = (
        "import sys, sockplay.core, sockplay.core.catalog, sockplay.core.codecs;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {UI!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_nothing_below_the_app_imports_the_app() -> None:
    """core, lang and lessons never import sockplay.tui (the app sits on top; its CLIs beside it)."""
    root = CORE.parent
    offenders = []
    for pkg in ("core", "lang", "lessons"):
        for path in (root / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                mods: list[str] = []
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    mods = [node.module]
                offenders += [f"{pkg}/{path.name}: {m}" for m in mods if m.startswith("sockplay.tui")]
    assert offenders == []
