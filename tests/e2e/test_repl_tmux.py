"""`sockplay repl` in a real terminal: tmux runs it at 120x40, we type and read the screen."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .tmux import PYTHON, Tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed; the real-terminal test needs it"),
]



@pytest.fixture
def term(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux("repl")
    state = tmp_path / "state"
    t.start(f"env XDG_STATE_HOME={state} TERM=xterm-256color {PYTHON} "
            f"-m sockplay repl")
    try:
        t.wait_for("sockplay>", timeout=10)
        yield t
    finally:
        t.kill()


def test_commands_results_and_an_event_arriving(term: Tmux, tmp_path: Path) -> None:
    term.type("socketpair a b")
    term.wait_for("new socket a, b")
    term.type('send a "hi"')
    term.wait_for("= 2")
    # The watcher's readiness change for b is printed on its own, then the prompt is drawn again
    # below it (a moment later on a loaded machine: wait for both).
    def event_then_prompt(screen: str) -> bool:
        lines = screen.splitlines()
        at = [i for i, line in enumerate(lines) if "~ b +POLLIN" in line]
        return bool(at) and any(line.startswith("sockplay>") for line in lines[at[0]:])

    screen = term.wait_until(event_then_prompt, "the event, then a prompt below it")
    lines = screen.splitlines()
    send_at = next(i for i, line in enumerate(lines) if 'send a "hi"' in line)
    event_at = next(i for i, line in enumerate(lines) if "~ b +POLLIN" in line)
    assert event_at > send_at
    term.type("recv b 2 peek")
    screen = term.wait_for('data "hi"')
    assert "MSG_PEEK" in screen
    # Ctrl-D leaves and closes the sockets; history was kept in the state directory.
    term.keys("C-d")
    term.wait_for("closed 2 sockets")
    deadline = time.monotonic() + 5
    while not term.dead():
        assert time.monotonic() < deadline, "the REPL did not exit after Ctrl-D"
        time.sleep(0.05)
    history = (tmp_path / "state" / "sockplay" / "history").read_text()
    assert "+recv b 2 peek" in history


def test_event_arrives_while_a_line_is_being_typed(term: Tmux) -> None:
    term.type("socketpair a b")
    term.wait_for("new socket a, b")
    term.type("!import threading")
    # Another thread sends in 0.5 s, while the next line is still being typed.
    term.type('!threading.Timer(0.5, lambda: pg.send("a", b"late")).start()')
    term.keys("-l", "recv b 4 pe")
    screen = term.wait_for("~ b +POLLIN")
    assert screen.rstrip().splitlines()[-1].startswith("sockplay> recv b 4 pe")  # redrawn intact
    term.keys("-l", "ek")
    term.keys("Enter")
    term.wait_for('data "late"')


def test_ctrl_c_cancels_a_blocking_recv_in_the_terminal(term: Tmux) -> None:
    term.type("socketpair a b")
    term.wait_for("new socket a, b")
    term.type("recv b")
    term.wait_for("waits (Ctrl-C cancels)")
    term.keys("C-c")
    term.wait_for("EINTR")
    term.type('send a "ok"')
    term.type("recv b")
    term.wait_for('data "ok"')


def test_tab_completion_menu_in_the_terminal(term: Tmux) -> None:
    term.type("socket s1 inet stream")
    term.wait_for("socket(AF_INET")
    term.keys("-l", "setsockopt s1 SO_RC")
    term.keys("Tab")
    screen = term.wait_for("SO_RCVBUF")
    assert "size ·" in screen  # the option's kind and summary beside it
