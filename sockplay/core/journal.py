"""The journal: every call, readiness change, signal and note as an Event in a bounded ring.

Views never poll the engine; they subscribe and receive events in batches.
A subscriber is a callable taking (events, missed): `missed` counts events that
were dropped for it because it fell behind. Delivery happens on a dispatcher
thread, so a slow subscriber never blocks the engine.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any

from sockplay.core.outcome import Outcome

Subscriber = Callable[[list["Event"], int], None]


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
        self.time = time.time()
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
            if o.new_sockets:
                d["new_sockets"] = o.new_sockets
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
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


class _Subscription:
    __slots__ = ("fn", "queue", "missed", "cap")

    def __init__(self, fn: Subscriber, cap: int) -> None:
        self.fn = fn
        self.queue: deque[Event] = deque()
        self.missed = 0
        self.cap = cap


class Journal:
    """A ring of Events with batched fan-out to subscribers and an optional JSONL sink."""

    def __init__(self, cap: int = 100_000, batch_interval: float = 0.03) -> None:
        if cap < 1:
            raise ValueError("journal cap must be at least 1")
        self.cap = cap
        self._ring: deque[Event] = deque(maxlen=cap)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._subs: list[_Subscription] = []
        self._cond = threading.Condition(self._lock)
        self._interval = batch_interval
        self._thread: threading.Thread | None = None
        self._closed = False
        self._sink: IO[str] | None = None
        self._sink_buf: list[str] = []

    # -- writing ---------------------------------------------------------------
    def emit(self, event: Event) -> Event:
        with self._lock:
            event.seq = next(self._seq)
            self._ring.append(event)
            if self._subs:
                for s in self._subs:
                    if len(s.queue) >= s.cap:
                        s.queue.popleft()
                        s.missed += 1
                    s.queue.append(event)
                self._cond.notify()
            if self._sink is not None:
                self._sink_buf.append(event)  # type: ignore[arg-type]
        return event

    def note(self, text: str, sock: str | None = None, **fields: Any) -> Event:
        return self.emit(Event("note", sock=sock, text=text, **fields))

    # -- reading ---------------------------------------------------------------
    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self._ring)

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._ring[-1].seq if self._ring else 0

    # -- subscribers -----------------------------------------------------------
    def subscribe(self, fn: Subscriber, cap: int = 50_000) -> Callable[[], None]:
        """Deliver events to `fn(batch, missed)` from the dispatcher thread; returns unsubscribe."""
        sub = _Subscription(fn, cap)
        with self._lock:
            self._subs.append(sub)
            if self._thread is None:
                self._thread = threading.Thread(target=self._dispatch, name="sockplay-journal", daemon=True)
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                if sub in self._subs:
                    self._subs.remove(sub)

        return unsubscribe

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not any(s.queue for s in self._subs) and not self._sink_buf:
                    self._cond.wait()
                if self._closed and not any(s.queue for s in self._subs) and not self._sink_buf:
                    return
            time.sleep(self._interval)  # let a batch gather: a few dozen deliveries a second at most
            self.flush()

    def flush(self) -> None:
        """Deliver what is queued now (the dispatcher does this on its own)."""
        with self._lock:
            work = []
            for s in self._subs:
                if s.queue:
                    work.append((s, list(s.queue), s.missed))
                    s.queue.clear()
                    s.missed = 0
            sink_events = self._sink_buf
            self._sink_buf = []
            sink = self._sink
        for s, batch, missed in work:
            try:
                s.fn(batch, missed)
            except Exception:  # noqa: BLE001 - a broken view must not kill the journal
                pass
        if sink is not None and sink_events:
            sink.write("".join(json.dumps(e.to_json()) + "\n" for e in sink_events))
            sink.flush()

    # -- file sink -------------------------------------------------------------
    def open_sink(self, path: str) -> None:
        """Write every event from now on as JSONL to `path`, flushed in batches."""
        with self._lock:
            self._sink = open(path, "a", encoding="utf-8")  # noqa: SIM115
            if self._thread is None:
                self._thread = threading.Thread(target=self._dispatch, name="sockplay-journal", daemon=True)
                self._thread.start()

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._closed = True
            self._cond.notify_all()
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.close()
