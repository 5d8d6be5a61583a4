"""Socket ioctls and /proc/sys/net/core reads on real sockets."""

from __future__ import annotations

import time

import pytest

from sockplay.core import Playground, UsageError
from sockplay.core.ioctls import IOCTLS
from sockplay.core.sysctl import SYSCTLS


def test_siocinq_counts_the_first_datagram_and_siocoutq_tcp(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    pg.socket("v", "inet", "dgram")
    pg.connect("v", "u")
    assert pg.ioctl("u", "SIOCINQ").value == 0
    pg.send("v", b"12345")
    pg.send("v", b"1234567890")
    out = pg.ioctl("u", "FIONREAD")
    assert out.ok and out.value == 5  # UDP: only the first datagram
    assert out.trace == f"ioctl({pg.sockets['u'].fileno()}, FIONREAD, [5]) = 0"
    assert pg.ioctl("u", "inq").value == 5
    assert pg.ioctl("v", "SIOCOUTQ").ok


def test_siocinq_on_a_listener_is_einval(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    out = pg.ioctl("l", "SIOCINQ")
    assert out.errno == "EINVAL" and out.ret == -1 and out.error


def test_siocgstamp_enoent_then_the_last_packet_time(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    pg.socket("v", "inet", "dgram")
    assert pg.ioctl("u", "SIOCGSTAMP").errno == "ENOENT"
    pg.sendto("v", "u", b"t")
    pg.recv("u", 10)
    out = pg.ioctl("u", "SIOCGSTAMP")
    assert out.ok and abs(out.value - time.time()) < 1.0
    assert "tv_usec=" in out.trace
    ns = pg.ioctl("u", "SIOCGSTAMPNS")
    assert ns.ok and abs(ns.value - out.value) < 1e-5 and "tv_nsec=" in ns.trace
    pg.socketpair("a", "b")
    assert pg.ioctl("a", "SIOCGSTAMP").errno == "ENOTTY"


def test_fionbio_and_siocatmark(pg: Playground) -> None:
    pg.socketpair("a", "b")
    assert pg.ioctl("b", "FIONBIO", 1).ok
    assert pg.recv("b", 10).errno == "EAGAIN"
    assert pg.ioctl("b", "FIONBIO", 0).ok
    assert "O_NONBLOCK" not in pg.fcntl("b", "getfl").value
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    pg.socket("c", "inet", "stream")
    pg.connect("c", "l")
    pg.accept("l", "s")
    pg.send("c", b"ab")
    pg.send("c", b"!", flags=["oob"])
    pg.poll(["s"], timeout=2000, events=["pri"])
    assert pg.ioctl("s", "SIOCATMARK").value == 0
    assert pg.recv("s", 10).data == b"ab"
    assert pg.ioctl("s", "SIOCATMARK").value == 1


def test_ioctl_events_and_bad_requests(pg: Playground) -> None:
    pg.socketpair("a", "b")
    seq = pg.journal.last_seq
    pg.ioctl("a", "FIOGETOWN")
    evs = pg.journal.since(seq)
    assert [(e.kind, e.outcome.syscall) for e in evs] == [("call", "ioctl")]
    with pytest.raises(UsageError, match="SIOCINQ"):
        pg.ioctl("a", "SIOCINQQ")
    assert len({r.number for r in IOCTLS}) == len(IOCTLS)


def test_sysctl_one_key_and_all(pg: Playground) -> None:
    out = pg.sysctl("rmem_max")
    with open("/proc/sys/net/core/rmem_max") as f:
        assert out.value == int(f.read())
    assert out.ok and out.notes and "SO_RCVBUF" in out.notes[0]
    assert pg.sysctl("net.core.rmem_max").value == out.value
    seq = pg.journal.last_seq
    everything = pg.sysctl()
    assert set(everything.value) == {r.key for r in SYSCTLS} == {
        "rmem_default", "rmem_max", "wmem_default", "wmem_max", "optmem_max", "netdev_max_backlog",
        "message_cost", "message_burst", "busy_read", "busy_poll"}
    assert all(isinstance(v, int) for v in everything.value.values())
    assert [e.kind for e in pg.journal.since(seq)] == ["call"]
    with pytest.raises(UsageError, match="rmem_max"):
        pg.sysctl("rmem_maks")
    assert all(len(r.help) > 40 for r in SYSCTLS)
