"""Relay: pump bytes both ways between two connected sockets, every chunk a real recv and send.

Built only on the Playground's public calls (recv, send, poll, shutdown, cancel), so each
chunk shows in the journal as the recvfrom that took it and the sendto that passed it on,
on the socket views and in strace alike. Each direction runs on its own daemon thread and
blocks in the engine's cancellable recv; a stream's end of file is passed on as
shutdown(SHUT_WR), and the relay ends when both directions have ended or it is stopped.

With `hold`, a chunk is queued instead of sent: `forward`, `drop` or `replace` (run from
any thread, usually the next command typed) decides its fate. A direction reads its next
chunk only after the held one is decided, so at most one chunk per direction waits and
the kernel's buffers, not ours, absorb the rest.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sockplay.core.errors import UsageError
from sockplay.core.journal import Event
from sockplay.core.outcome import Outcome

CHUNK = 65536
PREVIEW = 40


def preview(data: bytes, limit: int = PREVIEW) -> str:
    """The start of a chunk for one line of text: printable ASCII, escapes for the rest."""
    out = []
    for b in data[:limit]:
        if b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif 0x20 <= b < 0x7F and b != 0x22:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"' + ("..." if len(data) > limit else "")


@dataclass(eq=False)
class Chunk:
    """One held chunk: where it came from, where it goes, and the bytes."""

    relay: Relay
    src: str
    dst: str
    data: bytes
    decided: threading.Event = field(default_factory=threading.Event)
    fate: str = ""
    sent: int = 0


class Book:
    """The relays of one Playground and the chunks they hold, oldest first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.relays: list[Relay] = []
        self.held: deque[Chunk] = deque()
        self.next_id = 1


_BOOKS: weakref.WeakKeyDictionary[Any, Book] = weakref.WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def book(pg: Any) -> Book:
    with _BOOKS_LOCK:
        b = _BOOKS.get(pg)
        if b is None:
            b = _BOOKS[pg] = Book()
        return b


def running(pg: Any) -> list[Relay]:
    """Relays still pumping."""
    b = book(pg)
    with b.lock:
        return [r for r in b.relays if not r.done.is_set()]


def latest(pg: Any, a: str, b_: str) -> Relay | None:
    """The newest relay between these two sockets, running or ended."""
    bk = book(pg)
    with bk.lock:
        for r in reversed(bk.relays):
            if {r.a, r.b} == {a, b_}:
                return r
    return None


def find(pg: Any, a: str, b_: str) -> Relay | None:
    for r in running(pg):
        if {r.a, r.b} == {a, b_}:
            return r
    return None


