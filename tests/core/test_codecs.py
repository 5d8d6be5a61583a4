"""Value codecs: typed text and Python values in, kernel bytes out, on real sockets where it matters."""

from __future__ import annotations

import errno
import os
import select
import socket
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockplay.core import codecs, tcpinfo
from sockplay.core.codecs import parse_int
from sockplay.core.errors import UsageError

SOL = socket.SOL_SOCKET


def c(kind: str) -> codecs.Codec:
    return codecs.codec(kind)


@pytest.fixture
def tcp_pair():
    lis = socket.create_server(("127.0.0.1", 0))
    cli = socket.create_connection(lis.getsockname())
    srv, _ = lis.accept()
    yield lis, cli, srv
    for s in (lis, cli, srv):
        s.close()


# ---- parse_int ------------------------------------------------------------------


@given(st.integers(min_value=-(2**63), max_value=2**63))
def test_parse_int_reads_decimal_and_hex(n: int) -> None:
    assert parse_int(str(n)) == n
    assert parse_int(hex(n)) == n
    assert parse_int(n) == n


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["k", "K", "m", "g"]))
def test_parse_int_size_suffixes(n: int, suffix: str) -> None:
    mult = {"k": 1024, "m": 1024**2, "g": 1024**3}[suffix.lower()]
    assert parse_int(f"{n}{suffix}") == n * mult


def test_parse_int_words_and_errors() -> None:
    assert parse_int("on") == 1 and parse_int("off") == 0 and parse_int(True) == 1
    assert parse_int("64k") == 65536 and parse_int("1_000") == 1000
    for bad in ("", "k", "four", "1.5", None, "0xzz"):
        with pytest.raises(UsageError, match="expected an integer"):
            parse_int(bad)


# ---- ints, bools, sizes -------------------------------------------------------------


def test_int_codec_round_trip_and_range() -> None:
    assert c("int").encode("-1") == struct.pack("i", -1)
    assert c("int").decode(struct.pack("i", 4096)) == 4096
    assert c("int").strace(struct.pack("i", 4096)) == "[4096]"
    with pytest.raises(UsageError, match="does not fit"):
        c("int").encode(2**31)


def test_size_codec_accepts_suffixes_and_shows_kib() -> None:
    assert c("size").encode("64k") == struct.pack("i", 65536)
    assert c("size").show(8192) == "8192 (8 KiB)"
    assert c("size").show(1000) == "1000"


def test_bool_codec() -> None:
    for text, want in (("on", 1), ("off", 0), ("yes", 1), ("0", 0), (True, 1), (5, 1)):
        assert c("bool").encode(text) == struct.pack("i", want)
    assert c("bool").show(1) == "on" and c("bool").show(0) == "off"
    for bad in ("maybe", "2", None, 1.5):
        with pytest.raises(UsageError, match="on or off"):
            c("bool").encode(bad)


def test_rcvbuf_is_doubled_on_a_real_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(SOL, socket.SO_RCVBUF, c("size").encode("8k"))
        assert c("size").decode(s.getsockopt(SOL, socket.SO_RCVBUF, 4)) == 16384


# ---- linger and timeval ----------------------------------------------------------------


@given(st.booleans(), st.integers(min_value=0, max_value=2**31 - 1))
def test_linger_text_and_tuple_agree(on: bool, secs: int) -> None:
    text = f"on,{secs}" if on else f"off,{secs}"
    raw = c("linger").encode(text)
    assert raw == c("linger").encode((int(on), secs))
    assert c("linger").decode(raw) == (int(on), secs)


def test_linger_forms_and_errors() -> None:
    assert c("linger").decode(c("linger").encode("off")) == (0, 0)
    assert c("linger").strace(c("linger").encode("on,0")) == "{l_onoff=1, l_linger=0}"
    assert c("linger").show((1, 5)) == "on,5" and c("linger").show((0, 0)) == "off"
    for bad in ("sometimes", "on,x", (1,), (1, 2, 3), "on,99999999999"):
        with pytest.raises(UsageError):
            c("linger").encode(bad)


