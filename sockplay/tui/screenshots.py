"""Scripted scenes of the app, for `make screenshots` and the snapshot tests.

`python -m sockplay.tui.screenshots DIR` writes one SVG per scene into DIR. The
snapshot tests drive the same scenes, so the README's pictures and the tested
screens cannot drift apart. Scenes run in frozen mode (fixed clocks, ports, fds)
and wait for the readiness watcher to settle, so each run draws the same screen.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from textual.widgets import Input, TabbedContent

from sockplay.core.sockets import PlaySocket
from sockplay.tui.app import AppOptions, SockplayApp
from sockplay.tui.widgets.options_form import OptionsForm
from sockplay.tui.widgets.panes import PollPane

SIZE = (120, 40)

Steps = Callable[[SockplayApp, Any], Awaitable[None]]


async def wait_until(pred: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll `pred` until it holds. The bound is generous: a scene's conditions hold within a
    moment on an idle machine, and a loaded one must not end the wait early (the picture would
    then depend on the machine's load)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        await asyncio.sleep(0.02)
    return pred()


async def wait_ready(app: SockplayApp, sock: str, bit: str, present: bool = True) -> None:
    """Wait until the watcher's report for `sock` has (or lacks) `bit` and the UI showed it."""
    await wait_until(lambda: (bit in app.ready.get(sock, [])) == present)
    await app.settle()


async def quiesce(app: SockplayApp, pilot: Any) -> None:
    """Let the scene finish and the watcher report every socket's first state; then clear
    the poll pane, whose early lines depend on when the watcher happened to wake."""
    await app.settle()
    names = list(app.pg.sockets)
    await wait_until(lambda: all(n in app.ready for n in names if n != "s1"))
    await wait_until(lambda: "POLLIN" not in app.ready.get("s1", []))
    await asyncio.sleep(0.2)
    await app.settle()
    app.query_one(PollPane).reset()
    await pilot.pause()


async def run(app: SockplayApp, pilot: Any, line: str) -> None:
    app.run_command(line)
    await app.settle()
    await pilot.pause()


async def finish(app: SockplayApp, pilot: Any) -> None:
    await app.settle()
    # A layout change (the snapshot's terminal size) schedules the option form's reads a moment
    # later; let them be scheduled and reach the System calls pane, so every run shows the same tail.
    from sockplay.tui.widgets.panes import EventPane, SyscallPane

    def calls() -> tuple[int, ...]:
        return tuple(len(p.raw) for p in app.query(SyscallPane))

    seen, deadline = calls(), time.monotonic() + 30.0
    while time.monotonic() < deadline:  # until no new call line has come for half a second
        await asyncio.sleep(0.5)
        await app.settle()
        if calls() == seen:
            break
        seen = calls()
    for pane in app.query(EventPane):
        pane.rewrap()
    await pilot.pause()
    await pilot.pause()
    await pilot.pause()


async def start_steps(app: SockplayApp, pilot: Any) -> None:
    """The starting scene, plus the first command the welcome line suggests."""
    await quiesce(app, pilot)
    await run(app, pilot, "send c1 hello")
    await wait_ready(app, "a1", "POLLIN")
    await finish(app, pilot)


async def peek_steps(app: SockplayApp, pilot: Any) -> None:
    """MSG_PEEK: look at the first bytes twice without taking them, then read them."""
    await quiesce(app, pilot)
    await run(app, pilot, "send c1 hello")
    await wait_ready(app, "a1", "POLLIN")
    await run(app, pilot, "recv a1 2 peek")
    await run(app, pilot, "recv a1 2 peek")
    await run(app, pilot, "recv a1 5")
    await wait_ready(app, "a1", "POLLIN", present=False)
    app.socket_list.select("a1")  # its Send/Recv tab shows the peeks marked as peeked
    app.query_one("#tabs", TabbedContent).active = "tab-sendrecv"
    await finish(app, pilot)


async def options_steps(app: SockplayApp, pilot: Any) -> None:
    """The option form: SO_RCVBUF asked 4096, the kernel reports 8192; its help below."""
    await quiesce(app, pilot)
    await run(app, pilot, "setsockopt c1 SO_RCVBUF 4096")
    form = app.query_one(OptionsForm)
    form.query_one("#opt-filter", Input).value = "rcv"
    await pilot.pause(0.3)
    await app.settle()
    lines = form.visible_lines()
    if lines:
        lines[0].control.focus()
    await finish(app, pilot)


async def rxq_ovfl_steps(app: SockplayApp, pilot: Any) -> None:
    """A UDP flood into a small receive buffer: SO_RXQ_OVFL counts the drops."""
    await quiesce(app, pilot)
    await run(app, pilot, "setsockopt u1 SO_RCVBUF 4096")
    await run(app, pilot, "send u2 datagram count=500")
    await wait_ready(app, "u1", "POLLIN")
    await run(app, pilot, "recvmsg u1 dontwait count=100")  # drain what fitted
    await run(app, pilot, "send u2 after-the-flood")
    await run(app, pilot, "recvmsg u1")  # queued after the drops: carries the counter
    await finish(app, pilot)


