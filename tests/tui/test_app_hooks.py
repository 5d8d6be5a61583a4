"""The app's hooks for per-socket views, and auto-accept on a listener."""

from __future__ import annotations

from sockplay.tui.widgets.options_form import OptionsForm
from sockplay.tui.widgets.sendrecv import SendRecvPanel

from .conftest import SIZE
from .pilot import rows, type_line, wait_for


async def test_socket_views_follow_selection_and_get_calls(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        form = app.query_one(OptionsForm)
        panel = app.query_one(SendRecvPanel)
        seen: list[str] = []
        panel.journal_calls = lambda events: seen.extend(e.outcome.syscall for e in events)
        app.socket_list.focus()
        await pilot.press("down")
        await wait_for(lambda: form.socket_name not in (None, "s1"))
        assert form.socket_name == panel.socket_name and form.socket_name in rows(app)
        app.repl.command_line.focus()
        await type_line(pilot, "getsockopt c1 SO_RCVBUF")
        await app.settle()
        assert await wait_for(lambda: "getsockopt" in seen)


async def test_auto_accept_accepts_each_new_connection(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.set_auto_accept("s1", True)
        await type_line(pilot, "socket c2 inet stream")
        await type_line(pilot, "connect c2 s1")
        await app.settle()
        assert await wait_for(lambda: "a2" in rows(app), timeout=5)
        app.set_auto_accept("s1", False)
        await type_line(pilot, "socket c3 inet stream")
        await type_line(pilot, "connect c3 s1")
        await app.settle()
        await pilot.pause(0.3)
        assert "a3" not in rows(app)


async def test_form_commands_do_not_change_what_expect_checks(make_app) -> None:
    """A form reading an option between a person's recv and their expect must not be checked."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await type_line(pilot, "send c1 hello")
        await type_line(pilot, "recv a1 5")
        await app.settle()
        app.run_command("getsockopt c1 SO_RCVBUF", origin="form")
        await app.settle()
        await type_line(pilot, 'expect data "hello"')
        await app.settle()
        text = "\n".join(s.text for s in app.repl.log_widget.lines)
        assert 'ok: recv data is "hello"' in text
        assert "EXPECT FAILED" not in text


async def test_scene_selects_c1(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE):
        await app.settle()
        await wait_for(lambda: app.socket_list.selected == "c1")
        assert app.socket_list.selected == "c1", (app.socket_list.selected, app._initial_select, rows(app))
        detail = app.query_one("#detail")
        assert await wait_for(lambda: str(detail.border_title).startswith("c1 ·")), detail.border_title


async def test_selection_stays_on_its_socket_when_a_row_above_goes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.socket_list.select("a1")
        assert await wait_for(lambda: app.socket_list.selected == "a1")
        await type_line(pilot, "close c1")
        await app.settle()
        assert await wait_for(lambda: "c1" not in rows(app))
        await pilot.pause(0.1)
        assert app.socket_list.selected == "a1"


async def test_drain_ends_with_a_quiet_eagain(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await type_line(pilot, "send c1 hello")
        await type_line(pilot, "recv a1 2 dontwait count=10")
        await app.settle()
        text = "\n".join(s.text for s in app.repl.log_widget.lines)
        assert "the queue is empty (a drain ends this way)" in text
        assert "last = -1 EAGAIN\n" not in text + "\n"
