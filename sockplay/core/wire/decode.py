"""Decode a loopback frame (Ethernet, IPv4/IPv6, TCP/UDP/ICMP/ICMPv6) into a Packet.

Our own few lines rather than a dependency: the headers we meet on loopback are
fixed-layout, and tcpdump (the reference the tests compare against) prints the
same fields. Sequence numbers are made relative the way tcpdump does it
(`Relative`), so a person can put sockplay's lines beside `tcpdump -n`.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from typing import Any

ETH_HLEN = 14
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6 = 6, 17, 1, 58

# TCP flag bits, in the order tcpdump prints them ("S.", "F.", "P.").
TCP_FLAGS: tuple[tuple[int, str, str], ...] = (
    (0x01, "FIN", "F"),
    (0x02, "SYN", "S"),
    (0x04, "RST", "R"),
    (0x08, "PSH", "P"),
    (0x10, "ACK", "."),
    (0x20, "URG", "U"),
    (0x40, "ECE", "E"),
    (0x80, "CWR", "W"),
)
TCP_FLAG_NAMES: tuple[str, ...] = tuple(n for _, n, _ in TCP_FLAGS)

# ICMP messages by (type, code); code None matches any code. Names as in linux/icmp.h and icmpv6.h.
ICMP4: tuple[tuple[int, int | None, tuple[str, ...], str], ...] = (
    (3, 3, ("DEST_UNREACH", "PORT_UNREACH"), "port unreachable"),
    (3, 4, ("DEST_UNREACH", "FRAG_NEEDED"), "fragmentation needed"),
    (3, 1, ("DEST_UNREACH", "HOST_UNREACH"), "host unreachable"),
    (3, 0, ("DEST_UNREACH", "NET_UNREACH"), "net unreachable"),
    (3, 2, ("DEST_UNREACH", "PROT_UNREACH"), "protocol unreachable"),
    (3, None, ("DEST_UNREACH",), "destination unreachable"),
    (11, None, ("TIME_EXCEEDED",), "time exceeded"),
    (0, None, ("ECHOREPLY",), "echo reply"),
    (8, None, ("ECHO",), "echo request"),
)
ICMP6: tuple[tuple[int, int | None, tuple[str, ...], str], ...] = (
    (1, 4, ("DEST_UNREACH", "PORT_UNREACH"), "port unreachable"),
    (1, None, ("DEST_UNREACH",), "destination unreachable"),
    (2, None, ("PKT_TOOBIG",), "packet too big"),
    (3, None, ("TIME_EXCEED",), "time exceeded"),
    (128, None, ("ECHO_REQUEST",), "echo request"),
    (129, None, ("ECHO_REPLY",), "echo reply"),
)
ICMP_FLAG_NAMES: tuple[str, ...] = tuple(sorted({n for t in (ICMP4, ICMP6) for row in t for n in row[2]}))
PROTOS: tuple[str, ...] = ("tcp", "udp", "icmp", "icmp6")


@dataclass(slots=True)
class Packet:
    """One decoded packet. `src`/`dst` are "ip:port" ("ip" for ICMP); seq/ack relative as tcpdump prints them."""

    time: float
    proto: str
    src: str
    dst: str
    flags: list[str] = field(default_factory=list)
    seq: int | None = None
    ack: int | None = None
    win: int | None = None
    len: int = 0
    options: list[str] = field(default_factory=list)
    info: str = ""  # ICMP: what it says ("udp port 40001 unreachable"); TCP: nothing
    inner: tuple[str, str, str] | None = None  # ICMP error: (proto, src, dst) of the packet it is about
    mtu: int | None = None  # ICMP fragmentation needed / packet too big
    raw_seq: int | None = None  # the absolute numbers, for people comparing with tcpdump -S
    raw_ack: int | None = None
    src_sock: str | None = None
    dst_sock: str | None = None

    def fields(self) -> dict[str, Any]:
        """The journal fields of a "wire" event."""
        d: dict[str, Any] = {  # tuples, not lists: the garbage collector stops tracking them
            "proto": self.proto, "src": self.src, "dst": self.dst, "flags": tuple(self.flags),
            "seq": self.seq, "ack": self.ack, "win": self.win, "len": self.len,
            "src_sock": self.src_sock, "dst_sock": self.dst_sock,
        }
        if self.options:
            d["options"] = tuple(self.options)
        if self.info:
            d["info"] = self.info
        if self.mtu is not None:
            d["mtu"] = self.mtu
        return d


_ADDR_CACHE: dict[tuple[bytes, int | None], str] = {}


def _addr(ip: bytes, port: int | None) -> str:
    """"127.0.0.1:5000", "[::1]:80" or a bare address; memoised, as a flood repeats the same few."""
    key = (ip, port)
    text = _ADDR_CACHE.get(key)
    if text is not None:
        return text
    text = socket.inet_ntop(socket.AF_INET6 if len(ip) == 16 else socket.AF_INET, ip)
    if port is not None:
        text = f"[{text}]:{port}" if len(ip) == 16 else f"{text}:{port}"
    if len(_ADDR_CACHE) > 4096:
        _ADDR_CACHE.clear()
    _ADDR_CACHE[key] = text
    return text


def tcp_options(opts: bytes) -> list[str]:
    """TCP options the way tcpdump lists them: mss 65495, sackOK, TS val 1 ecr 0, nop, wscale 7."""
    out: list[str] = []
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            out.append("eol")
            break
        if kind == 1:
            out.append("nop")
            i += 1
            continue
        if i + 1 >= len(opts):
            out.append("bad opt")
            break
        ln = opts[i + 1]
        body = opts[i + 2:i + ln]
        if ln < 2:
            out.append("bad opt")
            break
        if kind == 2 and ln == 4:
            out.append(f"mss {struct.unpack('!H', body)[0]}")
        elif kind == 3 and ln == 3:
            out.append(f"wscale {body[0]}")
        elif kind == 4 and ln == 2:
            out.append("sackOK")
        elif kind == 5:
            edges = [struct.unpack_from("!II", body, j) for j in range(0, len(body) - 7, 8)]
            out.append("sack " + str(len(edges)) + " " + " ".join(f"{{{a}:{b}}}" for a, b in edges))
        elif kind == 8 and ln == 10:
            val, ecr = struct.unpack("!II", body)
            out.append(f"TS val {val} ecr {ecr}")
        else:
            out.append(f"opt-{kind}:{body.hex()}")
        i += ln
    return out


def _icmp_kind(table: tuple, typ: int, code: int) -> tuple[list[str], str]:
    for t, c, names, text in table:
        if t == typ and (c is None or c == code):
            return list(names), text
    return [], f"type {typ} code {code}"


def _inner(data: bytes, v6: bool) -> tuple[str, str, str] | None:
    """The protocol and addresses of the packet an ICMP error quotes (its IP header + 8 bytes)."""
    try:
        if v6:
            nh = data[6]
            src, dst, rest = data[8:24], data[24:40], data[40:]
        else:
            ihl = (data[0] & 0x0F) * 4
            nh = data[9]
            src, dst, rest = data[12:16], data[16:20], data[ihl:]
        if nh in (PROTO_TCP, PROTO_UDP) and len(rest) >= 4:
            sp, dp = struct.unpack_from("!HH", rest)
            return ("tcp" if nh == PROTO_TCP else "udp", _addr(src, sp), _addr(dst, dp))
        return (str(nh), _addr(src, None), _addr(dst, None))
    except (IndexError, ValueError, struct.error):
        return None


_V4 = struct.Struct("!BxHxxHxB2x4s4s")  # version/IHL, total length, fragment, protocol, addresses
_V6 = struct.Struct("!4xHBx16s16s")  # payload length, next header, addresses
_TCP = struct.Struct("!HHIIHH")
_UDP = struct.Struct("!HHH")


def decode(frame: bytes, ts: float, rel: Relative | None = None) -> Packet | None:
    """A Packet from an Ethernet frame as seen on loopback, or None for what we do not show."""
    if len(frame) < ETH_HLEN + 20:
        return None
    ethertype = frame[12] << 8 | frame[13]
    if ethertype == ETH_P_IP:
        vihl, total, frag, proto, src_ip, dst_ip = _V4.unpack_from(frame, ETH_HLEN)
        if frag & 0x1FFF:
            return None  # a later fragment: no transport header
        off = ETH_HLEN + (vihl & 0x0F) * 4
        end = ETH_HLEN + total
        v6 = False
    elif ethertype == ETH_P_IPV6 and len(frame) >= ETH_HLEN + 40:
        plen, proto, src_ip, dst_ip = _V6.unpack_from(frame, ETH_HLEN)
        off = ETH_HLEN + 40
        end = off + plen
        v6 = True
    else:
        return None
    end = min(end, len(frame))
    size = end - off
    if proto == PROTO_TCP and size >= 20:
        sp, dp, seq, ack, offflags, win = _TCP.unpack_from(frame, off)
        hlen = (offflags >> 12) * 4
        bits = offflags & 0xFF
        p = Packet(ts, "tcp", _addr(src_ip, sp), _addr(dst_ip, dp),
                   [n for b, n, _ in TCP_FLAGS if bits & b], seq, ack if bits & 0x10 else None, win,
                   max(0, size - hlen), tcp_options(frame[off + 20:off + hlen]) if hlen > 20 else [],
                   raw_seq=seq, raw_ack=ack)
        if rel is not None:
            p.seq, ack_rel = rel.apply(p.src, p.dst, bits, seq, ack)
            p.ack = ack_rel if bits & 0x10 else None
        return p
    if proto == PROTO_UDP and size >= 8:
        sp, dp, ulen = _UDP.unpack_from(frame, off)
        return Packet(ts, "udp", _addr(src_ip, sp), _addr(dst_ip, dp), len=max(0, ulen - 8))
    if proto in (PROTO_ICMP, PROTO_ICMPV6) and size >= 8:
        payload = frame[off:end]
        typ, code = payload[0], payload[1]
        names, text = _icmp_kind(ICMP6 if v6 else ICMP4, typ, code)
        p = Packet(ts, "icmp6" if v6 else "icmp", _addr(src_ip, None), _addr(dst_ip, None), names, len=len(payload))
        errors = (1, 2, 3, 4) if v6 else (3, 4, 5, 11, 12)
        if typ in errors:
            p.inner = _inner(bytes(payload[8:]), v6)
            if (not v6 and typ == 3 and code == 4) or (v6 and typ == 2):
                p.mtu = struct.unpack_from("!I", payload, 4)[0] & (0xFFFF if not v6 else 0xFFFFFFFF)
        if p.inner and "PORT_UNREACH" in names:
            proto_in, _, dst_in = p.inner
            port = dst_in.rsplit(":", 1)[-1]
            p.info = f"{proto_in} port {port} unreachable"
        elif p.mtu is not None:
            p.info = f"{text}, mtu {p.mtu}"
        else:
            p.info = text
        return p
    return None


class Relative:
    """tcpdump's relative sequence numbers (print-tcp.c), one record per conversation.

    The first packet of a conversation that carries ACK (and any SYN+ACK) sets the
    base for both directions, seq for its own and ack-1 for the other, and is shown
    with absolute numbers; later packets show seq and ack minus those bases.
    Packets without ACK (the first SYN, a bare RST) stay absolute, as in tcpdump.
    """

    def __init__(self) -> None:
        self._base: dict[tuple[str, str], tuple[int, int]] = {}

    def apply(self, src: str, dst: str, bits: int, seq: int, ack: int) -> tuple[int, int]:
        if not bits & 0x10:
            return seq, ack
        key = (src, dst) if src <= dst else (dst, src)
        fwd = key[0] == src
        base = self._base.get(key)
        if base is None or bits & 0x02:
            # bases kept in key order: (seq base of key[0]'s side, seq base of key[1]'s side)
            self._base[key] = (seq, (ack - 1) & 0xFFFFFFFF) if fwd else ((ack - 1) & 0xFFFFFFFF, seq)
            return seq, ack
        mine, theirs = base if fwd else (base[1], base[0])
        return (seq - mine) & 0xFFFFFFFF, (ack - theirs) & 0xFFFFFFFF

    def clear(self) -> None:
        self._base.clear()

    def peek(self) -> Relative:
        """A copy to decode an old packet with, which leaves these bases as they are."""
        r = Relative()
        r._base = dict(self._base)
        return r


def tcpdump_flags(flags: list[str]) -> str:
    """The flag letters tcpdump prints: S, S., P., F., R, . ('none' for no flag)."""
    letters = "".join(ch for _, n, ch in TCP_FLAGS if n in flags)
    return letters or "none"


def summary(p: Packet) -> str:
    """One line in tcpdump's spirit: flags, seq, ack, win, options, length."""
    if p.proto == "tcp":
        parts = [f"[{tcpdump_flags(p.flags)}]"]
        if p.len or any(f in p.flags for f in ("SYN", "FIN", "RST")):
            parts.append(f"seq {p.seq}" + (f":{(p.seq or 0) + p.len}" if p.len else ""))
        if p.ack is not None:
            parts.append(f"ack {p.ack}")
        parts.append(f"win {p.win}")
        if p.options:
            parts.append("[" + ",".join(p.options) + "]")
        parts.append(f"length {p.len}")
        return ", ".join(parts)
    if p.proto == "udp":
        return f"UDP, length {p.len}"
    return f"{p.proto.upper()} {p.info}, length {p.len}"
