"""Capture the playground's own packets on loopback: AF_PACKET, a TPACKET_V3 ring, a thread of its own.

The kernel fills a ring of 1 MiB blocks shared with us by mmap; a block is
handed over when full or after RETIRE_MS, so under a flood of small datagrams
the thread wakes once per several thousand packets, and never while the wire
is quiet. It waits in poll() with the GIL released. A classic BPF filter built
from the playground's ports (wire/filter.py) makes the kernel drop everything
else before it reaches the ring.

The engine must not pay for the capture (`make bench`: ratio per-call with
wire), so the thread does little with the GIL held: it copies a retired block
once (one bytes object), hands the block back to the kernel and puts one record
for the whole block in the journal, under one lock, as (record, i) for each
packet (journal.WIRE_LAZY). A packet is decoded (headers, relative sequence
numbers, socket names) when a view, the JSONL sink or `expect wire` first reads
it, in capture order, and becomes a "wire" Event stamped with the kernel's
receive time, the same clock as the calls' events. Only `wire on NAME` (some
sockets left out) decodes in the thread, to drop the others' packets.

The capture socket is sockplay's own, not one of the user's, so its calls are
not in the trace; what it does is said in a note when it starts.
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import select
import socket
import struct
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any

from sockplay.core import bpf, journal
from sockplay.core.journal import WIRE, WIRE_LAZY
from sockplay.core.wire import filter as wfilter
from sockplay.core.wire import pcap
from sockplay.core.wire.decode import Packet, Relative, decode
from sockplay.core.wire.table import Table

if TYPE_CHECKING:
    from sockplay.core.outcome import Outcome
    from sockplay.core.playground import Playground

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
TPACKET_V3 = 2
ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
TP_STATUS_USER = 1

BLOCK_SIZE = 1 << 20  # 1 MiB per block: under a flood the thread wakes once per ~8,000 small packets
BLOCK_NR = 8  # 8 MiB in all
FRAME_SIZE = 2048
RETIRE_MS = 20  # a block with packets in it is handed over after this long at most
KEEP_FRAMES = 50_000  # frames kept for `wire save`
KEEP_BYTES = 64 << 20  # and at most this much of their blocks (the newest block is always kept)
LAZY_BYTES = 512  # a block journaled undecoded has packets of this many bytes or fewer on average
PENDING_BLOCKS = 16  # blocks whose packets nobody read yet, kept for decoding in order (relative seq)
CACHE_BLOCKS = 16  # blocks whose decoded packets are kept for the next reader
IFACE = "lo"

NO_CAP = ("capturing packets needs CAP_NET_RAW (an AF_PACKET socket); run sockplay as root or give "
          "python that capability (setcap cap_net_raw+ep)")
UNIX_ONLY = "only unix sockets are open, and unix sockets never reach the wire: nothing to capture"
PORT_CALLS = frozenset(("bind", "listen", "connect", "accept", "close"))
SEND_CALLS = frozenset(("sendto", "send", "sendmsg"))


_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}  # one shared tuple of field names per shape of packet
_HDR = struct.Struct("IIIIIIH")  # struct tpacket3_hdr: next offset, sec, nsec, snaplen, len, status, mac offset
_LIVE: weakref.WeakValueDictionary[int, Capture] = weakref.WeakValueDictionary()  # records name their capture
_IDS = itertools.count(1)


def _frame(block: bytes, off: int) -> tuple[int, int, bytes, int]:
    """(sec, nsec, frame, wire length) of the packet at `off` in a copied block."""
    _nxt, sec, nsec, snap, length, _st, mac = _HDR.unpack_from(block, off)
    start = off + mac
    return sec, nsec, block[start:start + snap], length


def _offsets(block: bytes, first: int, num: int) -> list[int]:
    """Where each of a block's packets starts (struct tpacket3_hdr's tp_next_offset chain)."""
    out = []
    off = first
    unpack_from = _HDR.unpack_from
    for _ in range(num):
        out.append(off)
        off += unpack_from(block, off)[0]
    return out


def view(rec: tuple, i: int) -> tuple | None:
    """Packet `i` of a journal.WIRE_LAZY block record as a WIRE record (journal calls it when one is read)."""
    cap = _LIVE.get(rec[2])
    if cap is None:  # its capture is gone with its playground: decoded alone, no names
        off = _offsets(rec[4], rec[5], i + 1)[i]
        sec, nsec, frame, _ = _frame(rec[4], off)
        pkt = decode(frame, sec + nsec * 1e-9, None)
        if pkt is None:
            return None
        d = pkt.fields()
        return (pkt.time, WIRE, None, tuple(d), tuple(d.values()))
    return cap.decoded(rec, i)


journal.WIRE_VIEW[:] = [view]


class Capture:
    """The wire tap of one Playground. `start` returns None, or why capture is not possible."""

    def __init__(self, pg: Playground, iface: str = IFACE) -> None:
        self.pg = pg
        self.iface = iface
        self.table = Table()
        self.only: set[str] | None = None  # None: every socket
        self.excluded: set[str] = set()
        self.talked: dict[str, set[int]] = {}  # destination ports each socket sent to or connected to
        self.dests: dict[tuple[str, int], str] = {}  # (host, port) -> the socket that last sent or connected there
        self.ports: frozenset[int] = frozenset()
        self.reason: str | None = None
        self.packets = 0
        self.dropped = 0  # the ring was full (the kernel counts these)
        self.passed = 0  # packets the BPF filter let into the ring (the kernel's count, PACKET_STATISTICS)
        self.cpu = 0.0  # CPU seconds the capture thread spent on packets (for the bench)
        self.frames: deque[tuple[bytes, int, int, list[int] | None]] = deque()  # for `wire save`: see _keep
        self._framed = 0  # packets in self.frames
        self._framed_bytes = 0  # and the bytes of their blocks
        self.writers: list[pcap.Writer] = []
        self._rel = Relative()
        self._id = next(_IDS)
        _LIVE[self._id] = self
        self._blocks = 0  # blocks journaled so far (a record's k)
        self._pending: deque[tuple[int, bytes, int, int]] = deque(maxlen=PENDING_BLOCKS)  # (k, block, first, num)
        self._cache: dict[int, list[tuple | None]] = {}  # block k -> its packets' WIRE records, decoded
        self._dlock = threading.Lock()
        self._names: dict[tuple[str, str, str], tuple[str | None, str | None]] = {}
        self._sock: socket.socket | None = None
        self._mm: mmap.mmap | None = None
        self._prog: bpf.Program | None = None
        self._efd = -1
        self._thread: threading.Thread | None = None
        self._stop = False
        self._lock = threading.Lock()
        self._table_time = 0.0  # when the table was last read (packets after it may name newer sockets)

    # -- control ------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop

    def start(self) -> str | None:
        if self.running:
            return None
        try:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: nothing arrives before bind
        except PermissionError:
            self.reason = NO_CAP
            return self.reason
        except OSError as exc:
            self.reason = f"cannot open an AF_PACKET socket: {exc.strerror}"
            return self.reason
        try:
            self._sock = s
            self.refresh(force=True)
            s.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
            req = struct.pack("7I", BLOCK_SIZE, BLOCK_NR, FRAME_SIZE, BLOCK_SIZE * BLOCK_NR // FRAME_SIZE,
                              RETIRE_MS, 0, 0)
            s.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
            self._mm = mmap.mmap(s.fileno(), BLOCK_SIZE * BLOCK_NR, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE)
            s.bind((self.iface, ETH_P_ALL))
        except OSError as exc:
            self._close_socket()
            self.reason = f"cannot capture on {self.iface}: {exc.strerror}"
            return self.reason
        self.reason = None
        self._stop = False
        self._efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="sockplay-wire", daemon=True)
        self._thread.start()
        return None

    def stop(self) -> None:
        if self.running:
            time.sleep(3 * RETIRE_MS / 1000)  # let the last block (a close's FIN or RST) reach us first
        self._stop = True
        t, self._thread = self._thread, None
        if self._efd >= 0:
            with contextlib.suppress(OSError):
                os.eventfd_write(self._efd, 1)
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join(timeout=2)
        if self._efd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._efd)
            self._efd = -1
        self._close_socket()
        for w in self.writers:
            w.flush()

    def _close_socket(self) -> None:
        mm, self._mm = self._mm, None
        if mm is not None:
            with contextlib.suppress(BufferError, ValueError):
                mm.close()
        s, self._sock = self._sock, None
        if s is not None:
            s.close()

    def close(self) -> None:
        self.stop()
        for w in self.writers:
            w.close()
        self.writers.clear()

    # -- which sockets --------------------------------------------------------------
    def watch(self, names: list[str]) -> None:
        """`wire on NAME...`: add these sockets (all of them when none is named)."""
        if not names:
            self.only, self.excluded = None, set()
        elif self.only is not None:
            self.only |= set(names)
        self.excluded -= set(names)
        if not self.running and names:
            self.only = set(names)
        self.refresh(force=True)

    def unwatch(self, names: list[str]) -> bool:
        """`wire off NAME...`: leave these out; returns True when nothing is left to capture."""
        if not names:
            return True
        if self.only is not None:
            self.only -= set(names)
            if not self.only:
                return True
        else:
            self.excluded |= set(names)
        self.refresh(force=True)
        return False

    def wanted(self, name: str | None) -> bool:
        if name is None or name in self.excluded:
            return False
        return self.only is None or name in self.only

    # -- hooks from the Playground ---------------------------------------------------
    def before_send(self, name: str, sa: Any, fam: int) -> None:
        """Before a connect or sendto: let the filter pass the destination port, or the first packet is missed."""
        if fam not in (socket.AF_INET, socket.AF_INET6) or not isinstance(sa, tuple):
            return
        port = int(sa[1])
        self.dests[(str(sa[0]), port)] = name
        known = self.talked.setdefault(name, set())
        if port in known:
            return
        known.add(port)
        if self.wanted(name) and port not in self.ports:
            self.refresh(force=True)

    def after(self, out: Outcome) -> None:
        """After a call: a new port or socket means a new filter and new names."""
        sc = out.syscall
        if sc == "bind" and out.ret == 0 and isinstance(out.value, str) and out.sock:
            obj = self.pg.sockets.get(out.sock)
            if getattr(obj, "family", None) in (socket.AF_INET, socket.AF_INET6):
                proto = "tcp" if getattr(obj, "type", None) == socket.SOCK_STREAM else "udp"
                self.table.learn(out.sock, proto, out.value)
        if sc in PORT_CALLS or (sc in SEND_CALLS and out.sock not in self.table.current):
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Re-read the sockets' addresses; re-attach the filter when the port set changed."""
        with self._lock:
            t0 = time.time()
            socks = []
            for name, obj in list(self.pg.sockets.items()):
                fam = getattr(obj, "family", None)
                with contextlib.suppress(OSError, ValueError):
                    socks.append((name, obj.fileno(), int(fam) if fam is not None else -1))
            self.table.update(socks)
            self._names = {}
            self._table_time = t0  # published after the table: packets after t0 may still name nobody yet
            names = {n for n in list(self.table.current) + list(self.table.closed) if self.wanted(n)}
            ports = set(self.table.ports(names))
            for n, ps in self.talked.items():
                if self.wanted(n):
                    ports |= ps
            if ports == self.ports and not force:
                return
            self.ports = frozenset(ports)
            s = self._sock
            if s is None:
                return
            prog = bpf.build(wfilter.program(ports) if ports else [(bpf.RET_K, 0, 0, 0)])
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog.fprog)
            self._prog = prog

    # -- status ------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        inet = bool(self.table.inet_names) or any(
            getattr(o, "family", None) in (socket.AF_INET, socket.AF_INET6) for o in list(self.pg.sockets.values()))
        unix_only = bool(self.pg.sockets) and not inet
        return {"running": self.running, "reason": self.reason, "packets": self.packets, "dropped": self.dropped,
                "passed": self.passed, "cpu": self.cpu,
                "ports": sorted(self.ports), "only": sorted(self.only) if self.only is not None else None,
                "unix_only": unix_only, "iface": self.iface}

    def save(self, path: str) -> int:
        """Write the packets kept so far (the last KEEP_FRAMES) to a pcap file."""
        frames = [_frame(block, off) for block, first, num, offs in list(self.frames)
                  for off in (offs if offs is not None else _offsets(block, first, num))]
        return pcap.write_file(path, frames[-KEEP_FRAMES:])

    def add_writer(self, path: str) -> pcap.Writer:
        w = pcap.Writer(path)
        self.writers.append(w)
        return w

    # -- the thread ----------------------------------------------------------------
    def _run(self) -> None:
        """Wait in poll() (the GIL released) for a block to retire; copy it once, hand it back, journal it."""
        mm, s = self._mm, self._sock
        if mm is None or s is None:
            return
        p = select.poll()
        p.register(s.fileno(), select.POLLIN | select.POLLERR)
        p.register(self._efd, select.POLLIN)
        blk = 0
        unpack_from = struct.unpack_from
        while not self._stop:
            base = blk * BLOCK_SIZE
            if not unpack_from("I", mm, base + 8)[0] & TP_STATUS_USER:
                p.poll(1000)
                continue
            t0 = time.thread_time()
            num, first, used = unpack_from("III", mm, base + 12)
            block = mm[base:base + min(max(used, first), BLOCK_SIZE)]  # the one copy of these packets
            struct.pack_into("I", mm, base + 8, 0)  # hand the block back to the kernel
            blk = (blk + 1) % BLOCK_NR
            if num:
                self._deliver(block, num, first)
                with contextlib.suppress(OSError):
                    passed, drops, _ = struct.unpack("3I", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12))
                    self.passed += passed  # what the kernel's filter let through (reading resets the counts)
                    self.dropped += drops
            self.cpu += time.thread_time() - t0

    def _deliver(self, block: bytes, num: int, first: int) -> None:
        """Journal a retired block's packets under one lock, undecoded: one record for the block.

        While every socket is watched, the ring gets (block record, i) for each
        packet, decoded when a view, the JSONL sink or `expect wire` reads it
        (journal.WIRE_VIEW). When some sockets are left out, the block is decoded
        here so that their packets can be dropped; and so is a block of big
        packets (over LAZY_BYTES on average), so the ring never holds much of
        the bytes the playground moved (their copies for `wire save` are bounded
        apart, by KEEP_BYTES).
        """
        k = self._blocks = self._blocks + 1
        _nxt, sec, nsec, *_ = _HDR.unpack_from(block, first)
        rec = (sec + nsec * 1e-9, WIRE_LAZY, self._id, k, block, first, num)
        offs = None
        if self.writers:
            offs = _offsets(block, first, num)
            for w in self.writers:
                for o in offs:
                    w.write(*_frame(block, o))
                w.flush()
        with self._dlock:
            self._pending.append((k, block, first, num))
        some = self.only is not None or bool(self.excluded)
        if some or len(block) > LAZY_BYTES * num:
            offs = offs or _offsets(block, first, num)
            kept = []
            kept_offs = []
            for i, off in enumerate(offs):
                got = self.decoded(rec, i)
                if got is not None and (not some or self.wanted(got[4][8]) or self.wanted(got[4][9])):  # src, dst
                    kept.append(got)
                    kept_offs.append(off)
            if kept_offs:
                self._keep(block, first, len(kept_offs), kept_offs)
            self.packets += len(kept)
            self.pg.journal.add_records(kept)
            return
        self._keep(block, first, num, None)
        self.packets += num
        self.pg.journal.add_batch(rec, num, 0)

    def _keep(self, block: bytes, first: int, num: int, offs: list[int] | None) -> None:
        """Keep packets for `wire save` (offs None: all the block's): whole blocks, the last KEEP_FRAMES covered."""
        self.frames.append((block, first, num, offs))
        self._framed += num
        self._framed_bytes += len(block)
        f = self.frames
        while len(f) > 1 and (self._framed - f[0][2] >= KEEP_FRAMES or self._framed_bytes > KEEP_BYTES):
            old = f.popleft()
            self._framed -= old[2]
            self._framed_bytes -= len(old[0])

    # -- decoding, in capture order, when first read ------------------------------------
    def decoded(self, rec: tuple, i: int) -> tuple | None:
        """Packet `i` of a WIRE_LAZY block record as a WIRE record (time, WIRE, sock, names, values), or None.

        Relative sequence numbers need every packet decoded in capture order, so
        reading a packet decodes the blocks before its own that nobody read yet
        (kept while they are among the last PENDING_BLOCKS; older ones are
        skipped, as tcpdump skips what happened before it started).
        """
        k = rec[3]
        with self._dlock:
            done = self._cache.get(k)
            if done is not None:
                return done[i]
            pend = self._pending
            while pend and pend[0][0] <= k:
                bk, block, first, num = pend.popleft()
                self._cache[bk] = [self._decode(block, off, self._rel) for off in _offsets(block, first, num)]
                while len(self._cache) > CACHE_BLOCKS:
                    del self._cache[next(iter(self._cache))]
            done = self._cache.get(k)
            if done is not None:
                return done[i]
            # Its block left the cache (or was skipped): decode the packet alone, the bases as they are now.
            return self._decode(rec[4], _offsets(rec[4], rec[5], i + 1)[i], self._rel.peek())

    def _decode(self, block: bytes, off: int, rel: Relative) -> tuple | None:
        sec, nsec, frame, _length = _frame(block, off)
        pkt = decode(frame, sec + nsec * 1e-9, rel)
        if pkt is None:
            return None
        self._name(pkt)
        d = pkt.fields()
        keys = tuple(d)
        keys = _KEYS.setdefault(keys, keys)
        return (pkt.time, WIRE, pkt.src_sock or pkt.dst_sock, keys, tuple(d.values()))

    def _name(self, pkt: Packet) -> None:
        if pkt.inner is not None:  # an ICMP error: it is about the quoted packet's sender
            proto, src, dst = pkt.inner
            key = ("icmp", src, dst)
        else:
            proto, src, dst = pkt.proto, pkt.src, pkt.dst
            key = (proto, src, dst)
        got = self._names.get(key)
        if got is None:
            got = self._lookup(pkt, proto, src, dst)
            if None in got and self._table_time < pkt.time:
                # a socket made or connected since the table was read: read it again (once per batch at most)
                self.refresh()
                got = self._lookup(pkt, proto, src, dst)
            if got[0] is None and pkt.inner is None and (proto == "udp" or pkt.flags == ["SYN"]):
                # the first packet of a connect or sendto whose socket is already gone from /proc/net
                host, _, port = dst.rpartition(":")
                sender = self.dests.get((host.strip("[]"), int(port)))
                if sender is not None:
                    self.table.learn(sender, proto, src, dst)
                    got = (sender, got[1])
            if None not in got or self._table_time >= pkt.time:
                if len(self._names) < 4096:
                    self._names[key] = got
        pkt.src_sock, pkt.dst_sock = got

    def _lookup(self, pkt: Packet, proto: str, src: str, dst: str) -> tuple[str | None, str | None]:
        t = self.table
        if pkt.inner is not None:  # the quoted packet went from src to dst; the error comes back
            return t.name(proto, dst, src), t.name(proto, src, dst)
        return t.name(proto, src, dst), t.name(proto, dst, src)
