"""Shared fixtures: a fresh Playground per test, closed afterwards."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from sockplay.core import Playground


@pytest.fixture
def pg() -> Iterator[Playground]:
    p = Playground()
    try:
        yield p
    finally:
        p.close_all()


# ---------------------------------------------------------------- parallel runs (pytest-xdist)
# `make test` runs the suite on several workers (`--dist loadgroup`, pyproject.toml). Scripts and
# lessons may hold names that are global to the machine: fixed ports (reuse: 39817, 39818),
# abstract unix names (addresses, credentials, export_addresses), and the same script runs in
# several tests (tests/lessons, tests/fidelity under strace, the export tests). Every test that
# runs one script is put in that script's group, so those tests run one after another on one
# worker and never hold the same name at once.
_ROOT = Path(__file__).resolve().parents[1]
_SCRIPT_STEMS = {p.stem for p in (*(_ROOT / "sockplay" / "lessons").glob("*.sp"),
                                  *(_ROOT / "tests" / "lang" / "scripts").glob("*.sp"))}


def _script_stem(value: object) -> str | None:
    """The lesson or example script a test parameter names (`reuse`, `reuse.sp`, a Path), if any."""
    if isinstance(value, Path):
        value = value.name
    if not isinstance(value, str):
        return None
    stem = value.removesuffix(".sp")
    return stem if stem in _SCRIPT_STEMS else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        stems = sorted({s for s in map(_script_stem, params.values()) if s})
        for stem in stems[:1]:
            item.add_marker(pytest.mark.xdist_group(f"script-{stem}"))


def pytest_configure(config: pytest.Config) -> None:
    """An xdist worker starts with SIGINT ignored (execnet's choice), and an ignored signal stays
    ignored across exec: every program a test starts (sockplay proxy stopped by SIGINT, tmux)
    would ignore it too. Workers take Python's own handler back, as a plain pytest run has."""
    if hasattr(config, "workerinput") and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
