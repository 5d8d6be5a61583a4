"""The REPL pane: a RichLog of commands and results over a command line.

Results arrive at typing speed, so a RichLog (styled, slower) is right here; the
firehose panes use Log. The command line is a Textual Input with the language's
own pieces plugged in: the prompt_toolkit `CommandCompleter` feeds a dropdown
(Tab), the pygments `SockLexer` colours the line as it is typed, and history
persists in a file and ghosts the rest of a remembered line (Right takes it).
prompt_toolkit loads after the first frame (a background thread warms it), so the
prompt shows without waiting for it; the history file is read without it.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections import deque
from collections.abc import Callable, Iterable
from os.path import commonprefix
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygments.token import string_to_tokentype
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.theme import Theme
from textual.widgets import Input, OptionList, RichLog

from sockplay.lang.histfile import append_history, read_history
from sockplay.lang.lexer import TOKEN_STYLES
from sockplay.tui.highlight import rich_highlighter
from sockplay.tui.themes import muted_style
from sockplay.tui.widgets.completion import Candidate, CompletionMenu

if TYPE_CHECKING:
    from sockplay.lang.completer import CommandCompleter

PROMPT = "sockplay> "
HISTORY_ENV = "SOCKPLAY_HISTORY"  # a file path; empty turns persistence off (tests point it at tmp)
HISTORY_KEEP = 1_000  # lines loaded back from the file
REWRAP_KEEP = 500  # newest REPL entries kept to rewrap at a new width
_COLUMN = re.compile(r"^(\s*\S.*?\s{2,})\S")  # "  recv NAME   what it does": the second column


def hanging_indent(text: str, width: int) -> int:
    """Where a result line's continuation starts: under its second column, or its own indent + 2."""
    lead = len(text) - len(text.lstrip(" "))
    if lead == 0:
        return 0
    m = _COLUMN.match(text)
    if m is not None and len(m.group(1)) <= width // 2:
        return len(m.group(1))
    return min(lead + 2, width // 2)


def history_path(app: Any) -> Path | None:
    """Where typed lines persist: AppOptions.extra["history_file"], $SOCKPLAY_HISTORY, else XDG state.

    A frozen app (tests, screenshots) keeps no file unless one is named, so a
    person's own history never ghosts into a snapshot.
    """
    extra = getattr(getattr(app, "options", None), "extra", None) or {}
    if "history_file" in extra:
        given = extra["history_file"]
        return Path(given) if given else None
    env = os.environ.get(HISTORY_ENV)
    if env is not None:
        return Path(env) if env else None
    if getattr(app, "frozen", False):
        return None
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sockplay" / "tui-history"


def theme_highlighter(syntax: dict[str, str]) -> Any:
    """The lexer's highlighter in a theme's colours; tokens the theme leaves out keep the defaults."""
    styles = dict(TOKEN_STYLES)
    for name, style in syntax.items():
        styles[string_to_tokentype(name)] = style
    return rich_highlighter(styles)


def warm_completer() -> None:
    """After the first frame: load the completer (and prompt_toolkit) on a thread, so Tab answers at once."""
    import importlib
    import threading

    def load() -> None:
        for name in ("sockplay.lang.completer", "prompt_toolkit.document"):
            importlib.import_module(name)

    threading.Thread(target=load, name="sockplay-warm-completer", daemon=True).start()


class HistorySuggester(Suggester):
    """Ghost text: the newest remembered line that starts with what is typed."""

    def __init__(self, history: Callable[[], list[str]]) -> None:
        # case-sensitive and uncached, or the value arrives casefolded and stale
        super().__init__(use_cache=False, case_sensitive=True)
        self.history = history

    async def get_suggestion(self, value: str) -> str | None:
        if not value.strip():
            return None
        for line in reversed(self.history()):
            if line.startswith(value) and len(line) > len(value):
                return line
        return None


class CommandLine(Input):
    """An Input with history, completion and highlighting.

    Keys: Tab completes (one candidate directly, several in the dropdown); while
    the dropdown is open Up/Down move in it, Tab takes the highlighted one, Enter takes it only
    once Up/Down moved into the list (else Enter runs the line as typed)
    and Escape closes it. Closed, Up/Down walk the history and Escape clears.
    """

    class Run(Message):
        """The person pressed Enter on a line."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(
        self,
        *,
        id: str | None = "repl-input",
        socket_names: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        super().__init__(
            placeholder="type a command: send c1 hello · help · Tab completes · Up/Down for history",
            id=id,
        )
        self.history: list[str] = []
        self._hist_pos: int | None = None
        self._draft = ""
        self._store_path: Path | None = None  # where typed lines are appended (None: kept in memory only)
        self.suggester = HistorySuggester(lambda: self.history)
        self._socket_names = socket_names or (lambda: ())
        self._completer: CommandCompleter | None = None
        self.menu: CompletionMenu | None = None

    @property
    def completer(self) -> CommandCompleter:
        """The language's completer, made on first use (it is where prompt_toolkit comes in)."""
        if self._completer is None:
            from sockplay.lang.completer import CommandCompleter

            self._completer = CommandCompleter(self._socket_names)
        return self._completer

    # -- history ------------------------------------------------------------------
    def load_history(self, path: Path | None) -> None:
        """Read remembered lines (pt's FileHistory format) and keep appending to that file."""
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            newest_first = read_history(path)
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"history not kept: {exc}", severity="warning", markup=False)
            return
        self._store_path = path
        lines: list[str] = []
        for line in reversed(newest_first[:HISTORY_KEEP]):
            if not lines or lines[-1] != line:
                lines.append(line)
        self.history = lines + self.history

    def _remember(self, line: str) -> None:
        if self.history and self.history[-1] == line:
            return
        self.history.append(line)
        if self._store_path is not None:
            try:
                append_history(self._store_path, line)
            except OSError as exc:
                path, self._store_path = self._store_path, None  # keep history in memory only, and say so once
                self.notify(f"history not saved: cannot write {path} ({exc.strerror or exc}); "
                            "this session's lines are still kept in memory", severity="warning", markup=False)

    # -- keys ----------------------------------------------------------------------
    @property
    def menu_open(self) -> bool:
        return self.menu is not None and self.menu.is_open

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if key == "enter":
            # Taken here, in key order, not through the "enter" binding: a binding runs only once
            # the key has bubbled back up to the app, by which time the keys typed after it
            # (a fast typist, a burst from tmux) are already in the line and would be sent with it.
            event.prevent_default()
            event.stop()
            self.submit_now()
            return
        if key in ("up", "down", "tab", "escape"):
            event.prevent_default()
            event.stop()
            if key == "tab":
                if self.menu_open:
                    self.accept_completion()
                else:
                    self.complete()
            elif key == "escape":
                if self.menu_open:
                    self.close_menu()
                else:
                    self.value = ""
                    self._hist_pos = None
            elif self.menu_open:
                assert self.menu is not None
                self.menu.move(-1 if key == "up" else +1)
            else:
                self._walk(-1 if key == "up" else +1)
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
        self.submit_now()

    def submit_now(self) -> None:
        """Enter: take the dropdown's highlighted candidate if the person moved into it, else run the line."""
        if self.menu_open and self.menu is not None and self.menu.moved:
            self.accept_completion()
            return
        self.close_menu()
        line = self.value.strip()
        self.value = ""
        self._hist_pos = None
        if not line:
            return
        self._remember(line)
        self.post_message(self.Run(line))

    # -- completion ----------------------------------------------------------------
    def candidates(self) -> list[Candidate]:
        """What the language's completer offers at the cursor, with each one's meaning."""
        completer = self.completer
        from prompt_toolkit.completion import CompleteEvent
        from prompt_toolkit.document import Document

        doc = Document(self.value, self.cursor_position)
        event = CompleteEvent(completion_requested=True)
        try:
            found = list(completer.get_completions(doc, event))
        except Exception:  # noqa: BLE001 - a half-typed line must never break typing
            return []
        return [Candidate(c.text, c.display_meta_text, -c.start_position) for c in found]

    def complete(self) -> None:
        """Tab: one candidate completes at once; several extend to their common prefix and open the menu."""
        found = self.candidates()
        if not found:
            self.app.bell()
            return
        if len(found) == 1:
            self.splice(found[0])
            return
        prefix = commonprefix([c.text for c in found])
        typed = self.value[self.cursor_position - found[0].length : self.cursor_position]
        if len(prefix) > len(typed):
            self.splice(Candidate(prefix, "", found[0].length))
            found = [Candidate(c.text, c.meta, len(prefix)) for c in found]
        self.open_menu(found)

    def splice(self, c: Candidate) -> None:
        """Replace the `c.length` characters before the cursor with `c.text`."""
        end = self.cursor_position
        start = max(0, end - c.length)
        self.value = self.value[:start] + c.text + self.value[end:]
        self.cursor_position = start + len(c.text)

    def open_menu(self, found: list[Candidate]) -> None:
        if self.menu is None:
            return
        x = self.cursor_screen_offset.x - found[0].length
        self.menu.open(found, self.region, x)
        # a relayout may still be pending (the line just grew, the log scrolled): place it again after
        self.call_after_refresh(self._replace_menu, x)

    def _replace_menu(self, x: int) -> None:
        if self.menu is not None and self.menu.is_open:
            self.menu.place(self.region, x)

    def close_menu(self) -> None:
        if self.menu is not None:
            self.menu.close()

    def accept_completion(self, index: int | None = None) -> None:
        if self.menu is None:
            return
        if index is not None:
            self.menu.highlighted = index
        chosen = self.menu.chosen
        self.menu.close()
        if chosen is not None:
            self.splice(chosen)

    def on_input_changed(self, event: Input.Changed) -> None:
        """While the menu is open it follows the typing: fewer candidates, or closed when none fit."""
        if not self.menu_open:
            return
        found = self.candidates()
        if found:
            self.open_menu(found)
        else:
            self.close_menu()

    def _on_paste(self, event: events.Paste) -> None:
        """Pasted lines run one by one, as if typed; a last line with no newline stays to edit."""
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            return  # Input's own handler (called after this one) inserts it
        event.prevent_default()  # Input's handler would insert the first line again
        event.stop()
        *whole, rest = text.split("\n")
        for i, piece in enumerate(whole):
            if i == 0:
                self.insert_text_at_cursor(piece)
                self.submit_now()
            else:
                self.value = piece
                self.submit_now()
        self.value = rest
        self.cursor_position = len(rest)

    def _on_blur(self, event: events.Blur) -> None:
        self.close_menu()
        super()._on_blur(event)


