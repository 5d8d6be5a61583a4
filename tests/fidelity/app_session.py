"""A short scripted session in the real app (pilot), for running under strace.

`python -m tests.fidelity.app_session JOURNAL.jsonl` opens the app on an empty
playground with its journal written to JOURNAL, types the lines below as a person
would (the socket list, the option form, Send/Recv and Info tabs are shown on the
way, so their reads happen), cancels a blocked recv with ctrl+c and quits with
sockets still open (their close() calls are part of the session).
"""

from __future__ import annotations

import asyncio
import sys

from sockplay.tui.app import AppOptions, SockplayApp
from tests.tui.pilot import type_line

STEPS: list[str | tuple[str, str]] = [
    "socketpair a b", "send a hello", "recv b 10",
    "socket t inet stream", "bind t 127.0.0.1:0", "listen t",
    "socket c inet stream", "connect c t", "accept t s",
    ("key", "alt+s"), ("key", "down"), ("key", "down"), ("key", "alt+o"), ("wait", "form"),
    ("key", "alt+d"), ("key", "alt+i"), ("key", "alt+r"),
    "send c ping", "recv s 10", "shutdown c wr", "sockets",
    "recv b 10", ("key", "ctrl+c"),
    "close a",
]


async def session(journal: str) -> None:
    app = SockplayApp(AppOptions(empty=True))
    app.pg.journal.open_sink(journal)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.settle(20)
        for step in STEPS:
            if isinstance(step, tuple):
                await pilot.press(step[1]) if step[0] == "key" else await asyncio.sleep(1.0)
            else:
                await type_line(pilot, step)
            await app.settle(20)
        await asyncio.sleep(0.6)  # the socket list's last read (LIST_READ_GAP) comes in
        await app.settle(20)
        await pilot.press("ctrl+q")
    app.pg.journal.close_sink()


if __name__ == "__main__":
    asyncio.run(session(sys.argv[1]))
