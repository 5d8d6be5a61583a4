"""Issue 11's smaller items, each as a person would meet it in the app."""

from __future__ import annotations

from sockplay.lessons import load
from sockplay.tui.app import AppOptions
from sockplay.tui.lesson import LessonApp
from sockplay.tui.widgets.options_form import READ_FIRST, OptionsForm
from sockplay.tui.widgets.panes import AncillaryPane

from .pilot import repl_text, type_line, wait_for


async def test_socketpair_peers_are_named_by_pair_not_by_address(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "socketpair a b")
        await type_line(pilot, "socketpair c d")
        await app.settle()
        table = app.socket_list
        addr = {name: table.get_cell(name, "addr") for name in "abcd"}
        assert addr == {"a": "(unnamed) → b", "b": "(unnamed) → a", "c": "(unnamed) → d", "d": "(unnamed) → c"}


async def test_help_continuation_lines_hang_under_their_column(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_line(pilot, "help")
        await app.settle()
        lines = repl_text(app).splitlines()
        start = next(i for i, ln in enumerate(lines) if ln.startswith("sockplay> help"))
        listing = [ln for ln in lines[start + 1 :] if ln.strip()]
        body = listing[listing.index(next(ln for ln in listing if ln.startswith("  "))) :]
        assert body and all(ln.startswith("  ") for ln in body), [ln for ln in body if not ln.startswith("  ")]
        wrapped = [ln for ln in body if ln.startswith("    ")]  # continuations sit under the description
        assert wrapped and all(len(ln) <= 80 for ln in lines)


async def test_lesson_intro_keeps_every_word_and_its_hint_fits_the_lesson(no_user_themes) -> None:
    app = LessonApp(load("peek-off"), AppOptions(frozen=True, user_theme_dir=no_user_themes))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.pause(0.3)
        text = " ".join(repl_text(app).split())
        assert "type your own commands here between steps (f3 returns to the panel)." in text
        assert "c1" not in app.repl.command_line.placeholder  # there is no c1 in a lesson


async def test_a_resize_rereads_the_form_and_rewraps_the_panes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        form = app.query_one(OptionsForm)
        await pilot.press("alt+r")
        await type_line(pilot, "echo " + "word " * 30)  # a long line wraps at 80
        await app.settle()
        narrow = len(app.repl.log_widget.lines)
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.5)
        await app.settle()
        assert await wait_for(lambda: len(app.repl.log_widget.lines) < narrow)  # rewrapped wider
        shown = [ln for ln in form.visible_lines() if ln.row.readable and ln.row.name != "SO_ERROR"]
        assert len(shown) > READ_FIRST
        assert await wait_for(lambda: all(form.states["c1"].get(ln.row.name) and form.states["c1"][ln.row.name].read
                                          for ln in shown), 10)


async def test_ancillary_lines_fit_their_pane_so_no_number_is_cut(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        await type_line(pilot, "setsockopt u1 SO_RCVBUF 1")
        await type_line(pilot, "send u2 datagram count=40")
        await app.settle()
        await type_line(pilot, "recvmsg u1 dontwait count=5")  # drain what fitted
        await type_line(pilot, "send u2 after-the-flood")
        await type_line(pilot, "recvmsg u1")  # queued after the drops: it carries the counter
        await app.settle()
        await pilot.press("alt+a")  # the Ancillary tab of the small layout
        pane = app.query_one(AncillaryPane)
        assert await wait_for(lambda: any("SO_RXQ_OVFL" in ln for ln in pane.raw), 20), (list(pane.raw), repl_text(app)[-600:])
        width = pane.scrollable_content_region.width
        assert all(len(ln) <= width for ln in pane.lines)
        ovfl = next(ln for ln in pane.raw if "SO_RXQ_OVFL" in ln)
        number = ovfl.split("SO_RXQ_OVFL", 1)[1].split()[0]
        assert number.isdigit() and number in " ".join(pane.lines)  # the whole number is on screen


def test_frozen_fds_in_marked_lines_do_not_depend_on_the_process() -> None:
    """The engine's and the app's own calls ([engine], [app]) get stand-in fds like the user's:
    a real fd number depends on what else the process has open (earlier tests, a parallel worker)."""
    from sockplay.tui.widgets.format import Freezer

    lines = ["socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 21",
             "[engine] getsockname(33, {sa_family=AF_INET, sin_port=htons(39000)}, [16]) = 0",
             "[app] getsockopt(21, SOL_SOCKET, SO_RCVBUF, [8192], [4]) = 0",
             "[engine] accept4(21, NULL, NULL, SOCK_CLOEXEC) = 35"]
    shifted = [line.replace("21", "17").replace("33", "19").replace("35", "40") for line in lines]
    a, b = Freezer(True), Freezer(True)
    frozen = [a.trace(line) for line in lines]
    assert frozen == [b.trace(line) for line in shifted]
    assert frozen[1].startswith("[engine] getsockname(4, ") and frozen[2].startswith("[app] getsockopt(3, ")
    assert frozen[3].endswith(" = 5")
