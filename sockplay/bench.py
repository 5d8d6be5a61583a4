"""`sockplay bench` (`make bench`): the engine against a bare Python loop, same socket, same run.

A flood of small UDP datagrams (SO_TIMESTAMP on, so each carries a control
message) is sent in chunks to one nonblocking socket. Each chunk is drained by
one of these, in turn, so every drain sees the same kernel work and the same
machine load:

- bare      `sock.recvmsg(2048, 256)` in a Python loop (the reference, 1.00x);
- per-call  `Playground.recvmsg("rx", 2048)` once per datagram: an Event with
            the datagram, its sender and its cmsg in the journal;
- batch     `Playground.recvmsg("rx", 2048, count=N)`: recvmmsg, 1,024 a call,
            every datagram still an Event of its own;
- C         a recvmsg loop and a recvmmsg loop compiled at bench time (when a
            C compiler is found): the kernel's own cost, the floor;
- ... wire  bare, per-call and batch again, on a second playground with its
            packet capture on (`wire on`, which captures that flood), in the
            same turns: `ratio per-call with wire` and `ratio batch with wire`
            are to that playground's own bare loop.

Times are the draining thread's CPU time (user + system), so other processes
on a loaded machine do not count. The ring filling (the collector still walks
new events) and the ring full (each new event evicts the oldest) are reported
apart. `ratio per-call` and `ratio batch` are over the whole run. Then: bytes
per journaled event (tracemalloc, beyond the datagram's own bytes), the cost
of the JSONL sink, startup times, and the app's key latency during a flood
(sockplay.bench_ui, when present).
"""

from __future__ import annotations

import ctypes
import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from sockplay.core import Playground, batch

CHUNK = 10_000
PAYLOAD = b"sockplay bench datagram"
SO_TIMESTAMP, SO_RCVBUFFORCE, MSG_DONTWAIT = 29, 33, 0x40
_clock = time.thread_time

C_DRAIN = r"""
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
static char buf[1024][2048], ctl[1024][256];
static struct sockaddr_storage names[1024];
static struct iovec iov[1024];
static struct mmsghdr msgs[1024];
int drain_recvmsg(int fd, int n) {
    int got = 0;
    for (; got < n; got++) {
        struct msghdr m;
        memset(&m, 0, sizeof m);
        iov[0].iov_base = buf[0]; iov[0].iov_len = 2048;
        m.msg_name = &names[0]; m.msg_namelen = sizeof names[0];
        m.msg_iov = iov; m.msg_iovlen = 1;
        m.msg_control = ctl[0]; m.msg_controllen = 256;
        if (recvmsg(fd, &m, MSG_DONTWAIT) < 0) break;
    }
    return got;
}
int drain_recvmmsg(int fd, int n) {
    int got = 0;
    while (got < n) {
        int want = n - got > 1024 ? 1024 : n - got;
        for (int i = 0; i < want; i++) {
            iov[i].iov_base = buf[i]; iov[i].iov_len = 2048;
            memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
            msgs[i].msg_hdr.msg_name = &names[i]; msgs[i].msg_hdr.msg_namelen = sizeof names[i];
            msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = ctl[i]; msgs[i].msg_hdr.msg_controllen = 256;
        }
        int r = recvmmsg(fd, msgs, want, MSG_DONTWAIT, NULL);
        if (r <= 0) break;
        got += r;
    }
    return got;
}
"""


