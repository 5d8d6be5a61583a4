"""The watcher: a daemon thread that turns readiness *changes* of every socket into events.

It only polls: it never reads data or SO_ERROR, which would change what the person
is about to observe. poll() is level-triggered, so a socket that stays readable
would wake it for ever; instead, once a bit has been reported the watcher stops
asking for it and only asks for the bits still clear. ERR and HUP cannot be
masked out of poll(), so a socket showing either is left out of the wait set.
Bits already set are re-checked (a) as soon as any call on the playground
completes (the Playground pokes the watcher) and (b) on a timer that starts at
50 ms after a change and backs off to 0.5 s while nothing changes. An idle
playground therefore costs a couple of poll() calls a second at most, and none
at all when no socket shows any bit.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from typing import TYPE_CHECKING, Any

from sockplay.core import flags
from sockplay.core.journal import Event

if TYPE_CHECKING:
    from sockplay.core.playground import Playground

DEFAULT_MASK = flags.POLL_ALL  # POLLIN POLLPRI POLLOUT POLLRDHUP POLLERR POLLHUP
_STUCK = select.POLLERR | select.POLLHUP | select.POLLNVAL  # poll() reports these whatever we ask


class _Entry:
    __slots__ = ("name", "obj", "fd", "mask", "state", "raw")

    def __init__(self, name: str, obj: Any, mask: int) -> None:
        self.name = name
        self.obj = obj
        self.fd = obj.fileno()
        self.mask = mask
        self.state: int | None = None  # the bits last reported (None: not reported yet)
        self.raw = 0  # the last poll revents, unmasked


def names(bits: int) -> list[str]:
    return flags.bits_list(bits, flags.POLL_BITS)


class Watcher:
    """Polls every socket of a Playground and emits Event("ready", ...) on each change."""

    def __init__(self, pg: Playground, interval: float = 0.05, max_interval: float = 0.5,
                 min_gap: float = 0.005) -> None:
        self.pg = pg
        self.interval = interval
        self.max_interval = max_interval
        self.min_gap = min_gap  # rechecks after pokes come at most this often (floods stay cheap)
        self._efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._lock = threading.Lock()
        # Held while the thread is inside poll(): a socket closed then would stay alive in the
        # kernel (poll holds the file) and send its FIN or free its port only when poll returns.
        self._polling = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._poked = False
        self._stop = False
        self.wakeups = 0  # how many times the thread woke (for tests and the CPU report)
        self.probes = 0
        self._thread = threading.Thread(target=self._run, name="sockplay-watcher", daemon=True)

    # -- control (any thread) ----------------------------------------------------
    def start(self) -> None:
        with self._lock:
            for name, obj in list(self.pg.sockets.items()):
                self._add(name, obj)
        self.pg.add_listener(self._on_change)
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self.pg.remove_listener(self._on_change)
        with contextlib.suppress(OSError):
            os.eventfd_write(self._efd, 1)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            os.close(self._efd)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop

    def poke(self) -> None:
        """A call completed: re-check the bits already set (cheap when called in a flood)."""
        if not self._poked:
            self._poked = True
            with contextlib.suppress(OSError):
                os.eventfd_write(self._efd, 1)

    def release(self, name: str) -> None:
        """Stop watching `name` and return once no poll() of ours holds it, so it can be closed."""
        with self._lock:
            self._entries.pop(name, None)
        if not self._thread.is_alive() or self._thread is threading.current_thread():
            return
        with contextlib.suppress(OSError):
            os.eventfd_write(self._efd, 1)
        if self._polling.acquire(timeout=1.0):
            self._polling.release()

    def set_mask(self, name: str, mask: int) -> None:
        with self._lock:
            e = self._entries.get(name)
            if e is not None:
                e.mask = mask
                if e.state is not None:
                    e.state &= mask  # bits no longer watched leave silently
        self._poked = False
        self.poke()

    def state(self, name: str) -> list[str] | None:
        """The bits last reported for `name` (None before its first report)."""
        with self._lock:
            e = self._entries.get(name)
            return None if e is None or e.state is None else names(e.state)

    def _add(self, name: str, obj: Any) -> None:
        if obj.fileno() < 0:
            return
        mask = getattr(obj, "watch_mask", None)
        self._entries[name] = _Entry(name, obj, DEFAULT_MASK if mask is None else mask)

    def _on_change(self, added: list[str], removed: list[str]) -> None:
        with self._lock:
            for name in removed:
                self._entries.pop(name, None)
            for name in added:
                obj = self.pg.sockets.get(name)
                if obj is not None:
                    self._add(name, obj)
        # No poke here: the call that made the change pokes after its own event,
        # so a socket's first "ready" event comes after the call that created it.
        if removed:
            self.poke()

    # -- the thread --------------------------------------------------------------
    def _probe(self, entries: list[_Entry]) -> None:
        """Read every socket's current bits (poll with timeout 0) and report changes."""
        self.probes += 1
        p = select.poll()
        for e in entries:
            p.register(e.fd, e.mask | select.POLLIN | select.POLLPRI | select.POLLOUT | 0x2000)
        got = dict(p.poll(0))
        emit = self.pg.journal.emit
        for e in entries:
            raw = got.get(e.fd, 0)
            if raw & select.POLLNVAL and e.obj.fileno() != e.fd:
                continue  # closed under our feet; the close call removes it
            e.raw = raw
            cur = raw & e.mask
            old = e.state
            if old == cur or (old is None and not cur):
                if old is None:
                    e.state = cur
                continue
            with self._lock:
                if self._entries.get(e.name) is not e:
                    continue
                e.state = cur
            prev = old or 0
            emit(Event("ready", e.name, None, None, events=names(cur),
                       added=names(cur & ~prev), removed=names(prev & ~cur)))

    def _run(self) -> None:
        interval = self.interval
        last_probe = 0.0
        efd = self._efd
        while not self._stop:
            with self._lock:
                entries = list(self._entries.values())
            self._poked = False
            last_probe = time.monotonic()
            with self._polling:
                self._probe(entries)
            p = select.poll()
            p.register(efd, select.POLLIN)
            any_set = False
            for e in entries:
                if e.raw:
                    any_set = True
                if e.raw & _STUCK:
                    continue  # would wake us at once, every time: leave it to the timer
                p.register(e.fd, e.mask & ~e.raw & ~_STUCK)
            timeout = int(interval * 1000) if any_set else None
            with self._polling:
                ready = p.poll(timeout)
            self.wakeups += 1
            if self._stop:
                break
            if not ready:
                interval = min(interval * 2, self.max_interval)
                continue
            interval = self.interval
            if any(fd == efd for fd, _ in ready):
                with contextlib.suppress(OSError):
                    os.eventfd_read(efd)
                gap = self.min_gap - (time.monotonic() - last_probe)
                if gap > 0:
                    time.sleep(gap)
