"""Send and receive on the selected socket (placeholder until the panel lands)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from sockplay.tui.widgets.base import SocketView


class SendRecvPanel(SocketView, Static):
    """A send box, a flag picker and a received-data view."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(
            "Send and receive with any flag arrive here.\nMeanwhile: send c1 hello · recv a1 2 peek · recv a1 5",
            **kw,
        )
