"""The classic BPF program that keeps only the playground's own packets, so the kernel drops the rest.

It accepts a packet on the loopback interface when it is TCP or UDP (IPv4 or
IPv6) with either port in the set, or an ICMP/ICMPv6 error quoting such a
packet; and it drops the outgoing copy of each packet (loopback hands an
AF_PACKET socket every packet twice: once leaving, once arriving), which is
what libpcap does for `tcpdump -i lo` too. Built as instructions for
`sockplay.core.bpf.build`, which the capture attaches with SO_ATTACH_FILTER.
"""

from __future__ import annotations

from collections.abc import Iterable

from sockplay.core import bpf

SKF_AD_PKTTYPE = 4
PACKET_OUTGOING = 4
SNAP = 0x40000  # keep whole packets (loopback ones reach 64 KiB)
MAX_PORTS = 120  # beyond this, jumps no longer fit in 8 bits: accept every port instead

# opcodes
LD_W_ABS, LD_H_ABS, LD_B_ABS = 0x20, 0x28, 0x30
LD_H_IND, LD_B_IND = 0x48, 0x50
LDX_B_MSH = 0xB1
JEQ_K, JSET_K, JA = 0x15, 0x45, 0x05
RET_K = 0x06

_ETH = 14
_IP6 = _ETH + 40


class _Asm:
    """Instructions with symbolic jump targets, resolved to 8-bit offsets."""

    def __init__(self) -> None:
        self.code: list[tuple[int, str | int, str | int, int]] = []
        self.labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def op(self, code: int, k: int | str = 0, jt: str | int = 0, jf: str | int = 0) -> None:
        self.code.append((code, jt, jf, k if isinstance(k, str) else k & 0xFFFFFFFF))  # type: ignore[arg-type]

    def _off(self, i: int, t: str | int, wide: bool = False) -> int:
        if isinstance(t, int):
            return t
        d = self.labels[t] - i - 1
        if d < 0 or (d > 255 and not wide):
            raise ValueError(f"jump to {t} is {d} instructions away")
        return d

    def build(self) -> list[bpf.Insn]:
        out: list[bpf.Insn] = []
        for i, (code, jt, jf, k) in enumerate(self.code):
            if code == JA:
                out.append((code, 0, 0, self._off(i, k, wide=True)))
            else:
                out.append((code, self._off(i, jt), self._off(i, jf), k))
        return out


def _ports(a: _Asm, plist: list[int] | None, loads: tuple[tuple[int, int], ...], tag: str) -> None:
    """Accept when a port loaded by any of `loads` is in `plist` (every packet when None), else drop."""
    if plist is None:
        a.op(RET_K, SNAP)
        return
    for code, k in loads:
        a.op(code, k)
        for p in plist:
            a.op(JEQ_K, p, f"acc{tag}", 0)
    a.op(RET_K, 0)
    a.label(f"acc{tag}")
    a.op(RET_K, SNAP)


def program(ports: Iterable[int] | None) -> list[bpf.Insn]:
    """The filter for these ports (None: every port, for when the set is too large)."""
    plist = None if ports is None else sorted({int(p) for p in ports if 0 < int(p) < 65536})
    if plist is not None and len(plist) > MAX_PORTS:
        plist = None
    a = _Asm()
    a.op(LD_W_ABS, bpf.SKF_AD_OFF + SKF_AD_PKTTYPE)
    a.op(JEQ_K, PACKET_OUTGOING, "drop", 0)
    a.op(LD_H_ABS, 12)
    a.op(JEQ_K, 0x0800, 0, 1)
    a.op(JA, "ip4")
    a.op(JEQ_K, 0x86DD, 0, 1)
    a.op(JA, "ip6")
    a.label("drop")
    a.op(RET_K, 0)

    a.label("ip4")
    a.op(LD_H_ABS, _ETH + 6)
    a.op(JSET_K, 0x1FFF, "d4", 0)  # not the first fragment: no ports to look at
    a.op(LD_B_ABS, _ETH + 9)
    a.op(JEQ_K, 6, "t4", 0)
    a.op(JEQ_K, 17, "t4", 0)
    a.op(JEQ_K, 1, "i4", "d4")
    a.label("d4")
    a.op(RET_K, 0)
    a.label("t4")
    a.op(JA, "p4")
    a.label("i4")
    a.op(JA, "c4")
    a.label("p4")
    a.op(LDX_B_MSH, _ETH)  # X = IP header length
    _ports(a, plist, ((LD_H_IND, _ETH), (LD_H_IND, _ETH + 2)), "p4")
    a.label("c4")
    a.op(LDX_B_MSH, _ETH)
    a.op(LD_B_IND, _ETH)  # ICMP type: only errors quote a packet of ours
    a.op(JEQ_K, 3, "e4", 0)
    a.op(JEQ_K, 11, "e4", 0)
    a.op(JEQ_K, 12, "e4", 0)
    a.op(RET_K, 0)
    a.label("e4")  # the quoted IP header is taken as option-free (20 bytes), as the kernel's own are
    _ports(a, plist, ((LD_H_IND, _ETH + 8 + 20), (LD_H_IND, _ETH + 8 + 22)), "e4")

    a.label("ip6")
    a.op(LD_B_ABS, _ETH + 6)
    a.op(JEQ_K, 6, "t6", 0)
    a.op(JEQ_K, 17, "t6", 0)
    a.op(JEQ_K, 58, "i6", 0)
    a.op(RET_K, 0)
    a.label("t6")
    a.op(JA, "p6")
    a.label("i6")
    a.op(JA, "c6")
    a.label("p6")
    _ports(a, plist, ((LD_H_ABS, _IP6), (LD_H_ABS, _IP6 + 2)), "p6")
    a.label("c6")
    a.op(LD_B_ABS, _IP6)
    a.op(JEQ_K, 1, "e6", 0)
    a.op(JEQ_K, 2, "e6", 0)
    a.op(JEQ_K, 3, "e6", 0)
    a.op(RET_K, 0)
    a.label("e6")
    _ports(a, plist, ((LD_H_ABS, _IP6 + 8 + 40), (LD_H_ABS, _IP6 + 8 + 42)), "e6")
    return a.build()
