"""`sockplay run` as a user runs it: a subprocess, real sockets, the transcript and the exit status."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]


def sockplay_run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockplay", "run", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )


def transcript(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_peek_off_example_as_json():
    proc = sockplay_run("--json", str(SCRIPTS / "peek_off.sp"))
    assert proc.returncode == 0, proc.stderr
    events = transcript(proc)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    calls = [e for e in events if e["kind"] == "call"]
    assert [c["syscall"] for c in calls] == ["socketpair", "send", "setsockopt", "recv", "recv", "recv", "recv"]
    for key in ("seq", "time", "kind", "command", "sock", "syscall", "ret", "errno", "data", "value", "cmsgs", "trace"):
        assert all(key in c for c in calls), key
    recvs = [c for c in calls if c["syscall"] == "recv"]
    assert [r["data"]["text"] for r in recvs] == ["cc", "dd", "aa", "ee"]
    assert [r["data"]["hex"] for r in recvs] == ["6363", "6464", "6161", "6565"]
    assert recvs[0]["command"] == "recv b 2 peek" and recvs[0]["sock"] == "b"
    assert re.fullmatch(r'recvfrom\(\d+, "cc", 2, MSG_PEEK, NULL, NULL\) = 2', recvs[0]["trace"])
    assert calls[2]["value"] == 4
    expects = [e for e in events if e["kind"] == "expect"]
    assert len(expects) == 6 and all(e["ok"] for e in expects)
    assert expects[2]["command"] == 'expect data "cc"'
    assert proc.stderr == ""


def test_text_transcript_shows_commands_traces_and_results():
    proc = sockplay_run("--color", "never", str(SCRIPTS / "peek_off.sp"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "recv b 2 peek" in out
    assert re.search(r'recvfrom\(\d+, "dd", 2, MSG_PEEK, NULL, NULL\) = 2', out)
    assert '= 2  data "ee"' in out
    assert "\x1b[" not in out
    colored = sockplay_run("--color", "always", str(SCRIPTS / "peek_off.sp"))
    assert "\x1b[" in colored.stdout


def test_exit_0_when_every_expect_holds():
    proc = sockplay_run("--json", str(SCRIPTS / "tcp_by_name.sp"))
    assert proc.returncode == 0, proc.stderr
    events = transcript(proc)
    assert all(e["ok"] for e in events if e["kind"] == "expect")
    connect = next(e for e in events if e["kind"] == "call" and e["syscall"] == "connect")
    assert connect["ret"] == 0 and connect["command"] == "connect c srv"


def test_exit_1_when_an_expect_fails():
    proc = sockplay_run("--json", str(SCRIPTS / "expect_fails.sp"))
    assert proc.returncode == 1
    events = transcript(proc)
    last = [e for e in events if e["kind"] == "expect"][-1]
    assert last["ok"] is False
    assert last["expected"] == '"HELLO"' and last["actual"] == '"hello"'
    assert "expect_fails.sp:5:1:" in proc.stderr and "expected" in proc.stderr
    assert not any(e.get("command", "") and "not reached" in e["command"] for e in events)


def test_exit_2_when_the_script_does_not_parse():
    proc = sockplay_run("--json", str(SCRIPTS / "bad_syntax.sp"))
    assert proc.returncode == 2
    assert proc.stdout == "", "nothing runs when a line does not parse"
    err = proc.stderr
    assert "bad_syntax.sp:3:26:" in err and "setsockopt needs NAME OPTION VALUE; got 2 words" in err
    assert "bad_syntax.sp:4:10:" in err and "did you mean peek?" in err
    assert "    recv b 2 peak\n             ^" in err


def test_exit_2_for_an_unknown_socket_at_run_time():
    proc = sockplay_run(str(SCRIPTS / "unknown_socket.sp"))
    assert proc.returncode == 2
    assert "unknown_socket.sp:3:6:" in proc.stderr and "no socket named 'nosuch'" in proc.stderr
    assert "sendto(" in proc.stdout, "the lines before it ran"


def test_stdin_and_strict():
    script = "socketpair a b\nrecv b dontwait\n"
    plain = sockplay_run("-", stdin=script)
    assert plain.returncode == 0, "a failing syscall is a result, not a failure"
    assert "EAGAIN" in plain.stdout
    strict = sockplay_run("--strict", "-", stdin=script)
    assert strict.returncode == 1
    assert "<stdin>:2:1:" in strict.stderr and "--strict" in strict.stderr
    expected = sockplay_run("--strict", "-", stdin=script + "expect errno EAGAIN\n")
    assert expected.returncode == 0, expected.stderr


def test_count_folds_in_text_and_stays_whole_in_json():
    text = sockplay_run("--color", "never", str(SCRIPTS / "drain.sp"))
    assert text.returncode == 0, text.stderr
    assert "count: 20 calls; 20 ok (20x = 2); 40 bytes" in text.stdout
    # A nonblocking drain of a datagram socket is batched: recvmmsg took the 20, the next one said EAGAIN.
    assert ("count: 21 results from 2 recvmmsg calls; 20 ok (20x = 2); 40 bytes; errors 1x EAGAIN; "
            "stopped at EAGAIN") in text.stdout
    proc = sockplay_run("--json", str(SCRIPTS / "drain.sp"))
    events = transcript(proc)
    assert len([e for e in events if e["kind"] == "call" and e["syscall"] == "send"]) == 20
    recvs = [e for e in events if e["kind"] == "call" and e["syscall"] == "recv"]
    assert len(recvs) == 21 and recvs[-1]["errno"] == "EAGAIN"
    assert all(r["data"] == {"text": "\x00\ufffd", "hex": "00ff"} for r in recvs[:-1])


def test_missing_file_is_exit_2():
    proc = sockplay_run("/nonexistent/x.sp")
    assert proc.returncode == 2 and "cannot read" in proc.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.sp")))
def test_fixture_scripts_parse_or_fail_as_documented(script: str):
    from sockplay.lang.parser import check_script

    _, errors = check_script((SCRIPTS / script).read_text())
    assert bool(errors) == (script == "bad_syntax.sp")