class ReplPane(Vertical):
    """Output above, command line below. `echo` and `result` are called on the UI thread."""

    def __init__(self, *, id: str | None = "repl") -> None:
        super().__init__(id=id)
        self.border_title = "REPL"
        self.styles_map: dict[str, Style] = {}
        self._was_recording = False
        self._path_before: Path | None = None  # the last saved recording, to tell a new save apart
        self._entries: deque[tuple[Text, bool]] = deque(maxlen=REWRAP_KEEP)  # (text, hangs) to rewrap
        self._width = 0

    def compose(self) -> ComposeResult:
        yield RichLog(id="repl-log", max_lines=2_000, wrap=True, markup=False, highlight=False)
        yield CompletionMenu()
        yield CommandLine(socket_names=self._socket_names)

    def _socket_names(self) -> list[str]:
        pg = getattr(self.app, "pg", None)
        return list(pg.sockets) if pg is not None else []

    def on_mount(self) -> None:
        self.query_one(RichLog).can_focus = False  # Tab and clicks go to the command line
        line = self.command_line
        line.menu = self.query_one(CompletionMenu)
        line.menu.close()
        line.load_history(history_path(self.app))
        self.call_after_refresh(warm_completer)
        self._set_theme(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._set_theme)
        self.watch(self.app, "sub_title", self._show_recording)

    def _set_theme(self, theme: Theme) -> None:
        self.styles_map = {
            "prompt": Style(color=theme.primary, bold=True),
            "command": Style(bold=True),
            "ok": Style(color=theme.success or "green"),
            "error": Style(color=theme.error or "red", bold=True),
            "explain": Style(color=theme.error or "red", italic=True),
            "info": Style(color=theme.accent or "yellow"),
            "note": muted_style(theme),
        }
        # syntax_styles reads the theme being switched to (app.theme is already set)
        syntax = getattr(self.app, "syntax_styles", {}) or {}
        self.command_line.highlighter = theme_highlighter(syntax)
        self.command_line.refresh()

    def _show_recording(self, _subtitle: str = "") -> None:
        """F2 recording shows in the pane's title, since what is typed here is what gets saved."""
        recording = getattr(self.app, "recording", None) is not None
        if recording == self._was_recording:
            return
        self._was_recording = recording
        self.set_class(recording, "-recording")
        if recording:
            self._path_before = getattr(self.app, "record_path", None)
            self.border_title = "REPL · recording… (F2 saves)"
            self.result("recording: the commands typed from now on go into a script (F2 saves)", "info")
            return
        self.border_title = "REPL"
        path = getattr(self.app, "record_path", None)
        if path is not None and path != self._path_before:
            self.result(f"saved {path}; replay it with: sockplay run {path.name}", "info")

    def on_resize(self) -> None:
        self.command_line.close_menu()  # its place was worked out for the old size
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        """A new width: the kept entries are written again, wrapped for it."""
        width = self._log_width()
        if width == self._width or not self._entries:
            self._width = width
            return
        self._width = width
        self.log_widget.clear()
        for text, hangs in list(self._entries):
            self._put(text, hangs, width)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click on a candidate takes it."""
        event.stop()
        self.command_line.accept_completion(event.option_index)
        self.command_line.focus()

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

    def _log_width(self) -> int:
        # Render at the pane's width: RichLog otherwise measures against the console's width,
        # which is 80 under run_test whatever the terminal size.
        width = self.log_widget.scrollable_content_region.width - 1
        if width <= 20:  # not laid out yet: the pane spans the screen (borders and scrollbar aside)
            width = self.app.size.width - 5
        return max(width, 20)

    def _write(self, text: Text, hangs: bool = False) -> None:
        self._entries.append((text, hangs))
        width = self._log_width()
        self._width = self._width or width
        self._put(text, hangs, width)

    def _put(self, text: Text, hangs: bool, width: int) -> None:
        """One entry at `width`: wrapped at words, continuation lines under the entry's own column."""
        log = self.log_widget
        plain = text.plain
        lead = len(plain) - len(plain.lstrip(" "))
        if hangs and lead > width // 2 and plain.strip():
            # a column aligned for a wider screen (help's descriptions): keep it inside this one
            plain = " " * (width // 2) + plain.lstrip(" ")
            text = Text(plain, style=text.style)
        indent = hanging_indent(plain, width) if hangs else 0
        if not indent or len(plain) <= width:
            log.write(text, width=width)
            return
        pieces = textwrap.wrap(
            plain, width, subsequent_indent=" " * indent, break_on_hyphens=False, drop_whitespace=True
        )
        first_indent = plain[: len(plain) - len(plain.lstrip(" "))]
        for i, piece in enumerate(pieces):
            if i == 0 and not piece.startswith(first_indent):
                piece = first_indent + piece
            log.write(Text(piece, style=text.style), width=width)

    def result(self, text: str, kind: str = "ok") -> None:
        """A result line: kind is ok, error, explain, info or note."""
        self._write(Text(text, style=self.styles_map.get(kind, "")), hangs=True)

    def clear(self) -> None:
        self._entries.clear()
        self.log_widget.clear()
