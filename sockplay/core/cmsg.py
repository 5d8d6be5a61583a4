"""Ancillary (control) messages as data: one row per (level, type).

Each row names the message, decodes what recvmsg returned into plain values,
renders `cmsg_data` the way strace prints it, and (for the ones a sender may
build) encodes a Python value into the bytes sendmsg takes. Adding a control
message is adding a row. Numbers are Linux x86-64; Python lacks many of them.

A decoded message is a dict with at least `level` ("SOL_SOCKET"), `name`
("SO_RXQ_OVFL") and `value`; some add fields beside the value (`rise`, `wall`,
`age`, `names`...). Unknown messages are kept as level/type/hex, never dropped.
"""

from __future__ import annotations

import errno as _errno
import socket
import struct
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sockplay.core import limits, trace
from sockplay.core.errors import UsageError

if TYPE_CHECKING:
    from sockplay.core.playground import Playground

SOL_SOCKET, SOL_IP, SOL_IPV6 = 1, 0, 41
LEVEL_NAMES = {SOL_SOCKET: "SOL_SOCKET", SOL_IP: "SOL_IP", SOL_IPV6: "SOL_IPV6", 6: "SOL_TCP", 17: "SOL_UDP"}


_time = time.time


class Ctx:
    """What a decoder may need beyond the bytes: the receiving socket and its playground."""

    __slots__ = ("pg", "sock", "now", "adopted", "flags")

    def __init__(self, pg: Playground | None, sock: Any, flags: int = 0) -> None:
        self.pg = pg
        self.sock = sock
        self.now = _time()
        self.adopted: list[str] | None = None  # names given to fds received by SCM_RIGHTS
        self.flags = flags


Decoder = Callable[[bytes, Ctx], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CmsgType:
    """One kind of control message."""

    level: int
    type: int
    name: str
    decode: Decoder
    strace: Callable[[bytes], str]
    help: str
    encode: Callable[[Any], bytes] | None = None

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, str(self.level))


# ---------------------------------------------------------------- small helpers
_wall_cache: list[Any] = [None, ""]


def _hms(sec: int) -> str:
    """Local wall-clock HH:MM:SS for an epoch second (cached: a flood hits the same second)."""
    if _wall_cache[0] != sec:
        _wall_cache[1] = time.strftime("%H:%M:%S", time.localtime(sec))
        _wall_cache[0] = sec
    return _wall_cache[1]


def _ifname(index: int) -> str:
    try:
        return socket.if_indextoname(index) if index else ""
    except OSError:
        return ""


def _int(data: bytes) -> int:
    if len(data) >= 4:
        return int.from_bytes(data[:4], "little", signed=True)
    return int.from_bytes(data, "little")


