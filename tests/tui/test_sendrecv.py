"""The Send/Recv tab on real loopback sockets: clicks become commands, the journal fills the view."""

from __future__ import annotations

import re
import time

import pytest
from textual.widgets import Input, SelectionList, Static, Switch, TabbedContent

from sockplay.lang.grammar import ScriptError
from sockplay.tui.app import SockplayApp
from sockplay.tui.widgets import sendrecv
from sockplay.tui.widgets.sendrecv import (
    MAX_BYTES,
    MAX_ENTRIES,
    MAX_NEW_PER_BATCH,
    Entry,
    EntryView,
    History,
    SendRecvPanel,
    parse_send_text,
)

from .conftest import SIZE
from .pilot import repl_text, type_line, wait_for


# ---------------------------------------------------------------------------- helpers
def panel(app: SockplayApp) -> SendRecvPanel:
    return app.query_one(SendRecvPanel)


def entries(app: SockplayApp) -> list[EntryView]:
    return list(panel(app).query_one("#sr-view").query_children(EntryView))


def text_of(view: EntryView) -> str:
    return str(view.content)


def dump_of(text: str) -> str:
    """The text column of an entry's hexdump lines (offset, hex, text)."""
    rows = [ln for ln in text.splitlines() if re.match(r"^[0-9a-f]{4,}  [0-9a-f]{2} ", ln)]
    return "".join(ln.rsplit("  ", 1)[1] for ln in rows)


def help_line(app: SockplayApp) -> Static:
    return panel(app).query_one("#sr-help", Static)


async def open_tab(app: SockplayApp, pilot, name: str) -> SendRecvPanel:
    await app.settle()
    app.query_one(TabbedContent).active = "tab-sendrecv"
    app.socket_list.select(name)
    await pilot.pause()
    p = panel(app)
    assert await wait_for(lambda: p.socket_name == name)
    return p


async def select(app: SockplayApp, pilot, name: str) -> None:
    app.socket_list.select(name)
    assert await wait_for(lambda: panel(app).socket_name == name)
    await pilot.pause()


async def type_into(pilot, widget: Input, text: str) -> None:
    """Type as a person does: focus the box, clear it, press each key."""
    widget.focus()
    widget.value = ""
    await pilot.press(*[{" ": "space", "\\": "backslash"}.get(c, c) for c in text])


def set_flags(app: SockplayApp, *shorts: str) -> None:
    flags = panel(app).query_one("#sr-flags", SelectionList)
    flags.deselect_all()
    for s in shorts:
        flags.select(s)


# ---------------------------------------------------------------------------- pilot tests
async def test_send_then_peek_then_recv_marks_what_was_peeked(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "c1")
        await type_into(pilot, p.query_one("#sr-data", Input), "hello")
        await pilot.click("#sr-send")
        await app.settle()
        assert "sockplay> send c1 hello" in repl_text(app)
        assert await wait_for(lambda: any("5 bytes sent" in text_of(e) for e in entries(app)))

        await select(app, pilot, "a1")
        assert entries(app) == []  # a1's own history: nothing received yet
        await type_into(pilot, p.query_one("#sr-size", Input), "2")
        flags = p.query_one("#sr-flags", SelectionList)
        flags.focus()
        await pilot.press("space")  # the first flag, peek, is highlighted
        assert flags.selected == ["peek"]
        await pilot.click("#sr-recv")
        await app.settle()
        assert "sockplay> recv a1 2 peek" in repl_text(app)
        assert await wait_for(lambda: len(entries(app)) == 1)
        peeked = entries(app)[-1]
        assert peeked.has_class("-peeked")
        body = text_of(peeked)
        assert body.startswith("recv a1 2 peek") and "peeked" in body and "still queued" in body
        assert dump_of(body) == "he"

        flags.deselect("peek")
        await type_into(pilot, p.query_one("#sr-size", Input), "5")
        await pilot.press("enter")  # Enter in the size box receives
        await app.settle()
        assert "sockplay> recv a1 5" in repl_text(app)
        assert await wait_for(lambda: len(entries(app)) == 2)
        got = entries(app)[-1]
        assert not got.has_class("-peeked") and got.has_class("-received")
        assert "peeked" not in text_of(got)
        assert "68 65 6c 6c 6f" in text_of(got) and dump_of(text_of(got)) == "hello"
        # the peek stayed marked: the view is a history, newest at the bottom
        assert entries(app)[0].has_class("-peeked")


