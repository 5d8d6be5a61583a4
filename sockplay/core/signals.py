"""SIGIO and SIGURG as journal events.

Python runs signal handlers only in the main thread, and only between bytecodes.
Blocking the signals in every thread and calling sigwaitinfo() in a dedicated
thread would also work, but only if *every* thread blocks them, including threads
a UI toolkit started before us; one that does not would take a SIGIO with the
default action, which kills the process. So instead:

- `install()` (main thread only, done by Playground() when created there) sets a
  handler for SIGIO and SIGURG, unless the host program already has its own. The
  kernel hands a process-directed signal to the main thread whenever that thread
  does not block it, and interrupts whatever syscall it sits in (poll, epoll,
  a lock wait), so the handler runs promptly under `sockplay run`, pytest and a
  Textual event loop alike.
- The handler only puts the signal number on a SimpleQueue (safe to call from a
  handler); a daemon thread takes it from there and asks each live Playground
  which of its sockets the signal is about. No lock is ever taken in the handler,
  so a signal landing in the middle of journal.emit() cannot deadlock.
- SIGINT and every other signal are left alone.
"""

from __future__ import annotations

import queue
import signal
import threading
import weakref
from typing import Any

WATCHED: dict[int, str] = {signal.SIGIO: "SIGIO", signal.SIGURG: "SIGURG"}

_queue: queue.SimpleQueue[int] = queue.SimpleQueue()
_targets: weakref.WeakSet[Any] = weakref.WeakSet()
_installed: dict[int, bool] = {}
_thread: threading.Thread | None = None
_state_lock = threading.Lock()


def _handler(signum: int, frame: Any) -> None:
    _queue.put(signum)


def _consume() -> None:
    while True:
        signum = _queue.get()
        for pg in list(_targets):
            try:
                pg._on_signal(WATCHED.get(signum, str(signum)))
            except Exception:  # noqa: BLE001 - a closed playground must not stop the others
                pass


def install() -> bool:
    """Catch SIGIO and SIGURG (main thread only). True when both are ours now."""
    global _thread
    with _state_lock:
        if threading.current_thread() is threading.main_thread():
            for sig in WATCHED:
                if _installed.get(sig):
                    continue
                prev = signal.getsignal(sig)
                if prev in (signal.SIG_DFL, None) or prev is _handler:
                    signal.signal(sig, _handler)
                    _installed[sig] = True
                else:
                    _installed[sig] = False  # the host has its own handler: leave it be
        if any(_installed.values()) and _thread is None:
            _thread = threading.Thread(target=_consume, name="sockplay-signals", daemon=True)
            _thread.start()
        return all(_installed.get(sig) for sig in WATCHED)


def status() -> dict[str, str]:
    """For help and notes: whether each signal becomes an event."""
    out = {}
    for sig, name in WATCHED.items():
        if _installed.get(sig):
            out[name] = "caught"
        elif sig in _installed:
            out[name] = "left to the host program's own handler"
        else:
            out[name] = "not caught (create the Playground in the main thread, or call signals.install() there)"
    return out


def caught(name: str = "SIGIO") -> bool:
    sig = {v: k for k, v in WATCHED.items()}[name]
    return bool(_installed.get(sig))


def register(pg: Any) -> None:
    """Send signals to this playground too (kept weakly: a dropped playground stops receiving)."""
    _targets.add(pg)


def unregister(pg: Any) -> None:
    _targets.discard(pg)