def _c_drains(tmp: str) -> dict[str, Callable[[int, int], int]]:
    """The C loops, compiled now; empty when there is no C compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return {}
    src = os.path.join(tmp, "drain.c")
    lib = os.path.join(tmp, "drain.so")
    with open(src, "w") as f:
        f.write(C_DRAIN)
    r = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", lib, src], capture_output=True, text=True)
    if r.returncode:
        return {}
    so = ctypes.CDLL(lib)
    return {"C recvmsg": so.drain_recvmsg, "C recvmmsg": so.drain_recvmmsg}


class _GcClock:
    """CPU time spent in the garbage collector while switched on."""

    def __init__(self) -> None:
        self.total = 0.0
        self._t0 = 0.0
        self.on = False

    def __call__(self, phase: str, info: dict) -> None:
        if self.on:
            if phase == "start":
                self._t0 = _clock()
            else:
                self.total += _clock() - self._t0


def _setup(pg: Playground) -> tuple[socket.socket, socket.socket]:
    pg.socket("rx", "inet", "dgram")
    pg.bind("rx", "127.0.0.1:0")
    rx = pg.get("rx")
    try:
        rx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)  # root: room for a whole chunk
    except PermissionError:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    pg.setsockopt("rx", "SO_TIMESTAMP", 1)
    pg.fcntl("rx", "nonblock", True)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    tx.connect(rx.getsockname())
    return rx, tx


def _flood(tx: socket.socket, n: int) -> None:
    send = tx.send
    for _ in range(n):
        send(PAYLOAD)


def _percall(pg: Playground, n: int) -> int:
    recvmsg = pg.recvmsg
    for _ in range(n):
        recvmsg("rx", 2048)
    return n


def _batch(pg: Playground, n: int) -> int:
    return len(batch.recv(pg, "rx", "recvmsg", 2048, 0, 256, n))


WIRE_WAYS = ("bare", "per-call", "batch")  # measured a second time on a playground with its capture on


def run(count: int, wire: bool = True) -> dict[str, Any]:
    """Drain `count` datagrams by each way, in alternating chunks; CPU seconds per way and phase.

    With `wire`, a second playground with its packet capture on (`wire on`) gets
    its own socket and flood, and the bare loop, per-call and batch ways are run
    on it too ("bare wire", ...), in the same turns: its ratios are to its own
    bare loop, under the same machine load as the ones without capture.
    """
    pg = Playground()
    pgw: Playground | None = None
    tmp = tempfile.mkdtemp(prefix="sockplay-bench-")
    try:
        rx, tx = _setup(pg)
        fd = rx.fileno()
        lanes: dict[str, tuple[Playground, socket.socket, socket.socket]] = {}
        wire_why = None
        if wire:
            pgw = Playground()
            rxw, txw = _setup(pgw)
            wire_why = pgw.wire_on()
            if wire_why is None:
                lanes = {f"{w} wire": (pgw, rxw, txw) for w in WIRE_WAYS}

        def bare_of(sock: socket.socket) -> Callable[[int], int]:
            recvmsg = sock.recvmsg

            def bare(n: int) -> int:
                for _ in range(n):
                    recvmsg(2048, 256)
                return n

            return bare

        ways: dict[str, Callable[[int], int]] = {"bare": bare_of(rx), "per-call": lambda n: _percall(pg, n),
                                                 "batch": lambda n: _batch(pg, n)}
        for name, fn in _c_drains(tmp).items():
            ways[name] = partial(fn, fd)
        if lanes:
            pw = lanes["bare wire"][0]
            ways["bare wire"] = bare_of(lanes["bare wire"][1])
            ways["per-call wire"] = lambda n: _percall(pw, n)
            ways["batch wire"] = lambda n: _batch(pw, n)
        times = {(w, ph): 0.0 for w in ways for ph in ("filling", "full")}
        counts = dict.fromkeys(times, 0)
        gcs = _GcClock()
        gc.callbacks.append(gcs)
        gc_time = dict.fromkeys(ways, 0.0)
        floods = {"plain": 0.0, "wire": 0.0}  # the sender's CPU: loopback delivers (and taps) in its context
        sent = {"plain": 0, "wire": 0}
        done, turn = 0, 0
        order = list(ways)
        while done < count:
            n = min(CHUNK, count - done)
            for w in order[turn % len(order):] + order[: turn % len(order)]:
                wpg, _, wtx = lanes.get(w, (pg, rx, tx))
                phase = "filling" if len(wpg.journal) < wpg.journal.cap else "full"
                f0 = _clock()
                _flood(wtx, n)
                floods["wire" if w in lanes else "plain"] += _clock() - f0
                sent["wire" if w in lanes else "plain"] += n
                gcs.total, gcs.on = 0.0, True
                t0 = _clock()
                got = ways[w](n)
                times[(w, phase)] += _clock() - t0
                gcs.on = False
                gc_time[w] += gcs.total
                counts[(w, phase)] += got
            done += n
            turn += 1
        gc.callbacks.remove(gcs)
        last = pg.journal.since(pg.journal.last_seq - 1)[-1].outcome
        ok = last is not None and last.data == PAYLOAD and bool(last.cmsgs) and last.cmsgs[0]["name"] == "SO_TIMESTAMP"
        leftover = pg.ioctl("rx", "SIOCINQ").value
        wire_stats: dict[str, Any] = {}
        if lanes and pgw is not None:
            leftover += pgw.ioctl("rx", "SIOCINQ").value
            pgw.wire_off()  # waits for the last block, so every packet is counted
            cap = pgw._wire_kept
            if cap is not None:
                wire_stats = {"packets": cap.packets, "dropped": cap.dropped, "passed": cap.passed, "cpu": cap.cpu}
            lanes["bare wire"][2].close()
        tx.close()
        return {"times": times, "counts": counts, "gc": gc_time, "ways": list(ways), "decoded": ok,
                "leftover": leftover, "wire_skipped": wire_why, "wire": wire_stats,
                "flood_us": {k: floods[k] / sent[k] * 1e6 for k in floods if sent[k]}}
    finally:
        pg.close_all()
        if pgw is not None:
            pgw.close_all()
        shutil.rmtree(tmp, ignore_errors=True)


def bytes_per_event(way: str, n: int = 20_000) -> float:
    """Memory the journal holds per datagram beyond the datagram's bytes (tracemalloc)."""
    pg = Playground(journal_cap=n + 100)
    try:
        rx, tx = _setup(pg)
        _flood(tx, 10)
        if way == "batch":
            _batch(pg, 10)  # the socket's preallocated batch buffers exist before counting starts
        else:
            _percall(pg, 10)
        _flood(tx, n)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        if way == "batch":
            run_ = batch.recv(pg, "rx", "recvmsg", 2048, 0, 256, n)
            del run_
        else:
            _percall(pg, n)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        tx.close()
        return (after - before) / n - len(PAYLOAD)
    finally:
        pg.close_all()


