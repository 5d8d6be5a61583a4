"""Classic BPF: text parsing, named programs, and real filters on real loopback sockets."""

from __future__ import annotations

import ctypes
import errno
import gc
import socket
import struct

import pytest

from sockplay.core import bpf, codecs
from sockplay.core.errors import UsageError

SO_ATTACH_FILTER = 26
SO_DETACH_FILTER = 27
SO_LOCK_FILTER = 44
SO_ATTACH_REUSEPORT_CBPF = 51

# tcpdump -ddd "ip" on an ethernet link: ldh [12]; jeq #0x800; ret #262144; ret #0
TCPDUMP_DDD = "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n"
TCPDUMP_DD = "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n"
EXPECTED = [(40, 0, 0, 12), (21, 0, 1, 2048), (6, 0, 0, 262144), (6, 0, 0, 0)]


def test_parse_tcpdump_ddd_text() -> None:
    assert bpf.parse_text(TCPDUMP_DDD) == EXPECTED


def test_parse_one_line_with_commas_and_dd_format() -> None:
    assert bpf.parse_text("4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0") == EXPECTED
    assert bpf.parse_text(TCPDUMP_DD) == EXPECTED


def test_ddd_round_trips() -> None:
    assert bpf.parse_text(bpf.ddd(EXPECTED)) == EXPECTED


@pytest.mark.parametrize(
    "text, needle",
    [
        ("", "empty"),
        ("3\n6 0 0 0", "says 3 instructions but has 1"),
        ("1\n6 0 0", "four numbers"),
        ("1\n6 0 zero 0", "not a number"),
        ("1\n70000 0 0 0", "16 bits"),
        ("1\n6 300 0 0", "8 bits"),
        ("1\n6 0 0 0x1ffffffff", "32 bits"),
        ("0", "at least one instruction"),
    ],
)
def test_parse_errors_say_what_was_expected(text: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        bpf.parse_text(text)


def test_too_many_instructions() -> None:
    with pytest.raises(UsageError, match="at most 4096"):
        bpf.to_insns([(6, 0, 0, 0)] * 4097)


def test_named_programs() -> None:
    assert bpf.named("drop-all") == [(6, 0, 0, 0)]
    assert bpf.named("accept-all") == [(6, 0, 0, 0xFFFFFFFF)]
    assert bpf.named("accept-first-16") == [(6, 0, 0, 16)]
    assert bpf.named("index-2") == [(6, 0, 0, 2)]
    # ld [SKF_AD_OFF + SKF_AD_CPU]; ret a
    assert bpf.named("cpu") == [(0x20, 0, 0, 0xFFFFF024), (0x16, 0, 0, 0)]
    assert bpf.named("accept-some") is None
    assert bpf.name_of([(6, 0, 0, 0)]) == "drop-all"
    assert bpf.name_of(EXPECTED) is None


def test_unknown_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        bpf.to_insns("accept-first-many")
    with pytest.raises(UsageError, match="not a BPF program"):
        bpf.to_insns(3.5)


def test_fprog_points_at_the_instructions_and_lives_with_the_program() -> None:
    prog = bpf.build("accept-first-16")
    length, addr = struct.unpack("HxxxxxxQ", prog.fprog)
    assert length == 1
    assert ctypes.string_at(addr, 8) == struct.pack("HBBI", 6, 0, 0, 16)
    assert bpf.from_fprog(prog.fprog) == [(6, 0, 0, 16)]
    raw = prog.fprog
    del prog
    gc.collect()
    assert bpf.from_fprog(raw) is None  # no dangling read after the memory is gone


def test_strace_names_opcodes() -> None:
    assert bpf.strace_insns([(6, 0, 0, 0)]) == "[BPF_STMT(BPF_RET|BPF_K, 0)]"
    text = bpf.strace_insns(EXPECTED)
    assert "BPF_STMT(BPF_LD|BPF_H|BPF_ABS, 0xc)" in text
    assert "BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, 0x800, 0, 0x1)" in text


# ---- real sockets -------------------------------------------------------------


@pytest.fixture
def udp_pair():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(2)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.connect(rx.getsockname())
    yield rx, tx
    rx.close()
    tx.close()


def _attach(sock: socket.socket, program: str, kind: str = "cbpf", option: int = SO_ATTACH_FILTER) -> None:
    enc = codecs.codec(kind).encode(program)
    assert isinstance(enc, codecs.Encoded)
    sock.setsockopt(socket.SOL_SOCKET, option, enc.raw)


def test_accept_first_n_counts_the_udp_header(udp_pair) -> None:
    rx, tx = udp_pair
    _attach(rx, "accept-first-12")  # 8 header bytes + 4 payload bytes
    tx.send(b"hello world")
    assert rx.recv(100) == b"hell"
    _attach(rx, "accept-first-8")  # only the header: an empty datagram arrives
    tx.send(b"hello world")
    assert rx.recv(100) == b""


def test_drop_all_drops_and_detach_restores(udp_pair) -> None:
    rx, tx = udp_pair
    _attach(rx, "drop-all")
    tx.send(b"lost")
    rx.settimeout(0.2)
    with pytest.raises(TimeoutError):
        rx.recv(100)
    rx.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, codecs.codec("ignored").encode("x"))
    tx.send(b"kept")
    assert rx.recv(100) == b"kept"
    with pytest.raises(OSError) as exc:  # detaching twice: nothing left
        rx.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)
    assert exc.value.errno == errno.ENOENT


