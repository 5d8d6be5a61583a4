"""Every view of the app and the key that reaches it: one row per view.

The footer, F1, the command palette and the bindings are all made from this
table, so a view added here (the Wire pane, say) gets its key, its palette
entry and its F1 line at once. `focus` is where one types on arrival;
`tab` is the detail tab that holds it; `live` marks the live panes, which
share one tab strip when the screen is small.

Keys are alt+letter (the view's initial; d for data, c for calls): terminals and tmux
send alt+digit as other characters (tmux's M-1 arrives as ¡), alt+letter arrives intact.
The Wire pane is alt+w (F4 still swaps it with Ancillary on wide screens).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class View:
    name: str  # the palette entry and the F1 line, exactly
    key: str  # Textual key name
    focus: str  # selector of the widget that gets the cursor
    help: str
    tab: str | None = None  # TabPane id in the detail panel
    live: bool = False  # one of the live panes (a tab of their own strip on small screens)

    @property
    def action(self) -> str:
        return f"view({self.name!r})"

    @property
    def binding_id(self) -> str:
        return "view-" + self.name.lower().replace(" ", "-").replace("/", "")


VIEWS: tuple[View, ...] = (
    View("Sockets", "alt+s", "#sockets", "the socket list: Up/Down select the socket the tabs show"),
    View("Options", "alt+o", "#opt-filter", "the option form, cursor in its filter", tab="tab-options"),
    View("Send/Recv", "alt+d", "#sr-data", "send and receive, cursor in the send box", tab="tab-sendrecv"),
    View("Info", "alt+i", "#info", "what the selected socket is: fd, addresses, state", tab="tab-info"),
    View("Poll events", "alt+p", "#poll-pane", "readiness changes as the watcher saw them", live=True),
    View("Ancillary", "alt+a", "#anc-pane", "control messages decoded", live=True),
    View("System calls", "alt+c", "#sys-pane", "every call as strace prints it", live=True),
    View("Wire", "alt+w", "#wire-pane", "packets on loopback after `wire on` (F4 swaps it with Ancillary)",
         live=True),
    View("REPL", "alt+r", "#repl-input", "the command line (ctrl+l and : go there too)"),
)
BY_NAME = {v.name: v for v in VIEWS}
LIVE = tuple(v for v in VIEWS if v.live)
