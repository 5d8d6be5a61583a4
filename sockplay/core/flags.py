"""Constant tables as data: MSG_ flags, poll bits, families, types, protocols.

One row per constant, the way strace keeps its tables. Numbers are Linux x86-64;
several are missing from Python's socket module, so they are spelled out here.
"""

from __future__ import annotations

import select
from dataclasses import dataclass

from sockplay.core import limits
from sockplay.core.errors import UsageError, did_you_mean


@dataclass(frozen=True, slots=True)
class Flag:
    """One named bit: its full name, short word, value and a line of help."""

    name: str
    short: str
    value: int
    help: str
    send: bool = False
    recv: bool = False


# MSG_* flags (linux/socket.h). `send`/`recv` say which calls Linux accepts them on.
MSG_FLAGS: tuple[Flag, ...] = (
    Flag("MSG_OOB", "oob", 0x1, "send or read the TCP urgent byte, out of band", True, True),
    Flag("MSG_PEEK", "peek", 0x2, "look at queued data without taking it off the queue", False, True),
    Flag("MSG_DONTROUTE", "dontroute", 0x4, "send only to directly reachable hosts, bypassing gateways", True, False),
    Flag("MSG_CTRUNC", "ctrunc", 0x8, "(returned) the control buffer was too small; ancillary data was cut", False, False),
    Flag("MSG_TRUNC", "trunc", 0x20, "return the real datagram length even if the buffer is shorter; on TCP, discard the bytes", False, True),
    Flag("MSG_DONTWAIT", "dontwait", 0x40, "do not block for this one call, as if the socket were nonblocking", True, True),
    Flag("MSG_EOR", "eor", 0x80, "mark the end of a record (SOCK_SEQPACKET)", True, False),
    Flag("MSG_WAITALL", "waitall", 0x100, "block until the whole buffer is filled (stream sockets)", False, True),
    Flag("MSG_CONFIRM", "confirm", 0x800, "tell the neighbour layer the peer answered (datagram sockets)", True, False),
    Flag("MSG_ERRQUEUE", "errqueue", 0x2000, "read from the socket's error queue (IP_RECVERR, TX timestamps)", False, True),
    Flag("MSG_NOSIGNAL", "nosignal", 0x4000, "do not raise SIGPIPE when the peer has gone; just return EPIPE", True, False),
    Flag("MSG_MORE", "more", 0x8000, "more data follows: hold this send back to coalesce it (like TCP_CORK)", True, False),
    Flag("MSG_WAITFORONE", "waitforone", 0x10000, "recvmmsg: block for the first message only", False, True),
    Flag("MSG_ZEROCOPY", "zerocopy", 0x4000000, "send from user pages without copying (needs SO_ZEROCOPY)", True, False),
    Flag("MSG_FASTOPEN", "fastopen", 0x20000000, "TCP Fast Open: send data in the SYN (sendto on an unconnected socket)", True, False),
    Flag("MSG_CMSG_CLOEXEC", "cmsg_cloexec", 0x40000000, "mark fds received by SCM_RIGHTS close-on-exec", False, True),
)

_BY_WORD = {f.name.lower(): f for f in MSG_FLAGS} | {f.short: f for f in MSG_FLAGS}


def msg_flag(word: str) -> Flag:
    """Look up `peek`, `MSG_PEEK` or `msg_peek`."""
    if not isinstance(word, str):
        raise UsageError(f"a flag is a word such as peek, not {type(word).__name__}")
    flag = _BY_WORD.get(word.lower())
    if flag is None:
        hint = did_you_mean(word, [f.short for f in MSG_FLAGS])
        raise UsageError(
            f"unknown flag {word!r}; expected one of {', '.join(f.short for f in MSG_FLAGS)}",
            hint=hint,
        )
    return flag


def msg_flags_value(words: list[str] | tuple[str, ...] | int | None) -> int:
    """OR together flags given as words, or pass an int through."""
    if words is None:
        return 0
    if isinstance(words, int):
        return limits.c_int(words, "flags")
    if isinstance(words, str):
        words = [w for w in words.replace("|", ",").split(",") if w]
    value = 0
    for w in words:
        value |= limits.c_int(w, "flag") if isinstance(w, int) else msg_flag(w).value
    return value


def bits_names(value: int, table: tuple[Flag, ...], empty: str = "0") -> str:
    """`MSG_PEEK|MSG_DONTWAIT` for a value, with any unknown bits in hex."""
    names = []
    rest = value
    for f in table:
        if value & f.value:
            names.append(f.name)
            rest &= ~f.value
    if rest:
        names.append(hex(rest))
    return "|".join(names) if names else empty


def bits_list(value: int, table: tuple[Flag, ...]) -> list[str]:
    return [f.name for f in table if value & f.value]


