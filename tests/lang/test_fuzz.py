"""Thousands of random lines: the parser and executor give a result or a clear ScriptError, nothing else.

Lines are built from the language's own vocabularies (commands, options,
flags, families, addresses, settings) mixed with junk, so many of them parse
and then run on real sockets. Calls that could wait are made harmless (dontwait,
short timeouts, short sleeps) so the test takes seconds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sockplay.core import Playground, catalog, flags
from sockplay.lang import commands as C
from sockplay.lang.executor import Executor
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import Command, parse_line

NAMES = ["a", "b", "c", "srv"]
VOCAB = (
    list(C.COMMAND_NAMES)
    + [r.name for r in catalog.OPTIONS][:40]
    + [r.short for r in catalog.OPTIONS][:20]
    + [f.short for f in flags.MSG_FLAGS]
    + [f.name for f in flags.MSG_FLAGS][:5]
    + [f.name for f in flags.POLL_BITS]
    + [c.words[0] for c in flags.FAMILIES + flags.TYPES + flags.PROTOCOLS]
    + list(C.HOW_WORDS + C.FCNTL_OPS + C.EXPECT_FIELDS + C.SOCK_FLAGS + C.ioctl_requests())
    + NAMES * 6
    + ["127.0.0.1:0", "[::1]:0", "@sockplay-fuzz", "127.0.0.1:1", "0.0.0.0:0", "x.sock", "[::1", ":"]
    + ["0", "1", "2", "-1", "4096", "64k", "0x10", "on", "off", "on,0", "1.5", "99999999999", "nan"]
    + ['"hello"', "hex:00ff", "hex:0", '"a b"', '"\\x41\\n"', '"\\x4"', '"open', "'x'", "#", ";"]
    + ["count=2", "count=0", "timeout=10", "timeout=x", "anc=24", "to=a", "rights=a,b", "creds", "cnt=1"]
    + ["EAGAIN", "SOCK_STREAM", "SO_RXQ_OVFL", "POLLIN", "=", "a=b", "ready"]
)
JUNK = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6)
WORD = st.one_of(st.sampled_from(VOCAB), st.sampled_from(VOCAB), st.sampled_from(VOCAB), JUNK)
LINE = st.builds(
    lambda head, rest, sep: head + sep + sep.join(rest),
    st.one_of(st.sampled_from(C.COMMAND_NAMES), WORD),
    st.lists(WORD, max_size=6),
    st.sampled_from([" ", "  ", "\t"]),
)

# Words that fit each argument kind, so that many generated lines parse and run.
KIND_WORDS: dict[str, list[str]] = {
    "sock": NAMES,
    "newsock": NAMES,
    "family": ["unix", "unix", "inet", "inet6", "netlink"],
    "type": ["stream", "dgram", "seqpacket"],
    "proto": ["0", "tcp", "udp"],
    "sockflag": list(C.SOCK_FLAGS),
    "addr": NAMES + ["127.0.0.1:0", "[::1]:0", "@sockplay-fuzz", "@sockplay-fuzz2", "127.0.0.1:1", "x.sock"],
    "data": ["hello", '"a b\n"', "hex:00ff", '"\x00\x01"', '""', "x"],
    "flags": [f.short for f in flags.MSG_FLAGS],
    "size": ["0", "1", "2", "100", "64k"],
    "int": ["0", "1", "16"],
    "option": [r.name for r in catalog.OPTIONS],
    "value": ["0", "1", "4096", "on", "off", "on,0", "1.5", "-1", "lo", "x"],
    "how": list(C.HOW_WORDS),
    "request": list(C.ioctl_requests()),
    "fcntlop": ["nonblock on", "async off", "setown", "getown", "getfl", "setsig 0"],
    "key": ["rmem_max", "wmem_default", "nope"],
    "ms": ["0", "3", "1ms"],
    "topic": ["recv", "SO_LINGER", "peek", "data", "pollin"],
    "requirement": ["root", "cap CAP_NET_ADMIN", "kernel 2.6", "kernel x", "ipv6", "wings"],
    "text": ["hi", '"two words"'],
    "relaymode": ["hold", "stop", "wait", "halt"],
    "tlstarget": NAMES,  # not keylog: a fuzzed run must not write files (tls keylog FILE)
    "tlsrole": ["client", "server", "close", "clinet"],
    "field": ["signal SIGIO", "signal SIGURG a", "signal SIGHUP", "ret 0", "ret -1", "errno EAGAIN", "errno 0", 'data "hello"', "value 1", "value SOCK_STREAM",
              "cmsg SO_RXQ_OVFL", "flags MSG_TRUNC", "ready a POLLIN", "ready b POLLOUT",
              "wire tcp SYN", "wire tcp SYN ACK from a to b", "wire udp from a count=2", "wire icmp PORT_UNREACH"],
    "wireop": ["on", "off"],  # not save: a fuzzed run must not write files
    "wirearg": NAMES,
}
KEY_WORDS = {"count": ["1", "2", "3"], "timeout": ["0", "5"], "anc": ["0", "24", "256"], "to": NAMES + ["127.0.0.1:1"],
             "rights": ["a", "a,b", "c"], "after": ["0", "5"], "sni": ["localhost"], "alpn": ["h2,http/1.1"],
             "verify": ["on", "off", "missing-ca.pem"], "cert": ["missing.pem"], "key": ["missing.pem"]}


@st.composite
def valid_line(draw) -> str:
    """A line built from one command's own argument kinds, sometimes mutated by a word."""
    spec = draw(st.sampled_from(C.COMMANDS))
    words = [spec.name]
    for a in spec.args:
        if a.dest == "values":
            continue  # the field's words carry them
        if a.optional and draw(st.booleans()):
            continue
        n = draw(st.integers(1, 2)) if a.repeat else 1
        words += [draw(st.sampled_from(KIND_WORDS[a.kind])) for _ in range(n)]
    for k in spec.keys:
        if draw(st.integers(0, 3)) == 0:
            words.append(k.key if k.kind == "switch" else f"{k.key}={draw(st.sampled_from(KEY_WORDS[k.key]))}")
    if draw(st.integers(0, 4)) == 0:
        i = draw(st.integers(0, len(words)))
        if draw(st.booleans()) and i < len(words):
            del words[i]
        else:
            words.insert(i, draw(WORD))
    return " ".join(words)


