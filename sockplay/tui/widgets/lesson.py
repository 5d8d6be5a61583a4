"""The lesson panel: the current step's prose and command lines beside the panes.

The panel only draws what `LessonApp` tells it (`show_step`, `show_summary`,
`set_status`); the stepping logic lives in the app, which owns the commands.
It takes focus so Enter can run a step without stealing Enter from the REPL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.theme import Theme
from textual.widgets import Static

from sockplay.tui.themes import muted_style

# The panel's key line, one row per binding id: (id, default keys, what); a user's keymap moves them.
KEY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("lesson-next", "enter,n", "run step"),
    ("lesson-prev", "p", "back"),
    ("lesson-restart", "r", "restart"),
    ("lesson-pause", "space", "pauses --auto"),
    ("lesson-next-anywhere", "ctrl+n", "runs a step from anywhere"),
    ("focus-repl", "ctrl+l", "REPL"),
    ("focus-lesson", "f3", "back here"),
)


def lesson_keys(keymap: Mapping[str, str]) -> str:
    """`enter/n run step · p back · ...` with the keys as bound."""
    return " · ".join(f"{keymap.get(bid, keys).replace(',', '/')} {what}" for bid, keys, what in KEY_ROWS)


KEYS = lesson_keys({})


@dataclass
class StepRecord:
    """What running one step did: the panel shows it, the summary adds them up."""

    ran: bool = False
    held: int = 0
    failed: list[str] = field(default_factory=list)  # messages of failed expects
    errors: list[str] = field(default_factory=list)  # lines that did not run (typos, misuse)
    skipped: str | None = None  # what an unmet `require` said was missing

    def line(self, styles: dict[str, Style]) -> Text:
        """One line saying how the step went, coloured by outcome."""
        if not self.ran:
            return Text("")
        bits = [f"{self.held} expect{'s' if self.held != 1 else ''} held"]
        style = styles.get("ok", "")
        if self.failed:
            bits.append(f"{len(self.failed)} failed")
            style = styles.get("bad", "")
        if self.errors:
            bits.append(f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}")
            style = styles.get("bad", "")
        text = Text(", ".join(bits), style=style)
        if self.skipped:
            text = Text(f"skipped: needs {self.skipped}", style=styles.get("skip", ""))
            if self.held or self.failed:
                text.append(f" (after {', '.join(bits)})")
        return text


def reflow(prose: str) -> str:
    """Join the file's hard-wrapped prose lines so the panel wraps them at its own width.

    An empty `##` line keeps a paragraph break.
    """
    paras: list[list[str]] = [[]]
    for line in prose.splitlines():
        if line.strip():
            paras[-1].append(line.strip())
        elif paras[-1]:
            paras.append([])
    return "\n\n".join(" ".join(p) for p in paras if p)


class LessonPanel(Vertical, can_focus=True):
    """Title, "step k of n", prose, the lines the step will run, status and keys."""

    BINDINGS = [
        Binding("enter,n", "app.lesson_next", "run step", id="lesson-next"),
        Binding("p", "app.lesson_prev", "back", show=False, id="lesson-prev"),
        Binding("r", "app.lesson_restart", "restart", show=False, id="lesson-restart"),
        Binding("space", "app.lesson_pause", "pause", show=False, id="lesson-pause"),
    ]

    def __init__(self, title: str, summary: str = "", *, id: str | None = "lesson") -> None:
        super().__init__(id=id)
        self.lesson_title = title
        self.lesson_summary = summary
        self.highlighter: Any = None  # a rich Highlighter for command lines, set by the app
        self.tones: dict[str, Style] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.lesson_title, id="lesson-title", markup=False)
        yield Static("", id="lesson-progress", markup=False)
        with VerticalScroll(id="lesson-body"):
            yield Static("", id="lesson-prose", markup=False)
            yield Static("", id="lesson-lines", markup=False)
        yield Static("", id="lesson-status", markup=False)
        yield Static(lesson_keys(getattr(self.app, "keymap", {})), id="lesson-keys", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Lesson"
        self.query_one("#lesson-body").can_focus = False  # Tab goes to the panel itself
        self._set_theme(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._set_theme)

    def _set_theme(self, theme: Theme) -> None:
        self.tones = {
            "ok": Style(color=theme.success or "green"),
            "bad": Style(color=theme.error or "red", bold=True),
            "skip": Style(color=theme.warning or "yellow"),
            "muted": muted_style(theme),
            "bold": Style(bold=True),
        }

    # -- what the app calls ------------------------------------------------------
    def show_step(
        self, k: int, n: int, prose: str, lines: Sequence[str], record: StepRecord, is_next: bool
    ) -> None:
        """Step k (1-based) of n; `is_next` when Enter would run it, else it already ran."""
        where = f"step {k} of {n}"
        if not is_next:
            where += "  (already ran; n goes forward)"
        self.query_one("#lesson-progress", Static).update(where)
        self.query_one("#lesson-prose", Static).update(reflow(prose) or "(no notes for this step)")
        self.query_one("#lesson-lines", Static).update(self._lines(lines, record))
        self.query_one("#lesson-body", VerticalScroll).scroll_home(animate=False)

    def show_summary(self, n: int, records: Sequence[StepRecord]) -> None:
        """The end: expects held and failed over the lesson, skipped steps and why."""
        held = sum(r.held for r in records)
        failed = [(i, m) for i, r in enumerate(records, 1) for m in r.failed]
        errors = [(i, m) for i, r in enumerate(records, 1) for m in r.errors]
        skipped = [(i, r.skipped) for i, r in enumerate(records, 1) if r.skipped]
        self.query_one("#lesson-progress", Static).update(f"done: {n} of {n} steps ran")
        verdict = "Every expect held." if not failed and not errors else "Something did not go as the lesson says."
        st = {k: self.tones.get(k, Style()) for k in ("ok", "bad", "skip")}
        out = Text()
        out.append(f"Summary\n\n{verdict}\n", style="bold")
        out.append(f"expects held: {held}\n", style=st["ok"])
        out.append(f"expects failed: {len(failed)}\n", style=st["bad"] if failed else "")
        for i, m in failed:
            out.append(f"  step {i}: {m}\n", style=st["bad"])
        if errors:
            out.append(f"lines that did not run: {len(errors)}\n", style=st["bad"])
            for i, m in errors:
                out.append(f"  step {i}: {m}\n", style=st["bad"])
        out.append(f"steps skipped: {len(skipped)}\n", style=st["skip"] if skipped else "")
        for i, why in skipped:
            out.append(f"  step {i}: needs {why}\n", style=st["skip"])
        out.append("\np goes back through the steps, r runs the lesson again.")
        self.query_one("#lesson-prose", Static).update(out)
        self.query_one("#lesson-lines", Static).update("")

    def set_status(self, text: str | Text) -> None:
        """The line under the body: the last step's outcome or the auto countdown."""
        self.query_one("#lesson-status", Static).update(text)

    def plain(self) -> str:
        """Everything the panel shows, as plain text (for tests and screen readers)."""
        out = []
        for w in self.query(Static):
            c = w.content
            parts = c.renderables if isinstance(c, Group) else [c]
            out.append("\n".join(p.plain if isinstance(p, Text) else str(p) for p in parts))
        return "\n".join(out)

    def _lines(self, lines: Sequence[str], record: StepRecord) -> Group:
        head = Text("runs:" if not record.ran else "ran:", style=self.tones.get("muted", ""))
        body = []
        for line in lines:
            t = Text(line)
            if self.highlighter is not None and not line.lstrip().startswith("#"):
                self.highlighter.highlight(t)
            elif line.lstrip().startswith("#"):
                t.stylize(self.tones.get("muted", ""))
            body.append(Text("  ") + t)
        return Group(Text(""), head, *body, Text(""), record.line(self.tones))

