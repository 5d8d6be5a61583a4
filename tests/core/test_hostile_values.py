"""Issue 10's reproductions and their classes: values that cannot be represented are a UsageError
naming what is wrong; values that can go to the kernel, which answers.

Every case runs on real sockets. Nothing here is allowed to raise anything but UsageError.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sockplay.core import Playground, limits
from sockplay.core.errors import UsageError


@pytest.fixture
def pair(pg: Playground) -> Playground:
    pg.socketpair("a", "b")
    return pg


def usage(fn, *args, match: str, **kw) -> str:
    with pytest.raises(UsageError, match=match) as info:
        fn(*args, **kw)
    return str(info.value)


# ---- NUL, anywhere --------------------------------------------------------------------------


@pytest.mark.parametrize("addr", ["127.0.0.1\0:0", "\x00127.0.0.1:0", "127.0.0.1:\x000"])
def test_nul_in_an_inet_address_is_refused(pg: Playground, addr: str) -> None:
    pg.socket("u", "inet", "dgram")
    with pytest.raises(UsageError):
        pg.bind("u", addr)


def test_nul_in_an_ipv6_scope_is_refused(pg: Playground) -> None:
    pg.socket("u", "inet6", "dgram")
    usage(pg.bind, "u", "[fe80::1%l\0o]:0", match="NUL byte")


def test_nul_in_a_unix_path_is_refused_and_nothing_is_created(pg: Playground, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    pg.socket("x", "unix", "stream")
    msg = usage(pg.bind, "x", "./p\0q", match="NUL byte")
    assert "cut the name" in msg and "@NAME" in msg
    with pytest.raises(UsageError):
        pg.bind("x", b"./p\0q")
    assert os.listdir(tmp_path) == []  # the kernel never saw it, so it never created ./p
    pg.close_all()  # and cleanup has nothing to trip over


def test_nul_inside_an_abstract_name_reaches_the_kernel(pg: Playground) -> None:
    """Abstract names are bytes with a length, NULs included: representable, so the kernel gets it."""
    pg.socket("x", "unix", "dgram")
    out = pg.bind("x", "@sp\0fuzz")
    assert out.ok, out.error


def test_unix_path_over_108_bytes_says_too_long(pg: Playground, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    pg.socket("x", "unix", "stream")
    msg = usage(pg.bind, "x", "./" + "p" * 120, match="too long")
    assert "108" in msg and "EIO" not in msg
    usage(pg.connect, "x", "./" + "p" * 120, match="too long")
    usage(pg.bind, "x", "@" + "q" * 108, match="at most 107")
    usage(pg.bind, "x", "./" + "p" * 106, match="at most 107")  # 108 bytes leave no room for the NUL
    assert pg.bind("x", "./" + "p" * 105).ok  # 107 bytes: fits exactly
    assert pg.bind("x", "@" + "q" * 107).errno == "EINVAL"  # fits; the kernel says the socket is bound


def test_close_all_removes_exactly_the_files_it_created(pg: Playground, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.sock").write_text("not ours")
    pg.socket("x", "unix", "stream")
    pg.socket("y", "unix", "dgram")
    assert pg.bind("x", "./made.sock").ok
    assert pg.bind("y", "./keep.sock").errno == "EADDRINUSE"  # exists: the kernel refuses, not ours
    with pytest.raises(UsageError):
        pg.bind("y", "./p\0q")
    pg.close_all()
    assert sorted(os.listdir(tmp_path)) == ["keep.sock"]
    pg.close_all()  # twice is fine


# ---- integers that do not fit their field -------------------------------------------------


@pytest.mark.parametrize("value", [2147483648, "2147483648", "0xffffffffffffffff", -2**40, 2**63])
def test_ioctl_value_beyond_32_bits_is_refused(pair: Playground, value) -> None:
    usage(pair.ioctl, "a", "FIONBIO", value, match="does not fit")


@pytest.mark.parametrize("value", [-1, 2147483647, -2147483648])
def test_ioctl_values_that_fit_go_to_the_kernel(pair: Playground, value: int) -> None:
    out = pair.ioctl("a", "FIONBIO", value)
    assert out.ok and f"[{value}]" in out.trace


@pytest.mark.parametrize(("call", "args"), [
    ("listen", (2**40,)),
    ("fcntl", ("setown", 2**40)),
    ("fcntl", ("setsig", -2**40)),
    ("shutdown", (2**40,)),
    ("poll", None),
])
def test_other_int_fields_beyond_their_c_type(pair: Playground, call: str, args) -> None:
    if call == "poll":
        usage(pair.poll, ["a"], timeout=2**70, match="does not fit")
    else:
        usage(getattr(pair, call), "a", *args, match="does not fit")


def test_flags_and_poll_events_beyond_their_type(pair: Playground) -> None:
    usage(pair.send, "a", b"x", flags=[2**40], match="does not fit")
    usage(pair.send, "a", b"x", flags=2**40, match="does not fit")
    usage(pair.poll, ["a"], events=2**20, match="16-bit")


def test_creds_pktinfo_and_rights_fields(pg: Playground) -> None:
    pg.socketpair("a", "b", type="dgram")
    usage(pg.sendmsg, "a", b"x", creds=(2**40, 0, 0), match="does not fit")
    usage(pg.sendmsg, "a", b"x", creds=(1, -1, 0), match="32-bit unsigned")
    usage(pg.sendmsg, "a", b"x", rights=[2**40], match="does not fit")
    pg.socket("u", "inet", "dgram")
    usage(pg.sendmsg, "u", b"x", to="127.0.0.1:9", pktinfo="lo\0", match="NUL")
    usage(pg.sendmsg, "u", b"x", to="127.0.0.1:9", ttl=2**40, match="does not fit")


# ---- sizes ---------------------------------------------------------------------------------


def test_receive_sizes_beyond_the_stated_limit(pair: Playground) -> None:
    usage(pair.recv, "b", 2**40, match="64 MiB")
    usage(pair.recv, "b", 2**63, match="64 MiB")
    usage(pair.recv, "b", 2147483647, match="64 MiB")
    usage(pair.recvfrom, "b", "1g", match="64 MiB")
    usage(pair.recvmsg, "b", 10, anc=2**40, match="1 MiB")
    usage(pair.recvmsg, "b", -1, match="negative")
    assert limits.MAX_RECV == 64 * 1024 * 1024


def test_a_receive_at_the_limit_is_a_real_call(pair: Playground) -> None:
    pair.send("a", b"hello")
    out = pair.recv("b", limits.MAX_RECV)
    assert out.ok and out.data == b"hello"
    assert f", {limits.MAX_RECV}, " in out.trace


# ---- ports and addresses ---------------------------------------------------------------------


@pytest.mark.parametrize("addr", [("127.0.0.1", 99999), ("127.0.0.1", -1), ("127.0.0.1", "x"), ("127.0.0.1",),
                                  (b"127.0.0.1", 80), ("1.2.3", 80), "127.0.0.1:99999", "127.0.0.1:٣"])
def test_bad_ports_and_address_tuples(pg: Playground, addr) -> None:
    pg.socket("a", "inet", "dgram")
    with pytest.raises(UsageError):
        pg.connect("a", addr)


def test_a_good_tuple_still_connects(pg: Playground) -> None:
    pg.socket("a", "inet", "dgram")
    assert pg.connect("a", ("127.0.0.1", 9)).ok


# ---- text that is not text ------------------------------------------------------------------


def test_surrogates_in_data_and_addresses(pair: Playground) -> None:
    usage(pair.send, "a", "\udcff", match="not text")
    pair.socket("x", "unix", "stream")
    usage(pair.bind, "x", "./\ud800", match="not text")


def test_every_usage_error_leaves_the_playground_working(pair: Playground) -> None:
    for bad in (lambda: pair.recv("b", 2**40), lambda: pair.ioctl("a", "FIONBIO", 2**40),
                lambda: pair.connect("a", ("127.0.0.1", 99999))):
        with pytest.raises(UsageError):
            bad()
    assert pair.send("a", b"ok").ok
    assert pair.recv("b", 2).data == b"ok"


# ---- every option codec, every hostile value ----------------------------------------------
HOSTILE_OPTION_VALUES = ["\x00", "²", "9" * 400, "-99999999999999999999", "on,²", "\ud800", "", ",,,", "on,",
                         "1e999", "nan", "hex:zz", "lo\x00", "a" * 5000, "4294967296", "-2147483649", "tai,²",
                         "224.0.0.1,lo\x00", "1," + "9" * 30, "🙂", "224.0.0.1,1.2.3.4,99999999999",
                         None, (2**70, 1), [1, 2, 3], b"\xff", 2**80, -(2**80), float("nan")]


def test_every_codec_refuses_what_it_cannot_carry_with_a_usage_error() -> None:
    """SO_TXTIME 4294967296 was a struct.error, IP_ADD_MEMBERSHIP "224.0.0.1,lo\\0" a ValueError,
    SO_BINDTODEVICE with a lone surrogate a UnicodeEncodeError: each killed the app from the option form."""
    from sockplay.core import codecs

    for kind, c in sorted(codecs.CODECS.items()):
        for v in HOSTILE_OPTION_VALUES:
            try:
                c.encode(v)
            except UsageError as exc:
                assert str(exc), (kind, v)
            except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
                pytest.fail(f"{kind} codec: {v!r:.40} raised {type(exc).__name__}: {exc}")


@pytest.mark.parametrize(("option", "value", "words"), [
    ("SO_TXTIME", "4294967296", "does not fit"),
    ("IP_ADD_MEMBERSHIP", "224.0.0.1,lo\x00", "NUL byte"),
    ("SO_BINDTODEVICE", "\ud800", "not text"),
])
def test_setsockopt_with_a_value_no_field_can_hold(pg: Playground, option: str, value: str, words: str) -> None:
    pg.socket("u", "inet", "dgram")
    usage(pg.setsockopt, "u", option, value, match=words)
    assert pg.getsockopt("u", "SO_TYPE").value == "SOCK_DGRAM"  # and it goes on


# ---- families libc.py does not pack (netlink, packet) ----------------------------------------


def test_a_netlink_socket_named_as_its_own_address_is_a_usage_error(pg: Playground) -> None:
    """Hypothesis found `bind c c` on AF_NETLINK raising TypeError from Python's socket module."""
    pg.socket("c", "netlink", "dgram")
    msg = usage(pg.bind, "c", "c", match="reads back addresses of inet, inet6 and unix sockets only")
    assert "AF_NETLINK" in msg
    assert [e.kind for e in pg.journal.snapshot() if e.sock == "c"] == ["call"]  # the socket() alone: no getsockname


@pytest.mark.parametrize("addr", [b"\x10\x00", ("x",), ("x", 0)])
def test_a_malformed_netlink_address_is_a_usage_error_before_any_syscall(pg: Playground, addr: object) -> None:
    pg.socket("c", "netlink", "dgram")
    before = pg.journal.last_seq
    usage(pg.bind, "c", addr, match="AF_NETLINK socket takes|netlink address is|pid")
    usage(pg.connect, "c", addr, match="AF_NETLINK socket takes|netlink address is|pid")
    assert pg.journal.last_seq == before


def test_a_netlink_pid_beyond_32_bits_is_refused_not_truncated(pg: Playground) -> None:
    """Python's socket module would pack 2**40 as 0 and the bind would succeed on another address."""
    pg.socket("c", "netlink", "dgram")
    usage(pg.bind, "c", (2**40, 0), match="pid")
    usage(pg.bind, "c", (0, -1), match="groups")
