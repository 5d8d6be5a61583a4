"""Hostile input through every door: parser, executor, REPL and the terminal parser.

Seeded with every reproduction of issue 10. The property is always the same: a
result or a located, worded error; never another exception, never a crash,
and the session goes on. `make test` runs a bounded number of examples;
`make fuzz` (SOCKPLAY_FUZZ=long) runs twenty times as many. Each test counts
the lines it tried into FUZZ_STATS, printed at the end of the session.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sockplay.core import Playground
from sockplay.lang import commands as C
from sockplay.lang.executor import Executor
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import parse_line
from sockplay.lang.repl import Repl
from tests.fuzz_profiles import fuzz_settings

from .test_fuzz import ANY_LINE, make_harmless

FUZZ_STATS: Counter[str] = Counter()

# Values of every hostile class: NUL, out-of-range integers for each field width, sizes
# above the limits, surrogates and other non-text, bad ports and addresses, long paths.
HOSTILE_WORDS = [
    '"127.0.0.1\\0:0"', '"./p\\0q"', '"@a\\0b"', '"\\0"', '"lo\\0"', "2147483648", "-2147483649",
    "0xffffffffffffffff", "18446744073709551616", "-1", "99999999999999999999999", "2147483647",
    "4294967296", "65536", "65535", "1e300", "nan", "inf", "-inf", "1e18", "64m", "65m", "1g",
    "127.0.0.1:99999", "127.0.0.1:-1", "[::1]:99999", "[fe80::1%l\\0o]:0", "[::1", "[]:0", ":",
    "./" + "p" * 120, "@" + "q" * 120, "./" + "p" * 106, "\udcff", "\ud800", "caf\udce9", "\x00",
    "\x1b[99999999999999~", "\x1b[1114112u", "timeout=-5", "timeout=99999999999", "count=99999999",
    "anc=1099511627776", "anc=-1", "count=0", "rights=a,a,a", "to=127.0.0.1:99999", "\u202e", "\ufeff",
]
SEEDS = [
    'bind u "127.0.0.1\\0:0"', "ioctl a FIONBIO 2147483648", "ioctl a FIONBIO 0xffffffffffffffff",
    'bind x "./p\\0q"', "recv b 2147483647", "recvmsg b 10 anc=1099511627776", "connect u 127.0.0.1:99999",
    "ioctl a FIONBIO -1099511627776", "recv b 1099511627776", "recv b 9223372036854775808",
    'send a "caf\udce9"', "poll a timeout=-5", "bind x ./" + "p" * 120,
]
SETUP = ["socketpair a b", "socket u inet dgram", "socket x unix stream", "socket v inet6 dgram"]

HOSTILE_TEXT = st.text(alphabet=st.characters(codec=None), max_size=12)  # surrogates and controls included
WORD = st.one_of(st.sampled_from(HOSTILE_WORDS), st.sampled_from(HOSTILE_WORDS), HOSTILE_TEXT)
HOSTILE_LINE = st.builds(
    lambda name, sock, rest: " ".join([name, sock, *rest]),
    st.sampled_from(C.COMMAND_NAMES), st.sampled_from(["a", "b", "u", "x", "v", "a\0"]), st.lists(WORD, max_size=4),
)
LINES = st.one_of(HOSTILE_LINE, HOSTILE_LINE, ANY_LINE, st.sampled_from(SEEDS))


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print(f"\nhostile fuzz: {dict(FUZZ_STATS)}")


@fuzz_settings(800)
@given(st.one_of(HOSTILE_TEXT, HOSTILE_LINE, st.sampled_from(SEEDS)))
@example("\udcff")
@example("\x00")
@example("send a \"\\x4\"")
@example("a" * 10000)
def test_parser_never_raises_anything_but_a_located_error(line: str) -> None:
    FUZZ_STATS["parser lines"] += 1
    try:
        cmds = parse_line(line, 5)
    except ScriptError as e:
        assert e.line == 5 and e.message and 1 <= e.col <= len(line) + 2
        FUZZ_STATS["parser errors"] += 1
    else:
        assert all(c.name in C.COMMAND_NAMES for c in cmds)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One playground for many examples (cheap); remade when an example closed what setup made."""
    d = tmp_path_factory.mktemp("hostile")
    old = os.getcwd()
    os.chdir(d)
    state = {"pg": None}
    yield state, d
    if state["pg"] is not None:
        state["pg"].close_all()
    os.chdir(old)
    leftovers = [p.name for p in d.iterdir()]
    assert leftovers == [], f"close_all left files behind: {leftovers}"


