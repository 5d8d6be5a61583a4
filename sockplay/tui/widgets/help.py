"""F1 help: how to start, the keys, and the language, on a modal screen that Escape closes.

The language part is generated from the command table (usage, first sentence of
help, example), so it never drifts from what the parser accepts. Built as rich
renderables rather than markup (usages are full of `[OPTIONAL]` brackets), in
two-column grids so a description wraps at word boundaries under itself, at any
width the box gets (it is never wider than the screen).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sockplay.lang import commands
from sockplay.lang.gist import first_sentence
from sockplay.tui.config import key_label
from sockplay.tui.themes import muted_style
from sockplay.tui.views import VIEWS

START = (
    "sockplay opens real sockets and makes real system calls. Type commands in the REPL pane at "
    "the bottom; every click in a form is shown there as the command it ran."
)
EXAMPLES = [
    ("send c1 hello", "the starting scene's TCP pair is c1 (client) and a1 (accepted)"),
    ("recv a1 2 peek", "look at the first 2 bytes without taking them"),
    ("recv a1 5", "now take them; watch the Poll events pane lose POLLIN"),
    ("help SO_RCVBUF", "explain an option; `help` alone lists the topics"),
]
START_END = "`sockplay --empty` starts with no sockets; `sockplay FILE.sp` runs a script first."

KEYS: list[tuple[str, str, str | None]] = [  # (key as shown by default, what, binding id)
    ("Tab", "complete the word (Up/Down move into the list, then Enter or Tab takes one; Escape closes it)", None),
    ("Up / Down", "walk the history (kept between runs); Right takes the grey suggestion", None),
    ("Enter", "run the line (pasted lines run one by one)", None),
    ("Escape", "clear the command line; in a form field: put back its value and leave the field", None),
    ("shift+tab", "leave the REPL for the panes (Tab stays in the REPL: it completes)", None),
    ("ctrl+l", "back to the REPL from anywhere (again: clear the REPL output)", "focus-repl"),
    ("ctrl+c", "cancel what is running: a blocked call, a count=N loop, a sleep", "cancel"),
    ("ctrl+p", "command palette: every view, command and option, and the themes", None),
    ("/", "in the Options view: go to its filter", "options-filter"),
    ("F1", "this help", "help"),
    ("F2", "record: start, then stop to save a script that sockplay run replays", "record"),
    ("F4", "the Wire pane (packets on loopback) in place of Ancillary, or back", "wire"),
    ("ctrl+t", "next theme", "theme"),
    ("ctrl+q", "quit", "quit"),
]

PANES = [
    ("Poll events", "readiness changes the watcher saw: +POLLIN appeared, -POLLOUT went away"),
    ("Ancillary", "control messages decoded: timestamps, drop counters, passed fds"),
    ("System calls", "every call as strace prints it; errors in red with the reason"),
    ("Wire", "after wire on: each packet on loopback, under the call that sent it (F4)"),
]

GROUP_TITLES = {
    "sockets": "Sockets",
    "data": "Sending and receiving",
    "options": "Options",
    "info": "Looking",
    "script": "Scripts",
}


def _pairs(rows: list[tuple[str, str]], key_width: int) -> Padding:
    """Two columns; the second wraps at word boundaries under itself, never under the first."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(width=key_width, no_wrap=True, style="bold")
    grid.add_column(ratio=1, overflow="fold")
    for key, what in rows:
        grid.add_row(key, what)
    return Padding(grid, (0, 0, 0, 2))


def key_rows(keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """The Keys rows with the keys as bound: a key the user's keymap moved shows its new keys."""
    return [(key_label(keymap[bid]) if bid and bid in keymap else key, what) for key, what, bid in KEYS]


def help_text(muted: Style | str = "dim", keymap: Mapping[str, str] | None = None) -> Group:
    """The whole help page; the command section comes from the command table, the views from views.py.

    `keymap` (binding id -> keys) is the user's rebinding; the Views and Keys parts show it.
    """
    keymap = keymap or {}
    head = "bold underline"
    parts: list[Any] = [Text("Getting started", head), Text(START), _pairs(EXAMPLES, 15), Text(START_END), Text("")]
    parts.append(Text("Views (each is also a palette entry under its name)", head))
    parts.append(_pairs([(f"{key_label(keymap.get(v.binding_id, v.key))}  {v.name}", v.help) for v in VIEWS], 20))
    parts += [Text(""), Text("Keys", head), _pairs(key_rows(keymap), 12), Text("")]
    parts.append(Text("Panes", head))
    parts.append(_pairs(PANES, 14))
    parts.append(Text("  In a flood each pane keeps the latest lines and folds the rest into a counter."))
    parts += [Text(""), Text.assemble(("The language", head), "   one command per line; words split like a shell; # starts a comment")]
    groups: dict[str, list[commands.CommandSpec]] = {}
    for spec in commands.COMMANDS:
        groups.setdefault(spec.group, []).append(spec)
    for group, specs in groups.items():
        parts.append(Text(f"\n  {GROUP_TITLES.get(group, group.title())}", "bold"))
        grid = Table.grid(padding=(0, 0))
        grid.add_column(ratio=1)
        for spec in specs:
            grid.add_row(Text(spec.usage, "bold", overflow="fold"))
            grid.add_row(Padding(Text.assemble(first_sentence(spec.help, 10_000), ("   e.g. " + spec.example, muted)), (0, 0, 0, 4)))
        parts.append(Padding(grid, (0, 0, 0, 2)))
    views_moved = any(v.binding_id in keymap for v in VIEWS)
    to_views = "the keys above" if views_moved else "alt+s, o, d, i, p, a, c and r"
    help_keys = key_label(keymap.get("help", "f1"))
    parts.append(Text(f"\nPress Escape or {help_keys} to close; {to_views} go straight to a view.", "italic"))
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """How to start, the keys and the commands; closes on Escape, F1 or q."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "close", show=True, id="help-close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(self._text(), id="help-text")

    def _text(self) -> Group:
        return help_text(muted_style(self.app.current_theme), getattr(self.app, "keymap", {}))

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()  # arrows and PgUp/PgDn scroll the page

    def on_resize(self) -> None:
        # rewrap for the new width
        self.query_one("#help-text", Static).update(self._text())

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
