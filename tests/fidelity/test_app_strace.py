"""The app under strace: every syscall on a user's socket is in the journal, and nothing else is.

One `strace -f -y` of a scripted pilot session (app_session.py); appcmp.py says how
the user's sockets are told apart and what is compared. The socket list, the option
form, a cancelled recv and quitting with sockets open are all in the session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fidelity import appcmp, stracecmp

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not stracecmp.strace_available(), reason="strace is not installed (apt-get install strace)")


@pytest.mark.timeout(240)
def test_app_session_calls_on_user_sockets_are_all_in_the_journal(tmp_path: Path) -> None:
    journal, log = tmp_path / "journal.jsonl", tmp_path / "app.strace"
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-y", "-e", f"trace={stracecmp.STRACE_SET}", "-e", "signal=none", "-o", str(log),
         sys.executable, "-m", "tests.fidelity.app_session", str(journal)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=220,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rep = appcmp.compare(journal.read_text(), log.read_text())
    assert rep.user_sockets == 5, rep.detail()  # a, b, t, c, s
    assert rep.compared >= 40, rep.detail()
    assert rep.matched == rep.compared, rep.detail()
    assert not rep.unreported, rep.detail()
    text = journal.read_text()
    assert '"origin": "app"' in text  # the option form's and the socket list's reads are there, marked
    assert "EINTR" in text  # the cancelled recv


# ---------------------------------------------------------------- the comparer itself can fail
STRACE = """\
10 socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [4<socket:[900]>, 5<socket:[901]>]) = 0
10 sendto(5<socket:[901]>, "\\0", 1, 0, NULL, 0) = 1
20 socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [8<socket:[1]>, 9<socket:[2]>]) = 0
30 poll([{fd=8<socket:[1]>, events=POLLIN}], 1, 500) = 0 (Timeout)
10 getsockname(8<socket:[1]>, {sa_family=AF_UNIX}, [128 => 2]) = 0
20 sendto(8<socket:[1]>, "hi", 2, 0, NULL, 0) = 2
20 close(8<socket:[1]>) = 0
20 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 8<socket:[3]>
20 getsockname(8<socket:[3]>, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("0.0.0.0")}, [128 => 16]) = 0
"""


def _jsonl(*lines: str) -> str:
    import json
    return "\n".join(json.dumps({"seq": i, "kind": "call", "trace": ln}) for i, ln in enumerate(lines, 1))


def test_comparer_finds_the_hidden_read_of_a_socket_and_ignores_other_sockets() -> None:
    ours = _jsonl("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [8, 9]) = 0",
                  'sendto(8, "hi", 2, 0, NULL, 0) = 2', "close(8) = 0",
                  "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 8")
    rep = appcmp.compare(ours, STRACE)
    assert rep.user_sockets == 3 and rep.matched == rep.compared == 4
    # the UI thread's getsockname on the user's socket is reported, by inode (fd 8 was reused after close);
    # asyncio's self-pipe (4, 5) and the watcher's poll are not
    assert len(rep.unreported) == 2 and all("getsockname(8<" in u for u in rep.unreported), rep.detail()


def test_comparer_finds_an_invented_line() -> None:
    ours = _jsonl("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [8, 9]) = 0",
                  'sendto(8, "hi", 2, MSG_DONTWAIT, NULL, 0) = 2')
    rep = appcmp.compare(ours, STRACE)
    assert rep.unmatched == ['sendto(8, "hi", 2, MSG_DONTWAIT, NULL, 0) = 2']


def test_comparer_matches_a_failed_accept_on_a_user_socket() -> None:
    """An interrupted accept creates no socket: it is still a call on the listener (the fd it names)."""
    strace = STRACE + ("20 accept4(8<socket:[3]>, 0x7f, [128], SOCK_CLOEXEC) = ? ERESTARTSYS "
                       "(To be restarted if SA_RESTART is set)\n")
    ours = _jsonl("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [8, 9]) = 0",
                  'sendto(8, "hi", 2, 0, NULL, 0) = 2', "close(8) = 0",
                  "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 8",
                  "accept4(8, 0x..., [128], SOCK_CLOEXEC) = -1 EINTR (Interrupted system call)")
    rep = appcmp.compare(ours, strace)
    assert rep.matched == rep.compared == 5, rep.detail()