async def wire_steps(app: SockplayApp, pilot: Any) -> None:
    """The Wire pane: a connect's handshake and a send, each under the call that caused it."""
    from sockplay.tui.widgets.wire import WirePane

    pane = app.query_one(WirePane)

    def packets() -> int:
        return sum(1 for line in pane.lines if " → " in line)

    await quiesce(app, pilot)
    await run(app, pilot, "wire on")
    await run(app, pilot, "socket c2 inet stream")
    await run(app, pilot, "connect c2 s1")
    await wait_until(lambda: packets() >= 3)
    await run(app, pilot, "accept s1 a2")
    await run(app, pilot, "send c2 hello")
    await wait_until(lambda: packets() >= 5)
    await run(app, pilot, "shutdown c2 wr")
    await wait_until(lambda: packets() >= 7)
    # The peer's ACK of the FIN moves c2 from FIN_WAIT1 to FIN_WAIT2: show the state the kernel settled on.
    # Asked of /proc/net/tcp, not of the socket: a getsockopt here would be a call on a user's
    # socket that no trace shows.
    s1 = app.pg.sockets["s1"]
    s1_port = s1.local[1] if isinstance(s1, PlaySocket) and s1.local else 0
    await wait_until(lambda: _fin_wait2_towards(s1_port))
    app.refresh_sockets()
    await finish(app, pilot)


def _fin_wait2_towards(port: int) -> bool:
    """Is some loopback TCP socket in FIN_WAIT2 (state 05) towards `port`? (from /proc/net/tcp)"""
    try:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return True  # nothing to wait on: take the picture
    for row in rows:
        f = row.split()
        if len(f) > 3 and f[3] == "05" and int(f[2].rsplit(":", 1)[1], 16) == port:
            return True
    return False


async def help_steps(app: SockplayApp, pilot: Any) -> None:
    """F1 over the starting scene."""
    await quiesce(app, pilot)
    await pilot.press("f1")
    await pilot.pause(0.3)
    await finish(app, pilot)


def _step_done(app: SockplayApp, k: int) -> bool:
    """The lesson ran its k-th step and nothing is running."""
    return bool(getattr(app, "next_index", k) >= k and getattr(app, "running", None) is None)


async def lesson_steps(app: SockplayApp, pilot: Any) -> None:
    """A lesson after its first two steps, by keys (ctrl+n), the panel showing what ran."""
    await app.settle()
    for k in (1, 2):
        await pilot.press("ctrl+n")
        await wait_until(partial(_step_done, app, k), 20)
        await app.settle()
        # The step's sockets reach the list, which selects one; the option form then reads it.
        # A second settle waits for that read, so it never lands among the next step's calls.
        await app.settle()
    await wait_until(lambda: all(n in app.ready for n in app.pg.sockets))
    await asyncio.sleep(0.2)
    await app.settle()
    app.query_one(PollPane).reset()  # its lines depend on when the watcher woke
    await finish(app, pilot)


@dataclass(frozen=True)
class Scene:
    """One screen worth a picture: the app's options and the steps that lead to it."""

    name: str
    steps: Steps
    options: dict[str, Any] = field(default_factory=dict)
    about: str = ""


SCENES: tuple[Scene, ...] = (
    Scene("start", start_steps, {}, "the starting scene in the default (dark) theme"),
    Scene("presenter", start_steps, {"theme": "presenter"}, "the presenter theme, for projectors"),
    Scene("light", start_steps, {"theme": "light"}, "the light theme"),
    Scene("peek", peek_steps, {}, "a MSG_PEEK session"),
    Scene("options", options_steps, {}, "the option form: asked 4096, the kernel doubles it"),
    Scene("rxq-ovfl", rxq_ovfl_steps, {}, "a UDP flood counted by SO_RXQ_OVFL"),
    Scene("wire", wire_steps, {}, "the Wire pane: a handshake, data and a FIN beside the calls"),
    Scene("help", help_steps, {}, "F1: views, keys and the language"),
    Scene("lesson", lesson_steps, {"lesson": "peek-off"}, "lesson mode: peek-off after two steps"),
)
LAYOUT_SIZES = ((80, 24), (120, 40), (200, 50))  # the snapshot tests draw these at each size


def scene(name: str) -> Scene:
    for s in SCENES:
        if s.name == name:
            return s
    raise KeyError(name)


def make_app(s: Scene, user_theme_dir: Path | None = None) -> SockplayApp:
    """A frozen app for scene `s` (no user themes unless a folder is given)."""
    opts = dict(s.options)
    lesson = opts.pop("lesson", None)
    opts.setdefault("frozen", True)
    opts.setdefault("user_theme_dir", user_theme_dir or Path("/nonexistent/sockplay-themes"))
    if lesson is not None:
        from sockplay.lessons import load
        from sockplay.tui.lesson import LessonApp

        return LessonApp(load(lesson), AppOptions(**opts))
    return SockplayApp(AppOptions(**opts))


async def shoot(s: Scene, folder: Path) -> Path:
    app = make_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await s.steps(app, pilot)
        name = app.save_screenshot(f"{s.name}.svg", path=str(folder))
    return Path(name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write SVG screenshots of sockplay's main scenes.")
    p.add_argument("folder", nargs="?", default="screenshots")
    p.add_argument("--only", action="append", help="scene name (repeatable)")
    args = p.parse_args(argv)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    for s in SCENES:
        if args.only and s.name not in args.only:
            continue
        path = asyncio.run(shoot(s, folder))
        print(f"{path}  ({s.about})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
