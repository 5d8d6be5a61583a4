"""Hostile terminal input, theme files and history files: the app shows a notice and keeps running.

The escape-sequence and non-UTF-8 cases crash Textual 8.2.8's own input
thread; sockplay.tui.guard wraps its parser and decoder. The parser is tested
here directly; tests/e2e/test_hostile_pty.py feeds the same bytes to the real
app through a pseudo-terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.command import CommandPalette

from sockplay.tui.guard import IGNORED_KEY, GuardedXTermParser, NotUTF8Input, replace_undecodable
from sockplay.tui.themes import Notice, ThemeFileError, load_theme_file, load_themes

from .conftest import SIZE
from .pilot import repl_text, rows, type_line, wait_for

HOSTILE = ["\x1b[99999999999999~", "\x1b[1114112u", "\x1b[99999999999999u", "\x1b[1;5:99999999999999u",
           "\x1b[123456789012345678901234567890;1u"]


def feed(parser: XTermParser, data: str) -> list:
    return list(parser.feed(data))


@pytest.mark.parametrize("seq", HOSTILE)
def test_textual_parser_alone_still_crashes_on_the_sequence_or_survives(seq: str) -> None:
    """Documents the Textual fault the guard is for (if a release fixes it, this test says so)."""
    try:
        feed(XTermParser(), seq + "a")
    except (OverflowError, ValueError):
        pass  # the fault in Textual 8.2.8


@pytest.mark.parametrize("seq", HOSTILE)
def test_guarded_parser_drops_an_impossible_sequence_and_reads_on(seq: str) -> None:
    p = GuardedXTermParser()
    got = feed(p, seq) + feed(p, "ab")
    keys = [e.key for e in got if isinstance(e, events.Key)]
    assert keys[-2:] == ["a", "b"], got  # no exception, and the parser reads on
    assert IGNORED_KEY in keys or len(seq) > 30  # a very long one Textual itself re-reads as plain keys


def test_guarded_parser_reports_undecodable_bytes_and_replaces_them() -> None:
    p = GuardedXTermParser()
    raw = b"\x1b[200~ab\xff\xfe\x1b[201~".decode("utf-8", "surrogateescape")
    got = feed(p, raw)
    notes = [m for m in got if isinstance(m, NotUTF8Input)]
    pastes = [m for m in got if isinstance(m, events.Paste)]
    assert notes and notes[0].count == 2
    assert pastes and pastes[0].text == "ab\ufffd\ufffd"
    assert replace_undecodable("plain") == ("plain", 0)


async def test_palette_double_click_outside_does_not_pop_twice(make_app) -> None:
    """Both clicks of a double click reach the palette before it is gone (ScreenStackError in Textual)."""
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert await wait_for(lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        for chain in (1, 2):
            palette.post_message(events.Click(palette, 1, 38, 0, 0, 1, False, False, False, 1, 38, chain=chain))
        await pilot.pause(0.3)
        assert not isinstance(app.screen, CommandPalette)
        assert len(app.screen_stack) == 1
        await type_line(pilot, "echo still here")
        assert await wait_for(lambda: "still here" in repl_text(app))


def test_theme_file_that_is_not_utf8_gives_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('name = "caf\xe9"\nprimary = "#ffffff"\n'.encode("latin-1"))
    with pytest.raises(ThemeFileError, match="not UTF-8"):
        load_theme_file(bad)
    themes, errors = load_themes(tmp_path)
    assert "dark" in themes and any("not UTF-8" in e for e in errors)


def test_user_theme_with_a_builtin_name_says_it_replaces_it(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "dark"\nprimary = "#ff0000"\n')
    themes, errors = load_themes(tmp_path)
    assert themes["dark"].theme.primary == "#ff0000"
    notices = [e for e in errors if isinstance(e, Notice)]
    assert len(notices) == 1 and "replaces the built-in" in notices[0]


async def test_app_starts_with_a_non_utf8_theme_and_says_so(tmp_path: Path, make_app) -> None:
    (tmp_path / "bad.toml").write_bytes(b'name = "x\xff"\nprimary = "#fff"\n')
    app = make_app(empty=True, user_theme_dir=tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.2)
        shown = [n.message for n in app._notifications]
        assert any("not UTF-8" in m for m in shown), shown
        await type_line(pilot, "echo ok")
        assert await wait_for(lambda: "ok" in repl_text(app))


async def test_unwritable_history_gives_one_notice(tmp_path: Path, make_app, monkeypatch) -> None:
    hist = tmp_path / "history"
    hist.write_text("")
    hist.chmod(0o444)
    app = make_app(empty=True, history_file=hist)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        # root ignores file modes: make the file unwritable for everyone by replacing it with a directory
        # after it was loaded (open(..., "ab") then fails with EISDIR).
        hist.unlink()
        hist.mkdir()
        for line in ("echo one", "echo two", "echo three"):
            await type_line(pilot, line)
        assert await wait_for(lambda: "three" in repl_text(app))
        shown = [n.message for n in app._notifications if "history not saved" in n.message]
        assert len(shown) == 1, shown


PASTES = ["a\x00b", "send a \x00\x00", "\x1b[31mred\x1b[0m", "x" * 100_000, "send a " + "y" * 100_000,
          "recv b 99999999999999999999999999999", "\x1b]0;title\x07", "setsockopt a SO_RCVBUF " + "9" * 5000,
          "echo \u202e\u200b", "aaa" + "\t" * 50]


async def test_hostile_pastes_into_the_command_line_get_errors_and_the_app_goes_on(make_app) -> None:
    from sockplay.tui.widgets.repl import CommandLine

    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, "socketpair a b")
        await app.settle()
        line = app.query_one(CommandLine)
        for text in PASTES:
            line.focus()
            line.post_message(events.Paste(text))
            await pilot.pause()
            await pilot.press("enter")
            await app.settle()
        assert "bug in sockplay" not in repl_text(app) and "Traceback" not in repl_text(app)
        await type_line(pilot, "send a still-here")
        assert await wait_for(lambda: "= 10" in repl_text(app))


@pytest.mark.parametrize(("sock", "option", "value", "words"), [
    ("u1", "SO_TXTIME", "4294967296", "does not fit"),  # was a struct.error that ended the app
    ("c1", "SO_LINGER", "²,5", "expected on,SECONDS"),  # '²'.isdigit() is True; int('²') raised
    ("u1", "SO_RCVBUF", "9" * 400, "does not fit"),
])
async def test_option_form_field_with_a_value_no_field_can_hold(make_app, sock: str, option: str, value: str,
                                                                words: str) -> None:
    from sockplay.tui.widgets.options_form import OptionsForm

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.socket_list.select(sock)
        form = app.query_one(OptionsForm)
        assert await wait_for(lambda: form.socket_name == sock and form.group is not None)
        await app.settle()
        assert form.group is not None
        row = form.group.by_name[option]
        form.scroll_to_widget(row, animate=False)
        row.control.focus()
        assert await wait_for(lambda: app.focused is row.control)
        row.control.value = value  # as a paste leaves it
        await pilot.press("enter")
        await app.settle()
        assert await wait_for(lambda: "not sent" in row.detail_text, timeout=10), row.detail_text
        assert words in row.detail_text, row.detail_text
        assert f"setsockopt {sock} {option}" not in repl_text(app)
        await pilot.press("ctrl+l")
        await type_line(pilot, f"getsockopt {sock} SO_DOMAIN")
        assert await wait_for(lambda: "AF_INET" in repl_text(app).split(f"getsockopt {sock} SO_DOMAIN")[-1])
        # A read of that very option (the form's own, or typed) leaves the refusal said: it was
        # wiped by a read already on its way when the person pressed Enter on a loaded machine.
        await type_line(pilot, f"getsockopt {sock} {option}")
        assert await wait_for(lambda: f"getsockopt {sock} {option}" in repl_text(app))
        await app.settle()
        assert "not sent" in row.detail_text, row.detail_text


async def test_a_script_that_is_not_utf8_is_refused_with_a_message(make_app, tmp_path: Path) -> None:
    """`sockplay FILE.sp` with a Latin-1 byte ended the app on mount (UnicodeDecodeError)."""
    script = tmp_path / "latin1.sp"
    script.write_bytes(b'socketpair a b\nsend a "caf\xe9"\n')
    app = make_app(script=str(script))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        def flat() -> str:  # long lines wrap in the pane
            return " ".join(repl_text(app).split())

        assert await wait_for(lambda: "not UTF-8 text (byte 0xe9 at offset 26)" in flat()), flat()
        assert "nothing ran from" in flat() and "its sockets are open" not in flat()
        await type_line(pilot, "socketpair x y")
        assert await wait_for(lambda: "new socket x, y" in repl_text(app))


async def test_a_script_of_hostile_lines_runs_to_its_end(make_app, tmp_path: Path) -> None:
    """NUL, escape sequences, huge numbers, a value no field holds and a 100 KB line: each a located error."""
    script = tmp_path / "hostile.sp"
    script.write_text('socketpair a b\nsend a "\\0"\n\x1b[31m\nrecv b 99999999999999999999\n'
                      "setsockopt a SO_TXTIME 4294967296\n" + "x" * 100_000 + "\nsend a done\n", encoding="utf-8")
    app = make_app(script=str(script))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle(15)
        await pilot.pause()
        text = repl_text(app)
        assert "bug in sockplay" not in text and "Traceback" not in text
        assert "hostile.sp:7" in text and rows(app) == ["a", "b"]
