"""A private tmux server for end-to-end tests: type into a real terminal, read the screen back."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = _VENV_PYTHON if _VENV_PYTHON.exists() else Path(sys.executable)
WAIT = 20.0  # generous: a loaded 2-core machine can take seconds to draw a line (a wait ends as soon as the text shows)


class Tmux:
    """One detached tmux session (120x40 unless told) on its own server socket, so nothing else is touched."""

    def __init__(self, session: str = "e2e") -> None:
        self.server = f"sockplay-{session}-{uuid.uuid4().hex[:8]}"
        self.session = session

    def tmux(self, *args: str) -> str:
        cmd = ["tmux", "-L", self.server, "-f", "/dev/null", *args]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=10).stdout

    def start(self, command: str, width: int = 120, height: int = 40) -> None:
        # tmux's #{pane_dead_status} is empty about one exit in two (it can see the pty close before it
        # reaps the child), so the shell writes the program's exit status to a file of our own.
        fd, name = tempfile.mkstemp(prefix="sockplay-e2e-status-")
        os.close(fd)
        os.unlink(name)  # it appears when the program ends
        self.status_file = Path(name)
        wrapped = f"{command}; echo $? > {shlex.quote(name)}.tmp && mv {shlex.quote(name)}.tmp {shlex.quote(name)}"
        self.tmux("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height), wrapped)
        self.tmux("set-option", "-t", self.session, "remain-on-exit", "on")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def type(self, line: str) -> None:
        self.keys("-l", line)
        self.keys("Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_until(self, pred: Callable[[str], bool], what: str, timeout: float = WAIT) -> str:
        """Poll the screen until `pred(screen)` holds (tmux redraws asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if pred(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not show within {timeout} s; the screen:\n{screen}")
            time.sleep(0.05)

    def wait_for(self, text: str, timeout: float = WAIT) -> str:
        return self.wait_until(lambda s: text in s, repr(text), timeout)

    def dead_status(self) -> tuple[bool, str]:
        """Whether the program has exited, and its exit status (as the shell that ran it saw it)."""
        status = self.status_file.read_text().strip() if self.status_file.exists() else ""
        return status != "", status

    def dead(self) -> bool:
        return self.dead_status()[0]

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True, timeout=10)
        status = getattr(self, "status_file", None)
        if status is not None:
            status.unlink(missing_ok=True)
