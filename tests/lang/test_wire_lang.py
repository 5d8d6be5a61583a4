"""The wire in the language: wire on|off|save and expect wire parse, complete, colour and run."""

from __future__ import annotations

import pytest

from sockplay.core import Playground
from sockplay.lang.completer import CommandCompleter, split_before_cursor
from sockplay.lang.executor import Executor
from sockplay.lang.grammar import ScriptError
from sockplay.lang.lexer import token_spans
from sockplay.lang.parser import parse_line


def one(line: str):
    (cmd,) = parse_line(line)
    return cmd


@pytest.mark.parametrize(("line", "want"), [
    ("expect wire tcp SYN", {"proto": "tcp", "flags": ["SYN"], "from": None, "to": None}),
    ("expect wire tcp syn ack from s to c", {"proto": "tcp", "flags": ["SYN", "ACK"], "from": "s", "to": "c"}),
    ("expect wire tcp PSH from c count=10 len=1", {"flags": ["PSH"], "count": 10, "len": 1}),
    ("expect wire tcp ACK from a win=0", {"win": 0, "from": "a"}),
    ("expect wire udp from u len=7", {"proto": "udp", "flags": [], "len": 7}),
    ("expect wire icmp PORT_UNREACH to u", {"proto": "icmp", "flags": ["PORT_UNREACH"], "to": "u"}),
])
def test_expect_wire_parses(line: str, want: dict) -> None:
    got = one(line).args["expected"]
    for k, v in want.items():
        assert got[k] == v


@pytest.mark.parametrize(("line", "col", "words"), [
    ("expect wire", 8, "needs a protocol"),
    ("expect wire sctp SYN", 13, "is not tcp, udp, icmp or icmp6"),
    ("expect wire tcp SNY", 17, "did you mean SYN"),
    ("expect wire udp SYN", 17, "udp has no flags"),
    ("expect wire tcp SYN from", 21, "needs a socket name"),
    ("expect wire tcp SYN count=x", 21, "count"),
    ("wire start", 6, "expected on, off or save"),
    ("wire save", 6, "needs one file name"),
    ("wire save a b", 13, "needs one file name"),
])
def test_expect_wire_mistakes_name_the_word(line: str, col: int, words: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_line(line)
    assert info.value.col == col, info.value.message
    assert words in info.value.message


def test_wire_forms_parse() -> None:
    assert one("wire").args.get("action") is None
    assert one("wire on c s").args == {"action": "on", "names": ["c", "s"]}
    assert one("wire off").args["action"] == "off"
    assert one("wire save /tmp/x.pcap").args["names"] == ["/tmp/x.pcap"]


def test_completer_offers_wire_words() -> None:
    pg = Playground()
    try:
        pg.socket("c", "inet", "stream")
        comp = CommandCompleter(lambda: list(pg.sockets))

        def texts(line: str) -> list[str]:
            cur = split_before_cursor(line)
            return [c[0] for c in comp.candidates(cur.words, cur.partial)]

        assert {"on", "off", "save"} <= set(texts("wire "))
        assert "c" in texts("wire on ")
        assert "wire" in texts("expect ")
        assert {"tcp", "udp", "icmp", "icmp6"} <= set(texts("expect wire "))
        assert {"SYN", "ACK", "from", "count="} <= set(texts("expect wire tcp "))
        assert "c" in texts("expect wire tcp SYN from ")
        assert "PORT_UNREACH" in texts("expect wire icmp ")
    finally:
        pg.close_all()


def test_lexer_colours_wire_words_as_known() -> None:
    kinds: dict[str, list[str]] = {"expect wire tcp SYN ACK from c": []}
    for line in kinds:
        spans = [(line[a:b], str(t)) for a, b, t in token_spans(line) if line[a:b].strip()]
        assert all("Error" not in t for _, t in spans), spans
        assert dict(spans)["SYN"] == "Token.Name.Constant"


def test_expect_wire_without_capture_fails_with_the_reason() -> None:
    pg = Playground()
    try:
        ex = Executor(pg, ready_wait=0.1)
        (r,) = ex.run_line("expect wire tcp SYN")
        assert r.expect is not None and not r.expect.ok
        assert "wire is off" in r.expect.message
        (r,) = ex.run_line("wire")
        assert r.lines[0].startswith("wire: off")
        with pytest.raises(ScriptError, match="nothing captured"):
            ex.run_line("wire save /tmp/never.pcap")
        with pytest.raises(ScriptError, match="no socket named 'nope'"):
            ex.run_line("wire on nope")
    finally:
        pg.close_all()
