"""What each way of starting loads: only what it needs (issue 12's startup item; `make bench` has the times).

These check module lists, not times: a heavy module creeping back into a start-up
path fails here on any machine, however loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def loaded_after(code: str, watch: tuple[str, ...]) -> list[str]:
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {watch!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return eval(proc.stdout.strip().splitlines()[-1])  # noqa: S307 - our own probe's list of names


def test_the_app_imports_without_prompt_toolkit() -> None:
    """prompt_toolkit (the completer's base classes) loads after the first frame, on a thread."""
    assert loaded_after("import sockplay.tui.app", ("prompt_toolkit", "sockplay.lang.completer")) == []


def test_sockplay_run_loads_no_ui_no_ssl_no_capture(tmp_path: Path) -> None:
    script = tmp_path / "three.sp"
    script.write_text("socketpair a b\nsend a hi\nrecv b 2\n")
    code = (
        "import sys\n"
        f"sys.argv = ['sockplay', 'run', {str(script)!r}]\n"
        "from sockplay.cli import main\n"
        "status = main()\n"
        "assert status == 0, status"
    )
    watch = ("textual", "prompt_toolkit", "pygments", "rich", "ssl", "sockplay.core.tls", "sockplay.core.wire.capture")
    assert loaded_after(code, watch) == []


def test_send_and_recv_need_no_tls_module_until_tls_is_used(tmp_path: Path) -> None:
    """No TLS session can exist before sockplay.core.tls loads, so send/recv skip it until then
    (tests/proto/test_tls.py runs the tls command itself, which loads it)."""
    script = tmp_path / "tls.sp"
    script.write_text(
        "socket s inet stream\nbind s 127.0.0.1:0\nlisten s\nsocket c inet stream\nconnect c s\naccept s a\n"
        "send c hi\nrecv a 2\nexpect data hi\n"
    )
    proc = subprocess.run([sys.executable, "-m", "sockplay", "run", "--strict", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = "from sockplay.lang.protocol import _session\nfrom sockplay.core import Playground\n" \
           "assert _session(Playground(), 'x') is None\nimport sockplay.core.tls\n" \
           "assert _session(Playground(), 'x') is None"
    assert loaded_after(code, ("sockplay.core.tls",)) == ["sockplay.core.tls"]


@pytest.mark.parametrize("module", ["sockplay.tui.palette", "sockplay.tui.widgets.help"])
def test_help_and_palette_take_first_sentence_without_the_completer(module: str) -> None:
    assert loaded_after(f"import {module}", ("prompt_toolkit",)) == []
