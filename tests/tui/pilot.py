"""What TUI tests do as a person would: type lines, wait for the screen, read the REPL and the list."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sockplay.tui.widgets.sockets import SocketList


def keys(text: str) -> list[str]:
    """Pilot key names for typing `text` (space is a named key)."""
    return ["space" if c == " " else c for c in text]


async def type_line(pilot: Any, text: str) -> None:
    await pilot.press(*keys(text), "enter")


def repl_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.repl.log_widget.lines)


def rows(app: Any) -> list[str]:
    table = app.query_one(SocketList)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def wait_for(pred: Callable[[], Any], timeout: float = 5.0) -> bool:
    """Poll `pred` while the app runs (it updates from other threads); its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        await asyncio.sleep(0.02)
    return bool(pred())
