"""Pilot tests: the app on real loopback sockets, driven as a person would."""

from __future__ import annotations

import pytest
from textual.notifications import Notify
from textual.widgets import Input

from sockplay.tui.widgets.panes import AncillaryPane, PollPane, SyscallPane
from sockplay.tui.widgets.repl import CommandLine
from sockplay.tui.widgets.sockets import SocketList

from .conftest import SIZE
from .pilot import repl_text, rows, type_line, wait_for


async def test_scene_opens_tcp_and_udp_pairs(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        assert rows(app) == ["s1", "c1", "a1", "u1", "u2"]
        infos = {i["name"]: i for i in app.socket_infos()}
        assert infos["c1"]["state"] == "ESTABLISHED" and infos["s1"]["state"] == "LISTEN"
        assert infos["u2"]["peer"] == infos["u1"]["local"]
        # the scene's commands were echoed, so the session is replayable
        text = repl_text(app)
        assert "sockplay> connect c1 s1" in text
        assert "sockplay --empty starts bare" in text
        assert "connect(" in "\n".join(app.query_one(SyscallPane).lines)
        # the REPL has focus at start: a playground is driven by typing
        assert isinstance(app.focused, CommandLine)


async def test_empty_starts_bare(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        assert rows(app) == []
        assert "no sockets yet" in repl_text(app)


async def test_typed_socketpair_appears_and_error_is_explained(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "socketpair x y")
        await app.settle()
        await pilot.pause()
        assert rows(app) == ["x", "y"]
        await type_line(pilot, "recv x 10 dontwait")
        await app.settle()
        await pilot.pause()
        text = repl_text(app)
        assert "sockplay> socketpair x y" in text
        assert "= -1 EAGAIN" in text
        sys_lines = "\n".join(app.query_one(SyscallPane).lines)
        assert "EAGAIN" in sys_lines and "↳" in sys_lines


async def test_blocking_recv_leaves_the_repl_free(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "socketpair a b")
        await app.settle()
        await type_line(pilot, "recv b 5")  # blocks: nothing to read yet
        assert await wait_for(lambda: "running in the background" in repl_text(app))
        await type_line(pilot, "send a hello")
        assert await wait_for(lambda: "[recv b 5]" in repl_text(app))
        text = repl_text(app)
        assert "hello" in text.split("[recv b 5]", 1)[1]


async def test_readiness_change_shows_in_poll_pane(make_app) -> None:
    pytest.importorskip(
        "sockplay.core.watcher", reason="the engine's readiness watcher has not landed"
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        poll = app.query_one(PollPane)
        before = len(poll.lines)
        app.run_command("send c1 hello")
        assert await wait_for(
            lambda: any(" a1 " in ln and "+POLLIN" in ln for ln in poll.lines[before:])
        )
        await pilot.pause()
        table = app.query_one(SocketList)
        assert "IN" in str(table.get_cell("a1", "ready")).split()


async def test_focus_key_and_escape(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(SocketList).focus()
        await pilot.pause()
        await pilot.press("ctrl+l")
        assert isinstance(app.focused, CommandLine)
        await pilot.press("e", "c", "h", "o")
        await pilot.press("escape")  # clears the line, never leaves the app
        await pilot.pause()
        assert app.is_running
        assert app.query_one(CommandLine).value == ""
        await pilot.press("colon")  # typed into the command line, not stolen by the binding
        assert app.query_one(CommandLine).value == ":"


async def test_history_up_down(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "echo one")
        await type_line(pilot, "echo two")
        line = app.query_one(Input)
        await pilot.press("up")
        assert line.value == "echo two"
        await pilot.press("up")
        assert line.value == "echo one"
        await pilot.press("down", "down")
        assert line.value == ""


async def test_switch_theme_recolours_panes(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "dark"
        poll = app.query_one(PollPane)
        dark_green = poll.highlighter.styles["success-bold"].color
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "light"
        assert "theme: light" in app.sub_title
        app.switch_theme("presenter")
        await pilot.pause()
        assert app.theme == "presenter"
        assert poll.highlighter.styles["success-bold"].color != dark_green
        assert str(poll.highlighter.styles["success-bold"].color.name).lower() == "#00ff5f"


async def test_theme_option_and_unknown_theme(make_app) -> None:
    app = make_app(empty=True, theme="presenter")
    async with app.run_test(size=SIZE):
        assert app.theme == "presenter"
    app = make_app(empty=True, theme="nosuch")
    async with app.run_test(size=SIZE):
        assert app.theme == "dark"
        assert any("nosuch" in e for e in app.theme_errors)


async def test_broken_user_theme_is_named_and_default_used(make_app, no_user_themes) -> None:
    bad = no_user_themes / "bad.toml"
    bad.write_text('name = "bad"\nprimary = "#12345z"\n')
    notes: list[str] = []

    def hook(msg) -> None:
        if isinstance(msg, Notify):
            notes.append(str(msg.notification.message))

    app = make_app(empty=True, theme="bad")
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause()
        assert app.theme == "dark"
        joined = "\n".join(notes)
        assert "bad.toml" in joined and "'primary'" in joined and "#12345z" in joined


async def test_user_theme_is_picked_up(make_app, no_user_themes) -> None:
    (no_user_themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\ndark = false\n')
    app = make_app(empty=True, theme="mine")
    async with app.run_test(size=SIZE):
        assert app.theme == "mine"
        assert app.current_theme.primary == "#ff0000"


async def test_record_writes_a_script(make_app, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await type_line(pilot, "socketpair p q")
        await type_line(pilot, "send p hi")
        await app.settle()
        await pilot.press("f2")
        await pilot.pause()
        assert app.record_path is not None
        assert app.record_path.read_text().splitlines()[1:] == ["socketpair p q", "send p hi"]


async def test_script_argument_runs_first(make_app, tmp_path) -> None:
    script = tmp_path / "demo.sp"
    script.write_text("# demo\nsocketpair m n\nsend m hey\n")
    app = make_app(script=str(script))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        assert rows(app) == ["m", "n"]
        assert "demo.sp:3" in repl_text(app)


async def test_pane_folds_a_big_batch_into_one_counter_line(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(PollPane)
        cap = pane.BATCH_CAP
        pane.add_batch([f"line {i}" for i in range(cap + 600)], folded=25)
        await pilot.pause()
        assert len(pane.raw) == cap + 1  # the lines written (a narrow pane wraps the counter line)
        assert pane.raw[0].startswith("… +625 more folded")
        assert pane.lines[0].startswith("… +625 more folded")
        assert pane.lines[-1] == f"line {cap + 599}"
        assert "folded 625" in str(pane.border_subtitle)


async def test_flood_stays_bounded_and_rxq_ovfl_counts_drops(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.run_command("setsockopt u1 SO_RCVBUF 4096")
        app.run_command("send u2 flood count=20000")
        await app.settle(timeout=45)
        sys_pane = app.query_one(SyscallPane)
        assert len(sys_pane.lines) <= sys_pane.DEFAULT_MAX_LINES
        assert sys_pane.folded > 0  # big batches were counted, not drawn
        assert sys_pane.total >= 20_000  # ...yet every send is accounted for
        # the REPL still answers (speed itself is for `make bench`, not for a test)
        await type_line(pilot, "getsockname u1")
        await app.settle()
        assert "sockplay> getsockname u1" in repl_text(app)
        assert await wait_for(lambda: "value 127.0.0.1:" in repl_text(app).split("getsockname u1")[-1])
        app.run_command("recvmsg u1 dontwait count=1000")  # drain what fitted
        app.run_command("send u2 late")
        app.run_command("recvmsg u1")  # queued after the drops: carries the counter
        await app.settle()
        await pilot.pause()
        anc = app.query_one(AncillaryPane)
        ovfl = [ln for ln in anc.lines if "SO_RXQ_OVFL" in ln]
        assert ovfl, anc.lines[-5:]
        count = int(ovfl[-1].split("SO_RXQ_OVFL", 1)[1].split()[0].replace(",", ""))
        assert count > 1000
        assert f"(+{count:,})" in ovfl[-1]
