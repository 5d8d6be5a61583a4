"""A release is what `python -m build` makes: both artifacts must build, and the wheel must work
installed on its own, outside this checkout, with its themes and lessons inside."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from sockplay import __version__

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """socketpair a b
send a "hello"
recv b 5
expect data "hello"
"""


def _run(cmd: list[str], cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.timeout(600)
def test_sdist_and_wheel_build_and_the_wheel_works_in_a_fresh_venv(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="the 'build' package (dev extra) is needed to build a release")
    src = tmp_path / "src"
    # Build from a copy without the developer's .venv and caches, as a release would be built.
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache",
                                                            "*.egg-info", "dist", ".hypothesis"))
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(src)], tmp_path,
                 timeout=400)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob(f"sockplay-{__version__}-*.whl"))
    sdist = next(dist.glob(f"sockplay-{__version__}.tar.gz"))
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert f"sockplay-{__version__}/CHANGELOG.md" in names
    assert f"sockplay-{__version__}/LICENSE" in names
    assert f"sockplay-{__version__}/sockplay/cli.py" in names
    assert any(n.endswith("themes/presenter.toml") for n in names)
    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(f"sockplay-{__version__}.dist-info/METADATA").decode()
    assert f"Version: {__version__}" in meta
    assert "Classifier: Operating System :: POSIX :: Linux" in meta

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path, timeout=400)
    assert pip.returncode == 0, pip.stderr[-2000:]
    exe = str(venv / "bin" / "sockplay")
    away = tmp_path / "elsewhere"  # not the checkout: nothing may come from the source tree
    away.mkdir()

    version = _run([exe, "--version"], away)
    assert version.returncode == 0 and version.stdout.strip() == f"sockplay {__version__}"

    option = _run([exe, "options", "SO_LINGER"], away)
    assert option.returncode == 0, option.stderr
    assert "SO_LINGER" in option.stdout

    (away / "hello.sp").write_text(SCRIPT)
    ran = _run([exe, "run", "hello.sp"], away)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "hello" in ran.stdout

    lessons = _run([exe, "lessons"], away)
    assert lessons.returncode == 0 and "peek" in lessons.stdout
    probe = ("import importlib.resources as r, sockplay; "
             "print(sorted(p.name for p in r.files('sockplay').joinpath('themes_builtin').iterdir()))")
    themes = _run([str(venv / "bin" / "python"), "-c", probe], away)
    assert "presenter.toml" in themes.stdout, themes.stderr
    assert str(ROOT) not in _run([str(venv / "bin" / "python"), "-c", "import sockplay; print(sockplay.__file__)"],
                                 away).stdout
