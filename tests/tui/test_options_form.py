"""The option form on real loopback sockets: every change is a command, every value a real call."""

from __future__ import annotations

import time

from textual.widgets import Input, Static, Switch, TabbedContent

from sockplay.tui import screenshots
from sockplay.tui.app import SockplayApp
from sockplay.tui.widgets.options_form import OptionLine, OptionsForm
from sockplay.tui.widgets.panes import SyscallPane

from .conftest import SIZE
from .pilot import repl_text, type_line, wait_for


def form_of(app: SockplayApp) -> OptionsForm:
    return app.query_one(OptionsForm)


def line(app: SockplayApp, option: str) -> OptionLine:
    form = form_of(app)
    assert form.group is not None
    return form.group.by_name[option]


def detail(app: SockplayApp, option: str) -> str:
    return line(app, option).detail_text


def syscalls(app: SockplayApp) -> str:
    return "\n".join(app.query_one(SyscallPane).lines)


async def ready_on(app: SockplayApp, pilot, name: str = "c1") -> OptionsForm:
    """The scene ran, `name` is selected and the form's first read has come back."""
    await app.settle()
    app.socket_list.select(name)
    form = form_of(app)
    assert await wait_for(lambda: form.socket_name == name and form.group is not None)
    await pilot.pause(0.3)  # the read is debounced
    await app.settle()
    await pilot.pause()
    return form


async def test_switch_sets_keepalive_and_the_kernel_reads_it_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready_on(app, pilot)
        switch = line(app, "SO_KEEPALIVE").control
        assert isinstance(switch, Switch) and switch.value is False
        switch.focus()
        await pilot.press("enter")  # Switch toggles on enter/space
        await app.settle()
        await pilot.pause()
        assert "sockplay> setsockopt c1 SO_KEEPALIVE on" in repl_text(app)
        assert "# form" in repl_text(app)
        # a real getsockopt, straight to the engine, sees what the form set
        assert app.pg.getsockopt("c1", "SO_KEEPALIVE").value == 1
        assert "kernel on" in detail(app, "SO_KEEPALIVE") and switch.value is True
        # the other end of the connection was not touched
        assert app.pg.getsockopt("a1", "SO_KEEPALIVE").value == 0
        await app.settle()  # let the direct calls' journal batch land before the app closes


