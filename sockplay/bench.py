"""`sockplay bench`: the engine's recvmsg against a bare Python recvmsg loop, same flood, same run.

A flood of small UDP datagrams is sent in chunks; each chunk is drained either
by a bare `sock.recvmsg()` loop or by `Playground.recvmsg()` (which decodes the
SO_TIMESTAMP control message, builds an Outcome and journals an Event). Chunks
alternate between the two, on the same socket with the same options, so both
see the same kernel work. The figure printed is engine time / bare time.
"""

from __future__ import annotations

import gc
import os
import socket
import sys
import time
from typing import Any

from sockplay.core import Playground

CHUNK = 10_000
PAYLOAD = b"sockplay bench datagram"
SO_TIMESTAMP, SO_RCVBUFFORCE = 29, 33


def _flood(tx: socket.socket, n: int) -> None:
    send = tx.send
    for _ in range(n):
        send(PAYLOAD)


def _bare(s: socket.socket, n: int) -> float:
    recvmsg = s.recvmsg
    t0 = time.perf_counter()
    for _ in range(n):
        data, anc, flags, addr = recvmsg(2048, 256)
    return time.perf_counter() - t0


class _GcClock:
    """Time spent in the garbage collector (a journal of 100,000 events is a lot to traverse)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._t0 = 0.0
        self.on = False

    def __call__(self, phase: str, info: dict) -> None:
        if not self.on:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._t0


def _engine(pg: Playground, n: int, clock: _GcClock) -> float:
    recvmsg = pg.recvmsg
    clock.on = True
    t0 = time.perf_counter()
    for _ in range(n):
        recvmsg("rx", 2048)
    t = time.perf_counter() - t0
    clock.on = False
    return t


def run(count: int, watch: bool = False, wire: bool = False) -> dict[str, Any]:
    """Drain `count` datagrams each way; returns the timings and checks.

    `wire=True` runs the packet capture too (`wire on`): every datagram of the
    flood then also passes through its ring, decoder and journal.
    """
    pg = Playground(watch=watch)
    try:
        pg.socket("rx", "inet", "dgram")
        pg.bind("rx", "127.0.0.1:0")
        rx = pg.sockets["rx"]
        try:
            rx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)  # root: room for a whole chunk
        except PermissionError:
            rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tx.connect(rx.getsockname())
        why = pg.wire_on() if wire else None
        if why is not None:
            return {"skipped": why}
        bare = engine = 0.0
        clock = _GcClock()
        gc.callbacks.append(clock)
        done = 0
        first = pg.journal.last_seq
        turn = 0
        while done < count:
            n = min(CHUNK, count - done)
            for which in ((0, 1) if turn % 2 == 0 else (1, 0)):
                _flood(tx, n)
                if which == 0:
                    bare += _bare(rx, n)
                else:
                    engine += _engine(pg, n, clock)
            done += n
            turn += 1
        tx.close()
        gc.callbacks.remove(clock)
        events = pg.journal.since(first)
        last = events[-1].outcome if events else None
        ok = last is not None and last.ok and last.data == PAYLOAD and last.cmsgs and last.cmsgs[0]["name"] == "SO_TIMESTAMP"
        leftover = pg.ioctl("rx", "SIOCINQ").value
        st = pg.wire_status()
        packets, cpu = (st["packets"], st.get("cpu", 0.0)) if wire else (0, 0.0)
        return {"count": count, "bare": bare, "engine": engine, "ratio": engine / bare if bare else float("inf"),
                "decoded": bool(ok), "journal": len(pg.journal), "leftover": leftover, "gc": clock.total,
                "packets": packets, "wire_cpu": cpu}
    finally:
        pg.close_all()


def bench_cli(args: Any) -> int:
    count = int(getattr(args, "count", 200_000) or 200_000)
    print(f"sockplay bench: {count:,} UDP datagrams of {len(PAYLOAD)} bytes, SO_TIMESTAMP on, "
          f"drained in chunks of {CHUNK:,} (python {sys.version.split()[0]}, pid {os.getpid()})")
    r = run(count)
    per = 1e6 / count
    print(f"  bare sock.recvmsg loop      {r['bare']:.3f} s   {r['bare'] * per:.2f} us/datagram")
    print(f"  Playground.recvmsg          {r['engine']:.3f} s   {r['engine'] * per:.2f} us/datagram"
          "   (decode cmsgs, Outcome, journal Event)")
    print(f"  ratio engine/bare           {r['ratio']:.2f}x   (aim: <= 1.5x)")
    print(f"  of the engine's time, the garbage collector took {r['gc']:.3f} s "
          f"(traversing the journal's {r['journal']:,} events); without it: "
          f"{(r['engine'] - r['gc']) / r['bare']:.2f}x")
    w = run(count, watch=True)
    print(f"  with the watcher running    {w['engine']:.3f} s   ratio {w['engine'] / r['bare']:.2f}x")
    if getattr(args, "wire", False):
        c = run(count, wire=True)
        if "skipped" in c:
            print(f"  with wire on: not measured ({c['skipped']})")
        else:
            print(f"  with wire on (capture)      {c['engine']:.3f} s   ratio {c['ratio']:.2f}x (its own bare loop "
                  f"{c['bare']:.3f} s; {c['packets']:,} packets captured); ratio against the run without "
                  f"capture {c['ratio'] / r['ratio']:.2f}x")
            if c["packets"]:
                print(f"  the capture thread's CPU    {c['wire_cpu']:.3f} s   "
                      f"{c['wire_cpu'] * 1e6 / c['packets']:.2f} us/packet (ring, decode, names, journal Event)")
    if not r["decoded"] or r["leftover"]:
        print("  check failed: the last datagram was not decoded, or datagrams were left over")
        return 1
    return 0
