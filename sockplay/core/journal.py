"""The journal: every call, readiness change, signal and note as an Event in a bounded ring.

Views never poll the engine; they subscribe and receive events in batches.
A subscriber is a callable taking (events, missed): `missed` counts events that
went by without reaching it because it fell behind the ring (or its own cap).

Design, for speed and bounded memory:
- The ring holds three kinds of entry. A cold call, a readiness change or a note
  is an Event object. A hot call (a datagram drained in a flood) is a *record*:
  a flat tuple of plain values, `(time, code, data, shape, ...)`, which the
  garbage collector stops tracking at its first pass, so a full ring of 100,000
  of them costs the collector nothing. A datagram from a batch (recvmmsg) is a
  pair `(batch record, index)`, and so is a captured packet (the block of
  packets the capture's ring handed over, see WIRE_LAZY). Records become Events
  (and lazy Outcomes) only when read. Sequence numbers are not stored: under the lock the newest entry is
  `_seq` and the others count back from it.
- Two bounds: `cap` events and `max_bytes` of data. Once the data held in the
  ring would pass `max_bytes`, a new event keeps only the head of its data
  (HEAD bytes) and says how many bytes it dropped (`ret` keeps the length).
  Only events with more than HEAD bytes are counted against the budget (in
  `_big`, a FIFO of (seq, bytes)); smaller ones are never cut and the cap
  bounds them. So the data held is at most max_bytes + cap x HEAD.
- emit() and add() are the hot path: one lock, a few integer operations, one
  append, and a wake-up only when a consumer sleeps.
- Each subscriber is a cursor into the ring, served by its own daemon thread,
  so a slow subscriber delays nobody but itself; when it lags more than the
  ring holds, it is told how many events it missed.
- The JSONL sink is not a subscriber: it writes synchronously, in batches, from
  the thread that emits (see `open_sink`), so it can never miss an event.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from itertools import islice, repeat
from typing import IO, Any

from sockplay.core.outcome import HEAD, Outcome

Subscriber = Callable[[list["Event"], int], None]

DEFAULT_CAP = 100_000
DEFAULT_MAX_BYTES = 64 << 20  # data bytes the ring keeps in full (64 MiB); see the README's memory table
SINK_BATCH = 256  # events per sink write: at most this many (or SINK_INTERVAL's worth) are lost on SIGKILL
SINK_INTERVAL = 0.05  # seconds a quiet sink waits before writing a partial batch
PAGE = 4096
PAD_ROOM = 1024  # see _page_safe

_now = time.time
_NO_FIELDS: dict[str, Any] = {}
# Packets (sockplay.core.wire.capture): WIRE is a decoded one, (time, WIRE, sock, field names, field
# values); WIRE_LAZY is a block of them as the kernel's ring handed it over, (time, WIRE_LAZY, capture id,
# block number, block bytes, first offset, count), in the ring as (record, i) like a batch; WIRE_VIEW[0]
# (set by the capture module) makes packet i a WIRE record, or None, when it is read.
WIRE, WIRE_LAZY = 6, 7
WIRE_VIEW: list[Callable[[tuple, int], tuple | None]] = []


def data_json(data: bytes | None) -> dict[str, str] | None:
    if data is None:
        return None
    return {"text": data.decode("utf-8", errors="replace"), "hex": data.hex()}


class Event:
    """One thing that happened. `kind` is call, pending, ready, signal, expect or note."""

    __slots__ = ("seq", "time", "kind", "sock", "command", "outcome", "fields")

    def __init__(
        self,
        kind: str,
        sock: str | None = None,
        command: str | None = None,
        outcome: Outcome | None = None,
        **fields: Any,
    ) -> None:
        self.seq = 0
        self.time = _now()
        self.kind = kind
        self.sock = sock
        self.command = command
        self.outcome = outcome
        self.fields = fields

    def __getattr__(self, name: str) -> Any:
        # Only called for names not in __slots__: expose extra fields as attributes.
        try:
            return object.__getattribute__(self, "fields")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"Event(#{self.seq} {self.kind} {self.sock} {self.fields or ''})"

    def to_json(self) -> dict[str, Any]:
        """The transcript format of DESIGN.md."""
        d: dict[str, Any] = {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "command": self.command,
            "sock": self.sock,
        }
        o = self.outcome
        if o is not None:
            d.update(
                syscall=o.syscall,
                ret=o.ret,
                errno=o.errno,
                error=o.error,
                data=data_json(o.data),
                value=_jsonable(o.value),
                cmsgs=[_cmsg_json(c) for c in o.cmsgs],
                msg_flags=o.msg_flags,
                address=o.address,
                trace=o.trace,
            )
            if o.dropped:
                d["dropped"] = o.dropped
            if o._pre or o._post or o.origin != "user":
                d["trace_lines"] = [{"origin": org, "line": line} for org, line in o.trace_lines]
            if o.new_sockets:
                d["new_sockets"] = o.new_sockets
            if o.notes:
                d["notes"] = o.notes
        if "seq" in self.fields:  # a "wire" event's seq is the TCP sequence number; the journal's moves aside
            d["journal_seq"] = self.seq
        for k, v in self.fields.items():
            d[k] = _jsonable(v)
        return d


_new = object.__new__


def _view(seq: int, entry: Any) -> Event:
    """The Event for one ring entry (records become Events only here, when read)."""
    if type(entry) is Event:
        return entry
    ev = _new(Event)
    ev.seq = seq
    ev.kind = "call"
    ev.fields = _NO_FIELDS
    if len(entry) == 2:  # (batch record, index)
        rec = entry[0]
        if rec[1] == WIRE_LAZY:  # a packet nobody read yet: decoded now, in capture order
            got = WIRE_VIEW[0](rec, entry[1]) if WIRE_VIEW else None
            if got is None:
                ev.kind = "note"
                ev.time = rec[0]
                ev.sock = ev.command = ev.outcome = None
                ev.fields = {"text": "wire: a packet sockplay does not decode"}
                return ev
            return _wire_view(ev, got)
        ev.outcome = Outcome.lazy(rec, entry[1])
    elif len(entry) == 3:  # (record, None, bytes dropped): kept past the byte budget
        rec = entry[0]
        o = ev.outcome = Outcome.lazy(rec)
        o.data  # noqa: B018 - decode now, then record what was dropped
        o.dropped = entry[2]
    else:
        rec = entry
        if rec[1] == WIRE:
            return _wire_view(ev, rec)
        ev.outcome = Outcome.lazy(rec)
    ev.time = rec[0]
    shape = rec[3]
    ev.sock = shape[1]
    ev.command = shape[2]
    return ev


def _wire_view(ev: Event, rec: tuple) -> Event:
    """A packet's Event: its fields are made a dict only now."""
    ev.kind = "wire"
    ev.time = rec[0]
    ev.sock = rec[2]
    ev.command = None
    ev.outcome = None
    ev.fields = dict(zip(rec[3], rec[4], strict=True))
    return ev


