"""An install from a wheel must have everything the app loads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
def test_wheel_ships_themes_styles_lessons_typed_marker_and_licence(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path),
         str(ROOT)],
        capture_output=True, text=True, timeout=280,
    )
    if done.returncode != 0 and "hatchling" in done.stderr:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
            capture_output=True, text=True, timeout=280,
        )
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("sockplay-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    themes = {Path(n).name for n in names if n.startswith("sockplay/themes_builtin/")}
    assert {"dark.toml", "light.toml", "presenter.toml"} <= themes
    styles = {n for n in names if n.endswith(".tcss")}
    assert "sockplay/tui/app.tcss" in styles
    tui = (ROOT / "sockplay" / "tui").resolve()
    for css in tui.rglob("*.tcss"):
        assert f"sockplay/tui/{css.relative_to(tui).as_posix()}" in styles
    # PEP 561: the engine is a library too (README, "Library use"); the marker lets a type checker
    # in the user's project read our hints
    assert "sockplay/py.typed" in names
    # PEP 639: the licence is an SPDX expression plus its text; a licence classifier beside the
    # expression is deprecated (newer setuptools refuse to build with both)
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{info.rsplit('/', 1)[0]}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(info).decode()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert not [ln for ln in metadata.splitlines() if ln.startswith("Classifier: License ::")]
    lessons = {n for n in names if n.startswith("sockplay/lessons/") and n.endswith(".sp")}
    assert len(lessons) == len(list((ROOT / "sockplay" / "lessons").glob("*.sp")))
