"""recvmsg/sendmsg and their control messages, on real sockets."""

from __future__ import annotations

import os
import socket
import time

import pytest

from sockplay.core import Playground
from sockplay.core.cmsg import CMSGS, Ctx, decode_one

SOL_SOCKET = socket.SOL_SOCKET
SO_TIMESTAMP, SO_TIMESTAMPNS, SO_TIMESTAMPING, SO_RXQ_OVFL, SO_RCVBUF = 29, 35, 37, 40, 8


def udp_pair(pg: Playground, rx: str = "u", tx: str = "v", family: str = "inet") -> None:
    pg.socket(rx, family, "dgram")
    pg.bind(rx, "127.0.0.1:0" if family == "inet" else "[::1]:0")
    pg.socket(tx, family, "dgram")
    pg.connect(tx, rx)


def one(out, name: str) -> dict:
    found = [c for c in out.cmsgs if c["name"] == name]
    assert len(found) == 1, out.cmsgs
    return found[0]


@pytest.mark.parametrize(("opt", "name"), [(SO_TIMESTAMP, "SO_TIMESTAMP"), (SO_TIMESTAMPNS, "SO_TIMESTAMPNS")])
def test_timestamps_are_close_to_the_wall_clock(pg: Playground, opt: int, name: str) -> None:
    udp_pair(pg)
    pg.get("u").setsockopt(SOL_SOCKET, opt, 1)
    pg.send("v", b"tick")
    out = pg.recvmsg("u", 64, anc=128)
    assert out.ok and out.data == b"tick" and out.ret == 4
    c = one(out, name)
    assert c["level"] == "SOL_SOCKET"
    assert isinstance(c["value"], float)
    assert abs(c["value"] - time.time()) < 1.0
    assert 0 <= c["age"] < 1.0
    assert c["wall"].count(":") == 2
    assert "cmsg_type=" + name in out.trace
    assert ("tv_usec=" if name == "SO_TIMESTAMP" else "tv_nsec=") in out.trace


def wait_for_rx_stamps(pg: Playground, rx: str = "u", tx: str = "v", timeout: float = 20.0) -> int:
    """Send probes until one arrives stamped; returns how many came without a stamp.

    Linux turns receive stamping on machine-wide through deferred work (the
    netstamp static key): datagrams that arrive before that work has run carry
    no software stamp, and on a loaded machine it can take a while.
    """
    unstamped = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert pg.send(tx, b"probe").ok
        out = pg.recvmsg(rx, 64, anc=256)
        assert out.ok and out.data == b"probe"
        if any(c["name"] == "SO_TIMESTAMPING" for c in out.cmsgs):
            return unstamped
        unstamped += 1
        time.sleep(0.01)
    raise AssertionError(f"no receive stamp within {timeout} s ({unstamped} datagrams without one)")


def test_so_timestamping_gives_three_stamps_with_software_set(pg: Playground) -> None:
    udp_pair(pg)
    pg.get("u").setsockopt(SOL_SOCKET, SO_TIMESTAMPING, 0x10 | 0x8)  # SOFTWARE | RX_SOFTWARE
    wait_for_rx_stamps(pg)
    pg.send("v", b"x")
    c = one(pg.recvmsg("u", anc=256), "SO_TIMESTAMPING")
    assert len(c["value"]) == 3
    assert abs(c["value"][0] - time.time()) < 1.0
    assert c["value"][1] == 0 and c["value"][2] == 0


def test_rxq_ovfl_counts_the_datagrams_that_were_dropped(pg: Playground) -> None:
    udp_pair(pg)
    u = pg.get("u")
    u.setsockopt(SOL_SOCKET, SO_RXQ_OVFL, 1)
    u.setsockopt(SOL_SOCKET, SO_RCVBUF, 1)  # the smallest buffer the kernel allows
    sent = 0
    for i in range(2000):
        if pg.send("v", b"flood %d" % i).ok:
            sent += 1
    received = 0
    counters = []
    while True:
        out = pg.recvmsg("u", 64, flags=["dontwait"])
        if not out.ok:
            assert out.errno == "EAGAIN"
            break
        received += 1
        counters += [c["value"] for c in out.cmsgs if c["name"] == "SO_RXQ_OVFL"]
    assert sent == 2000 and 0 < received < sent
    # A datagram carries the count of drops so far; one more after the drain carries them all.
    assert pg.send("v", b"after").ok
    out = pg.recvmsg("u", 64)
    c = one(out, "SO_RXQ_OVFL")
    assert c["value"] == sent - received
    assert c["rise"] == c["value"] - (counters[-1] if counters else 0)
    assert u.last_ovfl == sent - received


