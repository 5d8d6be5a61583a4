"""Lesson mode: the app stepping through a lesson on real sockets, driven by keys."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from sockplay.lessons import load, names, parse
from sockplay.lessons_cli import lesson_cli
from sockplay.tui.app import AppOptions
from sockplay.tui.lesson import LessonApp, batches
from sockplay.tui.widgets.lesson import LessonPanel, reflow
from sockplay.tui.widgets.panes import PollPane, SyscallPane
from sockplay.tui.widgets.repl import CommandLine

from .conftest import SIZE
from .pilot import repl_text, wait_for


@pytest.fixture
def make_lesson_app(no_user_themes: Path):
    def make(lesson, auto: float | None = None) -> LessonApp:
        return LessonApp(lesson, AppOptions(frozen=True, user_theme_dir=no_user_themes), auto=auto)

    return make


def panel_text(app: LessonApp) -> str:
    return app.query_one(LessonPanel).plain()


async def next_step(app: LessonApp, pilot, key: str = "ctrl+n") -> None:
    """Press the key and wait until the step has run and its events reached the panes."""
    before = app.next_index
    await pilot.press(key)
    assert await wait_for(lambda: app.next_index == before + 1 and app.running is None), "step did not finish"
    await app.settle()
    await pilot.pause()


TINY = """\
# title: tiny
# summary: a step that needs more than this machine has

## One pair.
socketpair a b
send a "hi"
recv b 2 peek
expect data "hi"

## This step needs a kernel from the future.
require kernel 99.0
send a "never"