class Relay:
    """Two pumps between sockets `a` and `b` of a Playground."""

    a: str
    b: str
    ident: int

    def __init__(self, pg: Any, a: str, b: str, hold: bool = False, command: str | None = None) -> None:
        if a == b:
            raise UsageError("relay needs two different sockets, as in: relay cli up")
        for name in (a, b):
            s = pg.get(name)
            if getattr(s, "listening", False):
                raise UsageError(f"{name!r} is a listener; relay connected sockets (accept first)")
            for r in running(pg):
                if name in (r.a, r.b):
                    raise UsageError(f"{name!r} is already in relay {r.ident} ({r.a} <-> {r.b}); "
                                     f"end it first with: relay {r.a} {r.b} stop")
        self.pg = pg
        self.a, self.b = a, b
        self.hold = hold
        # " &" as in a shell: these events come from a background job, not from the line being run
        self.command = (command or f"relay {a} {b}" + (" hold" if hold else "")).removesuffix(" &") + " &"
        self.bytes = {(a, b): 0, (b, a): 0}
        self.chunks = {(a, b): 0, (b, a): 0}
        self.ended: dict[tuple[str, str], str] = {}
        self.reason = ""
        self.done = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        bk = book(pg)
        with bk.lock:
            self.ident = bk.next_id
            bk.next_id += 1
            ended = [r for r in bk.relays if r.done.is_set()]
            for r in ended[:-32]:  # a busy proxy must not grow this list forever
                bk.relays.remove(r)
            bk.relays.append(self)
        self._book = bk

    # ------------------------------------------------------------------ control
    def start(self) -> Relay:
        self._note(f"relay {self.ident}: {self.a} <-> {self.b} started" + (" (hold: each chunk waits for forward, drop or replace)" if self.hold else ""),
                   state="started")
        for src, dst in ((self.a, self.b), (self.b, self.a)):
            t = threading.Thread(target=self._pump, args=(src, dst), daemon=True, name=f"sockplay-relay {src}>{dst}")
            self._threads.append(t)
            t.start()
        return self

    def stop(self, reason: str = "stopped", timeout: float = 3.0) -> bool:
        """End both pumps: wake their waits until they leave. True when both have."""
        with self._lock:
            if not self.reason:
                self.reason = reason
        self._stop.set()
        for c in self._held():
            c.fate = "dropped (the relay ended)"
            c.decided.set()
        me = threading.current_thread()
        others = [t for t in self._threads if t is not me]
        deadline = time.monotonic() + timeout
        while True:
            for name in (self.a, self.b):
                with contextlib.suppress(Exception):
                    self.pg.cancel(name, reason=f"relay {self.ident} {reason}")
            if not any(t.is_alive() for t in others) or time.monotonic() >= deadline:
                break
            for t in others:
                t.join(0.05)
        return not any(t.is_alive() for t in others)

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    def summary(self) -> str:
        ab, ba = (self.a, self.b), (self.b, self.a)
        return (f"{self.bytes[ab]} bytes {self.a} -> {self.b} in {self.chunks[ab]} chunks, "
                f"{self.bytes[ba]} bytes {self.b} -> {self.a} in {self.chunks[ba]} chunks")

    # ------------------------------------------------------------------ the pumps
    def _note(self, text: str, **fields: Any) -> None:
        self.pg.journal.emit(Event("note", sock=None, command=self.command, text=text, relay=self.ident, **fields))

    def _held(self) -> list[Chunk]:
        with self._book.lock:
            mine = [c for c in self._book.held if c.relay is self]
            for c in mine:
                self._book.held.remove(c)
        return mine

    def _pump(self, src: str, dst: str) -> None:
        key = (src, dst)
        why = ""
        try:
            with self.pg.command_context(self.command):
                why = self._pump_loop(src, dst, key)
        except UsageError as exc:  # a socket was closed under us
            why = f"stopped: {exc}"
        except Exception as exc:  # noqa: BLE001 - a pump must end with a reason, never silently
            why = f"failed: {type(exc).__name__}: {exc}"
        with self._lock:
            self.ended[key] = why
            both = len(self.ended) == 2
            if not why.startswith("end of file") and not self.reason:
                self.reason = why
        if not both and not why.startswith("end of file"):
            # an error on one side ends the other as well (from a thread of its own: stop waits)
            threading.Thread(target=self.stop, args=(why,), daemon=True, name="sockplay-relay-stop").start()
        if both:
            self._finish()

    def _pump_loop(self, src: str, dst: str, key: tuple[str, str]) -> str:
        pg = self.pg
        stream = getattr(pg.get(src), "type", None) in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET)
        while not self._stop.is_set():
            o: Outcome = pg.recv(src, CHUNK)
            if o.errno == "EAGAIN" and not self._stop.is_set():  # a nonblocking socket: wait in poll
                pg.poll([src], timeout=-1, events=["POLLIN"])
                continue
            if o.errno:
                if self._stop.is_set():
                    return "stopped"
                if o.errno == "EINTR":  # someone cancelled the wait (Ctrl-C, close, the app closing)
                    return f"cancelled while {src} waited"
                return f"{src}: recv failed with {o.errno}"
            data = o.data or b""
            if stream and o.ret == 0:
                sh = pg.shutdown(dst, "wr")
                return f"end of file from {src}, passed on as shutdown({dst}, SHUT_WR)" + (
                    f" (which failed: {sh.errno})" if sh.errno else "")
            if self.hold:
                c = Chunk(self, src, dst, data)
                with self._book.lock:
                    self._book.held.append(c)
                self._note(f"relay {self.ident}: held {len(data)} bytes {src} -> {dst}: {preview(data)} "
                           "(forward, drop or replace DATA)", state="held", src=src, dst=dst, size=len(data))
                while not c.decided.wait(0.2):
                    if self._stop.is_set():
                        return "stopped"
                if self._stop.is_set() and not c.fate.startswith(("forwarded", "replaced")):
                    return "stopped"
                self._count(key, c)
                continue
            err, _ = send_all(pg, dst, data, self._stop)
            if err:
                return err
            with self._lock:
                self.bytes[key] += len(data)
                self.chunks[key] += 1
        return "stopped"

    def _count(self, key: tuple[str, str], c: Chunk) -> None:
        if c.fate.startswith(("forwarded", "replaced")):
            with self._lock:
                self.bytes[key] += c.sent
                self.chunks[key] += 1

    def _finish(self) -> None:
        eofs = all(w.startswith("end of file") for w in self.ended.values())
        why = "both sides reached end of file" if eofs else (self.reason or "; ".join(
            w for w in self.ended.values() if not w.startswith("end of file")) or "stopped")
        self.reason = why
        self._note(f"relay {self.ident}: {self.a} <-> {self.b} ended ({why}): {self.summary()}", state="ended",
                   bytes={f"{s}->{d}": n for (s, d), n in self.bytes.items()})
        self.done.set()


