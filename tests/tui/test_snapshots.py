"""Snapshot tests of the main scenes (pytest-textual-snapshot: sync tests, frozen app).

The scenes come from sockplay.tui.screenshots, the same ones `make screenshots`
draws for the README. Refresh with `pytest tests/tui --snapshot-update` after a
deliberate change, and look at the report before committing.
"""

from __future__ import annotations

from sockplay.tui import screenshots

SIZE = screenshots.SIZE


def _snap(snap_compare, name: str) -> bool:
    s = screenshots.scene(name)

    async def run_before(pilot) -> None:
        await s.steps(pilot.app, pilot)

    return snap_compare(screenshots.make_app(s), run_before=run_before, terminal_size=SIZE)


def test_start_scene_dark(snap_compare) -> None:
    assert _snap(snap_compare, "start")


def test_start_scene_presenter(snap_compare) -> None:
    assert _snap(snap_compare, "presenter")


def test_peek_session(snap_compare) -> None:
    assert _snap(snap_compare, "peek")


def test_wire_pane(snap_compare) -> None:
    assert _snap(snap_compare, "wire")
