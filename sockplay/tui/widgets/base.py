"""What a per-socket view (the Options and Send/Recv tabs) gets from the app.

The app tells every SocketView which socket is selected and hands it, once per
journal batch, the call events (with their Outcomes) that just happened, so a
view shows results no matter whether they came from a click or the REPL.
Views act only through `app.run_command(line, origin="form")`.
"""

from __future__ import annotations

from typing import Any


class SocketView:
    """Mixin for widgets that follow the selected socket."""

    socket_name: str | None = None

    def _on_mount(self, event: Any) -> None:
        """Tell the app (Textual calls this beside the widget's own mount handlers)."""
        hook = getattr(getattr(self, "app", None), "socket_view_mounted", None)
        if callable(hook):
            hook(self)

    def show_socket(self, name: str | None, info: dict[str, Any] | None) -> None:
        """The selection changed (or the selected socket's info did); `info` is Playground.info()."""
        self.socket_name = name

    @property
    def busy(self) -> bool:
        """True while the view has work scheduled that will make calls (tests and screenshots wait)."""
        return False

    @property
    def behind(self) -> bool:
        """True while the view holds calls it was given and has not shown yet (tests wait)."""
        return False

    def journal_calls(self, events: list[Any]) -> None:
        """Call events from the latest journal batch, oldest first (`ev.sock`, `ev.outcome`)."""
