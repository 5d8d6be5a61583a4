"""The command palette: every command and option, choosing one fills the REPL, themes stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from sockplay.core import catalog
from sockplay.lang import commands
from sockplay.tui.app import SockplayApp
from sockplay.tui.palette import SockplayProvider, command_line_for, option_line_for
from sockplay.tui.widgets.options_form import OptionsForm

from .conftest import SIZE
from .pilot import wait_for


@pytest.fixture(autouse=True)
def private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCKPLAY_HISTORY", str(tmp_path / "history"))


def hits(app: SockplayApp) -> list[str]:
    """The palette's visible results, as text."""
    found = app.screen.query_one(CommandList)
    return [str(opt.prompt) for opt in found.options]


async def open_palette(pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    assert await wait_for(lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*["space" if c == " " else c for c in query])


async def test_provider_lists_every_command_and_option(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE):
        provider = SockplayProvider(app.screen)
        shown = [display for display, _help, _line, _opt in provider.entries()]
        for spec in commands.COMMANDS:
            assert spec.usage in shown, spec.name
        for row in catalog.OPTIONS:
            assert any(d.startswith(row.name + "  (") for d in shown), row.name
        assert len(shown) == len(commands.COMMANDS) + len(catalog.OPTIONS)
        helps = {d: h for d, h, _, _ in provider.entries()}
        assert helps[commands.command("recv").usage]  # every entry says what it does


def test_lines_aim_at_the_selected_socket() -> None:
    recv = commands.command("recv")
    assert recv is not None
    assert command_line_for(recv, "c1").startswith("recv c1 ")
    assert command_line_for(recv, None) == recv.example
    socket_cmd = commands.command("socket")  # makes a new socket: example kept as it is
    assert command_line_for(socket_cmd, "c1") == socket_cmd.example
    rcvbuf = catalog.option("SO_RCVBUF")
    assert option_line_for(rcvbuf, "c1") == "getsockopt c1 SO_RCVBUF"
    assert option_line_for(rcvbuf, None) == "help SO_RCVBUF"


async def test_choosing_an_option_takes_you_to_its_row(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        assert app.socket_list.selected == "c1"
        await open_palette(pilot, "rcvbuf")
        assert await wait_for(lambda: any("SO_RCVBUF" in h for h in hits(app)))
        assert any("SO_RCVBUFFORCE" in h for h in hits(app))
        results = app.screen.query_one(CommandList)
        target = next(i for i, h in enumerate(hits(app)) if h.startswith("SO_RCVBUF  "))
        for _ in range(len(hits(app))):
            if results.highlighted == target:
                break
            await pilot.press("down")
        assert results.highlighted == target
        await pilot.press("enter")
        assert await wait_for(lambda: not isinstance(app.screen, CommandPalette))
        form = app.query_one(OptionsForm)
        row = form.group.by_name["SO_RCVBUF"]
        assert await wait_for(lambda: app.focused is row.control)
        assert app.query_one("#tabs").active == "tab-options"
        # nothing ran: no command was echoed for it
        assert "sockplay> getsockopt c1 SO_RCVBUF" not in [
            s.text.rstrip() for s in app.repl.log_widget.lines
        ]
        # an option the selected socket has no row for (a unix option on TCP) fills the REPL instead
        await open_palette(pilot, "SO_PASSCRED")
        assert await wait_for(lambda: bool(hits(app)) and "SO_PASSCRED" in hits(app)[0])
        await pilot.press("enter")
        assert await wait_for(lambda: app.repl.command_line.value == "getsockopt c1 SO_PASSCRED")
        assert app.focused is app.repl.command_line


async def test_choosing_a_command_fills_its_example_and_themes_stay(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_palette(pilot, "setsockopt NAME")
        assert await wait_for(lambda: any("setsockopt NAME OPTION VALUE" in h for h in hits(app)))
        first = hits(app)[0]
        assert "setsockopt NAME OPTION VALUE" in first
        await pilot.press("enter")
        assert await wait_for(lambda: not isinstance(app.screen, CommandPalette))
        assert app.repl.command_line.value == commands.command("setsockopt").example
        # an option with no socket selected: its help
        await open_palette(pilot, "SO_LINGER")
        assert await wait_for(lambda: bool(hits(app)) and "SO_LINGER" in hits(app)[0])
        await pilot.press("enter")
        assert await wait_for(lambda: app.repl.command_line.value == "help SO_LINGER")
        # the built-in entries and the theme switcher are still there
        await open_palette(pilot, "theme presenter")
        assert await wait_for(lambda: any("Theme: presenter" in h for h in hits(app)))
        await pilot.press("enter")
        assert await wait_for(lambda: app.theme == "presenter")
