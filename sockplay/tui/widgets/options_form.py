"""The option form for the selected socket (placeholder until the form lands)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from sockplay.tui.widgets.base import SocketView


class OptionsForm(SocketView, Static):
    """Every option of the catalog that applies to the selected socket."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(
            "The option form for the selected socket arrives here.\n"
            "Meanwhile: getsockopt c1 SO_RCVBUF · setsockopt c1 SO_RCVBUF 4096",
            **kw,
        )
