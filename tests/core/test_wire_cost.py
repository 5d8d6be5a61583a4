"""The capture stays off the engine's back: hot paths on, packets journaled a block at a time, decoded when read.

The cost itself is measured by `make bench` (ratio per-call with wire), not
here; these tests check the mechanisms that keep it low still give every
packet, decoded as tcpdump would, to whoever reads the journal.
"""

from __future__ import annotations

import gc
import time

import pytest

from sockplay import bench
from sockplay.core import Playground
from sockplay.core.journal import WIRE_LAZY

from .test_wire import CAPTURE_WHY

pytestmark = pytest.mark.skipif(CAPTURE_WHY is not None, reason=f"no packet capture here: {CAPTURE_WHY}")


def _wait_packets(pg: Playground, n: int, timeout: float = 10.0) -> None:
    """Until the capture has journaled n packets (blocks retire every few ms)."""
    deadline = time.monotonic() + timeout
    while pg.wire_status()["packets"] < n and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pg.wire_status()["packets"] >= n, pg.wire_status()


def _udp_pair(pg: Playground) -> None:
    pg.socket("rx", "inet", "dgram")
    pg.bind("rx", "127.0.0.1:0")
    pg.fcntl("rx", "nonblock", True)
    pg.socket("tx", "inet", "dgram")
    pg.connect("tx", "rx")
    pg.fcntl("tx", "nonblock", True)


def test_hot_paths_stay_on_while_capturing(pg: Playground) -> None:
    _udp_pair(pg)
    assert pg.wire_on() is None
    sent = pg.send("tx", b"ping")
    got = pg.recvmsg("rx", 2048)
    for out in (sent, got):
        assert out._rec is not None  # a record, decoded on read: the lean path, not the Outcome-building one
    assert got.data == b"ping" and got.trace.startswith("recvmsg(")
    assert sent.ret == 4 and sent.trace.startswith("sendto(")
    _wait_packets(pg, 1)
    wire = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    assert [(e.fields["src_sock"], e.fields["dst_sock"], e.fields["len"]) for e in wire] == [("tx", "rx", 4)]


def test_a_block_of_packets_is_one_record_the_collector_leaves_alone(pg: Playground) -> None:
    _udp_pair(pg)
    assert pg.wire_on() is None
    for _ in range(300):
        pg.send("tx", b"x")
    _wait_packets(pg, 300)
    entries = [e for e in list(pg.journal._ring) if type(e) is tuple and len(e) == 2 and e[0][1] == WIRE_LAZY]
    assert len(entries) == 300
    assert len({id(e[0]) for e in entries}) < 300  # packets share their block's record
    gc.collect()
    gc.collect()  # a pair is untracked once its record is: the second pass sees that
    assert not any(gc.is_tracked(e) or gc.is_tracked(e[0]) for e in entries)
    evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    assert len(evs) == 300 and all(e.fields["src_sock"] == "tx" and e.fields["len"] == 1 for e in evs)


def _tcp_story(pg: Playground) -> None:
    pg.socket("srv", "inet", "stream")
    pg.bind("srv", "127.0.0.1:0")
    pg.listen("srv")
    assert pg.wire_on() is None
    pg.socket("c", "inet", "stream")
    assert pg.connect("c", "srv").ok
    assert pg.accept("srv", "a").ok
    pg.send("c", b"hello")
    pg.send("a", b"0123456789" * 30)
    pg.recv("a", 100)
    pg.recv("c", 1000)
    pg.shutdown("c", "wr")


def _fields(pg: Playground) -> list[tuple]:
    return [(e.fields["flags"], e.fields["seq"], e.fields["ack"], e.fields["src_sock"])
            for e in pg.journal.snapshot() if e.kind == "wire"]


def test_packets_read_last_first_decode_as_in_capture_order() -> None:
    one, two = Playground(), Playground()
    try:
        for pg in (one, two):
            _tcp_story(pg)
            _wait_packets(pg, 9)
            time.sleep(0.1)
        # one is read in order; two's newest packet is read first, which decodes the others before it
        in_order = _fields(one)
        newest = two.journal.since(two.journal.last_seq - 1)
        assert newest and newest[-1].kind == "wire"
        assert _fields(two)[-1][0] == newest[-1].fields["flags"]
        a, b = in_order, _fields(two)
        assert len(a) == len(b) >= 9
        assert [x[0] for x in a] == [x[0] for x in b]
        # relative numbers, as tcpdump prints them: the data after the handshake starts at 1
        for got in (a, b):
            data = [x for x in got if "PSH" in x[0] and x[3] == "c"]
            assert data and data[0][1] == 1
    finally:
        one.close_all()
        two.close_all()


def test_packets_still_decode_and_save_after_wire_off(pg: Playground, tmp_path) -> None:
    _udp_pair(pg)
    assert pg.wire_on() is None
    for i in range(5):
        pg.send("tx", f"m{i}")
    _wait_packets(pg, 5)
    path = tmp_path / "w.pcap"
    assert pg.wire_save(str(path)) == 5
    pg.wire_off()
    evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    assert [e.fields["len"] for e in evs] == [2] * 5
    assert {e.fields["src_sock"] for e in evs} == {"tx"}


def test_bench_measures_the_ways_with_wire_on_in_the_same_turns() -> None:
    r = bench.run(3000)
    if r["wire_skipped"]:
        pytest.skip(f"no capture for the bench: {r['wire_skipped']}")
    for w in ("bare wire", "per-call wire", "batch wire"):
        assert r["counts"][(w, "filling")] + r["counts"][(w, "full")] == 3000
    assert r["leftover"] == 0 and r["decoded"]
    w = r["wire"]
    assert w["packets"] + w["dropped"] == 9000  # every datagram of the three floods reached the ring or was counted lost
    assert w["passed"] == 9000 or w["dropped"]


def test_big_packets_are_decoded_at_once_so_the_ring_holds_no_block_of_them(pg: Playground) -> None:
    from sockplay.core.journal import WIRE

    _udp_pair(pg)
    pg.setsockopt("rx", "SO_RCVBUF", 1 << 20)
    assert pg.wire_on() is None
    for _ in range(5):
        pg.send("tx", b"b" * 4000)
    _wait_packets(pg, 5)
    ring = list(pg.journal._ring)
    assert not [e for e in ring if type(e) is tuple and len(e) == 2 and e[0][1] == WIRE_LAZY]
    decoded = [e for e in ring if type(e) is tuple and len(e) == 5 and e[1] == WIRE]
    assert len(decoded) == 5 and all(type(v) is not bytes for e in decoded for v in e[4])
    evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    assert [e.fields["len"] for e in evs] == [4000] * 5 and {e.fields["dst_sock"] for e in evs} == {"rx"}