async def test_bad_data_gives_an_inline_error_and_runs_nothing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "c1")
        before = app.pg.journal.last_seq
        await type_into(pilot, p.query_one("#sr-data", Input), r"hi\q")
        assert help_line(app).has_class("-error")
        assert "character 3" in str(help_line(app).content) and "unknown escape" in str(help_line(app).content)
        await pilot.click("#sr-send")
        await type_into(pilot, p.query_one("#sr-data", Input), "hex:4g")
        await pilot.press("enter")
        await app.settle()
        assert "not a hex digit" in str(help_line(app).content)
        assert "sockplay> send c1" not in repl_text(app)
        sent = [e for e in app.pg.journal.snapshot() if e.seq > before and e.kind == "call"]
        assert sent == []
        # a good one clears the error and says what it will send
        await type_into(pilot, p.query_one("#sr-data", Input), r"a\r\n")
        assert not help_line(app).has_class("-error")
        assert '"a\\r\\n"' in str(help_line(app).content)


async def test_escapes_and_hex_reach_the_peer_as_bytes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "c1")
        await type_into(pilot, p.query_one("#sr-data", Input), r"GET /\r\n")
        await pilot.click("#sr-send")
        p.query_one("#sr-data", Input).value = "hex:00ff 41"
        await pilot.click("#sr-send")
        await app.settle()
        text = repl_text(app)
        assert 'send c1 "GET /\\r\\n"' in text and 'send c1 "\\x00\\xffA"' in text
        out = app.pg.recv("a1", 100, flags=["dontwait"])
        await app.settle()  # let its event reach the panes before the app closes
        assert out.data == b"GET /\r\n\x00\xffA"


async def test_eagain_is_shown_with_its_explanation(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "a1")
        set_flags(app, "dontwait")
        await pilot.click("#sr-recv")
        await app.settle()
        assert "sockplay> recv a1 1024 dontwait" in repl_text(app)
        assert await wait_for(lambda: len(entries(app)) == 1)
        err = entries(app)[-1]
        assert err.has_class("-error")
        last = [e for e in app.pg.journal.snapshot()
                if e.kind == "call" and e.outcome.origin == "user"][-1].outcome  # not the views' [app] reads
        assert last.errno == "EAGAIN" and last.error
        assert "-1 EAGAIN" in text_of(err) and last.error in text_of(err)


async def test_keep_reading_shows_data_sent_from_the_repl(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "a1")
        await pilot.click("#sr-keep")
        assert p.query_one("#sr-keep", Switch).value and "a1" in p.readers
        app.repl.command_line.focus()
        await type_line(pilot, "send c1 ping")
        assert await wait_for(lambda: any(dump_of(text_of(e)) == "ping" for e in entries(app)), timeout=5)
        assert "sockplay> recv a1 1024 dontwait count=16" in repl_text(app)
        await type_line(pilot, 'send c1 "pong\\n"')
        assert await wait_for(lambda: any(dump_of(text_of(e)) == "pong." for e in entries(app)), timeout=5)
        # it does not spin: with nothing arriving, no more drains are issued
        await app.settle()
        await pilot.pause(0.6)
        n = repl_text(app).count("dontwait count=16")
        await pilot.pause(1.2)
        assert repl_text(app).count("dontwait count=16") == n <= 6
        # the drains' closing EAGAINs are not shown as errors
        assert not any(e.has_class("-error") for e in entries(app))
        # the peer closing ends it: "peer closed", and the switch goes off
        await type_line(pilot, "shutdown c1 wr")
        assert await wait_for(lambda: "a1" not in p.readers, timeout=5)
        assert any(e.has_class("-eof") and "peer closed" in text_of(e) for e in entries(app))
        assert not p.query_one("#sr-keep", Switch).value
        assert "peer closed" in str(help_line(app).content)


