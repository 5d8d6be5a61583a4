"""Calls that wait in the kernel, and how they are cancelled: a signal to the waiting thread.

A blocking recv, accept, connect, send or poll is one real syscall (sockplay.core.libc).
To cancel one, the canceller sends CANCEL_SIGNAL to the thread sitting in it
(pthread_kill). Its handler is installed without SA_RESTART, so the kernel ends
the call with EINTR, which the engine shows as the kernel reported it (calls with
SO_RCVTIMEO/SO_SNDTIMEO set are never restarted anyway, whatever SA_RESTART says).

Why a real-time signal: SIGUSR1/SIGUSR2 are the ones a user's own code reaches for;
SIGRTMIN+3 is much less likely to collide (glibc keeps SIGRTMIN-2..-1 for itself).
If the host program already handles it, the next free real-time signal is taken.

The handler can only be installed from the main thread (Python's rule). Playground()
does it when created there; `install()` may be called from the main thread later.
A signal with no handler would kill the process (the default action of a real-time
signal), so without one `cancel` sends nothing and says why.

Pending events: a call announces itself ("pending") only once it has really waited
(PENDING_AFTER seconds), from a small announcer thread, so a flood of calls that
return at once makes no pending events; the announcement is made under the same
lock the call takes when it returns, so "pending" always comes before its "call".
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

PENDING_AFTER = 0.02
RETRY = 0.01  # a signal sent just before the thread entered the syscall is lost: send again
GIVE_UP = 2.0

_installed: int | None = None
_install_lock = threading.Lock()


def _noop(signum: int, frame: Any) -> None:
    """The handler: nothing to do; its existence (without SA_RESTART) is what makes EINTR."""


def install() -> bool:
    """Install the cancel signal's handler (main thread only). True when it is in place."""
    global _installed
    with _install_lock:
        if _installed is not None:
            return True
        if threading.current_thread() is not threading.main_thread():
            return False
        for sig in range(signal.SIGRTMIN + 3, signal.SIGRTMAX - 1):
            prev = signal.getsignal(sig)
            if prev in (signal.SIG_DFL, None, _noop):
                signal.signal(sig, _noop)
                signal.siginterrupt(sig, True)  # no SA_RESTART
                _installed = sig
                return True
        return False


def installed() -> int | None:
    """The cancel signal's number, or None when no handler could be installed."""
    return _installed


def name(sig: int | None = None) -> str:
    """glibc's name for the signal (SIGRTMIN+3); strace numbers from the kernel's 32 (SIGRT_5)."""
    sig = _installed if sig is None else sig
    if sig is None:
        return "(none)"
    return f"SIGRTMIN+{sig - signal.SIGRTMIN}"


def strace_name(sig: int | None = None) -> str:
    sig = _installed if sig is None else sig
    return f"SIGRT_{sig - 32}" if sig is not None else "(none)"


class Blocked:
    """One call that may be waiting in the kernel right now."""

    __slots__ = ("tid", "names", "syscall", "command", "start", "done", "reason", "announced")

    def __init__(self, names: tuple[str, ...], syscall: str, command: str | None) -> None:
        self.tid = threading.get_ident()
        self.names = names
        self.syscall = syscall
        self.command = command
        self.start = time.monotonic()
        self.done = False
        self.reason = ""
        self.announced = False


class Registry:
    """The calls in progress, their pending announcements, and cancelling them."""

    def __init__(self, announce: Callable[[Blocked], None], signalled: Callable[[Blocked, str], None]) -> None:
        self._lock = threading.Lock()  # taken directly on the hot path (Condition.__enter__ is Python code)
        self._cond = threading.Condition(self._lock)
        self._active: dict[int, Blocked] = {}
        self._announce = announce
        self._signalled = signalled
        self._idle = True
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- the calling thread --------------------------------------------------------
    def enter(self, names: tuple[str, ...], syscall: str, command: str | None) -> Blocked:
        b = Blocked(names, syscall, command)
        with self._lock:
            self._active[id(b)] = b
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sockplay-pending", daemon=True)
                self._thread.start()
            elif self._idle:
                self._cond.notify()
        return b

    def leave(self, b: Blocked) -> None:
        with self._lock:
            b.done = True
            self._active.pop(id(b), None)

    # -- other threads -------------------------------------------------------------
    def waiting(self) -> list[str]:
        """Names with a call that has really waited (its pending event is out)."""
        with self._cond:
            return [n for b in self._active.values() if b.announced for n in b.names]

    def active(self, name: str | None = None) -> list[Blocked]:
        """Calls in progress (on `name`, or all), waiting or about to."""
        with self._cond:
            return [b for b in self._active.values() if name is None or name in b.names]

    def cancel(self, name: str | None, reason: str) -> list[Blocked]:
        """Interrupt the calls on `name` (all when None); returns them (empty: nothing to do)."""
        with self._cond:
            targets = [b for b in self._active.values() if name is None or name in b.names]
            for b in targets:
                b.reason = reason
        if targets and _installed is not None:
            threading.Thread(target=self._interrupt, args=(targets,), name="sockplay-cancel", daemon=True).start()
        return targets

    def wait_done(self, targets: list[Blocked], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while any(not b.done for b in targets):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        return True

    def _interrupt(self, targets: list[Blocked]) -> None:
        sig = _installed
        assert sig is not None
        told: set[int] = set()
        deadline = time.monotonic() + GIVE_UP
        while time.monotonic() < deadline:
            with self._cond:  # under the lock: a thread that has left (and may have exited) is never signalled
                live = [b for b in targets if not b.done]
                for b in live:
                    if id(b) not in told:
                        told.add(id(b))
                        self._signalled(b, name(sig))
                    signal.pthread_kill(b.tid, sig)
            if not live:
                return
            time.sleep(RETRY)

    # -- the announcer ---------------------------------------------------------------
    def _run(self) -> None:
        """Sleep while nothing is in progress; else look every PENDING_AFTER for calls that waited.

        enter() wakes the thread only when it sleeps for good, so a flood of calls that
        return at once costs a wake-up per PENDING_AFTER at most, not one per call.
        """
        with self._cond:
            while not self._closed:
                if not self._active:
                    self._idle = True
                    self._cond.wait()
                    self._idle = False
                    continue
                self._cond.wait(PENDING_AFTER)
                now = time.monotonic()
                for b in list(self._active.values()):
                    if not b.announced and now - b.start >= PENDING_AFTER:
                        b.announced = True
                        try:
                            self._announce(b)
                        except Exception:  # noqa: BLE001 - a closed journal must not stop the thread
                            pass
