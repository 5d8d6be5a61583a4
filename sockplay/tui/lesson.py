"""`sockplay lesson NAME`: the playground stepping through a lesson, one step per key.

`LessonApp` is the ordinary app plus a lesson panel docked on the right. Each
step's lines go through `run_command(line, origin="lesson")` one at a time, so
the REPL echoes them and the panes show their effects, exactly as if typed.
Forms read option values on an Executor of their own, so nothing can come
between a lesson's call and the `expect` that checks it.
A line is submitted only when the previous one has finished, as `sockplay run`
does, so an unmet `require` can stop the rest of its step. The REPL stays
usable between steps.
"""

from __future__ import annotations

import time
from typing import Any

from pygments.token import string_to_tokentype
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer

from sockplay.core import Playground, UsageError
from sockplay.lang.executor import Result
from sockplay.lang.grammar import ScriptError
from sockplay.lang.lexer import TOKEN_STYLES
from sockplay.lessons import Lesson
from sockplay.tui.app import AppOptions, SockplayApp
from sockplay.tui.highlight import rich_highlighter
from sockplay.tui.widgets.lesson import LessonPanel, StepRecord

ORIGIN = "lesson"
TICK = 0.1  # seconds between countdown redraws in --auto mode


def batches(lines: list[str] | tuple[str, ...]) -> list[str]:
    """A step's lines as submissions: one per command line, blank and comment-only lines left out."""
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class LessonLineDone(Message):
    """One lesson line finished; carries the executor's raw result (skip, expect)."""

    def __init__(self, line: str, result: Any) -> None:
        super().__init__()
        self.line, self.result = line, result


class LessonRestarted(Message):
    """Every socket is closed (on the runner thread): start the lesson over."""