async def test_datagram_destination_and_source_address(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "u2")  # u2 is connected to u1: no destination needed
        assert not p.query_one("#sr-dest-row").display
        await select(app, pilot, "u1")  # u1 is bound, not connected: sendto
        assert p.query_one("#sr-dest-row").display
        p.query_one("#sr-data", Input).value = "dgram"
        p.query_one("#sr-dest", Input).value = "u2"
        await pilot.click("#sr-send")
        await app.settle()
        assert "sockplay> sendto u1 u2 dgram" in repl_text(app)
        await select(app, pilot, "u2")
        await pilot.click("#sr-recvfrom")
        await app.settle()
        assert "sockplay> recvfrom u2 1024" in repl_text(app)
        assert await wait_for(lambda: any("recvfrom" in text_of(e) for e in entries(app)))
        got = entries(app)[-1]
        u1_addr = app.freezer.addr(app.pg.info("u1")["local"])
        assert f"from {u1_addr}" in text_of(got) and dump_of(text_of(got)) == "dgram"


async def test_recvmsg_shows_msg_trunc_and_the_anc_size(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "u1")
        app.repl.command_line.focus()
        await type_line(pilot, "send u2 0123456789")
        await app.settle()
        p.query_one("#sr-size", Input).value = "4"
        p.query_one("#sr-anc", Input).value = "64"
        await pilot.click("#sr-recvmsg")
        await app.settle()
        assert "sockplay> recvmsg u1 4 anc=64" in repl_text(app)
        assert await wait_for(lambda: any("recvmsg" in text_of(e) for e in entries(app)))
        got = text_of(entries(app)[-1])
        assert "MSG_TRUNC" in got.splitlines()[1] and "rest is lost" in got and dump_of(got) == "0123"


async def test_flags_a_call_does_not_take_are_left_out_and_said(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "c1")
        set_flags(app, "peek", "nosignal")
        p.query_one("#sr-data", Input).value = "x"
        await pilot.click("#sr-send")
        await app.settle()
        assert "sockplay> send c1 x nosignal" in repl_text(app)
        assert "peek: not a send flag" in str(help_line(app).content)
        # highlighting a flag explains it from the flag table
        flags = p.query_one("#sr-flags", SelectionList)
        flags.focus()
        await pilot.press("down")
        await pilot.pause()
        assert "MSG_DONTWAIT" in str(help_line(app).content)


async def test_views_are_kept_per_socket(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "c1")
        app.repl.command_line.focus()
        await type_line(pilot, "send c1 abc")
        await type_line(pilot, "recv a1 3")
        await app.settle()
        assert await wait_for(lambda: len(entries(app)) == 1)
        assert "sent" in text_of(entries(app)[0])
        await select(app, pilot, "a1")
        assert await wait_for(lambda: len(entries(app)) == 1)
        assert dump_of(text_of(entries(app)[0])) == "abc"


# ---------------------------------------------------------------------------- pure parts
def test_send_text_takes_the_languages_data_forms() -> None:
    assert parse_send_text("hello") == b"hello"
    assert parse_send_text(r"hello\r\n") == b"hello\r\n"
    assert parse_send_text(r"a\x00\101") == b"a\x00A"
    assert parse_send_text('say "hi"') == b'say "hi"'  # a bare quote is just a byte
    assert parse_send_text(r"\"") == b'"'
    assert parse_send_text("") == b""
    assert parse_send_text("hex:68656c6c6f") == b"hello"
    assert parse_send_text("HEX:48 65 6c") == b"Hel"


