"""The import-linter contracts in pyproject.toml hold, and their list of allowed imports cannot go stale."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the one installed beside the Python running the tests (the venv's), else any on PATH
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
    "lint-imports"
)
ALLOWED = '    "sockplay.lang.lexer -> pygments",\n'

pytestmark = pytest.mark.skipif(
    LINT_IMPORTS is None, reason="import-linter is not installed (pip install -e '.[dev]')"
)


def _lint(config: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS is not None
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_are_kept() -> None:
    done = _lint(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_allowed_import_that_no_longer_exists_breaks_the_check(tmp_path: Path) -> None:
    """An ignore_imports line left behind after the code moved would let a new import of that
    package in unnoticed. import-linter refuses one by default (unmatched_ignore_imports_alerting,
    which Harlequin writes out as "error"); this keeps anyone from turning that off."""
    text = (ROOT / "pyproject.toml").read_text()
    assert text.count(ALLOWED) == 1
    stale = tmp_path / "pyproject.toml"
    stale.write_text(text.replace(ALLOWED, ALLOWED + '    "sockplay.lang.grammar -> pygments",\n'))
    done = _lint(stale)
    assert done.returncode != 0
    assert (
        "No matches for ignored import sockplay.lang.grammar -> pygments"
        in done.stdout + done.stderr
    )
