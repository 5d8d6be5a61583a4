"""Keyboard-first: every view by keys, typed lines never merge, ctrl+c cancels, flows by keys alone.

Each persona's flow is walked with key presses only (no clicks, no direct calls):
the learner sets and reads back an option in the form, the debugger sends, peeks
and reads on the Send/Recv view, the presenter steps a lesson, switches theme and
records a session that `sockplay run` replays.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from textual import events
from textual.command import CommandPalette
from textual.widgets import Input, SelectionList

from sockplay.lang.script import run_text
from sockplay.lessons import load
from sockplay.tui.app import AppOptions, SockplayApp
from sockplay.tui.lesson import LessonApp
from sockplay.tui.views import VIEWS
from sockplay.tui.widgets.options_form import OptionsForm
from sockplay.tui.widgets.sendrecv import EntryView, SendRecvPanel

from .pilot import keys, repl_text, type_line, wait_for

SIZE = (120, 40)


def echoed(app: SockplayApp) -> list[str]:
    """The command lines echoed in the REPL, without the `   # form` origin note."""
    return [ln.split("   # ")[0].rstrip() for ln in repl_text(app).splitlines() if ln.startswith("sockplay> ")]


async def focus_is(app: SockplayApp, selector: str) -> bool:
    return await wait_for(lambda: app.focused is not None and app.focused is app.query_one(selector))


# ------------------------------------------------------------------------------- views by keys
async def test_every_view_has_a_key_and_lands_where_one_types(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        for view in VIEWS:
            await pilot.press(view.key)
            assert await focus_is(app, view.focus), (view.name, app.focused)
            if view.tab:
                assert app.query_one("#tabs").active == view.tab
        # the palette lists each view under exactly its name
        names = {c.title for c in app.get_system_commands(app.screen)}
        assert {v.name for v in VIEWS} <= names


async def test_views_by_keys_at_80x24_too(make_app) -> None:
    """The small layout: live panes share a tab strip; a key shows the pane it names."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        assert app.screen.has_class("-narrow") and app.screen.has_class("-short")
        for view in (v for v in VIEWS if v.live):
            await pilot.press(view.key)
            assert await focus_is(app, view.focus), view.name
            pane = app.query_one(view.focus)
            assert pane.display and pane.region.width > 60  # one pane, the whole width
            others = [app.query_one(v.focus) for v in VIEWS if v.live and v is not view]
            assert all(o.region.area == 0 for o in others)
        # the socket list has no address column here (addresses would be cut)
        assert [c.key.value for c in app.socket_list.columns.values()] == ["name", "kind", "state", "ready"]
        await pilot.resize_terminal(200, 50)
        assert await wait_for(lambda: app.socket_list.compact is False)
        await pilot.pause(0.3)
        visible = {v.name for v in VIEWS if v.live and app.query_one(v.focus).region.area > 0}
        # side by side again; Wire and Ancillary share one place there (F4 or their keys swap them)
        assert {"Poll events", "System calls"} <= visible and len(visible & {"Ancillary", "Wire"}) == 1