POLL_BITS: tuple[Flag, ...] = (
    Flag("POLLIN", "in", select.POLLIN, "data (or a connection, or EOF) is waiting to be read"),
    Flag("POLLPRI", "pri", select.POLLPRI, "urgent (out-of-band) data is waiting"),
    Flag("POLLOUT", "out", select.POLLOUT, "there is room in the send buffer"),
    Flag("POLLERR", "err", select.POLLERR, "an error is pending (read SO_ERROR or the error queue)"),
    Flag("POLLHUP", "hup", select.POLLHUP, "both directions are closed, or the connection was reset"),
    Flag("POLLNVAL", "nval", select.POLLNVAL, "the fd is not open"),
    Flag("POLLRDHUP", "rdhup", 0x2000, "the peer shut down its sending side (FIN seen)"),
)
POLL_ALL = 0
for _f in POLL_BITS:
    if _f.name != "POLLNVAL":
        POLL_ALL |= _f.value

_POLL_BY_WORD = {f.name.lower(): f for f in POLL_BITS} | {f.short: f for f in POLL_BITS}


def poll_mask(words: list[str] | tuple[str, ...] | int | str | None) -> int:
    """A poll interest mask from words such as `in`, `POLLOUT`; None means all bits."""
    if words is None:
        return POLL_ALL
    if isinstance(words, int):
        return limits.c_int(words, "poll events", "ushort")
    if isinstance(words, str):
        words = [w for w in words.replace("|", ",").split(",") if w]
    value = 0
    for w in words:
        if not isinstance(w, str):
            value |= limits.c_int(w, "poll event", "ushort")
            continue
        f = _POLL_BY_WORD.get(w.lower())
        if f is None:
            raise UsageError(
                f"unknown poll event {w!r}; expected one of {', '.join(f.name for f in POLL_BITS)}",
                hint=did_you_mean(w, [f.name for f in POLL_BITS]),
            )
        value |= f.value
    return value


@dataclass(frozen=True, slots=True)
class Const:
    """A named constant with the words people type for it."""

    name: str
    words: tuple[str, ...]
    value: int
    help: str


FAMILIES: tuple[Const, ...] = (
    Const("AF_UNIX", ("unix", "local", "af_unix", "af_local"), 1, "local sockets: a path or an abstract name"),
    Const("AF_INET", ("inet", "inet4", "ipv4", "ip", "af_inet"), 2, "IPv4"),
    Const("AF_INET6", ("inet6", "ipv6", "ip6", "af_inet6"), 10, "IPv6"),
    Const("AF_NETLINK", ("netlink", "af_netlink"), 16, "kernel messages (routing, ...)"),
    Const("AF_PACKET", ("packet", "af_packet"), 17, "raw link-layer frames (needs CAP_NET_RAW)"),
)

TYPES: tuple[Const, ...] = (
    Const("SOCK_STREAM", ("stream", "tcp", "sock_stream"), 1, "a reliable byte stream"),
    Const("SOCK_DGRAM", ("dgram", "udp", "datagram", "sock_dgram"), 2, "separate messages, no connection needed"),
    Const("SOCK_RAW", ("raw", "sock_raw"), 3, "raw protocol access (needs CAP_NET_RAW)"),
    Const("SOCK_SEQPACKET", ("seqpacket", "sock_seqpacket"), 5, "reliable, ordered messages with boundaries"),
)
SOCK_NONBLOCK = 0o4000
SOCK_CLOEXEC = 0o2000000

PROTOCOLS: tuple[Const, ...] = (
    Const("IPPROTO_IP", ("0", "ip", "default", "ipproto_ip"), 0, "the default protocol for the type"),
    Const("IPPROTO_ICMP", ("icmp", "ipproto_icmp"), 1, "ICMP"),
    Const("IPPROTO_TCP", ("tcp", "ipproto_tcp"), 6, "TCP"),
    Const("IPPROTO_UDP", ("udp", "ipproto_udp"), 17, "UDP"),
    Const("IPPROTO_IPV6", ("ipv6", "ipproto_ipv6"), 41, "IPv6"),
    Const("IPPROTO_ICMPV6", ("icmpv6", "ipproto_icmpv6"), 58, "ICMPv6"),
    Const("IPPROTO_SCTP", ("sctp", "ipproto_sctp"), 132, "SCTP"),
    Const("IPPROTO_UDPLITE", ("udplite", "ipproto_udplite"), 136, "UDP-Lite"),
    Const("IPPROTO_MPTCP", ("mptcp", "ipproto_mptcp"), 262, "Multipath TCP"),
    Const("IPPROTO_RAW", ("rawip", "ipproto_raw"), 255, "raw IP"),
)


def lookup(word: str | int, table: tuple[Const, ...], what: str) -> Const:
    """Find a constant by any of its words, its full name, or its number."""
    if isinstance(word, int):
        for c in table:
            if c.value == word:
                return c
        raise UsageError(f"unknown {what} number {word}")
    w = word.lower()
    for c in table:
        if w == c.name.lower() or w in c.words:
            return c
    if w.isascii() and w.isdigit():  # "²".isdigit() is True, yet int("²") raises
        return lookup(int(w), table, what)
    raise UsageError(
        f"unknown {what} {word!r}; expected one of {', '.join(c.words[0] for c in table)}",
        hint=did_you_mean(word, [c.words[0] for c in table] + [c.name for c in table]),
    )


def const_name(value: int, table: tuple[Const, ...]) -> str:
    for c in table:
        if c.value == value:
            return c.name
    return str(value)