def test_linger_reads_back_normalized_on_real_socket() -> None:
    with socket.socket() as s:
        s.setsockopt(SOL, socket.SO_LINGER, c("linger").encode((7, 5)))
        assert c("linger").decode(s.getsockopt(SOL, socket.SO_LINGER, 8)) == (1, 5)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=999_999))
def test_timeval_seconds_text_round_trips(sec: int, usec: int) -> None:
    text = f"{sec}.{usec:06d}"
    raw = c("timeval").encode(text)
    assert struct.unpack("ll", raw) == (sec, usec)
    assert c("timeval").decode(raw) == pytest.approx(sec + usec / 1e6)


def test_timeval_forms_and_errors() -> None:
    assert struct.unpack("ll", c("timeval").encode("1.5")) == (1, 500000)
    assert struct.unpack("ll", c("timeval").encode("2s")) == (2, 0)
    assert struct.unpack("ll", c("timeval").encode((3, 7))) == (3, 7)
    assert struct.unpack("ll", c("timeval").encode(0.9999999)) == (1, 0)
    assert c("timeval").strace(c("timeval").encode(1.5)) == "{tv_sec=1, tv_usec=500000}"
    assert c("timeval").show(0.0) == "0 (no timeout)"
    # A negative timeout is the kernel's to judge (it stores it as 0), so it is encoded as given.
    assert struct.unpack("ll", c("timeval").encode("-1")) == (-1, 0)
    assert struct.unpack("ll", c("timeval").encode(-0.25)) == (-1, 750000)
    for bad in ("soon", "nan", "inf", "-inf", (1,), ("a", 2)):
        with pytest.raises(UsageError):
            c("timeval").encode(bad)


def test_rcvtimeo_is_kept_in_ticks() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(SOL, socket.SO_RCVTIMEO, c("timeval").encode("1.5"))
        assert c("timeval").decode(s.getsockopt(SOL, socket.SO_RCVTIMEO, 16)) == 1.5
        s.setsockopt(SOL, socket.SO_RCVTIMEO, c("timeval").encode((0, 1)))
        back = c("timeval").decode(s.getsockopt(SOL, socket.SO_RCVTIMEO, 16))
        assert 1e-6 < back <= 0.01  # rounded up to one scheduler tick (build)
        with pytest.raises(OSError) as exc:  # usec out of range
            s.setsockopt(SOL, socket.SO_RCVTIMEO, c("timeval").encode((0, 1_000_000)))
        assert exc.value.errno == errno.EDOM


# ---- names: ifname, string, symbolic ints, errno -----------------------------------------


def test_ifname_binds_and_unbinds_a_real_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(SOL, socket.SO_BINDTODEVICE, c("ifname").encode("lo"))
        raw = s.getsockopt(SOL, socket.SO_BINDTODEVICE, c("ifname").size)
        assert c("ifname").decode(raw) == "lo" and c("ifname").strace(raw) == '"lo"'
        s.setsockopt(SOL, socket.SO_BINDTODEVICE, c("ifname").encode(""))
        raw = s.getsockopt(SOL, socket.SO_BINDTODEVICE, c("ifname").size)
        assert c("ifname").decode(raw) == "" and c("ifname").show("") == "(not bound)"
        with pytest.raises(OSError) as exc:
            s.setsockopt(SOL, socket.SO_BINDTODEVICE, c("ifname").encode("nosuchif0"))
        assert exc.value.errno == errno.ENODEV
    with pytest.raises(UsageError, match="at most 15"):
        c("ifname").encode("a" * 16)


def test_congestion_string(tcp_pair) -> None:
    _, cli, _ = tcp_pair
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, c("string").encode("reno"))
    assert c("string").decode(cli.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)) == "reno"
    with pytest.raises(OSError) as exc:
        cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, c("string").encode("nosuchalgo"))
    assert exc.value.errno == errno.ENOENT
    for bad in ("", "x" * 16):
        with pytest.raises(UsageError):
            c("string").encode(bad)


