"""The REPL pane: completion dropdown, highlighting, persisted history, recording, blocking calls.

All on real sockets through the running app: completion asks the live
playground for socket names, recordings replay through the script runner.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.style import Style

from sockplay.lang.script import run_text
from sockplay.tui.app import SockplayApp
from sockplay.tui.widgets.completion import MAX_ROWS
from sockplay.tui.widgets.repl import HISTORY_ENV, CommandLine, history_path

from .conftest import SIZE
from .pilot import keys, repl_text, type_line, wait_for


@pytest.fixture(autouse=True)
def private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every app here keeps its history in tmp_path, never in the developer's home."""
    path = tmp_path / "state" / "tui-history"
    monkeypatch.setenv(HISTORY_ENV, str(path))
    return path


async def type_text(pilot, text: str) -> None:
    await pilot.press(*keys(text))


def line_of(app: SockplayApp) -> CommandLine:
    return app.repl.command_line


# ----------------------------------------------------------------------- completion
async def test_tab_opens_dropdown_and_enter_takes_the_option(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        line = line_of(app)
        await type_text(pilot, "setsockopt c1 SO_RC")
        await pilot.press("tab")
        await pilot.pause()
        menu = line.menu
        assert menu is not None and menu.is_open and menu.display
        texts = [c.text for c in menu.candidates]
        assert "SO_RCVBUF" in texts and "SO_RCVLOWAT" in texts
        assert all(t.startswith("SO_RCV") for t in texts)
        # the meaning sits beside each candidate: the option's kind and summary
        rcvbuf = next(c for c in menu.candidates if c.text == "SO_RCVBUF")
        assert rcvbuf.meta.startswith("size · ")
        prompt = str(menu.get_option_at_index(texts.index("SO_RCVBUF")).prompt)
        assert "SO_RCVBUF" in prompt and "size" in prompt
        # it opens upward, above the docked command line, inside the screen
        assert menu.region.bottom <= line.region.y
        assert menu.region.y >= 0 and menu.region.height == len(texts) + 2  # one row each, no clipping
        assert menu.virtual_size.height == len(texts)  # no candidate wraps onto a second line
        # Up/Down move in the menu (wrapping) and leave the line alone while it is open
        typed = line.value
        while menu.chosen is None or menu.chosen.text != "SO_RCVBUF":
            await pilot.press("down")
        await pilot.press("up", "down")
        assert line.value == typed and menu.chosen.text == "SO_RCVBUF"
        await pilot.press("enter")  # takes the option; does not run the line
        await pilot.pause()
        assert line.value == "setsockopt c1 SO_RCVBUF"
        assert not menu.is_open and not menu.display
        echoed = [ln.rstrip() for ln in repl_text(app).splitlines()]
        assert "sockplay> setsockopt c1 SO_RCVBUF" not in echoed  # Enter took the option, ran nothing


async def test_tab_accepts_too_and_escape_only_closes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        line = line_of(app)
        await type_text(pilot, "recv a1 4 ")
        await pilot.press("tab")
        await pilot.pause()
        assert line.menu.is_open and "peek" in [c.text for c in line.menu.candidates]
        n = len(line.menu.candidates)
        assert n >= 8  # long meanings: the box is as tall as its rows and none wraps
        assert line.menu.region.height == min(n, MAX_ROWS) + 2
        assert line.menu.virtual_size.height == n
        await pilot.press("escape")  # closes the menu, keeps what was typed
        await pilot.pause()
        assert not line.menu.is_open and line.value == "recv a1 4 "
        await pilot.press("tab")
        while line.menu.chosen.text != "peek":
            await pilot.press("down")
        await pilot.press("tab")
        assert line.value == "recv a1 4 peek" and not line.menu.is_open


async def test_single_candidate_completes_at_once_with_live_socket_names(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        line = line_of(app)
        await type_line(pilot, "socketpair left right")
        await app.settle()
        await type_text(pilot, "getsockopt le")
        await pilot.press("tab")
        assert line.value == "getsockopt left" and not line.menu.is_open
        await type_text(pilot, " SO_RCVLO")
        await pilot.press("tab")
        assert line.value == "getsockopt left SO_RCVLOWAT"
        # a word nothing completes: the line stays as it is
        line.value = "frobnicate x"
        line.cursor_position = len(line.value)
        await pilot.press("tab")
        assert line.value == "frobnicate x" and not line.menu.is_open


async def test_menu_follows_typing_and_mid_line_splice(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        line = line_of(app)
        await type_text(pilot, "getsockopt c1 SO_RCV")
        await pilot.press("tab")
        await pilot.pause()
        assert len(line.menu.candidates) >= 3
        await type_text(pilot, "T")
        await pilot.pause()
        assert [c.text for c in line.menu.candidates] == ["SO_RCVTIMEO"]
        await type_text(pilot, "X")  # nothing fits any more: the menu closes
        await pilot.pause()
        assert not line.menu.is_open
        # completing in the middle of a line replaces only the word before the cursor
        line.value = "sen c1 hello"
        line.cursor_position = 3
        await pilot.press("tab")
        await pilot.pause()
        if line.menu.is_open:  # send, sendto, sendmsg: move into the list, then Enter takes one
            await pilot.press("down")
            while line.menu.chosen.text != "send":
                await pilot.press("down")
            await pilot.press("enter")
        assert line.value == "send c1 hello"
        assert line.cursor_position == 4


async def test_up_down_history_untouched_when_menu_closed(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        line = line_of(app)
        await type_line(pilot, "echo one")
        await type_line(pilot, "echo two")
        await type_text(pilot, "ech")
        await pilot.press("up")
        assert line.value == "echo two"
        await pilot.press("up")
        assert line.value == "echo one"
        await pilot.press("down", "down")
        assert line.value == "ech"  # the draft comes back
        assert not line.menu.is_open


# ----------------------------------------------------------------------- highlighting
def _keyword_color(app: SockplayApp) -> str | None:
    text = line_of(app)._value
    styles = [
        Style.parse(str(span.style)) if isinstance(span.style, str) else span.style
        for span in text.spans
        if span.start == 0
    ]
    colors = [s.color for s in styles if s.color is not None]
    return colors[0].name if colors else None


async def test_line_is_highlighted_with_the_theme_and_recoloured_on_switch(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "setsockopt c1 SO_RCVBUF 4096")
        dark = app.syntax_styles["Keyword"]
        assert _keyword_color(app) == Style.parse(dark).color.name
        spans = {str(s.style) for s in line_of(app)._value.spans}
        assert app.syntax_styles["Name.Constant"] in spans  # SO_RCVBUF
        app.switch_theme("light")
        await pilot.pause()
        light = app.syntax_styles["Keyword"]
        assert light != dark
        assert _keyword_color(app) == Style.parse(light).color.name


# ----------------------------------------------------------------------- history
async def test_history_persists_between_runs_and_ghosts(make_app, private_history: Path) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "socketpair a b")
        await type_line(pilot, "getsockopt a SO_RCVBUF")
        await app.settle()
    assert private_history.exists()
    assert "+getsockopt a SO_RCVBUF" in private_history.read_text()

    again = make_app(empty=True)
    async with again.run_test(size=SIZE) as pilot:
        line = line_of(again)
        assert line.history[-2:] == ["socketpair a b", "getsockopt a SO_RCVBUF"]
        await pilot.press("up")
        assert line.value == "getsockopt a SO_RCVBUF"
        await pilot.press("escape")
        await type_text(pilot, "getso")
        assert await wait_for(lambda: line._suggestion == "getsockopt a SO_RCVBUF")
        await pilot.press("right")  # at the end of the line Right takes the ghost
        assert line.value == "getsockopt a SO_RCVBUF"
        await type_text(pilot, "X")
        await pilot.pause()
        assert line._suggestion == ""  # nothing remembered starts like that


async def test_history_path_choices(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = make_app(extra={"history_file": str(tmp_path / "h")})
    assert history_path(app) == tmp_path / "h"
    monkeypatch.setenv(HISTORY_ENV, "")
    assert history_path(make_app()) is None  # empty: keep nothing
    monkeypatch.delenv(HISTORY_ENV)
    assert history_path(make_app()) is None  # frozen (tests, screenshots): no file
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    live = make_app(frozen=False)
    live.frozen = False
    assert history_path(live) == tmp_path / "xdg" / "sockplay" / "tui-history"


# ----------------------------------------------------------------------- recording
async def test_recording_round_trip_replays_with_exit_0(
    make_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "echo before")  # not recorded: recording is off
        await pilot.press("f2")
        await pilot.pause()
        assert "recording" in app.repl.border_title
        assert "rec ●" in app.sub_title
        assert app.repl.has_class("-recording")
        for cmd in (
            "socketpair x y",
            "send x hello",
            "recv y 2 peek",
            "expect data he",
            "recv y 5",
            "expect data hello",
        ):
            await type_line(pilot, cmd)
        await app.settle()
        assert "EXPECT FAILED" not in repl_text(app)
        await pilot.press("f2")
        await pilot.pause()
        assert app.repl.border_title == "REPL" and not app.repl.has_class("-recording")
        shown = " ".join(repl_text(app).split())  # the long line wraps
        assert f"replay it with: sockplay run {app.record_path.name}" in shown
        assert "rec" not in app.sub_title
    path = app.record_path
    assert path is not None and path.parent == tmp_path and path.suffix == ".sp"
    script = path.read_text()
    assert "echo before" not in script and "recv y 2 peek" in script
    out, err = io.StringIO(), io.StringIO()
    assert run_text(script, out, err, filename=str(path)) == 0, err.getvalue()
    # and a changed expectation fails, so the replay really checks something
    broken = script.replace("expect data hello", "expect data HELLO")
    assert run_text(broken, io.StringIO(), io.StringIO()) == 1


# ----------------------------------------------------------------------- blocking
async def test_blocking_recv_never_freezes_the_repl(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await type_line(pilot, "recv a1")  # nothing queued on a1: this blocks
        assert await wait_for(lambda: "running in the background" in repl_text(app))
        assert app.pg.pending()
        before = len(app.repl.log_widget.lines)
        await type_line(pilot, "getsockopt c1 SO_RCVBUF")

        def answered() -> bool:
            lines = [s.text.rstrip() for s in app.repl.log_widget.lines[before:]]
            if "sockplay> getsockopt c1 SO_RCVBUF" not in lines:
                return False
            after = lines[lines.index("sockplay> getsockopt c1 SO_RCVBUF") + 1 :]
            return any(ln.startswith("= 0") and "value" in ln for ln in after)

        assert await wait_for(answered, 8.0)
        assert app.pg.pending(), "the recv is still waiting while the other command answered"
        assert "[recv a1]" not in repl_text(app)
        await type_line(pilot, "send c1 hi")
        assert await wait_for(lambda: "[recv a1]" in repl_text(app))
        late = repl_text(app).split("[recv a1]", 1)[1]
        assert "hi" in late and "= 2" in late
        assert await wait_for(lambda: not app.pg.pending())
