"""The real `sockplay` app in a real terminal: tmux runs it at 120x40, we type and read the screen.

Nothing is frozen here (SOCKPLAY_FROZEN is unset): real ports, real times, the
real console script path through `python -m sockplay`. A private tmux server
per test, killed in `finally`, so nothing else on the machine is touched.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .tmux import PYTHON, WAIT, Tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed; the real-terminal test needs it"
    ),
]



def poll_pane(screen: str) -> list[str]:
    """The Poll events pane's lines: the left third of the rows under its title."""
    lines = screen.splitlines()
    top = next(i for i, ln in enumerate(lines) if "Poll events" in ln)
    out = []
    for ln in lines[top + 1 :]:
        if ln.lstrip().startswith(("╰", "└")):
            break
        out.append(ln[:45])
    return out


def repl_lines(screen: str) -> list[str]:
    lines = screen.splitlines()
    top = next(i for i, ln in enumerate(lines) if "REPL" in ln and ("╭" in ln or "┌" in ln))
    return lines[top + 1 :]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux("app")
    env = {k: v for k, v in os.environ.items() if k != "SOCKPLAY_FROZEN"}
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    settings = {
        "TERM": "xterm-256color",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": env.get("HOME", str(tmp_path)),
    }
    assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items())
    # COLUMNS/LINES from the test run (pytest plugins set them) would override the pane's real size
    t.start(f"cd {shlex.quote(str(tmp_path))} && env -u SOCKPLAY_FROZEN -u COLUMNS -u LINES {assign} {python} -m sockplay")
    try:
        t.wait_for("Welcome to sockplay", timeout=15)
        yield t
    finally:
        t.kill()


def test_app_types_commands_and_shows_poll_events_and_data(app: Tmux, tmp_path: Path) -> None:
    screen = app.screen()
    assert len(screen.splitlines()) == 40
    assert "Poll events" in screen and "System calls" in screen and "REPL" in screen

    app.type("send c1 hello")
    app.wait_for("sockplay> send c1 hello")
    # the watcher saw a1 become readable: a live readiness change in the poll pane
    screen = app.wait_until(
        lambda s: any(re.search(r"\ba1\b.*\+POLLIN", ln) for ln in poll_pane(s)),
        "a1 +POLLIN in the Poll events pane",
    )
    assert re.search(r"\d\d:\d\d:\d\d\.\d{3}", "\n".join(poll_pane(screen)))  # real clock times

    app.type("recv a1 2 peek")
    screen = app.wait_until(
        lambda s: any('"he"' in ln for ln in repl_lines(s)), 'the peeked "he" in the REPL'
    )
    assert "sockplay> recv a1 2 peek" in screen
    app.wait_for("MSG_PEEK")  # the System calls pane shows the flag the call used

    app.type("recv a1 5")
    screen = app.wait_until(
        lambda s: any('"hello"' in ln for ln in repl_lines(s)), 'the received "hello" in the REPL'
    )
    # reading the queue empty takes POLLIN away again
    app.wait_until(
        lambda s: any(re.search(r"\ba1\b.*-POLLIN", ln) for ln in poll_pane(s)),
        "a1 -POLLIN in the Poll events pane",
    )
    history = tmp_path / "state" / "sockplay" / "tui-history"
    assert "+recv a1 5" in history.read_text()

    app.keys("C-q")
    deadline = time.monotonic() + WAIT
    while not (status := app.dead_status())[0]:
        assert time.monotonic() < deadline, "ctrl+q did not end the app"
        time.sleep(0.05)
    assert status[1] == "0"


def test_tab_completion_dropdown_in_a_real_terminal(app: Tmux) -> None:
    app.keys("-l", "setsockopt c1 SO_RC")
    app.keys("Tab")
    screen = app.wait_for("SO_RCVLOWAT")
    assert "SO_RCVBUF" in screen and "size ·" in screen
    # the dropdown sits above the command line
    lines = screen.splitlines()
    menu_row = next(i for i, ln in enumerate(lines) if "SO_RCVLOWAT" in ln)
    input_row = max(i for i, ln in enumerate(lines) if "setsockopt c1 SO_RCV" in ln)
    assert menu_row < input_row
    app.keys("Tab")  # takes the highlighted SO_RCVBUF, runs nothing (Enter would run the line)
    # the completion meta ("size · ...") shows only in the dropdown; option names appear elsewhere too
    app.wait_until(lambda s: "size ·" not in s, "the dropdown closing")
    app.keys("-l", " 4096")
    app.keys("Enter")
    app.wait_for("sockplay> setsockopt c1 SO_RCVBUF 4096")