def test_symbolic_type_domain_protocol() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM | socket.SOCK_NONBLOCK) as s:
        assert c("sock_type").decode(s.getsockopt(SOL, socket.SO_TYPE, 4)) == "SOCK_STREAM"
        assert c("family").decode(s.getsockopt(SOL, socket.SO_DOMAIN, 4)) == "AF_INET6"
        raw = s.getsockopt(SOL, socket.SO_PROTOCOL, 4)
        assert c("protocol").decode(raw) == "IPPROTO_TCP" and c("protocol").strace(raw) == "[IPPROTO_TCP]"
    a, b = socket.socketpair()
    with a, b:
        assert c("protocol").decode(a.getsockopt(SOL, socket.SO_PROTOCOL, 4)) == 0
        assert "default" in c("protocol").show(0)
        # read-only options still encode, so a person can watch the kernel say ENOPROTOOPT
        with pytest.raises(OSError) as exc:
            a.setsockopt(SOL, socket.SO_TYPE, c("sock_type").encode("dgram"))
        assert exc.value.errno == errno.ENOPROTOOPT


def test_pmtudisc_names() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for text, want in (("do", "IP_PMTUDISC_DO"), ("IP_PMTUDISC_PROBE", "IP_PMTUDISC_PROBE"), ("0", "IP_PMTUDISC_DONT")):
            s.setsockopt(socket.IPPROTO_IP, 10, c("pmtudisc").encode(text))
            assert c("pmtudisc").decode(s.getsockopt(socket.IPPROTO_IP, 10, 4)) == want
    with pytest.raises(UsageError, match="IP_PMTUDISC_WANT"):
        c("pmtudisc").encode("sometimes")


def test_so_error_is_named_then_cleared() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()
    with socket.socket() as s:
        s.setblocking(False)
        assert s.connect_ex(closed) == errno.EINPROGRESS
        p = select.poll()
        p.register(s, select.POLLOUT)
        assert p.poll(2000)
        raw = s.getsockopt(SOL, socket.SO_ERROR, 4)
        assert c("errno").decode(raw) == "ECONNREFUSED"
        assert c("errno").strace(raw) == "[ECONNREFUSED]"
        assert c("errno").show("ECONNREFUSED").startswith("ECONNREFUSED (")
        assert c("errno").decode(s.getsockopt(SOL, socket.SO_ERROR, 4)) == 0
    assert c("errno").show(0) == "0 (no error pending)"
    assert c("errno").encode("EPIPE") == struct.pack("i", errno.EPIPE)
    assert c("errno").decode(struct.pack("i", errno.EOPNOTSUPP)) == "EOPNOTSUPP"  # not Python's ENOTSUP
    with pytest.raises(UsageError, match="ECONNREFUSED"):
        c("errno").encode("EWHATEVER")


# ---- structs ---------------------------------------------------------------------------


def test_ucred_on_a_socketpair() -> None:
    a, b = socket.socketpair()
    with a, b:
        raw = a.getsockopt(SOL, socket.SO_PEERCRED, c("ucred").size)
        cred = c("ucred").decode(raw)
        assert cred == {"pid": os.getpid(), "uid": os.geteuid(), "gid": os.getegid()}
        assert c("ucred").strace(raw) == f"{{pid={os.getpid()}, uid={os.geteuid()}, gid={os.getegid()}}}"
    assert c("ucred").encode("1,2,3") == struct.pack("iII", 1, 2, 3)
    with pytest.raises(UsageError):
        c("ucred").encode("nobody")