def _fresh(state) -> tuple[Playground, Executor]:
    pg = state["pg"]
    if pg is None or not {"a", "b", "u", "x", "v"} <= set(pg.sockets) or len(pg.sockets) > 40:
        if pg is not None:
            pg.close_all()
        pg = state["pg"] = Playground()
        ex = Executor(pg, ready_wait=0.02, max_sleep_ms=5)
        for line in SETUP:
            ex.run_line(line)
        state["ex"] = ex
    return pg, state["ex"]


@fuzz_settings(500)
@given(st.lists(LINES, min_size=1, max_size=4))
@example(SEEDS)
def test_executor_gives_results_or_located_errors(session, lines: list[str]) -> None:
    state, _ = session
    pg, ex = _fresh(state)
    for i, line in enumerate(lines, 1):
        FUZZ_STATS["executor lines"] += 1
        try:
            cmds = parse_line(line, i)
        except ScriptError:
            FUZZ_STATS["executor parse errors"] += 1
            continue
        for cmd in cmds:
            make_harmless(cmd, pg)
            if cmd.name == "poll":
                cmd.args["timeout"] = 0 if cmd.args.get("timeout", 0) < 0 else cmd.args.get("timeout", 0)
            try:
                result = ex.run(cmd)
            except ScriptError as e:
                assert e.line == i and e.message
                FUZZ_STATS["executor located errors"] += 1
                continue
            FUZZ_STATS["executor ran"] += 1
            for o in result.outcomes:
                assert o.ret is not None or o.errno is not None
                assert isinstance(o.trace, str)
                o.to_json() if hasattr(o, "to_json") else None


@fuzz_settings(60, 2000)
@given(st.lists(st.one_of(LINES, HOSTILE_TEXT), min_size=1, max_size=6))
@example(SEEDS)
def test_repl_answers_every_line_and_goes_on(session, lines: list[str]) -> None:
    """The REPL as `sockplay repl < file` runs it: each line answered, no internal error, then one more line."""
    out: list[str] = []
    pg = Playground()
    repl = Repl(pg, out.append, executor=Executor(pg, ready_wait=0.02, max_sleep_ms=5))
    safe = []
    for line in lines:
        for part in line.replace("\r", "\n").split("\n"):
            # nothing may wait: no blocking receives, no long sleeps or polls
            safe.append(part + " dontwait" if part.split()[:1] and part.split()[0].startswith("recv") else part)
    script = "socketpair a b\n" + "\n".join(s for s in safe if "poll" not in s and "accept" not in s and "connect" not in s) + "\necho END-OF-FUZZ\n"
    FUZZ_STATS["repl lines"] += script.count("\n")
    asyncio.run(asyncio.wait_for(repl.run_plain(io.StringIO(script)), 30))
    text = "\n".join(out)
    assert "internal error" not in text, text[-2000:]
    assert "END-OF-FUZZ" in text.split("echo END-OF-FUZZ")[-1]


CSI_NUMBER = st.one_of(st.integers(0, 2**70).map(str), st.sampled_from(["", "1114112", "99999999999999", "-1"]))


@fuzz_settings(1500)
@given(st.lists(CSI_NUMBER, min_size=1, max_size=4), st.sampled_from(list("~uABCDHFPQRSMm")),
       st.sampled_from([";", ":"]), st.sampled_from(["\x1b[", "\x1b[<", "\x1b[>", "\x1bO", "\x1b[?"]))
@example(["99999999999999"], "~", ";", "\x1b[")
@example(["1114112"], "u", ";", "\x1b[")
def test_guarded_terminal_parser_never_raises(numbers: list[str], final: str, sep: str, intro: str) -> None:
    from textual import events
    from textual.message import Message

    from sockplay.tui.guard import GuardedXTermParser

    FUZZ_STATS["escape sequences"] += 1
    p = GuardedXTermParser()
    got = list(p.feed(intro + sep.join(numbers) + final)) + list(p.feed("z"))
    got += list(p.feed(""))  # end of input flushes whatever is still held
    assert all(isinstance(e, Message) for e in got)
    assert any(isinstance(e, events.Key) for e in got) or not got  # a held sequence comes out as keys, if at all
