"""The journal: every call, readiness change, signal and note as an Event in a bounded ring.

Views never poll the engine; they subscribe and receive events in batches.
A subscriber is a callable taking (events, missed): `missed` counts events that
went by without reaching it because it fell behind the ring (or its own cap).

Design, for speed and bounded memory:
- emit() is on the hot path (one per syscall under a flood): it takes a lock,
  numbers the event, appends it to a `deque(maxlen=cap)` and, only when a
  consumer sleeps, wakes it. Nothing else, whatever the number of subscribers.
- Each subscriber (and the JSONL sink) is a cursor into the ring, served by its
  own daemon thread, so a slow subscriber delays nobody but itself; when it lags
  more than the ring holds, it is told how many events it missed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from itertools import islice
from typing import IO, Any

from sockplay.core.outcome import Outcome

Subscriber = Callable[[list["Event"], int], None]

_now = time.time


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
    """A cursor into the ring with its own delivery thread (a subscriber or the sink)."""

    def __init__(self, journal: Journal, deliver: Callable[[list[Event], int], None], cap: int, name: str) -> None:
        self.journal = journal
        self.deliver = deliver
        self.cap = cap
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
        return batch, behind - avail

    def _run(self) -> None:
        j = self.journal
        while True:
            batch, missed = self.take()
            if batch or missed:
                try:
                    self.deliver(batch, missed)
                except Exception:  # noqa: BLE001 - a broken view must not kill the journal
                    pass
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

    def __init__(self, cap: int = 100_000, batch_interval: float = 0.03) -> None:
        if cap < 1:
            raise ValueError("journal cap must be at least 1")
        self.cap = cap
        self._ring: deque[Event] = deque(maxlen=cap)
        self._seq = 0
        self._lock = threading.Lock()
        self._readers: list[_Reader] = []
        self._sleepers = False
        self._interval = batch_interval
        self._sink: IO[str] | None = None
        self._sink_reader: _Reader | None = None
        self._sink_owned = False

    # -- writing ---------------------------------------------------------------
    def emit(self, event: Event) -> Event:
        """Number the event and put it in the ring (the hot path: keep it short)."""
        with self._lock:
            self._seq += 1
            event.seq = self._seq
            self._ring.append(event)
        if self._sleepers:
            self._wake_readers()
        return event

    def _wake_readers(self) -> None:
        self._sleepers = False
        for r in self._readers:
            if r.sleeping:
                r.wake.set()

    def note(self, text: str, sock: str | None = None, **fields: Any) -> Event:
        return self.emit(Event("note", sock=sock, text=text, **fields))

    # -- reading ---------------------------------------------------------------
    def snapshot(self) -> list[Event]:
        """The events still in the ring, oldest first."""
        with self._lock:
            return list(self._ring)

    def since(self, seq: int) -> list[Event]:
        """Events in the ring with a sequence number above `seq`."""
        with self._lock:
            n = min(max(self._seq - seq, 0), len(self._ring))
            out = list(islice(reversed(self._ring), n))
        out.reverse()
        return out

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def last_seq(self) -> int:
        return self._seq

    # -- subscribers -----------------------------------------------------------
    def subscribe(self, fn: Subscriber, cap: int | None = None) -> Callable[[], None]:
        """Deliver new events to `fn(batch, missed)` from a thread of its own; returns unsubscribe.

        A batch holds at most `cap` events (the ring's cap by default); anything
        older that the subscriber did not get in time is counted in `missed`.
        """
        r = _Reader(self, fn, cap or self.cap, "sockplay-journal-sub")
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

    # -- file sink -------------------------------------------------------------
    def open_sink(self, target: str | IO[str]) -> None:
        """Write every event from now on as a JSONL line (DESIGN.md's transcript format).

        `target` is a path (appended to) or an open text stream such as sys.stdout.
        Lines are written and flushed in batches, in seq order.
        """
        if self._sink_reader is not None:
            raise ValueError("the journal already has a sink; close it first")
        if isinstance(target, str):
            self._sink = open(target, "a", encoding="utf-8")  # noqa: SIM115
            self._sink_owned = True
        else:
            self._sink = target
            self._sink_owned = False
        sink = self._sink
        lock = threading.Lock()  # flush() from another thread and the reader must not interleave lines

        def write(batch: list[Event], missed: int) -> None:
            lines = []
            if missed:
                lines.append(json.dumps({"kind": "missed", "count": missed}) + "\n")
            lines.extend(json.dumps(e.to_json()) + "\n" for e in batch)
            with lock:
                sink.write("".join(lines))
                sink.flush()

        self._sink_reader = _Reader(self, write, self.cap, "sockplay-journal-sink")
        self._add_reader(self._sink_reader)

    def close_sink(self) -> None:
        r = self._sink_reader
        if r is None:
            return
        self._remove_reader(r)
        if r.thread.is_alive() and r.thread is not threading.current_thread():
            r.thread.join(timeout=2)
        batch, missed = r.take()
        if batch or missed:
            r.deliver(batch, missed)
        self._sink_reader = None
        sink, self._sink = self._sink, None
        if sink is not None and self._sink_owned:
            sink.close()

    def close(self) -> None:
        """Deliver what is left, stop every reader thread and close the sink."""
        self.close_sink()
        self.flush()
        for r in list(self._readers):
            self._remove_reader(r)
