"""The REPL pane: a RichLog of commands and results over a command line.

Results arrive at typing speed, so a RichLog (styled, slower) is right here; the
firehose panes use Log. The command line keeps an Up/Down history; completion
and the language's pygments highlighting slot in later (round two of issue 5).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.theme import Theme
from textual.widgets import Input, RichLog

PROMPT = "sockplay> "


class CommandLine(Input):
    """An Input with history. Escape clears the line instead of leaving the app."""

    class Run(Message):
        """The person pressed Enter on a line."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, id: str | None = "repl-input") -> None:
        super().__init__(
            placeholder="type a command: send c1 hello · help · Up/Down for history", id=id
        )
        self.history: list[str] = []
        self._hist_pos: int | None = None
        self._draft = ""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "up":
            event.prevent_default()
            event.stop()
            self._walk(-1)
            return
        if event.key == "down":
            event.prevent_default()
            event.stop()
            self._walk(+1)
            return
        if event.key == "escape":
            event.prevent_default()
            event.stop()
            self.value = ""
            self._hist_pos = None
            return
        await super()._on_key(event)

    def _walk(self, step: int) -> None:
        if not self.history:
            return
        if self._hist_pos is None:
            if step > 0:
                return
            self._draft = self.value
            self._hist_pos = len(self.history)
        pos = self._hist_pos + step
        if pos >= len(self.history):
            self._hist_pos = None
            self.value = self._draft
        else:
            self._hist_pos = max(0, pos)
            self.value = self.history[self._hist_pos]
        self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        line = self.value.strip()
        self.value = ""
        self._hist_pos = None
        if not line:
            return
        if not self.history or self.history[-1] != line:
            self.history.append(line)
        self.post_message(self.Run(line))


class ReplPane(Vertical):
    """Output above, command line below. `echo` and `result` are called on the UI thread."""

    def __init__(self, *, id: str | None = "repl") -> None:
        super().__init__(id=id)
        self.border_title = "REPL"
        self.styles_map: dict[str, Style] = {}

    def compose(self) -> ComposeResult:
        yield RichLog(id="repl-log", max_lines=2_000, wrap=True, markup=False, highlight=False)
        yield CommandLine()

    def on_mount(self) -> None:
        self.query_one(RichLog).can_focus = False  # Tab and clicks go to the command line
        self._set_theme(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._set_theme)

    def _set_theme(self, theme: Theme) -> None:
        self.styles_map = {
            "prompt": Style(color=theme.primary, bold=True),
            "command": Style(bold=True),
            "ok": Style(color=theme.success or "green"),
            "error": Style(color=theme.error or "red", bold=True),
            "explain": Style(color=theme.error or "red", italic=True),
            "info": Style(color=theme.accent or "yellow"),
            "note": Style(dim=True),
        }

    @property
    def log_widget(self) -> RichLog:
        return self.query_one(RichLog)

    @property
    def command_line(self) -> CommandLine:
        return self.query_one(CommandLine)

    def echo(self, line: str, origin: str = "") -> None:
        """Show a command as if typed; `origin` says where it came from (form, scene, script)."""
        text = Text.assemble(
            (PROMPT, self.styles_map.get("prompt", "")), (line, self.styles_map.get("command", ""))
        )
        if origin:
            text.append(f"   # {origin}", self.styles_map.get("note", ""))
        self._write(text)

    def _write(self, text: Text) -> None:
        # Render at the pane's width: RichLog otherwise measures against the console's width,
        # which is 80 under run_test whatever the terminal size.
        log = self.log_widget
        width = log.scrollable_content_region.width - 1
        log.write(text, width=width if width > 20 else None)

    def result(self, text: str, kind: str = "ok") -> None:
        """A result line: kind is ok, error, explain, info or note."""
        self._write(Text(text, style=self.styles_map.get(kind, "")))

    def clear(self) -> None:
        self.log_widget.clear()
