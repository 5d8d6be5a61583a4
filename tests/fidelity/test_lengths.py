"""In/out lengths as strace prints them: a buffer went in, the kernel said how much it filled.

stracecmp compares names, fds, flag words and results; these lines were wrong in the
part it does not compare: recvmsg said `msg_name=NULL, msg_namelen=0` where a 128-byte
buffer went in (`msg_name=0x..., msg_namelen=128 => 0`), the engine's getsockname said
`[16]` for `[128 => 16]`, and a read-back of SO_BINDTODEVICE `[3]` for `[16 => 3]`.
Each expected text is checked against strace's own line for the same call.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fidelity import stracecmp

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """\
socketpair a b
send a hi
recvmsg b 10
socket u inet dgram
bind u 127.0.0.1:0
socket v inet dgram
sendto v u hey
recvmsg u 10
setsockopt u SO_BINDTODEVICE lo
"""

pytestmark = pytest.mark.skipif(not stracecmp.strace_available(), reason="strace is not installed (apt-get install strace)")


def _args(line: str) -> str:
    line = re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", line))
    return re.sub(r"0x[0-9a-f]+", "0x...", line)


def test_lengths_in_and_out_are_strace_s(tmp_path: Path) -> None:
    script, log = tmp_path / "lengths.sp", tmp_path / "lengths.strace"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    proc = subprocess.run(["strace", "-f", "-qq", "-y", "-e", "trace=%net", "-o", str(log),
                           sys.executable, "-m", "sockplay", "run", "--json", str(script)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    ours = [item["line"] for ev in map(json.loads, proc.stdout.splitlines()) if ev.get("kind") == "call"
            for item in (ev.get("trace_lines") or [{"line": ev["trace"]}])]
    seen = [_args(c.text) for c in stracecmp.parse_strace(log.read_text())]
    wanted = [
        ("recvmsg(", "msg_name=0x..., msg_namelen=128 => 0"),  # the stream pair: no address, a buffer all the same
        ("recvmsg(", "msg_namelen=128 => 16"),
        ("getsockname(", "[128 => 16]"),  # the engine learns the port bind left to the kernel
        ("getsockopt(", 'SO_BINDTODEVICE, "lo", [16 => 3]'),
    ]
    for call, text in wanted:
        assert any(o.startswith(call) and text in o for o in ours), (text, ours)
        strace_text = text.replace('"lo"', '"lo\\0"')  # strace shows the NUL the kernel wrote
        assert any(s.startswith(call) and strace_text in s for s in seen), (strace_text, seen)
