"""The three live panes: poll events, ancillary messages, system calls.

Each is a `Log` (plain strings, rendered lazily: it keeps up with tens of
thousands of lines a second where a RichLog lags past about a thousand). Colour
comes from a regex highlighter that runs only on visible lines and takes its
colours from the current theme. Lines arrive a batch at a time; past the
per-batch cap the oldest lines of the batch are folded into one counter line.
"""

from __future__ import annotations

import re
import textwrap
from collections import deque
from collections.abc import Sequence

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.theme import Theme
from textual.widgets import Log

from sockplay.tui.themes import muted_style

FOLD_PREFIX = "… +"


class PaneHighlighter(Highlighter):
    """Colours lines by regex; `roles` name theme colours (success, error, accent, ...)."""

    def __init__(self, rules: Sequence[tuple[str, str]]) -> None:
        self.rules = [(re.compile(pattern), role) for pattern, role in rules]
        self.styles: dict[str, Style] = {}

    def set_theme(self, theme: Theme) -> None:
        """Resolve roles to styles from a Textual theme (called on every theme change)."""
        colors = {
            "success": theme.success or "green",
            "error": theme.error or "red",
            "accent": theme.accent or "yellow",
            "primary": theme.primary,
            "secondary": theme.secondary or theme.primary,
            "warning": theme.warning or "yellow",
        }
        muted = muted_style(theme)
        self.styles = {
            "time": muted,
            "fold": muted + Style(italic=True),
            "explain": Style(color=colors["error"], italic=True),
            "error-bold": Style(color=colors["error"], bold=True),
        }
        for role, color in colors.items():
            self.styles[role] = Style(color=color)
            self.styles[role + "-bold"] = Style(color=color, bold=True)

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if plain.startswith(FOLD_PREFIX):
            text.stylize(self.styles.get("fold", ""))
            return
        for rx, role in self.rules:
            style = self.styles.get(role)
            if style is None:
                continue
            for m in rx.finditer(plain):
                start, end = m.span(m.lastindex or 0)
                text.stylize(style, start, end)


TIME = r"^\d\d:\d\d:\d\d\.\d{3}"