# ------------------------------------------------------------------------------- typing
async def test_four_lines_typed_in_one_burst_run_as_four_commands(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i in range(1, 5):  # posted at once, as tmux or a fast typist delivers them
            for ch in f"echo burst-{i}":
                app.post_message(events.Key("space" if ch == " " else ch, ch))
            app.post_message(events.Key("enter", "\r"))
        assert await wait_for(lambda: len(echoed(app)) >= 4)
        await app.settle()
        assert echoed(app) == [f"sockplay> echo burst-{i}" for i in range(1, 5)]


async def test_pasted_lines_run_one_by_one_and_the_last_waits(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.repl.command_line.post_message(events.Paste("socketpair p q\nsend p hi\r\nrecv q 2\nrecv q"))
        assert await wait_for(lambda: len(echoed(app)) >= 3)
        await app.settle()
        assert echoed(app) == ["sockplay> socketpair p q", "sockplay> send p hi", "sockplay> recv q 2"]
        assert app.repl.command_line.value == "recv q"  # no newline after it: left to edit


async def test_enter_runs_the_line_unless_one_moved_into_the_dropdown(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        line = app.repl.command_line
        await pilot.press(*keys("echo se"))
        await pilot.press("tab")  # nothing to complete for echo's text: no menu, a bell
        await pilot.press("enter")
        assert await wait_for(lambda: "sockplay> echo se" in echoed(app))
        await pilot.press("s", "e", "tab")
        assert await wait_for(lambda: line.menu_open)
        await pilot.press("enter")  # not moved into it: Enter runs what is typed (an unknown command)
        assert await wait_for(lambda: "sockplay> se" in echoed(app))
        assert not line.menu_open and line.value == ""
        await pilot.press("s", "e", "tab", "down", "enter")  # moved: Enter takes the candidate
        assert line.value != "se" and line.value.startswith("se")
        assert echoed(app).count("sockplay> se") == 1


# ------------------------------------------------------------------------------- ctrl+c
async def test_ctrl_c_stops_a_huge_count_loop_and_a_blocked_call(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await type_line(pilot, "send u2 x count=10000000")
        assert await wait_for(lambda: "still running" in repl_text(app), 10)
        await pilot.press("ctrl+c")
        assert await wait_for(lambda: "of 10,000,000 calls (cancelled by ctrl+c)" in repl_text(app), 20)
        assert "ctrl+c: cancelled send u2 x count=10000000" in repl_text(app)
        assert await wait_for(lambda: app.runner.idle, 10)
        await type_line(pilot, "recv c1")
        assert await wait_for(lambda: bool(app.pg.pending()), 10)
        await pilot.press("ctrl+c")
        assert await wait_for(lambda: "EINTR" in repl_text(app), 10)
        assert "ctrl+c: cancelled recv c1" in repl_text(app)
        assert not app.pg.pending()
        assert app.is_running  # ctrl+c never quits
        await pilot.press("ctrl+c")  # nothing pending: a notice, still running
        assert app.is_running
        await pilot.press("ctrl+q")
    assert app.return_code in (0, None)


# ------------------------------------------------------------------------------- count= data
async def test_count_shows_each_datagram_with_its_sender(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        for i in range(3):
            await type_line(pilot, f"send u2 dgram-{i}")
        await app.settle()
        await type_line(pilot, "recvfrom u1 count=5 dontwait")
        await app.settle()
        text = repl_text(app)
        for i in range(3):
            assert f'#{i + 1} = 7  data "dgram-{i}"  from 127.0.0.1:' in text
        assert "#4 = -1 EAGAIN" in text
        # past the shown limit the rest fold into one counted line
        await type_line(pilot, "send u2 y count=20")
        await app.settle()
        await type_line(pilot, "recv u1 count=20 dontwait")
        await app.settle()
        assert "… +12 more calls folded into the count above" in repl_text(app)


# ------------------------------------------------------------------------------- personas
async def test_learner_sets_an_option_in_the_form_and_reads_it_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        form = app.query_one(OptionsForm)
        await pilot.press("alt+o")
        assert await focus_is(app, "#opt-filter")
        await pilot.press(*keys("rcvbuf"), "enter")  # Enter in the filter: to the first match
        rcvbuf = form.group.by_name["SO_RCVBUF"]
        assert await wait_for(lambda: app.focused is rcvbuf.control)
        await pilot.press(*keys("4096"), "enter")
        assert await wait_for(lambda: "sockplay> setsockopt c1 SO_RCVBUF 4096" in echoed(app))
        await app.settle()
        assert await wait_for(lambda: "kernel 8192" in rcvbuf.detail_text), (rcvbuf.detail_text, repl_text(app)[-300:])
        # Escape in a field puts back what it held and leaves; / goes to the filter from a field
        await pilot.press("alt+o", "enter")
        assert await wait_for(lambda: app.focused is rcvbuf.control)
        before = rcvbuf.control.value
        await pilot.press("9", "9", "escape")
        assert rcvbuf.control.value == before and app.focused is not rcvbuf.control
        await pilot.press("alt+o", "enter")
        assert await wait_for(lambda: app.focused is rcvbuf.control)
        await pilot.press("slash")
        assert await focus_is(app, "#opt-filter")
        assert "/" not in rcvbuf.control.value and "/" not in app.query_one("#opt-filter", Input).value
        # read it back from the REPL
        await pilot.press("alt+r")
        await type_line(pilot, "getsockopt c1 SO_RCVBUF")
        await app.settle()
        assert "value 8192" in repl_text(app)


async def test_debugger_sends_peeks_and_reads_on_send_recv(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        panel = app.query_one(SendRecvPanel)
        await pilot.press("alt+d")
        assert await focus_is(app, "#sr-data")
        await pilot.press(*keys("hello"), "enter")  # sends on c1
        assert await wait_for(lambda: 'sockplay> send c1 "hello"' in echoed(app) or "sockplay> send c1 hello" in echoed(app))
        await app.settle()
        await pilot.press("alt+s", "down")  # the socket list: a1 is below c1
        assert await wait_for(lambda: app.socket_list.selected == "a1")
        await pilot.press("alt+d")
        flags = panel.query_one("#sr-flags", SelectionList)
        for _ in range(12):  # Tab through the view to the flag picker
            if app.focused is flags:
                break
            await pilot.press("tab")
        assert app.focused is flags
        await pilot.press("space")  # the first flag, peek
        assert flags.selected == ["peek"]
        await pilot.press("f6")
        assert await wait_for(lambda: "sockplay> recv a1 1024 peek" in echoed(app))
        await app.settle()
        views = lambda: list(panel.query_one("#sr-view").query_children(EntryView))  # noqa: E731
        assert await wait_for(lambda: bool(views()) and views()[-1].has_class("-peeked"))
        await pilot.press("space", "f6")  # peek off again: this read takes the bytes
        assert await wait_for(lambda: "sockplay> recv a1 1024" in echoed(app))
        await app.settle()
        assert await wait_for(lambda: views()[-1].has_class("-received"))
        assert "hello" in str(views()[-1].content)


async def test_presenter_steps_a_lesson_switches_theme_and_records(
    no_user_themes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = LessonApp(load("peek-off"), AppOptions(frozen=True, user_theme_dir=no_user_themes))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("ctrl+n")
        assert await wait_for(lambda: app.next_index == 1 and app.running is None, 20)
        await pilot.press("ctrl+n")
        assert await wait_for(lambda: app.next_index == 2 and app.running is None, 20)
        assert all(not r.failed for r in app.records[:2])
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme
        await pilot.press("f2")
        await pilot.press("alt+r")
        await type_line(pilot, "recv b 2 peek")
        await type_line(pilot, "expect data cc")
        await app.settle()
        await pilot.press("f2")
        assert await wait_for(lambda: app.record_path is not None)
        # the palette opens and closes by keys too
        await pilot.press("ctrl+p")
        assert await wait_for(lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
    script = app.record_path.read_text()
    assert "socketpair a b" in script.split("\n# recorded\n")[0]  # the lesson's setup comes first
    out, err = io.StringIO(), io.StringIO()
    assert run_text(script, out, err, filename=str(app.record_path)) == 0, err.getvalue() + script


# ------------------------------------------------------------------------------- recordings
async def test_a_recording_of_the_scene_replays_and_opens_as_a_script(make_app, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("f2")
        await type_line(pilot, "send c1 hi")
        await type_line(pilot, "recv a1 2")
        await type_line(pilot, "expect data hi")
        await type_line(pilot, "recv nosuch")  # a typo: not recorded
        await app.settle()
        await pilot.press("f2")
        assert await wait_for(lambda: app.record_path is not None)
    script = app.record_path.read_text()
    assert "nosuch" not in script
    setup, recorded = script.split("\n# recorded\n")
    assert "socket c1 inet stream" in setup and "send c1 hi" in recorded
    out, err = io.StringIO(), io.StringIO()
    assert run_text(script, out, err, filename=str(app.record_path)) == 0, err.getvalue()
    # `sockplay FILE.sp` opens the app on an empty playground and runs the script in it
    again = make_app(script=str(app.record_path))
    async with again.run_test(size=SIZE) as pilot:
        assert await wait_for(lambda: "ran " in repl_text(again), 20)
        await again.settle()
        text = repl_text(again)
        assert "error" not in text.lower() and "EXPECT FAILED" not in text
        assert {"c1", "a1", "s1", "u1", "u2"} <= set(again.pg.sockets)