class LessonApp(SockplayApp):
    """The playground with a lesson panel; the stepping state lives here, the drawing in the panel."""

    # The lesson panel takes 40 columns: the rest adapts as a 40-column-narrower screen would.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]
    COMPACT_BELOW = 150
    CRAMPED_BELOW = 100

    BINDINGS = [
        Binding("ctrl+n", "lesson_next", "next step", show=False, priority=True, id="lesson-next-anywhere"),
        Binding("f3", "focus_lesson", "lesson", show=False, id="focus-lesson"),
    ]

    def __init__(
        self,
        lesson: Lesson,
        options: AppOptions | None = None,
        playground: Playground | None = None,
        auto: float | None = None,
    ) -> None:
        options = options or AppOptions()
        options.empty, options.script, options.scene = True, None, None  # the lesson makes its own sockets
        super().__init__(options, playground)
        self.add_class("-lesson")  # lesson.tcss makes room for the panel
        self.title = f"sockplay · lesson {lesson.name}"
        self.lesson = lesson
        self._panel = LessonPanel(lesson.title, lesson.summary)
        self.auto = auto if auto is not None and auto >= 0 else None
        self.records = [StepRecord() for _ in lesson.steps]
        self.next_index = 0  # the step Enter runs next
        self.shown = 0  # the step the panel shows (== len(steps) shows the summary)
        self.running: int | None = None  # the step whose lines are going through the runner
        self._todo: list[str] = []
        self._current: str | None = None
        self._paused = False
        self._left = 0.0  # countdown seconds left when paused
        self._deadline: float | None = None
        self._timer: Timer | None = None
        self.add_result_listener(self._lesson_result)

    # -- layout ----------------------------------------------------------------
    def compose(self) -> Any:
        yield self._panel
        yield from super().compose()

    @property
    def panel(self) -> LessonPanel:
        return self._panel

    def on_unmount(self) -> None:
        self._stop_countdown()

    def on_mount(self) -> None:
        # SockplayApp.on_mount runs after this one and focuses the REPL; the panel takes focus after.
        styles = dict(TOKEN_STYLES)
        for name, style in self.syntax_styles.items():
            styles[string_to_tokentype(name)] = style
        self.panel.highlighter = rich_highlighter(styles)
        self._render()
        self.call_after_refresh(self.panel.focus)
        if self.auto is not None:
            # count from when the screen shows and has settled: the first frame, then what is
            # built just after it (the option rows), so the first seconds are not spent waiting
            self.call_after_refresh(self.call_after_refresh, self._start_countdown)

    def welcome_lines(self) -> list[tuple[str, str]]:
        """No demo scene: a welcome that says how to step instead."""
        n = len(self.lesson.steps)
        return [
            (f"Lesson: {self.lesson.title} ({n} step{'s' if n != 1 else ''}).", "info"),
            ("Enter in the lesson panel (or ctrl+n from anywhere) runs a step; "
             "type your own commands here between steps (f3 returns to the panel).", "info"),
        ]

    def repl_placeholder(self) -> str:
        return "your own commands between steps · help · Tab completes · Up/Down for history"

    # -- running lines ---------------------------------------------------------
    def _lesson_result(self, line: str, origin: str, result: Any) -> None:
        """Runner thread (a result listener): the stepper gets the raw result of its own lines."""
        if origin == ORIGIN:
            self.post_message(LessonLineDone(line, result))

    def on_lesson_line_done(self, msg: LessonLineDone) -> None:
        if self.running is None or msg.line != self._current:
            return
        rec = self.records[self.running]
        result = msg.result
        if isinstance(result, ScriptError):
            rec.errors.append(f"{msg.line}: {result.message}")
        elif isinstance(result, (UsageError, Exception)):
            rec.errors.append(f"{msg.line}: {result}")
        else:
            for r in result if isinstance(result, list) else [result]:
                if not isinstance(r, Result):
                    continue
                if r.expect is not None:
                    if r.expect.ok:
                        rec.held += 1
                    else:
                        rec.failed.append(r.expect.message)
                if r.skip is not None:
                    rec.skipped = r.skip
                    self._todo.clear()  # an unmet require skips the rest of its step
        self._next_line()

    def _next_line(self) -> None:
        if self._todo:
            self._current = self._todo.pop(0)
            self.run_command(self._current, origin=ORIGIN)
            return
        assert self.running is not None
        self.records[self.running].ran = True
        self.running, self._current = None, None
        self.next_index += 1
        self.shown = self.next_index
        self._render()
        if self.auto is not None and self.next_index < len(self.lesson.steps):
            self._start_countdown()

    def run_step(self) -> bool:
        """Run the next step's lines; False when a step is already running or none is left."""
        if self.running is not None or self.next_index >= len(self.lesson.steps):
            return False
        self._stop_countdown()
        self.running = self.next_index
        self.shown = self.next_index
        self.records[self.running] = StepRecord()
        self._todo = batches(self.lesson.steps[self.running].commands)
        self._render()
        self.panel.set_status(f"running step {self.running + 1}…")
        self._next_line()  # a prose-only step finishes at once
        return True

    # -- drawing ---------------------------------------------------------------
    def _render(self) -> None:
        n = len(self.lesson.steps)
        panel = self.panel
        if self.shown >= n:
            panel.show_summary(n, self.records)
            panel.set_status("")
            return
        step = self.lesson.steps[self.shown]
        rec = self.records[self.shown]
        panel.show_step(self.shown + 1, n, step.prose, step.commands, rec, self.shown == self.next_index)
        if self.running is None:
            status = Text("")
            if 0 < self.shown == self.next_index:
                status = Text(f"step {self.shown}: ") + self.records[self.shown - 1].line(panel.tones)
            panel.set_status(status)

    # -- countdown (--auto) ----------------------------------------------------
    def _start_countdown(self) -> None:
        assert self.auto is not None
        self._deadline = time.monotonic() + self.auto
        self._left = self.auto
        if self._timer is None:
            self._timer = self.set_interval(TICK, self._tick)
        self._tick()

    def _stop_countdown(self) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        if self._deadline is None:
            return
        if not self.panel.is_attached:  # the app is closing
            self._stop_countdown()
            return
        if self._paused:
            self.panel.set_status(f"paused, {self._left:.1f} s to go · space resumes")
            return
        left = self._deadline - time.monotonic()
        if left <= 0:
            self._stop_countdown()
            self.run_step()
            return
        self.panel.set_status(f"step {self.next_index + 1} runs in {left:.1f} s · space pauses")

    # -- actions ---------------------------------------------------------------
    def action_lesson_next(self) -> None:
        """Run the shown step if it is the next one; otherwise move forward through steps already run."""
        if self.shown < self.next_index:
            self.shown += 1
            self._render()
            return
        if not self.run_step() and self.running is None:
            self.bell()

    def action_lesson_prev(self) -> None:
        """Show the previous step's prose; nothing runs again."""
        if self.shown > 0:
            self.shown -= 1
            self._render()

    def action_lesson_pause(self) -> None:
        """Pause or resume the --auto countdown."""
        if self.auto is None or self._deadline is None:
            return
        if self._paused:
            self._paused = False
            self._deadline = time.monotonic() + self._left
        else:
            self._paused = True
            self._left = max(0.0, self._deadline - time.monotonic())
        self._tick()

    def action_lesson_restart(self) -> None:
        """Close every socket and start again from step 1 (the panes keep their history)."""
        if self.running is not None:
            self.notify("a step is still running; restart when it is done", severity="warning")
            return
        self._stop_countdown()
        self.pg.cancel(reason="the lesson restarted")

        def fresh() -> None:
            self.pg.close_all()  # stops the watcher too
            self._start_watcher()
            self.post_message(LessonRestarted())

        self.runner.call(fresh)

    def on_lesson_restarted(self, _: LessonRestarted) -> None:
        self.ready.clear()
        self.auto_accept.clear()
        self.records = [StepRecord() for _ in self.lesson.steps]
        self.next_index = self.shown = 0
        self._paused = False
        self.repl.result(f"Lesson restarted: every socket closed; {self.lesson.title} from step 1.", "info")
        self.refresh_sockets()
        self._render()
        if self.auto is not None:
            self._start_countdown()

    def action_focus_lesson(self) -> None:
        self.panel.focus()


def run_lesson(lesson: Lesson, auto: float | None = None, theme: str | None = None) -> int:
    """Open the app stepping through `lesson` (what `sockplay lesson NAME` does)."""
    app = LessonApp(lesson, AppOptions(theme=theme), auto=auto)
    app.run()
    return int(app.return_code or 0)