POLL_RULES = [
    (TIME, "time"),
    (r"^\S+ (\S+)", "primary-bold"),
    (r"\+POLL\w+", "success-bold"),
    (r"-POLL\w+", "error-bold"),
]
ANCILLARY_RULES = [
    (r"^(\S+)", "primary-bold"),
    (r"\b(?:SO|SCM|IP|IPV6)_[A-Z_]+\b", "accent"),
    (r"\(\+[1-9][\d,]*\)", "error-bold"),
    (r"→ \S+", "success"),
]
SYSCALL_RULES = [
    (r"^\[(?:engine|app)\] .*", "time"),  # calls the engine or the app made for their own needs: dimmed
    (r"^(\w+)\(", "primary-bold"),
    (r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", "accent"),
    (r"= -1 E[A-Z]+ \(.*\)$", "error-bold"),
    (r"^  ↳ .*", "explain"),
    (r"^   (?! ).*", "explain"),  # an explanation's continuation (3 spaces; a trace's has 4)
    (r"<pending[^>]*>", "warning"),
    (r"^--- .* ---$", "secondary-bold"),
]


class EventPane(Log):
    """A bounded, folding log for one kind of event. Fed by `add_batch` on the UI thread."""

    DEFAULT_MAX_LINES = 5_000
    BATCH_CAP = 400  # lines written per batch; the rest become one "+N more folded" line

    def __init__(
        self,
        title: str,
        rules: Sequence[tuple[str, str]],
        *,
        wrap: bool = False,
        id: str | None = None,
    ) -> None:
        # "live-pane": on small screens the live panes share one tab strip (app.tcss)
        super().__init__(highlight=True, max_lines=self.DEFAULT_MAX_LINES, id=id, classes="live-pane")
        self.wrap = wrap
        self.pane_highlighter = PaneHighlighter(rules)
        self.highlighter = self.pane_highlighter
        self.border_title = title
        self.folded = 0
        self.total = 0
        # the lines as they came, unwrapped: a new width rewraps them all (bounded like the Log)
        self.raw: deque[str] = deque(maxlen=self.DEFAULT_MAX_LINES)
        self._wrap_width = 0

    def on_mount(self) -> None:
        self.pane_highlighter.set_theme(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        self.pane_highlighter.set_theme(theme)
        self.notify_style_update()  # clears the Log's rendered-line cache
        self.refresh()

    def add_batch(self, lines: Sequence[str], folded: int = 0) -> None:
        """Write one batch; `folded` lines were already dropped before formatting."""
        if len(lines) > self.BATCH_CAP:
            folded += len(lines) - self.BATCH_CAP
            lines = lines[-self.BATCH_CAP :]
        if not lines and not folded:
            return
        self.total += len(lines) + folded
        new = list(lines)
        if folded:
            self.folded += folded
            new.insert(0, f"{FOLD_PREFIX}{folded:,} more folded (shown: the latest {len(lines):,})")
        self.raw.extend(new)
        self.write_lines(self._wrapped(new) if self.wrap else new)
        self.border_subtitle = (
            f"{self.total:,} · folded {self.folded:,}" if self.folded else f"{self.total:,}"
        )

    def on_resize(self) -> None:
        """A new width rewraps every kept line, so old lines never keep a narrow wrapping."""
        width = self.scrollable_content_region.width
        if not self.wrap or width == self._wrap_width or width <= 0:
            return
        first = self._wrap_width == 0
        self._wrap_width = width
        if first and not self.raw:
            return
        self.clear()
        self.write_lines(self._wrapped(list(self.raw)))

    def rewrap(self) -> None:
        """Write every kept line again at the present width and show the newest (snapshots use it:
        the same lines then always give the same screen, whenever each batch arrived)."""
        self._wrap_width = self.scrollable_content_region.width
        self.clear()
        self.write_lines(self._wrapped(list(self.raw)) if self.wrap else list(self.raw))
        self.scroll_end(animate=False, immediate=True)

    def reset(self) -> None:
        """Empty the pane and its counters."""
        self.raw.clear()
        self.clear()
        self.folded = self.total = 0
        self.border_subtitle = ""

    def _wrapped(self, lines: Sequence[str]) -> list[str]:
        """Long lines broken at spaces into indented continuation lines (a Log cannot wrap)."""
        width = self.scrollable_content_region.width - 1
        if width < 1:
            return list(lines)  # not laid out yet: on_resize wraps them once it is
        width = max(width, 8)
        out: list[str] = []
        for line in lines:
            if len(line) <= width:
                out.append(line)
            else:
                # an explanation continues with 3 spaces, a trace with 4: the highlighter tells them apart
                indent = "   " if line.startswith("  ↳ ") else "    "
                out.extend(
                    textwrap.wrap(
                        line,
                        width,
                        subsequent_indent=indent,
                        break_on_hyphens=False,
                        # a word longer than the pane is split, never hidden past the edge
                        break_long_words=True,
                    )
                )
        return out


class PollPane(EventPane):
    """Readiness changes: `12:00:01.120 c1 +POLLIN -POLLOUT`.

    The title says where they come from: the watcher thread polls every socket
    (poll() only: no reads, no SO_ERROR), 50 ms after a change, backing off to 0.5 s.
    """

    def __init__(self, *, id: str | None = "poll-pane") -> None:
        super().__init__("Poll events · polled 0.05–0.5 s", POLL_RULES, wrap=True, id=id)


class AncillaryPane(EventPane):
    """Decoded control messages: timestamps, drop counters, passed fds, credentials."""

    def __init__(self, *, id: str | None = "anc-pane") -> None:
        super().__init__("Ancillary", ANCILLARY_RULES, wrap=True, id=id)


class SyscallPane(EventPane):
    """strace-style lines; a failing call is red with its explanation on the next line.

    The app's own reads (the option form's getsockopt, the socket list's getsockname and TCP_INFO) arrive folded, one line
    per refresh; `o` opens the newest folded refresh (its lines are kept, bounded).
    """

    BINDINGS = [Binding("o", "open_folded", "open app reads", id="sys-open-folded")]
    KEEP_FOLDED = 50

    def __init__(self, *, id: str | None = "sys-pane") -> None:
        super().__init__("System calls", SYSCALL_RULES, wrap=True, id=id)
        self.folded_reads: list[list[str]] = []
        self.can_focus = True

    def keep_folded(self, groups: Sequence[list[str]], continues: bool = False) -> None:
        """Keep the lines of folded app reads; `continues`: the first group goes on the last one."""
        groups = list(groups)
        if continues and groups and self.folded_reads:
            self.folded_reads[-1].extend(groups.pop(0))
        self.folded_reads.extend(groups)
        del self.folded_reads[: -self.KEEP_FOLDED]

    def action_open_folded(self) -> None:
        """Write out the newest folded refresh of the app's reads, line by line."""
        if not self.folded_reads:
            self.notify("no folded app reads to open", timeout=3)
            return
        lines = self.folded_reads.pop()
        self.add_batch([f"  {line}" for line in lines])