async def test_rcvbuf_shows_what_was_asked_beside_what_the_kernel_keeps(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready_on(app, pilot)
        inp = line(app, "SO_RCVBUF").control
        assert isinstance(inp, Input)
        inp.focus()
        inp.value = ""
        await pilot.press("4", "0", "9", "6", "enter")
        await app.settle()
        await pilot.pause()
        assert "setsockopt c1 SO_RCVBUF 4096" in repl_text(app)
        text = detail(app, "SO_RCVBUF")
        assert inp.value == "4096" and text.startswith("→ kernel 8192"), text  # [4096] → kernel 8192
        # SO_RCVBUF matters before connect; c1 is connected, so the form warns
        assert "⚠ before connect: already connected" in text
        assert app.pg.getsockopt("c1", "SO_RCVBUF").value == 8192
        await app.settle()


async def test_refusals_show_inline(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready_on(app, pilot)
        # the kernel refuses: no such interface
        dev = line(app, "SO_BINDTODEVICE")
        dev.control.focus()
        await pilot.press(*"nosuchdev", "enter")
        await app.settle()
        await pilot.pause()
        assert "setsockopt c1 SO_BINDTODEVICE nosuchdev" in repl_text(app)
        assert "ENODEV" in detail(app, "SO_BINDTODEVICE") and dev.has_class("-error")
        assert "SO_BINDTODEVICE" in syscalls(app) and "ENODEV" in syscalls(app)
        # the codec refuses before any call what it cannot carry (a negative timeout it can: the kernel judges that)
        tmo = line(app, "SO_RCVTIMEO")
        tmo.control.focus()
        await pilot.press(*"soon", "enter")
        await app.settle()
        await pilot.pause()
        assert "not sent" in detail(app, "SO_RCVTIMEO") and tmo.has_class("-error")
        assert "setsockopt c1 SO_RCVTIMEO" not in repl_text(app)
        # a good value clears the error
        assert isinstance(tmo.control, Input)
        tmo.control.value = ""
        await pilot.press("1", ".", "5", "enter")
        await app.settle()
        await pilot.pause()
        assert not tmo.has_class("-error") and "kernel 1.5 s" in detail(app, "SO_RCVTIMEO")


async def test_filter_narrows_rows_as_you_type(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await ready_on(app, pilot)
        assert form.group is not None
        total = sum(ln.display for ln in form.group.lines)
        line(app, "SO_KEEPALIVE").control.focus()
        await pilot.press("slash")  # from inside the form, / goes to the filter
        assert app.focused is form.query_one("#opt-filter")
        await pilot.press("r", "c", "v")
        shown = [ln.row.name for ln in form.group.lines if ln.display]
        assert "SO_RCVBUF" in shown and "SO_KEEPALIVE" not in shown
        await pilot.press("underscore")  # rcv_ is still a prefix of SO_RCV*
        now = [ln.row.name for ln in form.group.lines if ln.display]
        assert {"SO_RCVBUF", "SO_RCVLOWAT", "SO_RCVTIMEO"} <= set(now) and len(now) < total
        # the TCP heading disappears when none of its options match
        assert not any(
            h.display for h in form.group.items if not isinstance(h, OptionLine) and getattr(h, "level", None) == "IPPROTO_TCP"
        )
        await pilot.press("enter")  # to the first match
        assert isinstance(app.focused, Input) and app.focused.parent is line(app, now[0])
        assert now[0] in str(form.query_one("#opt-help", Static).content)


async def test_repl_setsockopt_moves_the_form(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready_on(app, pilot)
        app.repl.command_line.focus()
        await type_line(pilot, "setsockopt c1 SO_KEEPALIVE on")
        await type_line(pilot, "setsockopt c1 SO_LINGER on,5")
        await app.settle()
        await pilot.pause()
        assert line(app, "SO_KEEPALIVE").control.value is True  # type: ignore[attr-defined]
        assert line(app, "SO_LINGER").control.value == "on,5"  # type: ignore[attr-defined]
        assert "kernel on,5" in detail(app, "SO_LINGER")
        # another socket of the same kind reuses the widgets but shows its own values
        lines_before = line(app, "SO_KEEPALIVE")
        await ready_on(app, pilot, "a1")
        assert line(app, "SO_KEEPALIVE") is lines_before
        assert line(app, "SO_KEEPALIVE").control.value is False  # type: ignore[attr-defined]


async def test_reads_are_few_real_and_skip_so_error(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await ready_on(app, pilot)
        reads = [ev for ev in app.pg.journal.snapshot() if ev.outcome and ev.outcome.syscall == "getsockopt"]
        visible = len(form.visible_lines())
        from sockplay.tui.widgets.options_form import READ_AHEAD, READ_FIRST

        assert 0 < len(reads) <= max(READ_FIRST, visible + READ_AHEAD)  # the top rows, not all ~65
        assert all(ev.sock == "c1" for ev in reads)
        # observations, not the person's commands: in System calls, not in the REPL
        assert "getsockopt(" in syscalls(app) and "getsockopt c1" not in repl_text(app)
        assert reads[0].command.startswith("getsockopt c1 ")
        # selecting again does not read again
        app.socket_list.select("a1")
        await pilot.pause(0.3)
        await app.settle()
        app.socket_list.select("c1")
        await pilot.pause(0.3)
        await app.settle()
        again = [ev for ev in app.pg.journal.snapshot() if ev.outcome and ev.outcome.syscall == "getsockopt"]
        assert len([ev for ev in again if ev.sock == "c1"]) == len(reads)
        # filtering to SO_ERROR shows it but never reads it (reading would clear a pending error)
        await pilot.press("ctrl+l")
        form.query_one("#opt-filter", Input).value = "so_error"
        await pilot.pause(0.3)
        await app.settle()
        assert [ln.row.name for ln in form.visible_lines()] == ["SO_ERROR"]
        assert not any(
            ev.outcome and ev.outcome.syscall == "getsockopt" and "SO_ERROR" in ev.outcome.trace
            for ev in app.pg.journal.snapshot()
        )


async def test_auto_accept_switch_on_a_listener(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await ready_on(app, pilot, "s1")
        accept = form.query_one("#opt-accept", Switch)
        assert accept.display and accept.value is False
        accept.focus()
        await pilot.press("enter")
        assert "s1" in app.auto_accept
        await ready_on(app, pilot, "c1")
        assert not accept.display


async def test_switching_kinds_is_quick_and_builds_once(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await ready_on(app, pilot)
        tcp = form.group
        await ready_on(app, pilot, "u1")
        udp = form.group
        assert udp is not tcp and udp is not None and "SO_BROADCAST" in udp.by_name
        assert "TCP_NODELAY" not in udp.by_name
        t0 = time.perf_counter()
        for name in ("c1", "u1", "a1", "u2") * 5:
            form.show_socket(name, app.pg.info(name))
        per_switch = (time.perf_counter() - t0) / 20
        assert per_switch < 0.05, per_switch
        assert set(form.groups) == {("inet", "stream"), ("inet", "dgram")}


def test_snapshot_options_form(snap_compare) -> None:
    """c1's form filtered to rcv_, SO_RCVBUF set to 4096: asked beside kernel, the late warning, help."""
    s = screenshots.scene("start")

    async def run_before(pilot) -> None:
        app = pilot.app
        await screenshots.quiesce(app, pilot)
        # The REPL and System calls then show only this scene's calls: the start-up lines may
        # wrap at 80 or at the pane's width (whenever the log first learns its size), and s1,
        # listed first, may or may not have been on screen long enough for its values to be read.
        await pilot.pause(0.3)
        await app.settle()
        app.repl.clear()
        app.query_one(SyscallPane).reset()
        app.query_one(TabbedContent).active = "tab-options"
        app.socket_list.select("c1")
        form = form_of(app)
        form.action_focus_filter()
        # set at once: typed key by key, a slow machine may read rows that "r" alone matched
        form.query_one("#opt-filter", Input).value = "rcv_"
        await pilot.pause(0.3)
        await app.settle()
        rcvbuf = form.group.by_name["SO_RCVBUF"].control
        assert isinstance(rcvbuf, Input)
        rcvbuf.focus()
        rcvbuf.value = ""
        await pilot.pause(0.3)  # focusing may scroll, and scrolling reads the rows it reveals
        await app.settle()
        await pilot.press("4", "0", "9", "6", "enter")
        await pilot.pause(0.3)
        await app.settle()
        await pilot.pause()

    assert snap_compare(screenshots.make_app(s), run_before=run_before, terminal_size=SIZE)