def send_all(pg: Any, dst: str, data: bytes, stop: threading.Event | None = None) -> tuple[str, list[Outcome]]:
    """Send every byte (a stream may take fewer per call): ('' or why it stopped, the sends)."""
    sent = 0
    outs: list[Outcome] = []
    stream = getattr(pg.get(dst), "type", None) == socket.SOCK_STREAM
    while True:
        o = pg.send(dst, data[sent:] if sent else data)
        outs.append(o)
        if o.errno == "EAGAIN" and not (stop and stop.is_set()):
            pg.poll([dst], timeout=-1, events=["POLLOUT"])
            continue
        if o.errno:
            return f"{dst}: send failed with {o.errno}", outs
        sent += o.ret or 0
        if not stream or sent >= len(data):
            return "", outs


# ---------------------------------------------------------------------- deciding held chunks
HOLD_WAIT = 2.0  # seconds forward/drop/replace wait for a chunk while a holding relay runs


def _oldest(pg: Any, wait: float) -> Chunk:
    bk = book(pg)
    deadline = time.monotonic() + wait
    while True:
        with bk.lock:
            if bk.held:
                return bk.held.popleft()
            live = [r for r in bk.relays if not r.done.is_set() and r.hold]
        if not live or time.monotonic() >= deadline:
            raise UsageError("no chunk is held right now" + (
                f"; the holding relay had nothing to hold within {wait:g} s" if live else
                "; start an intercepting relay with: relay A B hold"))
        time.sleep(0.01)


def decide(pg: Any, fate: str, data: bytes | None = None, wait: float = HOLD_WAIT) -> tuple[Chunk, list[Outcome]]:
    """forward / drop / replace the oldest held chunk (waiting up to `wait` s for one while a
    holding relay runs, so a script can say `send` then `forward`); the sends are the caller's."""
    c = _oldest(pg, wait)
    outs: list[Outcome] = []
    if fate == "drop":
        c.fate = "dropped"
    else:
        payload = c.data if fate == "forward" else (data or b"")
        err, outs = send_all(pg, c.dst, payload)
        c.sent = 0 if err else len(payload)
        c.fate = ("forwarded" if fate == "forward" else "replaced") + (f" ({err})" if err else "")
    c.decided.set()
    return c, outs