SETUP = st.sampled_from(["socketpair a b", "socketpair a b dgram", "socket srv inet stream; bind srv 127.0.0.1:0; listen srv",
                         "socket a inet dgram; bind a 127.0.0.1:0; socket b inet dgram; connect b a",
                         "socket c unix stream"])
ANY_LINE = st.one_of(valid_line(), valid_line(), valid_line(), LINE)

BLOCKING = {"send", "sendto", "sendmsg", "recv", "recvfrom", "recvmsg"}


def make_harmless(cmd: Command, pg: Playground) -> None:
    """Keep random commands from waiting: no call may block the test."""
    a = cmd.args
    if cmd.name in BLOCKING:
        if "dontwait" not in a["flags"]:
            a["flags"] = [*a["flags"], "dontwait"]
        a["count"] = min(a.get("count", 1), 3)
    if cmd.name in ("accept", "connect", "recv", "recvfrom", "recvmsg", "send", "sendto"):
        a["timeout"] = 10
    if cmd.name == "connect" and a["sock"] in pg.sockets:
        pg.fcntl(a["sock"], "nonblock", True)  # a unix connect to a full backlog would wait
    if cmd.name == "poll":
        a["timeout"] = min(a.get("timeout", 0), 10)
    if cmd.name in ("relay", "tls"):
        a["timeout"] = 10  # relay ... wait and a handshake give up at once


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_LINE)
def test_parser_gives_commands_or_a_located_error(line: str):
    try:
        cmds = parse_line(line, 3)
    except ScriptError as e:
        assert e.line == 3
        assert 1 <= e.col <= len(line) + 2
        assert e.message and not e.message.startswith("Traceback")
    else:
        for cmd in cmds:
            assert cmd.spec.name == cmd.name
            assert cmd.text and cmd.text in line
            assert all(1 <= c <= len(line) for c in cmd.cols.values())


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(SETUP, max_size=2), st.lists(ANY_LINE, min_size=1, max_size=8))
def test_executor_gives_results_or_script_errors(workdir, monkeypatch, setup: list[str], lines: list[str]):
    monkeypatch.chdir(workdir)  # unix paths from random binds land here, and close_all removes them
    pg = Playground()
    ex = Executor(pg, ready_wait=0.02, max_sleep_ms=5)
    ran = 0
    try:
        for i, line in enumerate(setup + lines, 1):
            try:
                cmds = parse_line(line, i)
            except ScriptError:
                continue
            for cmd in cmds:
                make_harmless(cmd, pg)
                try:
                    result = ex.run(cmd)
                except ScriptError as e:
                    assert e.line == i and e.message
                    continue
                ran += 1
                assert result.command is cmd
                if cmd.spec.calls and cmd.name != "options":
                    assert result.outcomes, cmd.text
                    for o in result.outcomes:
                        assert o.ret is not None or o.errno is not None
                        assert isinstance(o.trace, str)
                        ev_json = [e for e in pg.journal.since(0) if e.outcome is o]
                        assert len(ev_json) == 1, "exactly one call event per syscall"
                        ev_json[0].to_json()
                if cmd.name == "expect":
                    assert result.expect is not None
    finally:
        pg.close_all()
    assert ran >= 0


def test_fuzz_vocabulary_reaches_the_kernel():
    """The executor property is only worth something if random lines do run: check a few do."""
    pg = Playground()
    ex = Executor(pg, ready_wait=0.02)
    try:
        for line in ("socketpair a b", "send a hello dontwait", "recv b 2 peek dontwait", "expect data he"):
            (cmd,) = parse_line(line)
            res = ex.run(cmd)
        assert res.expect is not None and res.expect.ok
    finally:
        pg.close_all()
