"""`sockplay proxy LISTEN UPSTREAM` in a real terminal: the app opens on the proxy, curl goes through it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.proto.conftest import PAGE, free_port, http_server, wait_port  # noqa: F401 (a fixture)

from .tmux import PYTHON, Tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed; the real-terminal test needs it"),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (apt-get install curl)"),
]


def test_proxy_app_relays_curl_and_shows_both_directions(http_server: int, tmp_path: Path) -> None:  # noqa: F811
    port = free_port()
    t = Tmux("proxy")
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    settings = {"TERM": "xterm-256color", "XDG_STATE_HOME": str(tmp_path / "state"),
                "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": os.environ.get("HOME", str(tmp_path))}
    assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items())
    t.start(f"cd {shlex.quote(str(tmp_path))} && env -u SOCKPLAY_FROZEN {assign} {python} -m sockplay proxy "
            f"127.0.0.1:{port} 127.0.0.1:{http_server}")
    try:
        t.wait_for("sockplay proxy: clients of", timeout=20)
        wait_port(port)
        got = subprocess.run(["curl", "-s", "--max-time", "30", f"http://127.0.0.1:{port}/index.html"],
                             capture_output=True, timeout=40)
        assert got.stdout == PAGE
        # the app said who came and when the relay ended, and the socket list shows the new pair
        t.wait_for("client 127.0.0.1:", timeout=20)
        screen = t.wait_for("ended (both sides reached end of file)", timeout=20)
        assert "cli1" in screen and "up1" in screen
        t.keys("C-q")
        t.wait_until(lambda s: t.dead(), "the app to exit", timeout=15)
    finally:
        t.kill()