@pytest.mark.parametrize(
    ("text", "col", "words"),
    [
        (r"ab\q", 3, "unknown escape"),
        (r'x"\x4', 3, "two hex digits"),
        ("end\\", 4, "backslash ends"),
        ("hex:4g", 6, "not a hex digit"),
        ("hex:abc", 7, "odd number"),
        ('hex:"41"', 5, "hex digits only"),
    ],
)
def test_send_text_errors_point_at_the_character(text: str, col: int, words: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_send_text(text)
    assert info.value.col == col and words in info.value.message


def test_history_is_bounded_by_entries_and_bytes() -> None:
    h = History()
    for i in range(MAX_ENTRIES + 5):
        h.add(Entry(f"recv a {i}", "recv", ret=1, data=b"x"))
    assert len(h.entries) == MAX_ENTRIES and h.dropped == 5
    assert h.entries[0].header == "recv a 5"
    h = History()
    chunk = b"y" * sendrecv.ENTRY_SHOWN
    for _ in range(MAX_BYTES // len(chunk) + 3):
        h.add(Entry("recv a", "recv", ret=len(chunk), data=chunk))
    assert h.nbytes <= MAX_BYTES and h.dropped == 3


def test_entry_render_shows_truncation_and_what_was_hidden() -> None:
    e = Entry("recvmsg u1 4", "recvmsg", ret=10, data=b"0123", msg_flags=["MSG_TRUNC"], address="127.0.0.1:9")
    text = e.render(16).plain
    assert "10 bytes" in text and "(4 in the buffer)" in text and "MSG_TRUNC" in text
    assert "from 127.0.0.1:9" in text
    big = Entry("recv a 9000", "recv", ret=9000, data=b"z" * 16, hidden=8984)
    assert "… 8984 more bytes not shown" in big.render(16).plain


async def test_a_flood_of_calls_keeps_the_view_bounded_and_says_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "c1")
        for _ in range(5):
            app.run_command("send c1 x count=50")
            await app.settle(timeout=10)
        await pilot.pause()
        hist = panel(app).histories["c1"]
        assert len(hist.entries) == MAX_ENTRIES and hist.dropped == 250 - MAX_ENTRIES
        # one huge batch shows its newest MAX_NEW_PER_BATCH and counts the rest
        app.run_command("send c1 y count=2000")
        await app.settle(timeout=10)
        await pilot.pause()
        assert len(hist.entries) == MAX_ENTRIES and hist.dropped > 250
        assert hist.entries[-1].header == "send c1 y"
        assert len(entries(app)) == len(hist.entries)
        title = str(panel(app).query_one("#sr-view").border_title)
        assert f"+{hist.dropped:,} older entries dropped" in title


async def test_a_hidden_view_builds_no_widgets_and_shows_the_history_when_opened(make_app) -> None:
    """Issue 10: a flood must not cost widgets nobody sees; opening the tab shows what was kept."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.socket_list.select("c1")
        await pilot.pause()
        assert app.query_one(TabbedContent).active != "tab-sendrecv"
        app.run_command("send c1 hidden count=30")
        await app.settle(timeout=10)
        await pilot.pause()
        hist = panel(app).histories["c1"]
        assert [e.header for e in hist.entries][-1] == "send c1 hidden" and len(hist.entries) >= 30
        assert entries(app) == []  # nothing built while the tab is hidden
        await open_tab(app, pilot, "c1")
        assert await wait_for(lambda: len(entries(app)) == len(hist.entries))
        assert entries(app)[-1].entry is hist.entries[-1]


async def test_a_flood_reaches_the_view_in_bounded_updates(make_app) -> None:
    """Calls arriving faster than UPDATES_PER_SECOND wait and are taken together, newest kept."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        p = await open_tab(app, pilot, "c1")
        await app.settle()
        dropped = p.histories["c1"].dropped if "c1" in p.histories else 0
        p._next_update_at = time.monotonic() + 60  # as if an update had just been made: the next must wait
        app.run_command("send c1 a count=20")
        app.run_command(f"send c1 b count={MAX_NEW_PER_BATCH + 10}")
        assert await wait_for(lambda: p._skipped.get("c1") == 30, timeout=20)
        assert p.behind and len(p._waiting["c1"]) == MAX_NEW_PER_BATCH
        assert not entries(app) or entries(app)[-1].entry.header != "send c1 b"  # not shown yet
        p._update_timer.stop()
        p._take_waiting()  # what the timer does
        await pilot.pause()
        hist = p.histories["c1"]
        assert not p.behind and hist.dropped - dropped == 30  # 20 a's and 10 b's let go, counted
        assert [e.header for e in hist.entries][-MAX_NEW_PER_BATCH:] == ["send c1 b"] * MAX_NEW_PER_BATCH
