"""The REPL's completion dropdown: an OptionList drawn above the command line.

The command line keeps focus the whole time (the list cannot be focused), so
typing goes on while the menu is open and the CommandLine decides what Up, Down,
Tab, Enter and Escape mean. The list is an overlay placed by `absolute_offset`
in screen coordinates: it opens upward because the REPL is docked at the bottom
and there is no room below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Offset, Region
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sockplay.tui.themes import muted_style

MAX_ROWS = 10  # candidates visible at once; the rest scroll
MAX_META = 60  # characters of meaning shown beside a candidate


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion: `text` replaces the `length` characters before the cursor."""

    text: str
    meta: str
    length: int


class CompletionMenu(OptionList):
    """The candidates with their meaning beside each; the CommandLine drives it."""

    can_focus = False

    def __init__(self, *, id: str | None = "completion-menu") -> None:
        super().__init__(id=id)
        self.candidates: list[Candidate] = []
        self.moved = False  # the person moved the highlight (Up/Down): Enter then takes a candidate

    @property
    def is_open(self) -> bool:
        return self.display and bool(self.candidates)

    def open(self, candidates: list[Candidate], anchor: Region, x: int) -> None:
        """Show `candidates` in a box whose bottom edge sits on `anchor`'s top, starting at column x."""
        self.candidates = list(candidates)
        width_text = max(len(c.text) for c in candidates)
        width_meta = max((len(c.meta[:MAX_META]) for c in candidates), default=0)
        self.set_options(self._prompt(c, width_text) for c in candidates)
        rows = min(len(candidates), MAX_ROWS)
        height = rows + 2  # the border
        # border 2 + padding 2 + a column for the scrollbar when the list scrolls
        width = width_text + (width_meta + 2 if width_meta else 0) + 5
        screen_w = self.screen.size.width if self.is_attached else anchor.right
        width = min(width, max(20, screen_w - 2))
        self.styles.width = width
        self.styles.height = height
        self.place(anchor, x)
        self.moved = False  # a fresh list: Enter runs the line until Up/Down move into it
        self.display = True
        self.highlighted = 0
        self.scroll_to_highlight()

    def place(self, anchor: Region, x: int) -> None:
        """Put the box's bottom edge on `anchor`'s top (again after a relayout moved the anchor)."""
        screen_w = self.screen.size.width if self.is_attached else anchor.right
        width = int(self.styles.width.value) if self.styles.width is not None else 20
        height = int(self.styles.height.value) if self.styles.height is not None else 3
        x = max(0, min(x - 2, screen_w - width))
        self.absolute_offset = Offset(x, max(0, anchor.y - height))

    def close(self) -> None:
        self.candidates = []
        self.moved = False
        self.display = False

    def move(self, step: int) -> None:
        """Move the highlight, wrapping round at either end."""
        if not self.candidates:
            return
        self.moved = True
        current = self.highlighted if self.highlighted is not None else -1
        self.highlighted = (current + step) % len(self.candidates)

    @property
    def chosen(self) -> Candidate | None:
        if not self.candidates or self.highlighted is None:
            return None
        return self.candidates[self.highlighted]

    def _prompt(self, c: Candidate, width: int) -> Option:
        text = Text(c.text.ljust(width), style="bold", no_wrap=True, overflow="ellipsis")
        if c.meta:
            meta = c.meta if len(c.meta) <= MAX_META else c.meta[: MAX_META - 1] + "…"
            text.append("  " + meta, style=muted_style(self.app.current_theme))
        return Option(text)
