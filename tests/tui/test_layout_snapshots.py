"""The main scene, a lesson and the help screen at 80x24, 120x40 and 200x50 (snapshots).

Each is the same scripted scene `make screenshots` draws, at three sizes: the small
one is the adaptive layout (live panes in one tab strip, no address column, no header).
Refresh with `pytest tests/tui/test_layout_snapshots.py --snapshot-update` after a
deliberate change, and look at the pictures before committing.
"""

from __future__ import annotations

import pytest

from sockplay.tui import screenshots

SCENES = ("start", "lesson", "help")


@pytest.mark.parametrize("size", screenshots.LAYOUT_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", SCENES)
def test_layout(snap_compare, name: str, size: tuple[int, int]) -> None:
    s = screenshots.scene(name)

    async def run_before(pilot) -> None:
        await s.steps(pilot.app, pilot)

    assert snap_compare(screenshots.make_app(s), run_before=run_before, terminal_size=size)