def test_scm_rights_passes_a_connected_socket_that_the_receiver_sends_through(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    pg.socket("c", "inet", "stream")
    assert pg.connect("c", "l").ok
    assert pg.accept("l", "srv").ok
    pg.socketpair("p", "q")
    sent = pg.sendmsg("p", b"take this", rights=["c"])
    assert sent.ok and sent.ret == 9
    assert sent.cmsgs[0]["name"] == "SCM_RIGHTS"
    assert f"cmsg_data=[{pg.sockets['c'].fileno()}]" in sent.trace
    out = pg.recvmsg("q", 64, anc=64)
    assert out.data == b"take this"
    c = one(out, "SCM_RIGHTS")
    assert c["names"] == ["r1"] and out.new_sockets == ["r1"]
    assert c["value"] == [pg.sockets["r1"].fileno()]
    assert pg.sockets["r1"].fileno() != pg.sockets["c"].fileno()
    assert pg.send("r1", b"via the passed fd").ok
    assert pg.recv("srv", 100).data == b"via the passed fd"


def test_scm_rights_with_no_room_sets_ctrunc(pg: Playground) -> None:
    pg.socketpair("p", "q")
    pg.sendmsg("p", b"x", rights="p,q")
    out = pg.recvmsg("q", 8, anc=0)
    assert out.ok and out.data == b"x"
    assert "MSG_CTRUNC" in out.msg_flags
    assert out.new_sockets == []
    assert any("control buffer" in n for n in out.notes)


def test_scm_credentials_with_so_passcred(pg: Playground) -> None:
    pg.socketpair("p", "q")
    pg.get("q").setsockopt(SOL_SOCKET, socket.SO_PASSCRED, 1)
    assert pg.sendmsg("p", b"who", creds=True).ok
    c = one(pg.recvmsg("q", 8), "SCM_CREDENTIALS")
    assert c["value"] == {"pid": os.getpid(), "uid": os.geteuid(), "gid": os.getegid()}
    if os.geteuid() == 0:  # root may claim other ids
        assert pg.sendmsg("p", b"x", creds=(1, 2, 3)).ok
        c = one(pg.recvmsg("q", 8), "SCM_CREDENTIALS")
        assert (c["pid"], c["uid"], c["gid"]) == (1, 2, 3)


def test_ip_recverr_reports_port_unreachable(pg: Playground) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    pg.socket("u", "inet", "dgram")
    pg.get("u").setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR
    assert pg.sendto("u", f"127.0.0.1:{closed_port}", b"anyone?").ok
    assert "POLLERR" in pg.poll(["u"], timeout=2000, events=["err"]).value["u"]
    out = pg.recvmsg("u", 64, flags=["errqueue"], anc=256)
    assert out.ok and out.data == b"anyone?"
    assert "MSG_ERRQUEUE" in out.msg_flags
    c = one(out, "IP_RECVERR")
    assert c["level"] == "SOL_IP"
    v = c["value"]
    assert v["errno"] == "ECONNREFUSED"
    assert v["origin"] == "SO_EE_ORIGIN_ICMP"
    assert (v["type"], v["code"]) == (3, 3)
    assert v["offender"].startswith("127.0.0.1:")
    assert "port unreachable" in v["meaning"]
    assert "ee_errno=ECONNREFUSED" in out.trace
    # The error queue is now empty: reading it again does not block.
    assert pg.recvmsg("u", 64, flags=["errqueue"]).errno == "EAGAIN"


def test_sendmsg_ttl_and_pktinfo_arrive_as_control_messages(pg: Playground) -> None:
    udp_pair(pg)
    u = pg.get("u")
    u.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL
    u.setsockopt(socket.IPPROTO_IP, 8, 1)  # IP_PKTINFO
    u.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
    out = pg.sendmsg("v", b"hop", ttl=7, pktinfo="127.0.0.1")
    assert out.ok, out.error
    assert "cmsg_type=IP_TTL, cmsg_data=[7]" in out.trace
    got = pg.recvmsg("u", 16)
    assert one(got, "IP_TTL")["value"] == 7
    assert one(got, "IP_TOS")["value"] == 0
    info = one(got, "IP_PKTINFO")["value"]
    assert info["addr"] == "127.0.0.1" and info["ifname"] == "lo"


def test_ipv6_pktinfo_and_hoplimit(pg: Playground) -> None:
    udp_pair(pg, family="inet6")
    u = pg.get("u")
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    assert pg.sendmsg("v", b"six", ttl=9).ok
    got = pg.recvmsg("u", 16)
    assert one(got, "IPV6_HOPLIMIT")["value"] == 9
    info = one(got, "IPV6_PKTINFO")
    assert info["level"] == "SOL_IPV6" and info["value"]["addr"] == "::1"
    assert got.address.startswith("[::1]:")


def test_msg_trunc_reports_the_real_length(pg: Playground) -> None:
    udp_pair(pg)
    pg.send("v", b"0123456789")
    pg.send("v", b"abcdefghij")
    out = pg.recvmsg("u", 4, flags=["trunc"])
    assert out.ret == 10 and out.data == b"0123"
    assert "MSG_TRUNC" in out.msg_flags
    out = pg.recvmsg("u", 4)
    assert out.ret == 4 and out.data == b"abcd" and "MSG_TRUNC" in out.msg_flags


def test_unknown_control_messages_are_kept_as_hex() -> None:
    c = decode_one(SOL_SOCKET, 99, b"\x01\x02\xff", Ctx(None, None))
    assert c["level"] == "SOL_SOCKET" and c["name"] == "type 99" and c["value"] == "0102ff"
    assert len({(r.level, r.type) for r in CMSGS}) == len(CMSGS)  # one row per (level, type)
    assert all(r.help for r in CMSGS)


def test_recvmsg_one_call_event_per_call(pg: Playground) -> None:
    udp_pair(pg)
    before = pg.journal.last_seq
    pg.send("v", b"x")
    pg.recvmsg("u")
    events = pg.journal.since(before)
    assert [(e.kind, e.outcome.syscall) for e in events] == [("call", "send"), ("call", "recvmsg")]
    d = events[-1].to_json()
    assert d["data"] == {"text": "x", "hex": "78"} and d["trace"].startswith("recvmsg(")


def test_peek_truncation_note_says_the_message_stays(pg) -> None:
    pg.socket("u1", "inet", "dgram")
    pg.bind("u1", "127.0.0.1:0")
    pg.socket("u2", "inet", "dgram")
    pg.connect("u2", "u1")
    pg.send("u2", b"0123456789")
    peek = pg.recvmsg("u1", 4, flags=["peek"])
    assert "MSG_TRUNC" in peek.msg_flags
    assert any("still queued" in n for n in peek.notes)
    assert pg.recvmsg("u1", 100).data == b"0123456789"