## Back to normal.
recv b 2
expect data "hi"
"""


async def test_peek_off_steps_through_with_effects_in_the_panes(make_lesson_app) -> None:
    lesson = load("peek-off")
    n = len(lesson.steps)
    app = make_lesson_app(lesson)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        assert isinstance(app.focused, LessonPanel)  # Enter runs a step without typing first
        text = panel_text(app)
        assert lesson.title in text and f"step 1 of {n}" in text
        assert "socketpair a b" in text and "Normally MSG_PEEK" in text
        assert not app.pg.sockets  # no demo scene: the lesson makes its own sockets
        for k in range(n):
            await next_step(app, pilot, "enter" if k == 0 else "ctrl+n")
            if k + 1 < n:
                assert f"step {k + 2} of {n}" in panel_text(app)
                assert f"step {k + 1}:" in panel_text(app)  # the last step's outcome
        sys_text = "\n".join(app.query_one(SyscallPane).lines)
        assert "SO_PEEK_OFF" in sys_text and "MSG_PEEK" in sys_text
        assert "+POLLIN" in "\n".join(app.query_one(PollPane).lines)
        repl = repl_text(app)
        assert repl.count("ok: ") == 24 and "EXPECT FAILED" not in repl
        assert "# lesson" in repl  # each line echoed with where it came from
        assert {"a", "b", "u", "su", "srv", "c", "s"} <= set(app.pg.sockets)
        summary = panel_text(app)
        assert f"done: {n} of {n} steps ran" in summary
        assert "expects held: 24" in summary and "expects failed: 0" in summary
        assert "steps skipped: 0" in summary
        await pilot.press("ctrl+n")  # nothing left: nothing runs
        await app.settle()
        assert repl_text(app).count("ok: ") == 24


async def test_back_shows_prose_without_rerunning(make_lesson_app) -> None:
    lesson = load("peek-off")
    app = make_lesson_app(lesson)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await next_step(app, pilot)
        await next_step(app, pilot)
        echoed = repl_text(app).count("# lesson")
        await pilot.press("p")
        await pilot.pause()
        text = panel_text(app)
        assert "step 2 of" in text and "already ran" in text and "setsockopt b SO_PEEK_OFF 4" in text
        assert "5 expects held" in text
        await pilot.press("p", "p")  # stops at step 1
        await pilot.pause()
        assert "step 1 of" in panel_text(app)
        await pilot.press("n")  # forward through steps already run: still nothing runs
        await pilot.press("n")
        await app.settle()
        assert "step 3 of" in panel_text(app) and "already ran" not in panel_text(app)
        assert repl_text(app).count("# lesson") == echoed
        await next_step(app, pilot, "n")  # now it runs step 3
        assert app.next_index == 3 and "step 3:" in panel_text(app)


async def test_enter_in_the_repl_submits_the_line_not_a_step(make_lesson_app) -> None:
    app = make_lesson_app(load("peek-off"))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await next_step(app, pilot)
        await pilot.press("ctrl+l")
        assert isinstance(app.focused, CommandLine)
        await pilot.press(*"getsockopt b SO_PEEK_OFF", "enter")
        await app.settle()
        assert app.next_index == 1  # Enter went to the REPL
        assert "getsockopt b SO_PEEK_OFF" in repl_text(app)
        assert "= -1" not in repl_text(app).split("getsockopt b SO_PEEK_OFF")[-1].splitlines()[1]
        await next_step(app, pilot, "ctrl+n")  # ctrl+n works from the REPL
        assert app.next_index == 2
        assert isinstance(app.focused, CommandLine)


async def test_unmet_require_skips_the_rest_of_its_step(make_lesson_app, tmp_path: Path) -> None:
    path = tmp_path / "tiny.sp"
    path.write_text(TINY, encoding="utf-8")
    lesson = parse(TINY, "tiny", path)
    app = make_lesson_app(lesson)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await next_step(app, pilot)
        await next_step(app, pilot)
        assert "step 2: skipped: needs Linux 99.0 or newer" in panel_text(app)
        assert "never" not in "\n".join(app.query_one(SyscallPane).lines)  # the send after require never ran
        await next_step(app, pilot)
        repl = repl_text(app)
        assert "skipped: needs Linux 99.0" in repl and "EXPECT FAILED" not in repl
        summary = panel_text(app)
        assert "steps skipped: 1" in summary and "step 2: needs Linux 99.0 or newer" in summary
        assert "expects held: 2" in summary


async def test_a_failed_expect_shows_in_the_summary(make_lesson_app) -> None:
    lesson = parse('# title: wrong\n\n## Expect the wrong thing.\nsocketpair a b\nsend a "x"\nrecv b 1\n'
                   'expect data "y"\n', "wrong")
    app = make_lesson_app(lesson)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await next_step(app, pilot)
        text = panel_text(app)
        assert "expects failed: 1" in text and "Something did not go as the lesson says." in text
        assert "EXPECT FAILED" in repl_text(app)


async def test_auto_runs_each_step_after_the_delay_and_space_pauses(make_lesson_app, tmp_path: Path) -> None:
    lesson = parse(TINY, "tiny")
    app = make_lesson_app(lesson, auto=0.05)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(lambda: app.next_index == 3 and app.running is None, timeout=15)
        await app.settle()
        assert "done: 3 of 3 steps ran" in panel_text(app)
        assert "expects held: 2" in panel_text(app)

    slow = make_lesson_app(lesson, auto=4.0)  # a countdown long enough to pause on a loaded machine
    async with slow.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert await wait_for(lambda: "runs in" in panel_text(slow))  # the countdown is visible
        await pilot.press("f3")  # the panel's focus key: space must reach the panel, not the REPL
        await pilot.press("space")
        assert await wait_for(lambda: "paused" in panel_text(slow)), panel_text(slow)
        await asyncio.sleep(4.3)
        assert slow.next_index == 0  # paused past the delay: nothing ran
        await pilot.press("space")
        assert await wait_for(lambda: slow.next_index >= 1, timeout=8)


async def test_restart_closes_everything_and_starts_over(make_lesson_app) -> None:
    app = make_lesson_app(load("peek-off"))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await next_step(app, pilot)
        assert set(app.pg.sockets) == {"a", "b"}
        await pilot.press("r")
        assert await wait_for(lambda: not app.pg.sockets and app.next_index == 0)
        await app.settle()
        assert "step 1 of" in panel_text(app) and "Lesson restarted" in repl_text(app)
        await next_step(app, pilot)  # the same names can be made again
        assert set(app.pg.sockets) == {"a", "b"}
        assert "3 expects held" in panel_text(app) and "EXPECT FAILED" not in repl_text(app)


def test_batches_send_each_line_on_its_own() -> None:
    lines = ["socketpair a b  # a pair", 'send a "x # not a comment"', "recv b 1", 'expect data "x"',
             "", "# only a comment"]
    assert batches(lines) == ["socketpair a b  # a pair", 'send a "x # not a comment"', "recv b 1",
                              'expect data "x"']


def test_reflow_joins_hard_wrapped_prose() -> None:
    assert reflow("one\ntwo\n\nthree") == "one two\n\nthree"


def test_unknown_lesson_lists_them_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(name="peek-of", auto=None, theme=None)
    assert lesson_cli(args) == 2
    err = capsys.readouterr().err
    assert "did you mean peek-off?" in err
    for name in names():
        assert name in err


def test_negative_auto_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert lesson_cli(argparse.Namespace(name="peek-off", auto=-1.0, theme=None)) == 2
    assert "--auto" in capsys.readouterr().err
