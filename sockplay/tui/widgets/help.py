"""F1 help: how to start, the keys, and the language, on a modal screen that Escape closes.

The language part is generated from the command table (usage, first sentence of
help, example), so it never drifts from what the parser accepts. Built as rich
Text rather than markup: usages are full of `[OPTIONAL]` brackets.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sockplay.lang import commands
from sockplay.lang.completer import first_sentence

START = [
    "sockplay opens real sockets and makes real system calls. Type commands in the",
    "REPL pane at the bottom; every click in a form is shown there as the command it ran.",
    "",
    "  send c1 hello        the starting scene's TCP pair is c1 (client) and a1 (accepted)",
    "  recv a1 2 peek       look at the first 2 bytes without taking them",
    "  recv a1 5            now take them; watch the Poll events pane lose POLLIN",
    "  help SO_RCVBUF       explain an option; `help` alone lists the topics",
    "",
    "`sockplay --empty` starts with no sockets; `sockplay FILE.sp` runs a script first.",
]

KEYS = [
    ("Tab", "complete the word (Up/Down pick, Enter/Tab take, Escape closes the list)"),
    ("Up / Down", "walk the history (kept between runs); Right takes the grey suggestion"),
    ("Escape", "clear the command line"),
    ("shift+tab", "leave the REPL for the panes (Tab stays in the REPL: it completes)"),
    ("ctrl+l", "back to the REPL from anywhere (again: clear the REPL output)"),
    ("ctrl+p", "command palette: every command and option, and the themes"),
    ("F1", "this help"),
    ("F2", "record: start, then stop to save the commands as ./sockplay-DATE.sp"),
    ("F4", "the Wire pane (packets on loopback) in place of Ancillary, or back"),
    ("ctrl+t", "next theme"),
    ("ctrl+q", "quit"),
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


def help_text() -> Text:
    """The whole help page; the command section comes from the command table."""
    out = Text()
    head = "bold underline"
    out.append("Getting started\n", head)
    out.append("\n".join(START) + "\n\n")
    out.append("Keys\n", head)
    for key, what in KEYS:
        out.append(f"  {key:<12}", "bold")
        out.append(what + "\n")
    out.append("\nPanes\n", head)
    for pane, what in PANES:
        out.append(f"  {pane:<14}", "bold")
        out.append(what + "\n")
    out.append("  In a flood each pane keeps the latest lines and folds the rest into a counter.\n")
    out.append("\nThe language", head)
    out.append("   one command per line; words split like a shell; # starts a comment\n")
    groups: dict[str, list[commands.CommandSpec]] = {}
    for spec in commands.COMMANDS:
        groups.setdefault(spec.group, []).append(spec)
    for group, specs in groups.items():
        out.append(f"\n  {GROUP_TITLES.get(group, group.title())}\n", "bold")
        for spec in specs:
            out.append(f"  {spec.usage}\n", "bold")
            out.append(f"      {first_sentence(spec.help, 90)}", "")
            out.append(f"   e.g. {spec.example}\n", "dim")
    out.append("\nPress Escape or F1 to close.", "italic")
    return out


class HelpScreen(ModalScreen[None]):
    """How to start, the keys and the commands; closes on Escape, F1 or q."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()  # arrows and PgUp/PgDn scroll the page

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
