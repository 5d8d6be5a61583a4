"""Command palette (ctrl+p): every command of the language and every socket option.

Choosing an entry never runs anything. A command puts its example into the
REPL's command line (aimed at the selected socket when the command takes one)
for the person to edit and send, so the palette teaches the language instead of
hiding it. An option takes the person to its row in the Options view; when the
selected socket has no such row (or none is selected) it fills
`getsockopt SELECTED OPTION` or `help OPTION` instead. Both tables are read as they are, so a
new command or option row shows up here with no change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from sockplay.core import catalog
from sockplay.lang import commands
from sockplay.lang.gist import first_sentence

# (display, help, line to put in the REPL, option whose form row to go to or None)
Entry = tuple[str, str, Callable[[], str], str | None]


def command_line_for(spec: commands.CommandSpec, selected: str | None) -> str:
    """The command's example, aimed at the selected socket when its first argument is a socket."""
    example = spec.example
    if selected and spec.args and spec.args[0].kind == "sock":
        words = example.split(" ", 2)
        if len(words) >= 2:
            words[1] = selected
            example = " ".join(words)
    return example


def option_line_for(row: Any, selected: str | None) -> str:
    return f"getsockopt {selected} {row.name}" if selected else f"help {row.name}"


class SockplayProvider(Provider):
    """Commands (usage + help) and options (kind, level + help), filled into the REPL when chosen."""

    def _selected(self) -> str | None:
        try:
            return self.app.socket_list.selected  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - no socket list (another screen) means no selection
            return None

    def _later(self, make: Callable[[Any, str | None], str], item: Any) -> Callable[[], str]:
        """The line for `item` built when the entry is chosen, with the socket selected then."""
        return lambda: make(item, self._selected())

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for spec in commands.COMMANDS:
            out.append(
                (
                    spec.usage,
                    first_sentence(spec.help, 100),
                    self._later(command_line_for, spec),
                    None,
                )
            )
        for row in catalog.OPTIONS:
            level = row.level.removeprefix("SOL_")
            out.append(
                (
                    f"{row.name}  ({row.kind}, {level})",
                    first_sentence(row.help, 100),
                    self._later(option_line_for, row),
                    row.name,
                )
            )
        return out

    def _choose(self, make_line: Callable[[], str], option: str | None) -> None:
        """An option goes to its form row when it has one; everything else fills the REPL."""
        go = getattr(self.app, "go_to_option", None)
        if option is not None and go is not None and go(option):
            return
        self._fill(make_line)

    def _fill(self, make_line: Callable[[], str]) -> None:
        """Put the line in the REPL input, cursor at the end, ready to edit."""
        repl = self.app.repl  # type: ignore[attr-defined]
        line = repl.command_line
        line.value = make_line()
        line.cursor_position = len(line.value)
        line.focus()

    async def discover(self) -> Hits:
        for display, help_text, make_line, option in self.entries():
            yield DiscoveryHit(
                Text(display), partial(self._choose, make_line, option), text=display, help=help_text
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for display, help_text, make_line, option in self.entries():
            score = matcher.match(display)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(display),
                    partial(self._choose, make_line, option),
                    text=display,
                    help=help_text,
                )