def test_peername_decodes_every_family(tcp_pair) -> None:
    lis, cli, _ = tcp_pair
    raw = cli.getsockopt(SOL, 28, c("sockaddr").size)  # 16 fits AF_INET exactly
    assert raw == c("sockaddr").read(cli.fileno(), SOL, 28)
    port = lis.getsockname()[1]
    assert c("sockaddr").decode(raw) == f"127.0.0.1:{port}"
    assert c("sockaddr").strace(raw).startswith(f"{{sa_family=AF_INET, sin_port=htons({port})")
    lis6 = socket.create_server(("::1", 0), family=socket.AF_INET6)
    cli6 = socket.create_connection(lis6.getsockname()[:2])
    with lis6, cli6:
        with pytest.raises(OSError) as exc:  # a buffer longer than the address is refused
            cli6.getsockopt(SOL, 28, 128)
        assert exc.value.errno == errno.EINVAL
        raw = c("sockaddr").read(cli6.fileno(), SOL, 28)
        assert c("sockaddr").decode(raw) == f"[::1]:{lis6.getsockname()[1]}"
        assert "AF_INET6" in c("sockaddr").strace(raw)
    name = f"\0sockplay-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX) as srv, socket.socket(socket.AF_UNIX) as u:
        srv.bind(name)
        srv.listen()
        u.connect(name)
        assert c("sockaddr").decode(c("sockaddr").read(u.fileno(), SOL, 28)) == "@" + name[1:]
    with socket.socket() as lonely:
        with pytest.raises(OSError) as exc:
            c("sockaddr").read(lonely.fileno(), SOL, 28)
        assert exc.value.errno == errno.ENOTCONN
    with pytest.raises(UsageError, match="read-only"):
        c("sockaddr").encode("127.0.0.1:80")
    assert c("sockaddr").encode("hex:0200") == b"\x02\x00"


def test_tcp_info_decodes_state_and_counters(tcp_pair) -> None:
    lis, cli, srv = tcp_pair
    cli.sendall(b"x" * 1000)
    assert srv.recv(2000)
    raw = cli.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, c("tcp_info").size)
    info = c("tcp_info").decode(raw)
    assert info["state"] == "ESTABLISHED" and info["ca_state"] == "Open"
    assert info["snd_mss"] > 0 and info["rtt"] > 0 and info["bytes_acked"] >= 1000
    assert "state=ESTABLISHED" in c("tcp_info").show(info)
    assert c("tcp_info").strace(raw).startswith("{tcpi_state=TCP_ESTABLISHED, tcpi_ca_state=TCP_CA_Open")
    short = tcpinfo.decode(raw[:104])  # an old kernel's length: no byte counters
    assert "total_retrans" in short and "bytes_acked" not in short
    listening = tcpinfo.decode(lis.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 512))
    assert listening["state"] == "LISTEN"
    assert tcpinfo.decode(b"") == {} and tcpinfo.show({}) == "(no data)"


def test_timestamping_flags() -> None:
    assert c("timestamping").encode("software,rx_software") == struct.pack("i", 24)
    assert c("timestamping").encode("SOF_TIMESTAMPING_OPT_ID|tx_software") == struct.pack("i", 0x82)
    assert c("timestamping").encode((16, 2)) == struct.pack("ii", 16, 2)
    assert c("timestamping").show(24) == "rx_software,software"
    assert c("timestamping").show(0) == "0 (off)"
    with pytest.raises(UsageError, match="software,rx_software"):
        c("timestamping").encode("software,fast")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(SOL, 37, c("timestamping").encode("software,rx_software,opt_id"))
        raw = s.getsockopt(SOL, 37, c("timestamping").size)
        assert c("timestamping").decode(raw) == 24 | 0x80
        assert "SOF_TIMESTAMPING_OPT_ID" in c("timestamping").strace(raw)