def test_get_filter_reads_back_the_program(udp_pair) -> None:
    rx, _ = udp_pair
    c = codecs.codec("cbpf")
    assert c.decode(c.read(rx.fileno(), 1, 26)) == []
    _attach(rx, TCPDUMP_DDD)
    raw = c.read(rx.fileno(), 1, 26)
    assert len(raw) == 32
    assert c.decode(raw) == EXPECTED
    assert c.show(c.decode(raw)) == bpf.ddd(EXPECTED)
    # the plain socket.getsockopt path is refused loudly instead of overrunning its buffer
    with pytest.raises(OSError) as exc:
        rx.getsockopt(socket.SOL_SOCKET, 26, c.size)
    assert exc.value.errno == errno.EINVAL


def test_lock_filter_then_detach_gives_eperm(udp_pair) -> None:
    rx, _ = udp_pair
    _attach(rx, "accept-all")
    rx.setsockopt(socket.SOL_SOCKET, SO_LOCK_FILTER, 1)
    for option, value in ((SO_DETACH_FILTER, 0), (SO_LOCK_FILTER, 0)):
        with pytest.raises(OSError) as exc:
            rx.setsockopt(socket.SOL_SOCKET, option, value)
        assert exc.value.errno == errno.EPERM
    with pytest.raises(OSError) as exc:
        _attach(rx, "drop-all")
    assert exc.value.errno == errno.EPERM


def test_bad_program_is_einval(udp_pair) -> None:
    rx, _ = udp_pair
    with pytest.raises(OSError) as exc:
        _attach(rx, "2,21 5 5 0,6 0 0 0")  # jumps past the end
    assert exc.value.errno == errno.EINVAL


def test_reuseport_index_program_picks_the_socket() -> None:
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    try:
        with pytest.raises(OSError) as exc:  # without SO_REUSEPORT
            _attach(a, "index-1", "reuseport_cbpf", SO_ATTACH_REUSEPORT_CBPF)
        assert exc.value.errno == errno.EINVAL
        for s in (a, b):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.setblocking(False)
        a.bind(("127.0.0.1", 0))
        b.bind(a.getsockname())
        for target, other, program in ((b, a, "index-1"), (a, b, "index-0")):
            _attach(a, program, "reuseport_cbpf", SO_ATTACH_REUSEPORT_CBPF)
            for i, tx in enumerate(senders):  # eight source ports: the hash alone would split them
                tx.sendto(b"x%d" % i, a.getsockname())
            target.settimeout(1)
            got = sorted(target.recv(10) for _ in senders)
            assert got == sorted(b"x%d" % i for i in range(8))
            other.setblocking(False)
            with pytest.raises(BlockingIOError):
                other.recv(10)
    finally:
        for s in (a, b, *senders):
            s.close()


def test_filter_and_reuseport_programs_are_not_mixed_up() -> None:
    with pytest.raises(UsageError, match="SO_ATTACH_REUSEPORT_CBPF"):
        codecs.codec("cbpf").encode("cpu")
    with pytest.raises(UsageError, match="packet filter"):
        codecs.codec("reuseport_cbpf").encode("drop-all")
