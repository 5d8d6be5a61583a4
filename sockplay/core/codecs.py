"""Value kinds of socket options: parse what a person types, decode what getsockopt returns.

Each codec turns a Python value or typed text into the bytes (or int) handed to
setsockopt, decodes getsockopt's bytes into a plain value, and prints both the
way strace does. Adding a kind is adding a Codec to CODECS.
"""

from __future__ import annotations

import errno as _errno
import math
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any

from sockplay.core import addresses, bpf, tcpinfo
from sockplay.core.errors import UsageError

_SIZE_SUFFIX = {"k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024}
_TRUE = ("on", "true", "yes")
_FALSE = ("off", "false", "no")


def parse_int(value: Any, what: str = "value") -> int:
    """Integers as people type them: 4096, 0x10, 64k, 1m, true/false/on/off."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().replace("_", "")
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    mult = 1
    if text and text[-1] in _SIZE_SUFFIX:
        mult = _SIZE_SUFFIX[text[-1]]
        text = text[:-1]
    try:
        return int(text, 0) * mult
    except ValueError:
        raise UsageError(f"{what}: {value!r} is not a number; expected an integer such as 4096, 0x10 or 64k") from None


def int32(value: Any, what: str = "value") -> int:
    """parse_int for a value the kernel takes as a C int: out of range is a UsageError, not a struct.error."""
    n = parse_int(value, what)
    if not -(2**31) <= n < 2**31:
        raise UsageError(f"{what} {n} does not fit 32 bits; expected -2147483648 to 2147483647")
    return n


@dataclass(frozen=True, slots=True)
class Encoded:
    """setsockopt bytes that point into memory (a BPF program): keep `keep` alive until the call returns."""

    raw: bytes
    keep: object


@dataclass(frozen=True, slots=True)
class Codec:
    """How one value kind travels between text, Python values and option bytes.

    `encode(value) -> bytes | int | Encoded` feeds setsockopt; `decode(raw) -> value`
    reads getsockopt; `size` is getsockopt's buffer length; `strace(raw)` renders
    the argument as strace does; `show(value)` renders a decoded value for people.
    `read(fd, level, number) -> bytes`, when set, must be used instead of
    socket.getsockopt (SO_GET_FILTER measures its buffer in instructions).
    """

    name: str
    size: int
    encode: Any
    decode: Any
    strace: Any
    show: Any = str
    help: str = ""
    read: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "encode", _guarded(self.name, self.encode, self.help))


def _guarded(kind: str, enc: Any, help_text: str) -> Any:
    """`enc`, except that whatever it cannot encode is a UsageError saying why (never a traceback).

    The encoders check what they know of; this catches the rest of the class (a NUL
    that a C library call refuses, a lone surrogate that is not UTF-8, a number a
    struct field cannot hold) wherever it comes from: a script, a form field, the API.
    """
    if getattr(enc, "guarded", False):
        return enc

    def encode(value: Any) -> Any:
        try:
            return enc(value)
        except UsageError:
            raise
        except (ValueError, OverflowError, struct.error, TypeError) as exc:
            text = str(value) if not isinstance(value, bytes) else repr(value)
            if isinstance(exc, UnicodeError):
                why = "it is not text (bytes that are not UTF-8)"
            elif "null" in str(exc).lower():
                why = "it holds a NUL byte"
            elif isinstance(exc, (OverflowError, struct.error)) or "range" in str(exc):
                why = "a number in it does not fit its field"
            else:
                why = str(exc) or type(exc).__name__
            shown = text[:60] + ("..." if len(text) > 60 else "")
            raise UsageError(f"{kind} value {shown!r} cannot be sent: {why}"
                             + (f"; expected {help_text}" if help_text else "")) from None

    encode.guarded = True  # type: ignore[attr-defined]
    return encode


def _pack(fmt: str, *values: int, what: str = "value") -> bytes:
    try:
        return struct.pack(fmt, *values)
    except struct.error:
        bits = struct.calcsize(fmt) * 8 // max(1, len(values))
        raise UsageError(f"{what} {values[0] if len(values) == 1 else values} does not fit {bits} bits") from None


def _unpack(fmt: str, raw: bytes) -> tuple:
    return struct.unpack_from(fmt, bytes(raw).ljust(struct.calcsize(fmt), b"\0"))


# ---- integers and flags -------------------------------------------------------


def _enc_int(v: Any) -> bytes:
    n = parse_int(v)
    return _pack("i", n, what="integer")


def _dec_int(raw: bytes) -> int:
    if len(raw) >= 4:
        return struct.unpack_from("i", raw)[0]
    return int.from_bytes(raw, "little", signed=False) if raw else 0


def _enc_bool(v: Any) -> bytes:
    if isinstance(v, str) and v.strip().lower() not in (*_TRUE, *_FALSE, "0", "1"):
        raise UsageError(f"{v!r} is not a boolean; expected on or off (1 or 0)")
    if not isinstance(v, str | int):
        raise UsageError(f"{v!r} is not a boolean; expected on or off (1 or 0)")
    return struct.pack("i", 1 if parse_int(v) else 0)


def _show_size(v: int) -> str:
    if v >= 1024 and v % 1024 == 0:
        return f"{v} ({v // 1024} KiB)" if v < 1024 * 1024 or v % (1024 * 1024) else f"{v} ({v >> 20} MiB)"
    return str(v)


def _enc_u64(v: Any) -> bytes:
    if isinstance(v, str) and v.strip().lower() in ("unlimited", "max", "~0"):
        return struct.pack("Q", 2**64 - 1)
    n = parse_int(v)
    if n == -1:
        n = 2**64 - 1
    return _pack("Q", n, what="unsigned 64-bit value")


def _dec_u64(raw: bytes) -> int:
    if len(raw) == 4:
        return struct.unpack("I", raw)[0]
    return _unpack("Q", raw)[0]


def _show_rate(v: int) -> str:
    return "unlimited" if v in (2**64 - 1, 2**32 - 1) else f"{v} bytes/s"


def _symbolic(name: str, table: dict[int, str], prefix: str, what: str, zero: str | None = None) -> Codec:
    """A codec for an int whose values have constant names (SO_TYPE, IP_MTU_DISCOVER, ...)."""
    by_name = {n.upper(): k for k, n in table.items()}
    by_name.update({n[len(prefix):].upper(): k for k, n in table.items() if n.startswith(prefix)})
    choices = ", ".join(table.values())

    def enc(v: Any) -> bytes:
        if isinstance(v, str) and v.strip().upper() in by_name:
            return struct.pack("i", by_name[v.strip().upper()])
        try:
            return _pack("i", parse_int(v, what), what=what)
        except UsageError:
            raise UsageError(f"{what} {v!r}: expected one of {choices} (or its number)") from None

    def dec(raw: bytes) -> str | int:
        n = _dec_int(raw)
        if n == 0 and zero is not None:
            return 0
        return table.get(n, n)

    def show(v: str | int) -> str:
        return f"0 ({zero})" if v == 0 and zero is not None else str(v)

    return Codec(name, 4, enc, dec, lambda r: f"[{dec(r)}]", show, f"one of {choices}, or its number")


_SOCK_TYPES = {1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET",
               6: "SOCK_DCCP", 10: "SOCK_PACKET"}
_FAMILIES = {0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET",
             40: "AF_VSOCK", 44: "AF_XDP"}
_PROTOCOLS = {1: "IPPROTO_ICMP", 2: "IPPROTO_IGMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 58: "IPPROTO_ICMPV6",
              132: "IPPROTO_SCTP", 136: "IPPROTO_UDPLITE", 255: "IPPROTO_RAW", 262: "IPPROTO_MPTCP"}
_PMTUDISC = {0: "IP_PMTUDISC_DONT", 1: "IP_PMTUDISC_WANT", 2: "IP_PMTUDISC_DO", 3: "IP_PMTUDISC_PROBE",
             4: "IP_PMTUDISC_INTERFACE", 5: "IP_PMTUDISC_OMIT"}


def _enc_errno(v: Any) -> bytes:
    if isinstance(v, str) and v.strip().upper() in _errno.__dict__:
        return struct.pack("i", getattr(_errno, v.strip().upper()))
    try:
        return _pack("i", parse_int(v, "errno"), what="errno")
    except UsageError:
        raise UsageError(f"errno {v!r}: expected a name such as ECONNREFUSED, or a number") from None


# Where Linux has two names for one number, the one strace and the man pages use.
_ERRNO_PREFERRED: dict[int, str] = {_errno.EOPNOTSUPP: "EOPNOTSUPP", _errno.EAGAIN: "EAGAIN", _errno.EDEADLK: "EDEADLK"}


def _dec_errno(raw: bytes) -> str | int:
    n = _dec_int(raw)
    return 0 if n == 0 else _ERRNO_PREFERRED.get(n, _errno.errorcode.get(n, n))


def _show_errno(v: str | int) -> str:
    if v == 0:
        return "0 (no error pending)"
    code = getattr(_errno, str(v), None)
    return f"{v} ({os.strerror(code)})" if isinstance(code, int) else str(v)


# ---- SO_TIMESTAMPING flag sets -------------------------------------------------

TSTAMP_FLAGS: dict[str, int] = {
    "tx_hardware": 1 << 0, "tx_software": 1 << 1, "rx_hardware": 1 << 2, "rx_software": 1 << 3,
    "software": 1 << 4, "sys_hardware": 1 << 5, "raw_hardware": 1 << 6, "opt_id": 1 << 7,
    "tx_sched": 1 << 8, "tx_ack": 1 << 9, "opt_cmsg": 1 << 10, "opt_tsonly": 1 << 11,
    "opt_stats": 1 << 12, "opt_pktinfo": 1 << 13, "opt_tx_swhw": 1 << 14, "bind_phc": 1 << 15,
    "opt_id_tcp": 1 << 16, "opt_rx_filter": 1 << 17,
}
_TS_PREFIX = "SOF_TIMESTAMPING_"


def tstamp_names(flags: int) -> list[str]:
    """Flag names for the bits set, unknown bits as hex."""
    names = [n for n, bit in TSTAMP_FLAGS.items() if flags & bit]
    rest = flags & ~sum(TSTAMP_FLAGS.values())
    return names + ([hex(rest)] if rest else [])


def _enc_tstamp(v: Any) -> bytes:
    if isinstance(v, tuple | list) and len(v) == 2:  # (flags, phc index) -> struct so_timestamping
        return _pack("ii", _tstamp_flags(v[0]), parse_int(v[1], "PHC index"), what="so_timestamping")
    return _pack("i", _tstamp_flags(v), what="timestamping flags")


def _tstamp_flags(v: Any) -> int:
    if isinstance(v, int):
        return v
    text = str(v).strip().lower()
    if text in ("", "0", "off", "none"):
        return 0
    flags = 0
    for word in text.replace("|", ",").replace("+", ",").split(","):
        w = word.strip()
        if w.upper().startswith(_TS_PREFIX):
            w = w[len(_TS_PREFIX):].lower()
        if w in TSTAMP_FLAGS:
            flags |= TSTAMP_FLAGS[w]
            continue
        try:
            flags |= int(w, 0)
        except ValueError:
            raise UsageError(
                f"timestamping flag {word.strip()!r}: expected names from {', '.join(TSTAMP_FLAGS)} "
                "joined by commas (such as software,rx_software)"
            ) from None
    return flags


def _dec_tstamp(raw: bytes) -> int:
    return _dec_int(raw[:4])


def _show_tstamp(v: int) -> str:
    return ",".join(tstamp_names(v)) if v else "0 (off)"


def _str_tstamp(raw: bytes) -> str:
    flags = _dec_tstamp(raw)
    text = "|".join(_TS_PREFIX + n.upper() if not n.startswith("0x") else n for n in tstamp_names(flags)) or "0"
    if len(raw) >= 8:
        return f"{{flags={text}, bind_phc={_unpack('ii', raw)[1]}}}"
    return f"[{text}]"


# ---- structs ------------------------------------------------------------------


def _enc_linger(v: Any) -> bytes:
    if isinstance(v, tuple | list):
        if len(v) != 2:
            raise UsageError(f"linger {v!r}: expected (onoff, seconds)")
        onoff, secs = parse_int(v[0], "linger on/off"), parse_int(v[1], "linger seconds")
    else:
        text = str(v).strip().lower()
        head, _, tail = text.partition(",")
        if head in ("off", "0", "false", "no"):
            onoff, secs = 0, parse_int(tail or 0, "linger seconds")
        elif head in ("on", "1", "true", "yes"):
            onoff, secs = 1, parse_int(tail or 0, "linger seconds")
        elif head.lstrip("-").isascii() and head.lstrip("-").isdigit():  # a raw l_onoff such as 7,5: the kernel stores any nonzero as 1
            onoff, secs = int(head), parse_int(tail or 0, "linger seconds")
        else:
            raise UsageError(f"linger {v!r}: expected on,SECONDS (on,0 resets on close) or off")
    return _pack("ii", onoff, secs, what="linger")


def _dec_linger(raw: bytes) -> tuple[int, int]:
    return _unpack("ii", raw)


def _enc_timeval(v: Any) -> bytes:
    if isinstance(v, tuple | list):
        if len(v) != 2:
            raise UsageError(f"timeout {v!r}: expected (seconds, microseconds)")
        sec, usec = parse_int(v[0], "seconds"), parse_int(v[1], "microseconds")
    else:
        try:
            f = float(str(v).strip().lower().removesuffix("s"))
        except ValueError:
            raise UsageError(f"timeout {v!r}: expected seconds such as 1.5 (0 means wait forever)") from None
        if f != f or f in (float("inf"), float("-inf")):
            raise UsageError(f"timeout {v!r}: expected a number of seconds such as 1.5 (0 means wait forever)")
        # Negative values go to the kernel as they are (it stores a negative tv_sec as 0,
        # "wait forever"); floor keeps tv_usec within 0..999999 as a C program would write it.
        sec = math.floor(f)
        usec = int(round((f - sec) * 1_000_000))
        if usec == 1_000_000:
            sec, usec = sec + 1, 0
    return _pack("ll", sec, usec, what="timeval")


def _dec_timeval(raw: bytes) -> float:
    sec, usec = _unpack("ll", raw)
    return sec + usec / 1_000_000


def _str_timeval(raw: bytes) -> str:
    sec, usec = _unpack("ll", raw)
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def _show_timeval(v: float) -> str:
    return "0 (no timeout)" if v == 0 else f"{v:g} s"


IFNAMSIZ = 16


def _enc_ifname(v: Any) -> bytes:
    if v is None:
        return b""
    name = v.decode() if isinstance(v, bytes) else str(v)
    name = name.strip()
    if name in ('""', "''", "none", "-"):
        name = ""
    if len(name.encode()) >= IFNAMSIZ:
        raise UsageError(f"interface name {name!r} is too long; names have at most {IFNAMSIZ - 1} characters")
    return name.encode()


def _dec_cstr(raw: bytes) -> str:
    return bytes(raw).split(b"\0", 1)[0].decode(errors="backslashreplace")


def _enc_string(v: Any) -> bytes:
    text = v.decode() if isinstance(v, bytes) else str(v).strip()
    if not text:
        raise UsageError("expected a name such as cubic or reno (see /proc/sys/net/ipv4/tcp_available_congestion_control)")
    if len(text.encode()) >= 16:
        raise UsageError(f"{text!r} is too long; algorithm names have at most 15 characters")
    return text.encode()


def _dec_ucred(raw: bytes) -> dict[str, int]:
    pid, uid, gid = _unpack("iII", raw)
    return {"pid": pid, "uid": uid, "gid": gid}


def _enc_ucred(v: Any) -> bytes:
    if isinstance(v, dict):
        v = (v.get("pid", 0), v.get("uid", 0), v.get("gid", 0))
    if isinstance(v, str) and not v.startswith("hex:"):
        v = tuple(p for p in v.split(","))
    if isinstance(v, tuple | list) and len(v) == 3:
        return _pack("iII", *(parse_int(x, "ucred field") for x in v), what="ucred")
    return _enc_bytes(v)


def _show_ucred(v: dict[str, int]) -> str:
    return f"pid={v['pid']} uid={v['uid']} gid={v['gid']}"


def _dec_sockaddr(raw: bytes) -> str:
    """Address text from raw struct sockaddr bytes; the family is in the first two bytes."""
    raw = bytes(raw)
    if len(raw) < 2:
        return ""
    family = struct.unpack_from("H", raw)[0]
    if family == socket.AF_INET and len(raw) >= 8:
        return addresses.format((socket.inet_ntop(socket.AF_INET, raw[4:8]), int.from_bytes(raw[2:4], "big")), family)
    if family == socket.AF_INET6 and len(raw) >= 24:
        host = socket.inet_ntop(socket.AF_INET6, raw[8:24])
        return addresses.format((host, int.from_bytes(raw[2:4], "big")), family)
    if family == socket.AF_UNIX:
        path = raw[2:]
        if not path.startswith(b"\0"):
            path = path.split(b"\0", 1)[0]
        return addresses.format(path, family)
    return f"(family {family}) {raw[2:].hex()}"


def _str_sockaddr(raw: bytes) -> str:
    raw = bytes(raw)
    if len(raw) < 2:
        return "{}"
    family = struct.unpack_from("H", raw)[0]
    text = _dec_sockaddr(raw)
    if family == socket.AF_INET:
        return addresses.strace_sockaddr(addresses.parse(text, family), family)[0]
    if family == socket.AF_INET6 and len(raw) >= 28:
        host = socket.inet_ntop(socket.AF_INET6, raw[8:24])
        port = int.from_bytes(raw[2:4], "big")
        flow, scope = struct.unpack_from("!I", raw, 4)[0], struct.unpack_from("I", raw, 24)[0]
        return addresses.strace_sockaddr((host, port, flow, scope), family)[0]
    if family == socket.AF_UNIX:
        path = raw[2:] if raw[2:3] == b"\0" else raw[2:].split(b"\0", 1)[0]
        return addresses.strace_sockaddr(path, family)[0]
    return f"{{sa_family={family}}}"


def _read_sockaddr(fd: int, level: int, number: int) -> bytes:
    """SO_PEERNAME refuses (EINVAL) a buffer longer than the address, so size it by family first."""
    with socket.socket(fileno=os.dup(fd)) as s:
        family = struct.unpack("H", s.getsockopt(level, number, 2))[0]
        if family in _SOCKADDR_LEN:
            return s.getsockopt(level, number, _SOCKADDR_LEN[family])
        for size in range(110, 2, -1):  # unix: the exact length of the path
            try:
                return s.getsockopt(level, number, size)
            except OSError as exc:
                if exc.errno != _errno.EINVAL:
                    raise
        return s.getsockopt(level, number, 2)


_SOCKADDR_LEN = {socket.AF_INET: 16, socket.AF_INET6: 28}


def _enc_readonly(kind: str) -> Any:
    def enc(v: Any) -> bytes:
        if isinstance(v, bytes) or (isinstance(v, str) and v.strip().lower().startswith("hex:")):
            return _enc_bytes(v)
        raise UsageError(f"a {kind} cannot be typed; this option is read-only (give hex:... to try setting raw bytes)")

    return enc


def _enc_mreqn(v: Any) -> bytes:
    """224.1.2.3 | 224.1.2.3,127.0.0.1 | 224.1.2.3,127.0.0.1,IFINDEX | 224.1.2.3,lo | a tuple."""
    parts = [str(p).strip() for p in v] if isinstance(v, tuple | list) else [p.strip() for p in str(v).split(",")]
    if not 1 <= len(parts) <= 3 or not parts[0]:
        raise UsageError(f"membership {v!r}: expected GROUP[,LOCAL_ADDRESS][,IFINDEX or interface name]")
    group = _ipv4(parts[0], "multicast group")
    if not 224 <= group[0] <= 239:
        raise UsageError(f"{parts[0]} is not a multicast group; expected an address in 224.0.0.0/4")
    local, ifindex = b"\0\0\0\0", 0
    for p in parts[1:]:
        if p.count(".") == 3:
            local = _ipv4(p, "local address")
        elif (p.isascii() and p.isdigit()) or p.lower().startswith("ifindex="):
            ifindex = parse_int(p.lower().removeprefix("ifindex="), "interface index")
        else:
            try:
                ifindex = socket.if_nametoindex(p)
            except OSError:
                raise UsageError(f"no interface named {p!r}; expected an IPv4 address, an index or a name such as lo") from None
    return group + local + _pack("i", ifindex, what="interface index")


def _ipv4(text: str, what: str) -> bytes:
    try:
        return socket.inet_pton(socket.AF_INET, text)
    except OSError:
        raise UsageError(f"{what} {text!r} is not an IPv4 address") from None


def _dec_mreqn(raw: bytes) -> dict[str, Any]:
    raw = bytes(raw).ljust(8, b"\0")
    out: dict[str, Any] = {
        "group": socket.inet_ntop(socket.AF_INET, raw[0:4]),
        "address": socket.inet_ntop(socket.AF_INET, raw[4:8]),
    }
    out["ifindex"] = struct.unpack_from("i", raw, 8)[0] if len(raw) >= 12 else 0
    return out


def _str_mreqn(raw: bytes) -> str:
    m = _dec_mreqn(raw)
    return (f'{{imr_multiaddr=inet_addr("{m["group"]}"), imr_address=inet_addr("{m["address"]}"), '
            f'imr_ifindex={m["ifindex"]}}}')


_CLOCKS = {"realtime": 0, "monotonic": 1, "tai": 11, "boottime": 7}
_TXTIME_FLAGS = {"deadline_mode": 1, "report_errors": 2}


def _enc_txtime(v: Any) -> bytes:
    """CLOCK[,FLAG...] such as monotonic or tai,deadline_mode; or (clockid, flags)."""
    if isinstance(v, tuple | list) and len(v) == 2:
        return _pack("iI", parse_int(v[0], "clockid"), parse_int(v[1], "flags"), what="sock_txtime")
    words = [w.strip().lower() for w in str(v).split(",") if w.strip()]
    if not words or (words[0] not in _CLOCKS and not (words[0].isascii() and words[0].isdigit())):
        raise UsageError(f"txtime {v!r}: expected a clock ({', '.join(_CLOCKS)}) then optional flags "
                         f"({', '.join(_TXTIME_FLAGS)}), such as tai,deadline_mode")
    clock = _CLOCKS.get(words[0]) if words[0] in _CLOCKS else int(words[0])
    flags = 0
    for w in words[1:]:
        if w not in _TXTIME_FLAGS:
            raise UsageError(f"txtime flag {w!r}: expected {' or '.join(_TXTIME_FLAGS)}")
        flags |= _TXTIME_FLAGS[w]
    return _pack("iI", int(clock or 0), flags, what="sock_txtime clockid and flags")


def _dec_txtime(raw: bytes) -> dict[str, Any]:
    clock, flags = _unpack("iI", raw)
    names = {v: k for k, v in _CLOCKS.items()}
    return {"clock": names.get(clock, clock), "flags": [n for n, b in _TXTIME_FLAGS.items() if flags & b]}


def _show_txtime(v: dict[str, Any]) -> str:
    return ",".join([str(v["clock"]), *v["flags"]])


# ---- bytes ----------------------------------------------------------------------


def _enc_bytes(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    text = str(v).strip()
    if text.lower().startswith("hex:"):
        text = text[4:]
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise UsageError(f"{v!r} is not hex bytes; expected hex:0102ff (pairs of hex digits)") from None


def _cquote(raw: bytes) -> str:
    out = []
    for b in bytes(raw):
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append({0: "\\0", 9: "\\t", 10: "\\n", 13: "\\r"}.get(b, f"\\x{b:02x}"))
    return '"' + "".join(out) + '"'


def _show_bytes(v: bytes) -> str:
    return "hex:" + bytes(v).hex() if v else "(empty)"


# ---- BPF ------------------------------------------------------------------------


def _bpf_codec(name: str, help_text: str, reuseport: bool) -> Codec:
    def enc(v: Any) -> Encoded:
        if reuseport and isinstance(v, str) and v.strip().lower().startswith(("accept", "drop")):
            raise UsageError(f"{v!r} is a packet filter; for SO_ATTACH_REUSEPORT_CBPF give cpu or index-N")
        if not reuseport and isinstance(v, str) and v.strip().lower().startswith(("cpu", "index")):
            raise UsageError(f"{v!r} picks a reuseport socket; attach it with SO_ATTACH_REUSEPORT_CBPF")
        prog = bpf.build(v)
        return Encoded(raw=prog.fprog, keep=prog)

    def dec(raw: bytes) -> list[bpf.Insn]:
        if len(raw) % 8:
            raise UsageError(
                "SO_GET_FILTER counts its length in instructions, not bytes: read it with the codec's "
                "read(fd, level, number), not socket.getsockopt"
            )
        return bpf.from_fprog(raw) or bpf.unpack(raw)

    def show(v: list[bpf.Insn]) -> str:
        if not v:
            return "(no filter)"
        label = bpf.name_of(list(v))
        if label and reuseport:
            label = label.replace("accept-first-", "index-")
        return f"{label} ({bpf.ddd(list(v))})" if label else bpf.ddd(list(v))

    def strace(raw: bytes) -> str:
        insns = bpf.from_fprog(raw)
        if insns is not None:
            return f"{{len={len(insns)}, filter={bpf.strace_insns(insns)}}}"
        return bpf.strace_insns(bpf.unpack(raw))

    def read(fd: int, level: int, number: int) -> bytes:
        return bpf.get_filter(fd)

    # size 1: a plain socket.getsockopt with this buffer can only ever be told "1 instruction"
    # (anything longer is EINVAL), never overrun by a long program. Use `read` instead.
    return Codec(name, 1, enc, dec, strace, show, help_text, read if not reuseport else None)


def _enc_ignored(v: Any) -> bytes:
    return struct.pack("i", 0)


CODECS: dict[str, Codec] = {
    "int": Codec("int", 4, _enc_int, _dec_int, lambda r: f"[{_dec_int(r)}]", str,
                 "an integer, such as 5, -1 or 0x10"),
    "size": Codec("size", 4, _enc_int, _dec_int, lambda r: f"[{_dec_int(r)}]", _show_size,
                  "a byte count, such as 4096, 64k or 1m"),
    "bool": Codec(
        "bool", 4, _enc_bool, lambda r: _dec_int(r), lambda r: f"[{_dec_int(r)}]",
        lambda v: "on" if v else "off", "on or off (1 or 0)",
    ),
    "u64": Codec("u64", 8, _enc_u64, _dec_u64, lambda r: f"[{_dec_u64(r)}]", str,
                 "an unsigned 64-bit integer"),
    "rate": Codec("rate", 8, _enc_u64, _dec_u64, lambda r: f"[{_dec_u64(r)}]", _show_rate,
                  "bytes per second, such as 125000 or 1m, or unlimited"),
    "sock_type": _symbolic("sock_type", _SOCK_TYPES, "SOCK_", "socket type"),
    "family": _symbolic("family", _FAMILIES, "AF_", "address family"),
    "protocol": _symbolic("protocol", _PROTOCOLS, "IPPROTO_", "protocol", zero="the family's default protocol"),
    "pmtudisc": _symbolic("pmtudisc", _PMTUDISC, "IP_PMTUDISC_", "path MTU discovery mode"),
    "errno": Codec("errno", 4, _enc_errno, _dec_errno, lambda r: f"[{_dec_errno(r)}]", _show_errno,
                   "an errno name such as ECONNREFUSED, or 0 (read-only: reading clears it)"),
    "linger": Codec(
        "linger", 8, _enc_linger, _dec_linger,
        lambda r: "{{l_onoff={}, l_linger={}}}".format(*_dec_linger(r)),
        lambda v: f"on,{v[1]}" if v[0] else "off",
        "on,SECONDS or off; on,0 makes close() reset the connection",
    ),
    "timeval": Codec(
        "timeval", 16, _enc_timeval, _dec_timeval, _str_timeval, _show_timeval,
        "seconds, such as 1.5 or 0.25 (0: no timeout), or (seconds, microseconds)",
    ),
    "ifname": Codec("ifname", IFNAMSIZ, _enc_ifname, _dec_cstr, lambda r: _cquote(_dec_cstr(r).encode()),
                    lambda v: v or "(not bound)",
                    "an interface name such as lo or eth0; an empty name ('') unbinds"),
    "string": Codec("string", 16, _enc_string, _dec_cstr, lambda r: _cquote(_dec_cstr(r).encode()), str,
                    "a congestion control name such as cubic or reno"),
    "ucred": Codec("ucred", 12, _enc_ucred, _dec_ucred,
                   lambda r: "{{pid={pid}, uid={uid}, gid={gid}}}".format(**_dec_ucred(r)), _show_ucred,
                   "read-only: the peer's pid, uid and gid"),
    "sockaddr": Codec("sockaddr", 16, _enc_readonly("socket address"), _dec_sockaddr, _str_sockaddr,
                      lambda v: v or "(none)", "read-only: the peer's address", _read_sockaddr),
    "tcp_info": Codec("tcp_info", tcpinfo.SIZE, _enc_readonly("struct tcp_info"), tcpinfo.decode,
                      tcpinfo.strace, tcpinfo.show, "read-only: the connection's state and counters"),
    "timestamping": Codec(
        "timestamping", 8, _enc_tstamp, _dec_tstamp, _str_tstamp, _show_tstamp,
        "flag names joined by commas, such as software,rx_software,tx_software,opt_id; 0 turns it off",
    ),
    "mreqn": Codec("mreqn", 12, _enc_mreqn, _dec_mreqn, _str_mreqn,
                   lambda v: f"{v['group']} via {v['address']} ifindex {v['ifindex']}",
                   "GROUP[,LOCAL_ADDRESS][,IFINDEX or interface name], such as 224.1.2.3 or 224.1.2.3,127.0.0.1"),
    "txtime": Codec("txtime", 8, _enc_txtime, _dec_txtime,
                    lambda r: "{{clockid={}, flags={}}}".format(*_unpack("iI", r)), _show_txtime,
                    "a clock (monotonic, tai, realtime) and optional flags deadline_mode, report_errors"),
    "cbpf": _bpf_codec("cbpf", bpf.PROGRAM_HELP, reuseport=False),
    "reuseport_cbpf": _bpf_codec("reuseport_cbpf", bpf.REUSEPORT_HELP, reuseport=True),
    "bpf_fd": Codec("bpf_fd", 4, _enc_int, _dec_int, lambda r: f"[{_dec_int(r)}]", str,
                    "the fd of an eBPF program loaded with bpf(2) (sockplay cannot load one itself)"),
    "ignored": Codec("ignored", 4, _enc_ignored, _dec_int, lambda r: f"[{_dec_int(r)}]", str,
                     "any value (it is ignored), such as 0"),
    "bytes": Codec("bytes", 64, _enc_bytes, bytes, _cquote, _show_bytes, "raw bytes as hex, such as hex:0100"),
}


def codec(kind: str) -> Codec:
    """The codec for a value kind; UsageError names the known kinds otherwise."""
    try:
        return CODECS[kind]
    except KeyError:
        raise UsageError(f"no codec for value kind {kind!r}; known kinds: {', '.join(CODECS)}") from None