def test_multicast_membership_on_loopback() -> None:
    assert c("mreqn").encode("224.1.2.3") == socket.inet_aton("224.1.2.3") + bytes(4) + struct.pack("i", 0)
    lo = socket.if_nametoindex("lo")
    assert c("mreqn").encode("224.1.2.3,lo") == c("mreqn").encode(f"224.1.2.3,{lo}")
    assert c("mreqn").decode(c("mreqn").encode("224.1.2.3,127.0.0.1,1")) == {
        "group": "224.1.2.3", "address": "127.0.0.1", "ifindex": 1}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        join = c("mreqn").encode(f"224.1.2.3,127.0.0.1,{lo}")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, join)
        with pytest.raises(OSError) as exc:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, join)
        assert exc.value.errno == errno.EADDRINUSE
        s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, join)
        with pytest.raises(OSError) as exc:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, join)
        assert exc.value.errno == errno.EADDRNOTAVAIL
    for bad, needle in (("10.0.0.1", "not a multicast group"), ("224.1.2.3,nosuchif0", "no interface"),
                        ("", "GROUP"), ("224.1.2.3,1,2,3", "GROUP"), ("nonsense", "not an IPv4")):
        with pytest.raises(UsageError, match=needle):
            c("mreqn").encode(bad)


def test_txtime_round_trip() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(SOL, 61, c("txtime").encode("tai,deadline_mode"))
        got = c("txtime").decode(s.getsockopt(SOL, 61, 8))
        assert got == {"clock": "tai", "flags": ["deadline_mode"]}
        assert c("txtime").show(got) == "tai,deadline_mode"
    for bad in ("sundial", "tai,fast"):
        with pytest.raises(UsageError):
            c("txtime").encode(bad)


def test_u64_and_rate(tcp_pair) -> None:
    _, cli, srv = tcp_pair
    cookies = {c("u64").decode(s.getsockopt(SOL, 57, 8)) for s in (cli, srv)}
    assert len(cookies) == 2 and 0 not in cookies
    cli.setsockopt(SOL, 47, c("rate").encode("1m"))
    assert c("rate").decode(cli.getsockopt(SOL, 47, 8)) == 1 << 20
    assert c("rate").decode(cli.getsockopt(SOL, 47, 4)) == 1 << 20  # the 32-bit form
    cli.setsockopt(SOL, 47, c("rate").encode("unlimited"))
    assert c("rate").show(c("rate").decode(cli.getsockopt(SOL, 47, 8))) == "unlimited"
    with pytest.raises(UsageError, match="64 bits"):
        c("u64").encode(2**64)


def test_bytes_fallback_and_ignored() -> None:
    assert c("bytes").encode("hex:01ff") == b"\x01\xff"
    assert c("bytes").encode("01 ff") == b"\x01\xff"
    assert c("bytes").show(b"\x01\xff") == "hex:01ff"
    assert c("bytes").strace(b'a\0"') == '"a\\0\\""'
    with pytest.raises(UsageError, match="hex"):
        c("bytes").encode("hex:xyz")
    assert c("ignored").encode("anything") == bytes(4)


def test_codec_lookup_and_help() -> None:
    with pytest.raises(UsageError, match="known kinds"):
        codecs.codec("nope")
    for kind, cd in codecs.CODECS.items():
        assert cd.name == kind and cd.help and cd.size > 0, kind


def test_encoded_keeps_its_memory() -> None:
    enc = codecs.codec("cbpf").encode("drop-all")
    assert isinstance(enc, codecs.Encoded) and len(enc.raw) == 16 and enc.keep is not None
    assert codecs.codec("cbpf").strace(enc.raw) == "{len=1, filter=[BPF_STMT(BPF_RET|BPF_K, 0)]}"
    assert codecs.codec("cbpf").show(codecs.codec("cbpf").decode(enc.raw)) == "drop-all (1,6 0 0 0)"


def test_linger_raw_onoff_is_passed_to_the_kernel() -> None:
    """7,5 is what a C program could pass; the kernel stores l_onoff as 1."""
    import socket as _s

    with _s.socket() as s:
        s.setsockopt(_s.SOL_SOCKET, _s.SO_LINGER, codecs.codec("linger").encode("7,5"))
        assert codecs.codec("linger").decode(s.getsockopt(_s.SOL_SOCKET, _s.SO_LINGER, 8)) == (1, 5)
