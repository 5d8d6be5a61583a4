"""The trace is the truth: every lesson and example script, run under strace, line by line.

One `strace -f` of `sockplay run --json SCRIPT` per script (see stracecmp.py for what is
compared and each normalization). Every trace line must be a syscall strace saw on the
same fd, in order, with the same name, flag words and result; every syscall strace saw
on a socket (the watcher's and the signal thread's polls aside) must be in the trace.
Reproduce the figures: `.venv/bin/python -m tests.fidelity.stracecmp sockplay/lessons/*.sp tests/lang/scripts/*.sp`
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fidelity import stracecmp

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "sockplay" / "lessons").glob("*.sp")) + sorted((ROOT / "tests" / "lang" / "scripts").glob("*.sp"))

pytestmark = pytest.mark.skipif(not stracecmp.strace_available(), reason="strace is not installed (apt-get install strace)")


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_trace_matches_strace(script: Path, tmp_path: Path) -> None:
    rep = stracecmp.run(script, tmp_path)
    detail = "\n".join([rep.summary()] + [f"  not seen by strace: {t}" for t in rep.unmatched]
                       + [f"  not in the trace:   {t}" for t in rep.unreported])
    assert rep.matched == rep.compared, detail
    assert not rep.unreported, detail
    if script.parent.name == "lessons":
        assert rep.compared >= 5, f"{script.name}: too few trace lines to compare ({rep.compared}); did it run?"


# ---------------------------------------------------------------- the comparer itself can fail
STRACE = """\
100 socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [3<socket:[1]>, 4<socket:[2]>]) = 0
100 sendto(3<socket:[1]>, "hi", 2, 0, NULL, 0) = 2
101 poll([{fd=3<socket:[1]>, events=POLLIN}], 1, 0) = 0 (Timeout)
100 fcntl(4<socket:[2]>, F_GETFL) = 0x2 (flags O_RDWR)
100 recvfrom(4<socket:[2]>,  <unfinished ...>
100 <... recvfrom resumed>0x7f, 10, 0, NULL, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)
"""


def _ours(*lines: str) -> list[stracecmp.Call]:
    return [c for c in (stracecmp.parse_line(line) for line in lines) if c is not None]


def test_comparer_matches_the_same_calls_and_normalizes_eintr() -> None:
    seen = stracecmp.parse_strace(STRACE)
    rep = stracecmp.compare("t", _ours(
        "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [3, 4]) = 0",
        'sendto(3, "hi", 2, 0, NULL, 0) = 2',
        "fcntl(4, F_GETFL) = 2 (O_RDWR)",
        "recvfrom(4, 0x..., 10, 0, NULL, NULL) = -1 EINTR (Interrupted system call)",
    ), seen, 100)
    assert (rep.matched, rep.compared, rep.unreported) == (4, 4, [])


def test_comparer_finds_an_invented_line_and_a_hidden_call() -> None:
    seen = stracecmp.parse_strace(STRACE)
    rep = stracecmp.compare("t", _ours(
        "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [3, 4]) = 0",
        'sendto(3, "hi", 2, MSG_DONTWAIT, NULL, 0) = 2',  # wrong flags: not what strace saw
        "recvfrom(4, 0x..., 10, 0, NULL, NULL) = -1 EINTR (Interrupted system call)",
    ), seen, 100)
    assert rep.unmatched == ['sendto(3, "hi", 2, MSG_DONTWAIT, NULL, 0) = 2']
    assert any("F_GETFL" in u for u in rep.unreported) and any("sendto" in u for u in rep.unreported)
    # the other thread's poll is the watcher's: never required in the trace
    assert not any("poll" in u for u in rep.unreported)