def sink_cost(n: int = 20_000) -> tuple[float, float]:
    """per-call and batch with a JSONL sink open, as ratios to the bare loop (same socket, alternating)."""
    pg = Playground()
    tmp = tempfile.mkdtemp(prefix="sockplay-bench-")
    try:
        rx, tx = _setup(pg)
        pg.journal.open_sink(os.path.join(tmp, "j.jsonl"))
        recvmsg = rx.recvmsg
        t = {"bare": 0.0, "per-call": 0.0, "batch": 0.0}
        for i in range(n // 2000):
            for w in ("bare", "per-call", "batch") if i % 2 else ("batch", "per-call", "bare"):
                _flood(tx, 2000)
                t0 = _clock()
                if w == "bare":
                    for _ in range(2000):
                        recvmsg(2048, 256)
                elif w == "per-call":
                    _percall(pg, 2000)
                else:
                    _batch(pg, 2000)
                pg.journal.flush()  # the sink's last partial batch is part of the cost
                t[w] += _clock() - t0
        tx.close()
        return t["per-call"] / t["bare"], t["batch"] / t["bare"]
    finally:
        pg.journal.close_sink()
        pg.close_all()
        shutil.rmtree(tmp, ignore_errors=True)


def _ratio(r: dict[str, Any], way: str, phase: str | None = None, base: str = "bare") -> float:
    phases = ("filling", "full") if phase is None else (phase,)
    t = sum(r["times"][(way, p)] for p in phases)
    b = sum(r["times"][(base, p)] for p in phases)
    return t / b if b else float("nan")


def bench_cli(args: Any) -> int:
    count = int(getattr(args, "count", 200_000) or 200_000)
    print(f"sockplay bench: {count:,} UDP datagrams of {len(PAYLOAD)} bytes per way, SO_TIMESTAMP on, one "
          f"nonblocking socket, chunks of {CHUNK:,} drained by each way in turn "
          f"(python {sys.version.split()[0]}, CPU time of the draining thread)")
    r = run(count)
    for w in r["ways"]:
        n = r["counts"][(w, "filling")] + r["counts"][(w, "full")]
        t = r["times"][(w, "filling")] + r["times"][(w, "full")]
        per = t / n * 1e6 if n else float("nan")
        extra = ""
        base = "bare wire" if w.endswith(" wire") and w != "bare wire" else "bare"
        if w == "bare wire":  # its phases follow the other playground's ring: only the whole run compares
            extra = f"  {_ratio(r, w):.2f}x  (of the bare loop without capture)"
        elif w != "bare":
            extra = (f"  {_ratio(r, w, base=base):.2f}x  (ring filling {_ratio(r, w, 'filling', base):.2f}x, "
                     f"ring full {_ratio(r, w, 'full', base):.2f}x; collector {r['gc'][w]:.3f} s)")
        print(f"  {w:<13} {t:7.3f} s  {per:6.2f} us/datagram{extra}")
    if not any(w.startswith("C ") for w in r["ways"]):
        print("  C limit     not measured: no C compiler (cc or gcc) on this machine")
    print(f"ratio per-call {_ratio(r, 'per-call'):.2f}x")
    print(f"ratio batch {_ratio(r, 'batch'):.2f}x")
    if "bare wire" in r["ways"]:
        wst = r["wire"]
        packets = wst.get("packets", 0)
        per = f", {wst['cpu'] * 1e6 / packets:.2f} us of the capture thread's CPU a packet" if packets else ""
        lost = f", {wst['dropped']:,} lost (ring full)" if wst.get("dropped") else ""
        print(f"ratio per-call with wire {_ratio(r, 'per-call wire', base='bare wire'):.2f}x")
        print(f"ratio batch with wire {_ratio(r, 'batch wire', base='bare wire'):.2f}x")
        print(f"  with wire on (a second playground capturing its own packets, same turns; ratios to its own bare "
              f"loop): {packets:,} packets captured{lost}{per}; its bare loop "
              f"{_ratio(r, 'bare wire'):.2f}x the one without capture")
        fl = r["flood_us"]
        if "wire" in fl:
            print(f"  the flood's sender (this thread, untimed): {fl['plain']:.2f} us of CPU a datagram, "
                  f"{fl['wire']:.2f} us to the capturing playground (loopback delivers in the sender's context, "
                  "so the kernel's tap and its filter are paid there)")
    else:
        print(f"  ratio per-call with wire: not measured ({r['wire_skipped'] or 'the capture was not started'})")
    c_ways = [w for w in r["ways"] if w.startswith("C ")]
    if c_ways:
        print("  C limit: " + ", ".join(f"{w[2:]} {_ratio(r, w):.2f}x" for w in c_ways)
              + " of the bare loop (the kernel's own cost per datagram)")
    print(f"  bytes per journaled datagram beyond its {len(PAYLOAD)} data bytes: per-call "
          f"{bytes_per_event('per-call'):.0f}, batch {bytes_per_event('batch'):.0f}")
    m0, mpeak, mafter, mheld, mev = memory()
    print(f"  memory: 40,000 send/recv pairs of 64 KiB through the journal: RSS {m0:.0f} MiB at start, "
          f"{mpeak:.0f} MiB at most, {mafter:.0f} MiB after both sockets closed (the journal holds {mev:,} "
          f"events and {mheld:.0f} MiB of data; its byte budget is 64 MiB)")
    pc, bt = sink_cost()
    print(f"  with a JSONL sink open: per-call {pc:.2f}x, batch {bt:.2f}x (every event written, "
          "at most the last batch of lines lost on SIGKILL)")
    import importlib.util

    import sockplay.cli
    from sockplay import bench_startup

    compiled = os.path.exists(importlib.util.cache_from_source(sockplay.cli.__file__))
    cached = ("present" if compiled else "absent and not written: every run compiles the modules"
              if sys.dont_write_bytecode else "written on first run")
    print("\n".join(bench_startup.report(f"; compiled bytecode {cached}")))
    try:
        from sockplay import bench_ui
    except ImportError:
        print("  ui key latency: not measured (sockplay.bench_ui is not in this build)")
    else:
        print("\n".join(bench_ui.report()))
    if not r["decoded"] or r["leftover"]:
        print("  check failed: the last datagram was not decoded, or datagrams were left over")
        return 1
    return 0


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_child(pairs: int = 40_000, size: int = 65536) -> None:
    """Printed by a child process: RSS through `pairs` send/recv of `size` bytes, and after close."""
    import resource

    pg = Playground()
    pg.socketpair("a", "b", type="dgram")
    for n in ("a", "b"):
        pg.get(n).setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE if os.geteuid() == 0 else socket.SO_RCVBUF, 4 << 20)
    payload = os.urandom(size)
    start = _rss_mb()
    for _ in range(pairs):
        pg.send("a", payload)
        pg.recv("b", size)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    held = pg.journal.held_bytes / 2**20
    pg.close("a")
    pg.close("b")
    after = _rss_mb()
    print(f"{start:.0f} {peak:.0f} {after:.0f} {held:.0f} {len(pg.journal)}")


def memory() -> tuple[float, float, float, float, int]:
    """(RSS at start, peak RSS, RSS after close, MiB the journal held, events) from a child process, MiB."""
    r = subprocess.run([sys.executable, "-c", "from sockplay.bench import memory_child; memory_child()"],
                       capture_output=True, text=True, check=True)
    a, b, c, d, e = r.stdout.split()
    return float(a), float(b), float(c), float(d), int(e)