def test_wire_pane_shows_a_real_handshake_in_a_real_terminal(app: Tmux) -> None:
    from sockplay.core import Playground

    pg = Playground()
    why = pg.wire_on()
    pg.close_all()
    if why is not None:
        pytest.skip(f"no packet capture here: {why}")
    app.type("wire on")
    app.wait_for("Wire")  # the pane's title, in the Ancillary pane's place
    app.type("socket c9 inet stream")
    app.wait_for("sockplay> socket c9 inet stream")
    app.type("connect c9 s1")
    # the pane is narrow: a packet wraps, and the handshake's last segment is the one surely in view
    screen = app.wait_until(lambda s: "c9 → s1" in s and "[.] seq 1 ack 1" in s, "the handshake's ACK in the Wire pane",
                            timeout=20)
    assert re.search(r"\d\d:\d\d\.\d{6} c9 → s1", screen)  # real times (minutes, seconds, microseconds)
    assert "Ancillary" not in screen and "Wire" in screen


FLOODER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
while True:
    try:
        s.send(b"x" * 64)
    except OSError:
        pass
"""


def test_keys_echo_while_a_count_drain_runs_under_a_flood(app: Tmux) -> None:
    """Issue 10: keys took up to 80 s to appear. Generous bound (machine load); `make bench` has the figure."""
    import socket
    import subprocess

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = str(probe.getsockname()[1])
    probe.close()
    app.type(f"socket fu inet dgram; bind fu 127.0.0.1:{port}")
    app.wait_until(lambda s: re.search(rf"127\.0\.0\.1:{port}\b", s) is not None, "fu bound")
    flood = subprocess.Popen([sys.executable, "-c", FLOODER, port])
    try:
        app.type("recvmsg fu count=10000000")
        time.sleep(2)
        app.keys("-l", "echo typed-under-flood")
        t0 = time.monotonic()
        app.wait_until(lambda s: "typed-under-flood" in s, "the typed text on screen", timeout=30)
        assert time.monotonic() - t0 < 30
    finally:
        flood.kill()
        flood.wait()
    app.keys("C-c")
    app.keys("C-q")


def test_small_terminal_by_keys_alone(tmp_path: Path) -> None:
    """80x24: nothing wider than the screen, the live panes in one tab strip, views by alt+N,
    a burst of typed lines stays four commands, ctrl+c cancels, ctrl+q quits."""
    t = Tmux("small")
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    assign = f"TERM=xterm-256color XDG_STATE_HOME={shlex.quote(str(tmp_path / 'state'))}"
    t.start(f"cd {shlex.quote(str(tmp_path))} && env -u SOCKPLAY_FROZEN -u COLUMNS -u LINES {assign} {python} -m sockplay", 80, 24)
    try:
        screen = t.wait_for("Poll events", timeout=15)
        lines = screen.splitlines()
        assert len(lines) == 24 and all(len(ln) <= 80 for ln in lines)
        assert "Ancillary" in screen and "System calls" in screen  # the live panes' tab strip
        t.wait_until(lambda s: "OUT" in s and "u2" in s, "the scene's sockets")
        t.keys("echo burst-1", "Enter", "echo burst-2", "Enter", "echo burst-3", "Enter", "echo burst-4", "Enter")
        screen = t.wait_for("sockplay> echo burst-4")
        assert "burst-1echo" not in screen and not any(ln.count("echo") > 1 for ln in screen.splitlines())
        assert "sockplay> echo burst-3" in screen  # (the small REPL shows the last few lines)
        t.keys("M-c")  # System calls
        # Its tail: the scene's calls, or (at 80x24 its four lines may hold only these) the echoes
        # as comments and the socket list's folded reads; none of them is in the Poll events pane.
        marks = ("sendto(", "getsockopt(", "# burst-4", "[app] reads for the views")
        t.wait_until(lambda s: any(m in s for m in marks), "the System calls pane shown")
        t.keys("M-r")
        t.type("send u2 x count=10000000")
        t.wait_for("still running")
        t.keys("C-c")
        t.wait_until(lambda s: "cancelled by ctrl+c" in " ".join(s.replace("│", " ").split()), "ctrl+c's answer")
        t.keys("F1")
        screen = t.wait_for("Getting started")
        assert all(len(ln) <= 80 for ln in screen.splitlines())
        t.keys("Escape")
        t.keys("C-q")
        deadline = time.monotonic() + WAIT
        while not (status := t.dead_status())[0]:
            assert time.monotonic() < deadline, "ctrl+q did not end the app"
            time.sleep(0.05)
        assert status[1] == "0"
    finally:
        t.kill()