def _ints(data: bytes) -> list[int]:
    a = array("i")
    a.frombytes(data[: len(data) // 4 * 4])
    return a.tolist()


def _hex(data: bytes) -> str:
    return data.hex()


def _strace_hex(data: bytes) -> str:
    return trace.string(data)


def _strace_int(data: bytes) -> str:
    return f"[{_int(data)}]"


def _sockaddr(raw: bytes) -> str | None:
    """Address text of a raw sockaddr_in / sockaddr_in6 (None for AF_UNSPEC)."""
    if len(raw) < 2:
        return None
    fam = int.from_bytes(raw[:2], "little")
    if fam == socket.AF_INET and len(raw) >= 8:
        port = int.from_bytes(raw[2:4], "big")
        return f"{socket.inet_ntop(socket.AF_INET, raw[4:8])}:{port}"
    if fam == socket.AF_INET6 and len(raw) >= 24:
        port = int.from_bytes(raw[2:4], "big")
        return f"[{socket.inet_ntop(socket.AF_INET6, raw[8:24])}]:{port}"
    return None


def _strace_sockaddr(raw: bytes) -> str:
    text = _sockaddr(raw)
    if text is None:
        return "{sa_family=AF_UNSPEC}"
    if text.startswith("["):
        host, port = text[1:].rsplit("]:", 1)
        return f'{{sa_family=AF_INET6, sin6_port=htons({port}), inet_pton(AF_INET6, "{host}", &sin6_addr)}}'
    host, port = text.rsplit(":", 1)
    return f'{{sa_family=AF_INET, sin_port=htons({port}), sin_addr=inet_addr("{host}")}}'


# ---------------------------------------------------------------- timestamps
_TV = struct.Struct("qq")


def _dec_timeval(data: bytes, ctx: Ctx) -> dict[str, Any]:
    sec, usec = _TV.unpack_from(data)
    value = sec + usec / 1e6
    hms = _wall_cache[1] if _wall_cache[0] == sec else _hms(sec)
    return {"value": value, "wall": f"{hms}.{usec:06d}", "age": ctx.now - value}


def _dec_timespec(data: bytes, ctx: Ctx) -> dict[str, Any]:
    sec, nsec = _TV.unpack_from(data)
    value = sec + nsec / 1e9
    return {"value": value, "ns": sec * 1_000_000_000 + nsec, "wall": f"{_hms(sec)}.{nsec:09d}", "age": ctx.now - value}


def _dec_timestamping(data: bytes, ctx: Ctx) -> dict[str, Any]:
    stamps = [_TV.unpack_from(data, i * 16) for i in range(min(3, len(data) // 16))]
    values = [s + ns / 1e9 for s, ns in stamps]
    d: dict[str, Any] = {"value": values}
    for label, (s, ns), v in zip(("software", "legacy", "hardware"), stamps, values, strict=False):
        d[label] = v
        if label == "software" and (s or ns):
            d["wall"] = f"{_hms(s)}.{ns:09d}"
            d["age"] = ctx.now - v
    return d


def _strace_timeval(data: bytes) -> str:
    sec, usec = _TV.unpack_from(data)
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def _strace_timespec(data: bytes) -> str:
    sec, nsec = _TV.unpack_from(data)
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


def _strace_timestamping(data: bytes) -> str:
    parts = [_strace_timespec(data[i * 16 : i * 16 + 16]) for i in range(len(data) // 16)]
    return "[" + ", ".join(parts) + "]"


# ---------------------------------------------------------------- SOL_SOCKET
def _dec_ovfl(data: bytes, ctx: Ctx) -> dict[str, Any]:
    value = int.from_bytes(data[:4], "little")
    s = ctx.sock
    last = getattr(s, "last_ovfl", None)
    rise = value - (last or 0)
    if s is not None:
        s.last_ovfl = value
    return {"value": value, "rise": rise}


def _dec_rights(data: bytes, ctx: Ctx) -> dict[str, Any]:
    fds = _ints(data)
    names: list[str] = []
    if ctx.pg is not None:
        for fd in fds:
            names.append(ctx.pg.adopt_fd(fd, origin="scm_rights", prefix="r"))
        if ctx.adopted is None:
            ctx.adopted = []
        ctx.adopted.extend(names)
    d: dict[str, Any] = {"value": fds, "fds": fds, "names": names}
    if len(data) % 4:
        d["partial"] = len(data) % 4
    return d


def _enc_rights(fds: Any) -> bytes:
    return array("i", [limits.c_int(f, "fd") for f in fds]).tobytes()


def _strace_rights(data: bytes) -> str:
    return "[" + ", ".join(str(f) for f in _ints(data)) + "]"


_UCRED = struct.Struct("iII")


def _dec_creds(data: bytes, ctx: Ctx) -> dict[str, Any]:
    pid, uid, gid = _UCRED.unpack_from(data)
    return {"value": {"pid": pid, "uid": uid, "gid": gid}, "pid": pid, "uid": uid, "gid": gid}


def _enc_creds(value: Any) -> bytes:
    import os

    if value is True or value in ("", None, "self", "creds"):
        pid, uid, gid = os.getpid(), os.geteuid(), os.getegid()
    elif isinstance(value, dict) and {"pid", "uid", "gid"} <= set(value):
        pid, uid, gid = value["pid"], value["uid"], value["gid"]
    else:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        try:
            pid, uid, gid = (int(v) for v in value)
        except (TypeError, ValueError):
            raise UsageError(f"creds {value!r}: expected True (this process) or pid,uid,gid such as 1234,0,0") from None
    return _UCRED.pack(limits.c_int(pid, "creds pid"), limits.c_int(uid, "creds uid", "uint"),
                       limits.c_int(gid, "creds gid", "uint"))


def _strace_creds(data: bytes) -> str:
    pid, uid, gid = _UCRED.unpack_from(data)
    return f"{{pid={pid}, uid={uid}, gid={gid}}}"


def _dec_security(data: bytes, ctx: Ctx) -> dict[str, Any]:
    return {"value": data.rstrip(b"\0").decode(errors="replace")}


# ---------------------------------------------------------------- SOL_IP / SOL_IPV6
_PKTINFO = struct.Struct("i4s4s")


def _dec_pktinfo(data: bytes, ctx: Ctx) -> dict[str, Any]:
    ifindex, spec, addr = _PKTINFO.unpack_from(data)
    v = {
        "ifindex": ifindex,
        "ifname": _ifname(ifindex),
        "spec_dst": socket.inet_ntop(socket.AF_INET, spec),
        "addr": socket.inet_ntop(socket.AF_INET, addr),
    }
    return {"value": v}


def _strace_pktinfo(data: bytes) -> str:
    ifindex, spec, addr = _PKTINFO.unpack_from(data)
    name = _ifname(ifindex)
    idx = f'if_nametoindex("{name}")' if name else str(ifindex)
    return (f"{{ipi_ifindex={idx}, ipi_spec_dst=inet_addr(\"{socket.inet_ntop(socket.AF_INET, spec)}\"), "
            f"ipi_addr=inet_addr(\"{socket.inet_ntop(socket.AF_INET, addr)}\")}}")


def _split_pktinfo(value: Any) -> tuple[int, str]:
    """(ifindex, address) from "127.0.0.1", "lo", "lo,127.0.0.1", a tuple or a dict."""
    if isinstance(value, dict):
        return (limits.c_int(value.get("ifindex", 0) or 0, "pktinfo ifindex"),
                limits.no_nul(str(value.get("spec_dst") or value.get("addr") or ""), "pktinfo address"))
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise UsageError(f"pktinfo {value!r}: expected (ifindex, address)")
        return limits.c_int(value[0], "pktinfo ifindex"), limits.no_nul(str(value[1]), "pktinfo address")
    ifindex, addr = 0, ""
    for part in limits.no_nul(str(value), "pktinfo").split(","):
        part = part.strip()
        if not part:
            continue
        if part.isascii() and part.isdigit():
            ifindex = limits.c_int(part, "pktinfo ifindex")
        elif any(c in part for c in ".:"):
            addr = part.strip("[]")
        else:
            try:
                ifindex = socket.if_nametoindex(part)
            except OSError:
                raise UsageError(f"pktinfo: no interface named {part!r}") from None
    return ifindex, addr


def _enc_pktinfo(value: Any) -> bytes:
    ifindex, addr = _split_pktinfo(value)
    try:
        spec = socket.inet_pton(socket.AF_INET, addr or "0.0.0.0")
    except OSError:
        raise UsageError(f"pktinfo {value!r}: expected a source IPv4 address and/or interface, e.g. 127.0.0.1 or lo,127.0.0.1") from None
    return _PKTINFO.pack(ifindex, spec, b"\0\0\0\0")


_PKTINFO6 = struct.Struct("16si")


def _dec_pktinfo6(data: bytes, ctx: Ctx) -> dict[str, Any]:
    addr, ifindex = _PKTINFO6.unpack_from(data)
    return {"value": {"addr": socket.inet_ntop(socket.AF_INET6, addr), "ifindex": ifindex, "ifname": _ifname(ifindex)}}


def _strace_pktinfo6(data: bytes) -> str:
    addr, ifindex = _PKTINFO6.unpack_from(data)
    name = _ifname(ifindex)
    idx = f'if_nametoindex("{name}")' if name else str(ifindex)
    return f'{{ipi6_addr=inet_pton(AF_INET6, "{socket.inet_ntop(socket.AF_INET6, addr)}"), ipi6_ifindex={idx}}}'


def _enc_pktinfo6(value: Any) -> bytes:
    ifindex, addr = _split_pktinfo(value)
    try:
        raw = socket.inet_pton(socket.AF_INET6, addr or "::")
    except OSError:
        raise UsageError(f"pktinfo {value!r}: expected a source IPv6 address and/or interface, e.g. ::1 or lo,::1") from None
    return _PKTINFO6.pack(raw, ifindex)


def _dec_int(data: bytes, ctx: Ctx) -> dict[str, Any]:
    return {"value": _int(data)}


def _dec_byte(data: bytes, ctx: Ctx) -> dict[str, Any]:
    return {"value": data[0] if data else 0}


def _enc_int(value: Any) -> bytes:
    from sockplay.core.codecs import parse_int

    return struct.pack("i", limits.c_int(parse_int(value), "value"))


def _dec_origdst(data: bytes, ctx: Ctx) -> dict[str, Any]:
    return {"value": _sockaddr(data)}


# sock_extended_err (linux/errqueue.h) and the offender address after it.
_EE = struct.Struct("IBBBBII")
EE_ORIGINS = {0: "SO_EE_ORIGIN_NONE", 1: "SO_EE_ORIGIN_LOCAL", 2: "SO_EE_ORIGIN_ICMP",
              3: "SO_EE_ORIGIN_ICMP6", 4: "SO_EE_ORIGIN_TIMESTAMPING", 5: "SO_EE_ORIGIN_ZEROCOPY",
              6: "SO_EE_ORIGIN_TXTIME"}
ICMP_TYPES = {0: "echo reply", 3: "destination unreachable", 4: "source quench", 5: "redirect",
              8: "echo request", 11: "time exceeded", 12: "parameter problem"}
ICMP_UNREACH = {0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable",
                3: "port unreachable", 4: "fragmentation needed", 5: "source route failed",
                9: "network prohibited", 10: "host prohibited", 13: "administratively prohibited"}
ICMP6_TYPES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded", 4: "parameter problem"}
ICMP6_UNREACH = {0: "no route", 1: "administratively prohibited", 3: "address unreachable", 4: "port unreachable"}


def _dec_recverr(data: bytes, ctx: Ctx) -> dict[str, Any]:
    ee_errno, origin, typ, code, _pad, info, edata = _EE.unpack_from(data)
    origin_name = EE_ORIGINS.get(origin, str(origin))
    v: dict[str, Any] = {
        "errno": _errno.errorcode.get(ee_errno, str(ee_errno)) if ee_errno else 0,
        "origin": origin_name,
        "type": typ,
        "code": code,
        "info": info,
        "data": edata,
        "offender": _sockaddr(data[_EE.size :]),
    }
    if origin == 2:
        v["meaning"] = ICMP_TYPES.get(typ, f"ICMP type {typ}")
        if typ == 3:
            v["meaning"] += ": " + ICMP_UNREACH.get(code, f"code {code}")
    elif origin == 3:
        v["meaning"] = ICMP6_TYPES.get(typ, f"ICMPv6 type {typ}")
        if typ == 1:
            v["meaning"] += ": " + ICMP6_UNREACH.get(code, f"code {code}")
    elif origin == 4:
        v["meaning"] = "a transmit timestamp (the timestamps come in a SO_TIMESTAMPING message beside it)"
    return {"value": v}


def _strace_recverr(data: bytes) -> str:
    ee_errno, origin, typ, code, _pad, info, edata = _EE.unpack_from(data)
    err = _errno.errorcode.get(ee_errno, str(ee_errno)) if ee_errno else "0"
    return (f"{{ee_errno={err}, ee_origin={EE_ORIGINS.get(origin, origin)}, ee_type={typ}, ee_code={code}, "
            f"ee_info={info}, ee_data={edata}, offender={_strace_sockaddr(data[_EE.size:])}}}")


# ---------------------------------------------------------------- the table
CMSGS: tuple[CmsgType, ...] = (
    CmsgType(SOL_SOCKET, 1, "SCM_RIGHTS", _dec_rights, _strace_rights,
             "Open file descriptors passed between processes over a unix socket. Each one "
             "received is a new descriptor here, sharing the sender's open file.", _enc_rights),
    CmsgType(SOL_SOCKET, 2, "SCM_CREDENTIALS", _dec_creds, _strace_creds,
             "The sender's pid, uid and gid, checked by the kernel. The receiver sees them only "
             "with SO_PASSCRED on; root may send other ids than its own.", _enc_creds),
    CmsgType(SOL_SOCKET, 3, "SCM_SECURITY", _dec_security, _strace_hex,
             "The sender's security context (SELinux label), with SO_PASSSEC on."),
    CmsgType(SOL_SOCKET, 29, "SO_TIMESTAMP", _dec_timeval, _strace_timeval,
             "When the kernel received the packet, in microseconds (a timeval). The value is "
             "seconds since the epoch; `age` is how long it waited before you read it."),
    CmsgType(SOL_SOCKET, 35, "SO_TIMESTAMPNS", _dec_timespec, _strace_timespec,
             "The receive time with nanoseconds (a timespec)."),
    CmsgType(SOL_SOCKET, 37, "SO_TIMESTAMPING", _dec_timestamping, _strace_timestamping,
             "Three timestamps: software, a legacy slot (always zero now) and hardware. Only the "
             "sources enabled with SO_TIMESTAMPING flags are filled in."),
    CmsgType(SOL_SOCKET, 40, "SO_RXQ_OVFL", _dec_ovfl, _strace_int,
             "How many packets this socket has dropped so far because its receive buffer was "
             "full (a running total). `rise` is how many were lost since the last one seen."),
    CmsgType(SOL_SOCKET, 63, "SO_TIMESTAMP_NEW", _dec_timeval, _strace_timeval,
             "SO_TIMESTAMP with 64-bit fields on every architecture (y2038-safe)."),
    CmsgType(SOL_SOCKET, 64, "SO_TIMESTAMPNS_NEW", _dec_timespec, _strace_timespec,
             "SO_TIMESTAMPNS with 64-bit fields on every architecture."),
    CmsgType(SOL_SOCKET, 65, "SO_TIMESTAMPING_NEW", _dec_timestamping, _strace_timestamping,
             "SO_TIMESTAMPING with 64-bit fields on every architecture."),
    CmsgType(SOL_IP, 1, "IP_TOS", _dec_byte, _strace_int,
             "The TOS byte of the received IPv4 header (DSCP and ECN bits), with IP_RECVTOS on.", _enc_int),
    CmsgType(SOL_IP, 2, "IP_TTL", _dec_int, _strace_int,
             "The TTL left in the received IPv4 header (IP_RECVTTL). On send, the TTL for this one packet.",
             _enc_int),
    CmsgType(SOL_IP, 8, "IP_PKTINFO", _dec_pktinfo, _strace_pktinfo,
             "Which interface the packet came in on and which local address it was sent to "
             "(IP_PKTINFO on). On send, picks the source address and/or outgoing interface.", _enc_pktinfo),
    CmsgType(SOL_IP, 11, "IP_RECVERR", _dec_recverr, _strace_recverr,
             "An error queued for this socket (an ICMP error, a local error or a transmit "
             "timestamp), read with MSG_ERRQUEUE when IP_RECVERR is on. `offender` is who reported it."),
    CmsgType(SOL_IP, 20, "IP_ORIGDSTADDR", _dec_origdst, _strace_hex,
             "The packet's original destination address and port (IP_RECVORIGDSTADDR), useful behind TPROXY."),
    CmsgType(SOL_IPV6, 25, "IPV6_RECVERR", _dec_recverr, _strace_recverr,
             "IP_RECVERR for IPv6: an ICMPv6 or local error read from the error queue."),
    CmsgType(SOL_IPV6, 50, "IPV6_PKTINFO", _dec_pktinfo6, _strace_pktinfo6,
             "Arrival interface and destination address of an IPv6 packet (IPV6_RECVPKTINFO). On send, "
             "the source address and/or interface.", _enc_pktinfo6),
    CmsgType(SOL_IPV6, 52, "IPV6_HOPLIMIT", _dec_int, _strace_int,
             "The hop limit left in the received IPv6 header (IPV6_RECVHOPLIMIT). On send, the hop "
             "limit for this packet.", _enc_int),
    CmsgType(SOL_IPV6, 67, "IPV6_TCLASS", _dec_int, _strace_int,
             "The traffic class of the received IPv6 packet (IPV6_RECVTCLASS).", _enc_int),
    CmsgType(SOL_IPV6, 74, "IPV6_ORIGDSTADDR", _dec_origdst, _strace_hex,
             "The original destination of an IPv6 packet (IPV6_RECVORIGDSTADDR)."),
)

BY_KEY: dict[tuple[int, int], CmsgType] = {(r.level, r.type): r for r in CMSGS}
BY_NAME: dict[str, CmsgType] = {r.name: r for r in CMSGS}
_HEADS: dict[tuple[int, int], tuple[CmsgType, str, str]] = {k: (r, r.level_name, r.name) for k, r in BY_KEY.items()}


def lookup(name: str) -> CmsgType:
    row = BY_NAME.get(name.upper())
    if row is None:
        from sockplay.core.errors import did_you_mean

        raise UsageError(f"unknown control message {name!r}; expected one of {', '.join(BY_NAME)}",
                         hint=did_you_mean(name, BY_NAME))
    return row


def decode_one(level: int, typ: int, data: bytes, ctx: Ctx) -> dict[str, Any]:
    """One control message as a dict: level, name, value and any extra fields."""
    head = _HEADS.get((level, typ))
    if head is None:
        return {"level": LEVEL_NAMES.get(level, str(level)), "name": f"type {typ}", "type_number": typ,
                "value": data.hex(), "len": len(data), "unknown": True}
    row, level_name, name = head
    try:
        d = row.decode(data, ctx)
    except (struct.error, ValueError, IndexError, OSError) as exc:
        # A control message cut short (MSG_CTRUNC) keeps its bytes rather than vanishing.
        return {"level": level_name, "name": name, "value": data.hex(), "len": len(data),
                "error": f"could not decode {len(data)} bytes: {exc}"}
    return {"level": level_name, "name": name, **d}


def decode(anc: list[tuple[int, int, bytes]], ctx: Ctx) -> list[dict[str, Any]]:
    """Every control message recvmsg returned, in order."""
    return [decode_one(level, typ, data, ctx) for level, typ, data in anc]


def decode_into(out: list[dict[str, Any]], anc: list[tuple[int, int, bytes]], ctx: Ctx) -> None:
    """decode(), appending to an existing list (the Outcome's): one list less per call in a flood."""
    for level, typ, data in anc:
        out.append(decode_one(level, typ, data, ctx))


def _cmsg_len(n: int) -> int:
    return 16 + n  # CMSG_LEN on 64-bit: a 16-byte header, then the data


def strace_control(anc: Sequence[tuple[int, int, bytes]]) -> str:
    """msg_control=[...] as strace prints it."""
    parts = []
    for level, typ, data in anc:
        row = BY_KEY.get((level, typ))
        try:
            shown = row.strace(data) if row else trace.string(data)
        except (struct.error, ValueError, IndexError, OSError):
            shown = trace.string(data)
        parts.append(
            f"{{cmsg_len={_cmsg_len(len(data))}, cmsg_level={LEVEL_NAMES.get(level, level)}, "
            f"cmsg_type={row.name if row else typ}, cmsg_data={shown}}}"
        )
    return "[" + ", ".join(parts) + "]"


def space(anc: Sequence[tuple[int, int, bytes]]) -> int:
    """msg_controllen for these messages (CMSG_SPACE of each, 8-byte aligned)."""
    return sum(16 + ((len(d) + 7) & ~7) for _, _, d in anc)
