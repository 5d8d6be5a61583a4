"""Real programs on loopback for the protocol tests: python3 -m http.server, curl, openssl."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PAGE = b"<h1>sockplay relay test page</h1>\n" * 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} is not installed (apt-get install {program}); this test drives the real program")
    return path


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[int]:
    """python3 -m http.server on a free loopback port, serving index.html and other.html."""
    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "other.html").write_bytes(b"the other page\n")
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                         cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield port
    finally:
        p.terminate()
        p.wait(10)
