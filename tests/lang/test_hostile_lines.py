"""Issue 10's reproductions as a person types them: in a script, at the REPL, from a paste.

Each line ends in a located error (exit 2 from `sockplay run`) or runs; an
internal error is exit 3 with the traceback, never 1 (a failed expect).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sockplay.core import Playground
from sockplay.lang.executor import Executor
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import parse_line

from .test_repl import Harness, repl  # noqa: F401 - the REPL fixture

ROOT = Path(__file__).resolve().parents[2]

# (line, words the error must contain); each runs after `socketpair a b; socket u inet dgram; socket x unix stream`
REFUSED = [
    ('bind u "127.0.0.1\\0:0"', "NUL byte"),
    ("ioctl a FIONBIO 2147483648", "does not fit"),
    ("ioctl a FIONBIO 0xffffffffffffffff", "does not fit"),
    ("ioctl a FIONBIO -2147483649", "does not fit"),
    ('bind x "./p\\0q"', "NUL byte"),
    ("bind x ./" + "p" * 110, "too long"),
    ("recv b 2147483647 dontwait", "64 MiB"),
    ("recv b 99999999999999999999999 dontwait", "too large"),
    ("recvmsg b 10 anc=1099511627776 dontwait", "1 MiB"),
    ("connect u 127.0.0.1:99999", "outside 0..65535"),
    ("listen x 99999999999", "too large"),
    ("fcntl a setown 99999999999", "does not fit"),
    ("setsockopt a SO_RCVBUF 99999999999999999999", "does not fit"),
    ('send a "\udcff"', "not text"),
    ("bind u 127.0.0.1:\udcff", "not text"),
    # '²'.isdigit() is True, yet int('²') raises ValueError: every isdigit() that guards an int() checks isascii() too
    ("setsockopt u SO_LINGER ²,5", "expected on,SECONDS"),
    ("setsockopt u SO_TXTIME ²", "expected a clock"),
    ("connect u localhost:²", "not a number"),
    ("setsockopt u IP_ADD_MEMBERSHIP 224.0.0.1,²", "interface"),
    ("expect errno E²", "not an errno name"),
    # a host name idna cannot encode (a label over 63 characters) is refused before the resolver
    ("connect u " + "a" * 300 + ":80", "1 to 63 characters"),
]


def setup() -> tuple[Playground, Executor]:
    pg = Playground()
    ex = Executor(pg, ready_wait=0.05, max_sleep_ms=5)
    for line in ("socketpair a b", "socket u inet dgram", "socket x unix stream"):
        ex.run_line(line)
    return pg, ex


@pytest.mark.parametrize(("line", "words"), REFUSED)
def test_hostile_line_is_a_located_error(line: str, words: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    pg, ex = setup()
    try:
        with pytest.raises(ScriptError) as info:
            ex.run_line(line, 7)
        assert info.value.line == 7 and 1 <= info.value.col <= len(line)
        assert words in info.value.message, info.value.message
        assert ex.run_line("send a ok")[0].outcome.ret == 2  # and the playground goes on
    finally:
        pg.close_all()
    assert list(tmp_path.iterdir()) == []


def test_byte_count_option_refuses_unicode_digits() -> None:
    proc = run("socketpair a b\n", "run", "--journal-bytes", "²k", "-")
    assert proc.returncode == 2 and "is not a byte count" in proc.stderr, proc.stderr


def test_negative_poll_timeout_has_polls_meaning() -> None:
    (cmd,) = parse_line("poll a timeout=-1")
    assert cmd.args["timeout"] == -1
    pg, ex = setup()
    try:
        ex.run_line("send b x")
        out = ex.run_line("poll a timeout=-1")[0].outcome  # a is readable: returns at once
        assert out.ret == 1 and ", -1) = 1" in out.trace
    finally:
        pg.close_all()


def run(script: str, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "sockplay", *args]
    return subprocess.run(argv, input=script, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_run_exits_2_for_each_refused_line() -> None:
    for line, words in REFUSED[:6]:
        proc = run(f"socketpair a b\nsocket u inet dgram\nsocket x unix stream\n{line}\n", "run", "-")
        assert proc.returncode == 2, (line, proc.stderr)
        assert "<stdin>:4:" in proc.stderr and words in proc.stderr
        assert "Traceback" not in proc.stderr


CRASH = textwrap.dedent("""
    import sys
    from sockplay.lang.executor import Executor
    def broken(self, cmd, result):  # stands in for a bug in sockplay
        raise KeyError("a bug")
    Executor._do_echo = broken
    from sockplay.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_an_internal_error_is_exit_3_with_the_traceback() -> None:
    proc = run("socketpair a b\necho hi\nexpect ret 0\n", "run", "-", code=CRASH)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr and "KeyError: 'a bug'" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("sockplay run: this is a bug in sockplay")
    assert "socketpair" in proc.stdout  # what ran before is still printed


def test_a_failed_expect_is_still_exit_1() -> None:
    proc = run("socketpair a b\nexpect ret 5\n", "run", "-")
    assert proc.returncode == 1


async def test_repl_reports_a_non_utf8_paste_and_goes_on(repl: Harness) -> None:  # noqa: F811
    repl.inp.send_bytes(b'echo "caf\xe9"\r')
    await repl.wait_for("not text")
    assert "internal error" not in repl.text
    await repl.run_line("echo still-here", "still-here")


async def test_repl_shows_an_internal_error_with_its_traceback_and_goes_on(repl: Harness, monkeypatch) -> None:  # noqa: F811
    def broken(self, cmd, result):
        raise KeyError("a bug")

    monkeypatch.setattr(Executor, "_do_echo", broken)
    await repl.run_line("echo x", "a bug in sockplay")
    assert "Traceback" in repl.text and "KeyError" in repl.text
    await repl.run_line("socketpair a b", "new socket a, b")
    await asyncio.sleep(0)


def test_piped_repl_with_bytes_that_are_not_utf8() -> None:
    proc = subprocess.run([sys.executable, "-m", "sockplay", "repl"], input=b'socketpair a b\necho "caf\xe9"\nsend a hi\n',
                          capture_output=True, timeout=60, cwd=ROOT)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "not text" in out and "= 2" in out.split("send a hi")[1]
    assert b"Traceback" not in proc.stderr
