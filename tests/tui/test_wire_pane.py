"""Pilot tests of the Wire pane: real packets on loopback, shown under the calls that sent them."""

from __future__ import annotations

import pytest

from sockplay.core import Playground
from sockplay.tui.widgets.panes import AncillaryPane, SyscallPane
from sockplay.tui.widgets.wire import HINT_OFF, HINT_UNIX, WirePane

from .conftest import SIZE
from .pilot import type_line, wait_for

_pg = Playground()
CAPTURE_WHY = _pg.wire_on()
_pg.close_all()
needs_capture = pytest.mark.skipif(CAPTURE_WHY is not None, reason=f"no packet capture here: {CAPTURE_WHY}")


def text(pane) -> str:
    return "\n".join(pane.lines)


async def test_f4_shows_the_wire_pane_in_place_of_ancillary_and_it_says_how_to_start(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        pane = app.query_one(WirePane)
        assert not pane.display or pane.region.width == 0  # hidden until asked for
        assert app.query_one(AncillaryPane).region.width > 0
        await pilot.press("shift+tab")  # leave the REPL: F4 is an app key
        await pilot.press("f4")
        await pilot.pause()
        assert pane.region.width > 0 and app.query_one(AncillaryPane).region.width == 0
        assert HINT_OFF in text(pane)
        await pilot.press("f4")
        await pilot.pause()
        assert pane.region.width == 0 and app.query_one(AncillaryPane).region.width > 0


async def test_unix_sockets_only_are_said_never_to_reach_the_wire(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "socketpair x y")
        await app.settle()
        pane = app.query_one(WirePane)
        assert await wait_for(lambda: HINT_UNIX in text(pane))


@needs_capture
async def test_wire_on_shows_the_handshake_under_connect_beside_the_system_calls(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        for line in ("wire on", "socket s inet stream", "bind s 127.0.0.1:0", "listen s",
                     "socket c inet stream", "connect c s"):
            await type_line(pilot, line)
            await app.settle()
        pane = app.query_one(WirePane)
        assert await wait_for(lambda: sum(" → " in ln for ln in pane.lines) >= 3)
        assert pane.region.width > 0  # wire on showed it
        lines = pane.lines
        start = next(i for i, ln in enumerate(lines) if ln.startswith("── connect c ──"))
        packets = [ln for ln in lines[start + 1:] if " → " in ln]
        assert "c → s [S] seq ISN" in packets[0]
        assert "s → c [S.]" in packets[1]
        assert "c → s [.] seq 1 ack 1" in packets[2]
        assert "connect(" in text(app.query_one(SyscallPane))


@needs_capture
async def test_a_flood_is_counted_and_folded_not_kept_whole(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        for line in ("wire on", "socket u inet dgram", "bind u 127.0.0.1:0", "socket v inet dgram",
                     "connect v u", "send v x count=1500"):
            await type_line(pilot, line)
            await app.settle()
        pane = app.query_one(WirePane)
        wire = lambda: sum(1 for e in app.pg.journal.snapshot() if e.kind == "wire")  # noqa: E731
        assert await wait_for(lambda: wire() >= 1500, timeout=20)
        assert await wait_for(lambda: pane.packets >= 1500, timeout=20)
        assert pane.packets == wire()  # every packet shown or counted
        assert len(pane.lines) <= pane.DEFAULT_MAX_LINES + 50
