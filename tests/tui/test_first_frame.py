"""The app draws its prompt first: the opening's calls, the option rows and the Send/Recv tab come after."""

from __future__ import annotations

import threading
import time

from sockplay.tui.app import CommandRunner
from sockplay.tui.widgets.options_form import OptionsForm
from sockplay.tui.widgets.sendrecv import SendRecvPanel

from .conftest import SIZE
from .pilot import rows, wait_for


def test_the_runner_queues_lines_but_starts_them_when_its_gate_opens() -> None:
    gate = threading.Event()
    ran: list[str] = []
    done = threading.Event()
    runner = CommandRunner(
        lambda line, lineno, origin: ran.append(line),
        lambda line, origin, result, late: done.set(),
        lambda line: None,
        lambda line, origin: None,
        gate=gate,
    )
    runner.submit("socketpair a b")
    time.sleep(0.3)
    assert ran == [] and runner.queued == 1 and not runner.idle  # queued in order, not started
    gate.set()
    assert done.wait(10)
    assert ran == ["socketpair a b"]
    runner.stop()


async def test_first_frame_shows_the_prompt_then_the_scene_arrives(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # at the first screen the prompt has the cursor; the scene's sockets follow
        assert app.focused is app.repl.command_line
        assert await wait_for(app.first_frame.is_set, 10)
        await app.settle(timeout=30)
        assert {"s1", "c1", "a1", "u1", "u2"} <= set(rows(app))
        # the Send/Recv tab mounted after the first frame and was told the selection
        panel = app.query_one(SendRecvPanel)
        assert await wait_for(lambda: panel.socket_name == "c1", 10)
        # the prebuilt inet/stream option rows exist and show c1's options
        form = app.query_one(OptionsForm)
        assert await wait_for(lambda: form.group is not None and "SO_RCVBUF" in form.group.by_name, 10)
        await pilot.pause()


async def test_keys_typed_before_the_scene_ran_run_after_it(make_app) -> None:
    """Lines typed at once queue behind the opening's lines, as before the scene waited for the first frame."""
    app = make_app()
    async with app.run_test(size=SIZE):
        app.run_command("send c1 early")  # c1 exists only once the scene has run
        await app.settle(timeout=30)
        assert await wait_for(lambda: any(
            ev.kind == "call" and ev.outcome is not None and ev.outcome.syscall.startswith("send")
            and ev.outcome.errno is None and ev.sock == "c1" for ev in app.pg.journal.snapshot()), 10)


async def test_alt_d_at_once_reaches_the_send_box(make_app) -> None:
    """The Send/Recv tab mounts after the first frame: its key pressed at once still lands in it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+d")
        assert await wait_for(lambda: app.focused is not None and app.focused.id == "sr-data", 10)