def _views(entries: list[Any], first_seq: int) -> list[Event]:
    return [_view(first_seq + i, e) for i, e in enumerate(entries)]


def _cmsg_json(c: dict[str, Any]) -> dict[str, Any]:
    out = {"level": c.get("level"), "type": c.get("name", c.get("type"))}
    for k, v in c.items():
        if k not in ("level", "name", "type"):
            out[k] = _jsonable(v)
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return {"text": v.decode("utf-8", errors="replace"), "hex": v.hex()}
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


class _Reader:
    """A cursor into the ring with its own delivery thread (a subscriber)."""

    def __init__(self, journal: Journal, deliver: Callable[[list[Event], int], None], cap: int, name: str,
                 pace: Callable[[], None] | None = None) -> None:
        self.journal = journal
        self.deliver = deliver
        self.cap = cap
        self.pace = pace
        self.cursor = journal._seq  # the last seq this reader has seen
        self.wake = threading.Event()
        self.sleeping = False
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def take(self) -> tuple[list[Event], int]:
        """Events after the cursor (oldest first) and how many were lost to the ring's cap."""
        j = self.journal
        with j._lock:
            last = j._seq
            behind = last - self.cursor
            if behind <= 0:
                return [], 0
            avail = min(behind, len(j._ring), self.cap)
            batch = list(islice(reversed(j._ring), avail))
            self.cursor = last
        batch.reverse()
        return _views(batch, last - avail + 1), behind - avail

    def _run(self) -> None:
        j = self.journal
        while True:
            if self.pace is not None:
                self.pace()  # the subscriber is not ready yet: events gather in the ring meanwhile
            batch, missed = self.take()
            if batch or missed:
                try:
                    self.deliver(batch, missed)
                except Exception:  # noqa: BLE001 - a broken view must not kill the journal
                    pass
                batch = []  # not held while sleeping: a batch's Events are garbage now
                if self.stopped:
                    return
                time.sleep(j._interval)  # let a batch gather: a few dozen deliveries a second at most
                continue
            if self.stopped:
                return
            # Nothing new: sleep until emit() wakes us. Clear, announce, re-check, then wait,
            # so an event appended between the check and the wait is never left unseen.
            self.wake.clear()
            self.sleeping = True
            j._sleepers = True
            if j._seq != self.cursor or self.stopped:
                self.sleeping = False
                continue
            self.wake.wait()
            self.sleeping = False


class Journal:
    """A ring of Events with batched fan-out to subscribers and an optional JSONL sink."""

    def __init__(self, cap: int = DEFAULT_CAP, batch_interval: float = 0.03,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if not isinstance(cap, int) or cap < 1:
            raise ValueError(f"journal cap must be a whole number of events, at least 1 (got {cap!r})")
        if not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"journal byte budget must be a whole number of bytes, 0 or more (got {max_bytes!r})")
        self.cap = cap
        self.max_bytes = max_bytes
        self._ring: deque[Any] = deque(maxlen=cap)
        self._seq = 0
        self._big: deque[tuple[int, int]] = deque()  # (seq, bytes) of events holding over HEAD bytes of data
        self._held = 0  # the sum of those still in the ring
        self._lock = threading.Lock()
        self._readers: list[_Reader] = []
        self._sleepers = False
        self._interval = batch_interval
        self._sink: _Sink | None = None

    # -- writing ---------------------------------------------------------------
    def _fits(self, seq: int, nbytes: int) -> bool:
        """Whether `nbytes` more data fit in the budget; if so they are counted (call with the lock held).

        Only data over HEAD bytes per event is counted: smaller data is never cut,
        and the ring's cap already bounds it (cap x HEAD bytes).
        """
        self._prune(seq)
        if self._held + nbytes > self.max_bytes:
            return False
        self._big.append((seq, nbytes))
        self._held += nbytes
        return True

    def _prune(self, seq: int) -> None:
        big = self._big
        floor = seq - self.cap  # events up to this seq have left the ring
        while big and big[0][0] <= floor:
            self._held -= big.popleft()[1]

    def emit(self, event: Event) -> Event:
        """Number the event and put it in the ring."""
        o = event.outcome
        n = len(o.data) if o is not None and o.data else 0
        with self._lock:
            seq = self._seq = self._seq + 1
            event.seq = seq
            stored = event
            if n > HEAD and not self._fits(seq, n):
                # The caller keeps its Event and Outcome whole; the ring keeps a copy with the head.
                stored = _new(Event)
                for slot in Event.__slots__:
                    setattr(stored, slot, getattr(event, slot))
                stored.outcome = o.head()  # type: ignore[union-attr]
            self._ring.append(stored)
        if self._sleepers:
            self._wake_readers()
        if self._sink is not None:
            self._sink.due(seq)
        return event

    def add(self, record: tuple, nbytes: int) -> None:
        """Put a hot call's record in the ring (`nbytes`: the length of its data, record[2])."""
        if nbytes > HEAD:
            self._add_big(record, nbytes)
            return
        lock = self._lock
        lock.acquire()
        self._seq += 1
        self._ring.append(record)
        lock.release()
        if self._sleepers:
            self._wake_readers()
        if self._sink is not None:
            self._sink.due(self._seq)

    def add_records(self, records: list[tuple]) -> None:
        """Put small records (no data held) in the ring under one lock: a capture's block of packets."""
        if not records:
            return
        with self._lock:
            self._seq += len(records)
            self._ring.extend(records)
            last = self._seq
        if self._sleepers:
            self._wake_readers()
        if self._sink is not None:
            self._sink.due(last)

    def _add_big(self, record: tuple, nbytes: int) -> None:
        with self._lock:
            seq = self._seq = self._seq + 1
            if not self._fits(seq, nbytes):
                record = (record[:2] + (record[2][:HEAD],) + record[3:], None, nbytes - HEAD)
            self._ring.append(record)
        if self._sleepers:
            self._wake_readers()
        if self._sink is not None:
            self._sink.due(seq)

    def add_batch(self, record: tuple, count: int, nbytes: int, trim: Callable[[tuple], tuple] | None = None) -> int:
        """Put `count` datagrams of one batch record in the ring, as (record, 0) ... (record, count-1).

        `nbytes` is the batch's data in all. `trim(record)` gives the record with
        each datagram cut to its head, used when the batch would pass the byte
        budget. Returns the seq of the first datagram.
        """
        with self._lock:
            first = self._seq + 1
            last = self._seq = self._seq + count
            # The record lives until its last datagram leaves the ring: count it under that seq.
            if nbytes > HEAD * count and not self._fits(last, nbytes) and trim is not None:
                record = trim(record)
            self._ring.extend(zip(repeat(record, count), _INDEX[:count] if count <= len(_INDEX) else range(count),
                                  strict=False))
        if self._sleepers:
            self._wake_readers()
        if self._sink is not None:
            self._sink.due(last)
        return first

    def _wake_readers(self) -> None:
        self._sleepers = False
        for r in self._readers:
            if r.sleeping:
                r.wake.set()

    def note(self, text: str, sock: str | None = None, **fields: Any) -> Event:
        return self.emit(Event("note", sock=sock, text=text, **fields))

    @property
    def held_bytes(self) -> int:
        """Data bytes the ring holds now (what the byte budget bounds)."""
        with self._lock:
            self._prune(self._seq)
            return self._held

    def release(self) -> None:
        """Give freed memory back to the system (glibc keeps freed blocks otherwise)."""
        _malloc_trim()

    def clear(self) -> None:
        """Drop every event the ring holds (seq numbers go on) and give the memory back."""
        with self._lock:
            self._ring.clear()
            self._big.clear()
            self._held = 0
        self.release()

    # -- reading ---------------------------------------------------------------
    def snapshot(self) -> list[Event]:
        """The events still in the ring, oldest first."""
        with self._lock:
            entries = list(self._ring)
            first = self._seq - len(entries) + 1
        return _views(entries, first)

    def since(self, seq: int) -> list[Event]:
        """Events in the ring with a sequence number above `seq`."""
        with self._lock:
            n = min(max(self._seq - seq, 0), len(self._ring))
            entries = list(islice(reversed(self._ring), n))
            first = self._seq - n + 1
        entries.reverse()
        return _views(entries, first)

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def last_seq(self) -> int:
        return self._seq

    # -- subscribers -----------------------------------------------------------
    def subscribe(self, fn: Subscriber, cap: int | None = None,
                  pace: Callable[[], None] | None = None) -> Callable[[], None]:
        """Deliver new events to `fn(batch, missed)` from a thread of its own; returns unsubscribe.

        A batch holds at most `cap` events (the ring's cap by default); anything
        older that the subscriber did not get in time is counted in `missed`.
        `pace()`, when given, is called on that thread before each batch is taken
        and may block until the subscriber wants one (a UI taking batches at a
        bounded rate): the events wait in the ring, not in a list of Events.
        """
        r = _Reader(self, fn, cap or self.cap, "sockplay-journal-sub", pace)
        self._add_reader(r)

        def unsubscribe() -> None:
            self._remove_reader(r)

        return unsubscribe

    def _add_reader(self, r: _Reader) -> None:
        with self._lock:
            r.cursor = self._seq
            self._readers = [*self._readers, r]
        r.thread.start()

    def _remove_reader(self, r: _Reader) -> None:
        with self._lock:
            self._readers = [x for x in self._readers if x is not r]
        r.stopped = True
        r.wake.set()

    def flush(self) -> None:
        """Deliver what is queued now to every subscriber and the sink, in this thread."""
        for r in list(self._readers):
            batch, missed = r.take()
            if batch or missed:
                try:
                    r.deliver(batch, missed)
                except Exception:  # noqa: BLE001
                    pass
        if self._sink is not None:
            self._sink.write()

    # -- file sink -------------------------------------------------------------
    def open_sink(self, target: str | IO[str], batch: int = SINK_BATCH) -> None:
        """Write every event from now on as a JSONL line (DESIGN.md's transcript format).

        `target` is a path (appended to) or an open text stream such as sys.stdout.
        Nothing the journal accepts is lost: the thread that emits the event that
        completes a batch of `batch` events writes the batch itself, with one
        write() of whole lines (a quiet journal's partial batch is written after
        SINK_INTERVAL by a timer thread). So a SIGKILL loses at most the last
        batch, and the cost of the sink is paid by the flood that causes it.
        """
        if self._sink is not None:
            raise ValueError("the journal already has a sink; close it first")
        with self._lock:
            self._sink = _Sink(self, target, max(1, min(batch, self.cap // 2)))

    def close_sink(self) -> OSError | None:
        """Write what is left and close the sink; returns the write error that stopped it, if one did."""
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.close()
            return sink.failed
        return None

    @property
    def sink_error(self) -> OSError | None:
        """The write error that stopped the sink (it then writes nothing more), or None."""
        return self._sink.failed if self._sink is not None else None

    def close(self) -> None:
        """Deliver what is left, stop every reader thread and close the sink."""
        self.close_sink()
        self.flush()
        for r in list(self._readers):
            self._remove_reader(r)


_INDEX = tuple(range(1024))  # shared index objects for batch entries (ints above 256 are not cached)


class _Sink:
    """Synchronous batched JSONL writes; see Journal.open_sink."""

    def __init__(self, journal: Journal, target: str | IO[str], batch: int) -> None:
        self.journal = journal
        self.batch = batch
        self.cursor = journal._seq  # the last seq written
        self.lock = threading.Lock()
        self.stream: IO[str] | None = None
        self.fd = -1
        self.pos = 0
        if isinstance(target, str):
            self.fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self.pos = os.fstat(self.fd).st_size
        else:
            self.stream = target
        self.failed: OSError | None = None  # the write error that stopped the sink
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._tick, name="sockplay-journal-sink", daemon=True)
        self.thread.start()

    def due(self, seq: int) -> None:
        if seq - self.cursor >= self.batch and self.failed is None:
            self.write()

    def _tick(self) -> None:
        while not self.stopped.wait(SINK_INTERVAL):
            if self.journal._seq != self.cursor:
                self.write()

    def write(self) -> None:
        """Write every event after the cursor, whole lines, one write() per call."""
        with self.lock:
            if self.failed is not None:
                return
            j = self.journal
            events = j.since(self.cursor)
            if not events:
                return
            missed = events[0].seq - self.cursor - 1
            lines = []
            if missed > 0:  # only when the ring is smaller than a batch; kept for honesty
                lines.append(json.dumps({"kind": "missed", "count": missed}) + "\n")
            lines.extend(json.dumps(e.to_json()) + "\n" for e in events)
            self.cursor = events[-1].seq
            if self.stream is not None:
                try:
                    self.stream.write("".join(lines))
                    self.stream.flush()
                except (OSError, ValueError) as exc:  # a closed pipe, a closed stream
                    self.failed = exc if isinstance(exc, OSError) else OSError(str(exc))
                    self.stopped.set()
                return
            data = _page_safe(lines, self.pos).encode()
            view = memoryview(data)
            try:
                while view:
                    n = os.write(self.fd, view)
                    view = view[n:]
            except OSError as exc:  # a full disk must not break the calls that emit: the sink stops
                self.failed = exc
                self.stopped.set()
            self.pos += len(data) - len(view)

    def close(self) -> None:
        self.stopped.set()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout=2)
        self.write()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _page_safe(lines: list[str], pos: int) -> str:
    """Lines padded (spaces before the newline, which JSON allows) so none crosses a 4 KiB page.

    Linux checks for a fatal signal before copying each page of a write() into a
    file, so SIGKILL can cut a write at a page boundary; when no line crosses one,
    the cut falls between lines and a reader never sees half a line. A batch's
    last line is padded to the boundary when less than PAD_ROOM bytes are left
    in its page, so the next batch starts on a fresh page; what can still be cut
    is a line longer than the room left (over PAD_ROOM bytes) at the start of a
    batch, or over a page long.
    """
    out: list[str] = []
    for line in lines:
        n = len(line) if line.isascii() else len(line.encode())
        room = PAGE - pos % PAGE
        if n > room and out and room < PAGE:
            out[-1] = out[-1][:-1] + " " * room + "\n"
            pos += room
        out.append(line)
        pos += n
    room = PAGE - pos % PAGE
    if out and room < PAD_ROOM:
        out[-1] = out[-1][:-1] + " " * room + "\n"
    return "".join(out)


_trim_fn: Any = None


def _malloc_trim() -> None:
    global _trim_fn
    if _trim_fn is None:
        try:
            import ctypes

            _trim_fn = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _trim_fn = False
    if _trim_fn:
        _trim_fn(0)
