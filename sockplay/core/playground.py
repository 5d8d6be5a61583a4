"""The Playground: named real sockets, real syscalls, every result an Outcome in the journal.

Each public method is named after its syscall. A failing syscall is an Outcome
with `errno` set; misuse of the API (unknown name, bad value) raises UsageError.

The trace is the truth. Each call makes the syscall the person asked for, once,
with the flags they gave, and blocks in the kernel when the socket blocks
(sockplay.core.libc: ctypes on libc, so EINTR comes back instead of being retried).
Timeouts are the kernel's SO_RCVTIMEO/SO_SNDTIMEO. `cancel()` and `close()` end a
waiting call with a signal (sockplay.core.blocking), and the kernel says EINTR.
What the engine knows from its own earlier calls (family, type, protocol, blocking
mode, timeouts, bound or not) it remembers instead of asking; any call it still
makes for its own needs (a read-back after setsockopt, a getsockname to learn an
ephemeral port, a size probe) is a line of the Outcome's trace marked `[engine]`.
"""

from __future__ import annotations

import contextlib
import errno as E
import fcntl as _fcntl
import math
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sockplay.core import (
    addresses,
    blocking,
    catalog,
    cmsg,
    codecs,
    errnos,
    flags,
    ioctls,
    libc,
    limits,
    records,
    signals,
    sysctl,
    trace,
)
from sockplay.core.batch import BatchCalls
from sockplay.core.errors import UsageError, did_you_mean
from sockplay.core.journal import DEFAULT_MAX_BYTES, Event, Journal
from sockplay.core.outcome import APP, ENGINE, USER, Outcome
from sockplay.core.outcome import HEAD as _HEAD
from sockplay.core.sockets import NAME_RE, TCP_STATES, PlainFd, PlaySocket
from sockplay.core.watcher import Watcher

if TYPE_CHECKING:
    from sockplay.core.wire.capture import Capture  # loaded by the first `wire on`

flags_mod = flags  # for methods whose `flags` parameter hides the module

SHUT = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}
SHUT_NAMES = {v: f"SHUT_{k.upper()}" for k, v in SHUT.items()}
DEFAULT_RECV = 65536
DEFAULT_ANC = 256

# MSG_* bits used on the hot path (flags.MSG_FLAGS has the full table).
_MSG_OOB, _MSG_PEEK, _MSG_TRUNC, _MSG_DONTWAIT = 0x1, 0x2, 0x20, 0x40
_MSG_WAITALL, _MSG_ERRQUEUE = 0x100, 0x2000
_DGRAM = int(socket.SOCK_DGRAM)
_STREAM = int(socket.SOCK_STREAM)
_SOL_SOCKET = socket.SOL_SOCKET
_SO_RCVTIMEO, _SO_SNDTIMEO = socket.SO_RCVTIMEO, socket.SO_SNDTIMEO
_TIMEO_NAMES = {_SO_RCVTIMEO: "SO_RCVTIMEO", _SO_SNDTIMEO: "SO_SNDTIMEO"}
_NO_TIMEOUT = bytes(16)
_SO_DOMAIN, _SO_TYPE, _SO_PROTOCOL = 39, 3, 38
_SO_GET_FILTER, _SO_PEERNAME = 26, 28
_SCM_RIGHTS, _SO_RXQ_OVFL = 1, 40
_now = time.time
_MAX_RECV, _MAX_ANC = limits.MAX_RECV, limits.MAX_ANC
_new = object.__new__
_REC_RECVMSG, _REC_RECV, _REC_SEND = records.RECVMSG, records.RECV, records.SEND
_flag_cache: dict[Any, int] = {}


def _bits(words: Any) -> int:
    """Flags as words (memoised) or an int (range-checked, as flags.msg_flags_value does)."""
    return flags.msg_flags_value(words) if type(words) is int else _flag_bits(words)


def _flag_bits(words: Any) -> int:
    """flags.msg_flags_value, memoised for the word lists a flood repeats on every call."""
    if words is None:
        return 0
    if type(words) is int:
        return words
    key = tuple(words) if isinstance(words, list) else words
    try:
        return _flag_cache[key]
    except (KeyError, TypeError):
        bits = flags.msg_flags_value(words)
        if len(_flag_cache) < 256:
            with contextlib.suppress(TypeError):
                _flag_cache[key] = bits
        return bits


class _Local(threading.local):
    """Per-thread state. `command` is a class attribute so that reading it in a thread that never
    set it finds None at once (getattr with a default on a bare threading.local raises and
    catches AttributeError inside: some 0.5 us on every call)."""

    command: str | None = None
    origin: str = USER
    out: Outcome | None = None


def _timeval(seconds: float) -> bytes:
    """A `timeout=` in seconds as the timeval SO_RCVTIMEO/SO_SNDTIMEO take (0: 1 us, never "forever")."""
    if seconds <= 0:
        return struct.pack("ll", 0, 1)  # the kernel rounds it up to one tick
    sec = math.floor(seconds)
    usec = int(round((seconds - sec) * 1_000_000))
    if usec >= 1_000_000:
        sec, usec = sec + 1, 0
    return struct.pack("ll", sec, usec)


def _tv_text(raw: bytes) -> str:
    sec, usec = struct.unpack("ll", raw)
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def _zero(call: Callable[[Any], None], arg: Any) -> int:
    """bind and connect return None from Python: 0 is what the kernel said."""
    call(arg)
    return 0


def _python_call(family: int, sa: Any, call: Callable[[], int]) -> tuple[int, int]:
    """A call through Python's socket module, for families libc.py does not pack: (result, errno).

    Python checks such an address before any syscall; its refusal (a TypeError, ValueError or
    OverflowError) is a usage error, not a call.
    """
    try:
        return call(), 0
    except OSError as exc:
        return -1, exc.errno or E.EIO
    except (TypeError, ValueError, OverflowError) as exc:
        fam = flags.const_name(family, flags.FAMILIES)
        raise UsageError(f"{sa!r} is not an address an {fam} socket takes ({exc}); "
                         "give another socket of the same family by name, or its address as a tuple") from None


class Playground(BatchCalls):
    """Holds named sockets and makes real syscalls on them."""

    def __init__(self, journal_cap: int = 100_000, journal: Journal | None = None, watch: bool = False,
                 journal_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """`watch=True` starts the readiness watcher at once (the TUI and `sockplay run` do).

        `journal_bytes` bounds the data the journal keeps in full (see Journal).
        It is off by default so that a library user's or a test's journal holds
        only the calls it made, in order, and a benchmark measures the calls alone;
        `start_watcher()` turns it on later.
        """
        self.journal = journal if journal is not None else Journal(cap=journal_cap, max_bytes=journal_bytes)
        self.sockets: dict[str, PlaySocket | PlainFd] = {}
        self._lock = threading.RLock()
        self._local = _Local()
        self._blocked = blocking.Registry(self._announce_pending, self._announce_signal)
        self._created_paths: list[str] = []
        self._listeners: list[Any] = []  # callables told when the socket set changes (the watcher)
        self.pid = os.getpid()
        self._watcher: Watcher | None = None
        self._wire: Capture | None = None  # the packet capture, while `wire on`
        self._wire_kept: Capture | None = None  # the last one, after `wire off` too: its packets decode when read
        self._sig_seen: dict[str, int] = {}
        if threading.current_thread() is threading.main_thread():
            signals.install()  # SIGIO/SIGURG become events; a no-op when the host has its own handlers
            blocking.install()  # the cancel signal's handler (no SA_RESTART)
        signals.register(self)
        if watch:
            self.start_watcher()

    # ------------------------------------------------------------------ helpers
    @contextlib.contextmanager
    def command_context(self, text: str | None) -> Iterator[None]:
        """Events emitted by this thread inside the block carry `text` as their command."""
        prev = getattr(self._local, "command", None)
        self._local.command = text
        try:
            yield
        finally:
            self._local.command = prev

    @contextlib.contextmanager
    def app_context(self) -> Iterator[None]:
        """Calls made by this thread inside the block are the app's own reads, marked `[app]` in the trace."""
        prev = getattr(self._local, "origin", USER)
        self._local.origin = APP
        try:
            yield
        finally:
            self._local.origin = prev

    @property
    def current_command(self) -> str | None:
        return getattr(self._local, "command", None)

    def add_listener(self, fn: Any) -> None:
        """`fn(added: list[name], removed: list[name])` is called when sockets come or go."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Any) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(fn)

    def _changed(self, added: Sequence[str] = (), removed: Sequence[str] = ()) -> None:
        for fn in list(self._listeners):
            fn(list(added), list(removed))

    def get(self, name: str) -> PlaySocket:
        """The socket called `name`, or a UsageError naming the ones that exist."""
        obj = self.sockets.get(name)
        if obj is None:
            known = ", ".join(sorted(self.sockets)) or "none yet"
            raise UsageError(
                f"no socket named {name!r} (open ones: {known})",
                hint=did_you_mean(name, self.sockets),
            )
        if isinstance(obj, PlainFd):
            raise UsageError(f"{name!r} is a plain fd ({obj.describe()}), not a socket")
        return obj

    def _new_name(self, name: str | None, prefix: str) -> str:
        if name:
            self._check_name(name)
            return name
        i = 1
        while f"{prefix}{i}" in self.sockets:
            i += 1
        return f"{prefix}{i}"

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise UsageError(
                f"{name!r} is not a usable socket name; use letters, digits, _ . - (starting with a letter), up to 32 characters"
            )
        if name in self.sockets:
            raise UsageError(f"a socket named {name!r} already exists; close it first or pick another name")

    def _register(self, name: str, obj: PlaySocket | PlainFd) -> None:
        with self._lock:
            self.sockets[name] = obj
        self._changed(added=[name])

    def _out(self, syscall: str, sock: str | None) -> Outcome:
        out = Outcome(syscall, sock)
        origin = getattr(self._local, "origin", USER)
        if origin != USER:
            out.origin = origin
        return out

    def _emit(self, out: Outcome) -> Outcome:
        self.journal.emit(Event("call", out.sock, getattr(self._local, "command", None), out))
        w = self._watcher
        if w is not None:
            w.poke()  # bits already reported may have gone away because of this call
        wc = self._wire
        if wc is not None:
            wc.after(out)  # a new port or socket: the capture's filter and names follow
        return out

    def _ctx(self, s: socket.socket | None, **extra: Any) -> dict[str, Any]:
        ctx: dict[str, Any] = dict(extra)
        if s is not None:
            ctx["sock"] = getattr(s, "name", None)
            ctx["family"] = flags.const_name(int(s.family), flags.FAMILIES)
            ctx["type"] = flags.const_name(int(s.type), flags.TYPES)
            ctx["nonblocking"] = s.nonblock if isinstance(s, PlaySocket) else None
        return ctx

    def _fail(self, out: Outcome, exc: OSError, s: socket.socket | None = None, **ctx: Any) -> Outcome:
        code = exc.errno if exc.errno is not None else E.EIO
        return self._fail_code(out, code, s, **ctx)

    def _fail_code(self, out: Outcome, code: int, s: socket.socket | None = None, **ctx: Any) -> Outcome:
        out.errno = errnos.name_of(code)
        out.ret = -1
        out.error = errnos.explain(out.errno, out.syscall, self._ctx(s, **ctx))
        return out

    def _family(self, s: socket.socket) -> int:
        return int(s.family)

    def _engine_getsockname(self, s: PlaySocket, out: Outcome | None) -> Any:
        """getsockname made for the engine's own needs (an ephemeral port): a marked trace line."""
        fd = s.fileno()
        ret, err, raw = libc.getsockname(fd)
        fam = self._family(s)
        if ret < 0:
            if out is not None:
                out.add_line(ENGINE, trace.call("getsockname", [str(fd), "0x...", "[128]"], -1, errnos.name_of(err)),
                             before=out.ret is None)
            raise OSError(err, os.strerror(err))
        sa = libc.unpack_sockaddr(raw, fam)
        if out is not None:
            text, length = addresses.strace_sockaddr(sa, fam)
            out.add_line(ENGINE, trace.call("getsockname", [str(fd), text, f"[{libc.SOCKADDR_MAX} => {len(raw)}]"], 0,
                                            None),
                         before=out.ret is None)
        return sa

    def _local_address(self, s: PlaySocket, out: Outcome | None) -> Any:
        """The socket's local address: remembered when bind set it, else asked (and traced)."""
        if s.local is not None:
            return s.local
        sa = self._engine_getsockname(s, out)
        if s.bound:
            s.local = sa
        return sa

    def resolve_addr(self, addr: Any, family: int, out: Outcome | None = None) -> Any:
        """Address text (or another socket's name, meaning its local address) to a sockaddr.

        A name whose address the engine does not remember costs an engine getsockname,
        traced on `out` (the call that needed it).
        """
        if isinstance(addr, str) and addr in self.sockets:
            other = self.sockets[addr]
            if isinstance(other, PlaySocket):
                inet = (socket.AF_INET, socket.AF_INET6)
                if other.family != family and not (family in inet and other.family in inet):
                    raise UsageError(
                        f"{addr!r} is a {flags.const_name(int(other.family), flags.FAMILIES)} socket, so its "
                        f"address cannot be used with a {flags.const_name(family, flags.FAMILIES)} socket; "
                        "the families must match"
                    )
                if family == socket.AF_INET and other.family == socket.AF_INET6:
                    raise UsageError(f"{addr!r} has an IPv6 address; an AF_INET socket cannot reach it")
                if not libc.supported(int(other.family)) and other.local is None:
                    raise UsageError(
                        f"{addr!r} is a {flags.const_name(int(other.family), flags.FAMILIES)} socket; sockplay reads "
                        "back addresses of inet, inet6 and unix sockets only, so name one of those"
                    )
                try:
                    local = self._local_address(other, out)
                except OSError as exc:
                    raise UsageError(f"the address of {addr!r} cannot be read ({os.strerror(exc.errno or 0)})") from None
                if family == socket.AF_INET6 and other.family == socket.AF_INET:
                    return ("::ffff:" + local[0], local[1], 0, 0)
                if family == socket.AF_INET and other.family == socket.AF_INET:
                    host = "127.0.0.1" if local[0] == "0.0.0.0" else local[0]
                    return (host, local[1])
                if family == socket.AF_INET6 and isinstance(local, tuple) and local[0] == "::":
                    return ("::1", *local[1:])
                return local
        return addresses.parse(addr, family)

    # ------------------------------------------------------------------ blocking and cancelling
    def _announce_pending(self, b: blocking.Blocked) -> None:
        self.journal.emit(Event("pending", sock=b.names[0] if len(b.names) == 1 else None, command=b.command,
                                syscall=b.syscall))

    def _announce_signal(self, b: blocking.Blocked, signame: str) -> None:
        self.journal.emit(Event("signal", b.names[0] if len(b.names) == 1 else None, b.command, None,
                                signal=signame, strace_signal=blocking.strace_name(), socks=list(b.names),
                                syscall=b.syscall, reason=b.reason, tid=b.tid))

    def _in_kernel(self, names: tuple[str, ...], syscall: str, fn: Callable[[], Any]) -> tuple[Any, str]:
        """Run one syscall that may wait, cancellable by signal; returns its result and any cancel reason."""
        b = self._blocked.enter(names, syscall, getattr(self._local, "command", None))
        try:
            return fn(), b.reason
        finally:
            self._blocked.leave(b)

    def cancel(self, name: str | None = None, reason: str = "cancelled by the user") -> int:
        """Interrupt calls waiting in the kernel (on `name`, or all) with the cancel signal.

        The kernel ends each with EINTR; a "signal" event names the signal first.
        Returns how many calls were interrupted. Without the signal's handler (a
        Playground first made off the main thread) nothing can be interrupted: a
        "note" event says so and 0 is returned.
        """
        if blocking.installed() is None and not blocking.install():
            if self._blocked.active(name):
                self.journal.emit(Event("note", name, self.current_command, None, text=(
                    "cannot interrupt the waiting call: the cancel signal has no handler (the "
                    "Playground was created off the main thread; call sockplay.core.blocking.install() "
                    "from the main thread)")))
            return 0
        return len(self._blocked.cancel(name, reason))

    def cancel_after(self, name: str | None, seconds: float, reason: str = "cancelled by the cancel command",
                     wait: float = 10.0) -> threading.Thread:
        """After `seconds`, interrupt the call then in progress on `name` (or any), waiting up to
        `wait` seconds more for one to start: a script's way to show EINTR on its own thread."""

        def fire() -> None:
            time.sleep(max(0.0, seconds))
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self._blocked.active(name) and self.cancel(name, reason):
                    return
                time.sleep(0.005)

        t = threading.Thread(target=fire, name="sockplay-cancel-after", daemon=True)
        t.start()
        return t

    def pending(self) -> list[str]:
        """Names of the sockets with a call in progress that may be waiting."""
        return self._blocked.waiting()

    def _interrupted(self, out: Outcome, reason: str) -> None:
        if reason and out.errno == "EINTR":
            out.error = (f"Interrupted: {reason}, so sockplay sent {blocking.name()} to the waiting thread and "
                         f"the kernel ended the call with EINTR. {out.error or ''}").rstrip()

    @contextlib.contextmanager
    def _timeout_for(self, s: PlaySocket, out: Outcome, optname: int, timeout: float | None) -> Iterator[None]:
        """A `timeout=` is the kernel's own: SO_RCVTIMEO/SO_SNDTIMEO set for this call, then put back."""
        if timeout is None:
            yield
            return
        old = s.timeouts.get(optname, _NO_TIMEOUT)
        self._engine_setsockopt(s, out, optname, _timeval(timeout), before=True)
        try:
            yield
        finally:
            self._engine_setsockopt(s, out, optname, old, before=False)

    def _engine_setsockopt(self, s: PlaySocket, out: Outcome, optname: int, raw: bytes, before: bool) -> None:
        fd = s.fileno()
        ret, err = libc.setsockopt(fd, _SOL_SOCKET, optname, raw)
        out.add_line(ENGINE, trace.call("setsockopt", [str(fd), "SOL_SOCKET", _TIMEO_NAMES[optname], _tv_text(raw),
                                                       str(len(raw))], ret, errnos.name_of(err) if err else None),
                     before=before)

    # ------------------------------------------------------------------ creation
    def socket(
        self,
        name: str,
        family: str | int = "inet",
        type: str | int = "stream",
        proto: str | int = 0,
        nonblock: bool = False,
        cloexec: bool = True,
    ) -> Outcome:
        """socket(2): a new socket called `name`.

        SOCK_CLOEXEC is always passed (a socket of the playground must not leak into
        programs it starts) and the trace shows it; `cloexec` is kept for old callers.
        """
        self._check_name(name)
        fam = flags.lookup(family, flags.FAMILIES, "family")
        typ = flags.lookup(type, flags.TYPES, "type")
        if isinstance(proto, str) and fam.name == "AF_PACKET" and not (proto.isascii() and proto.isdigit()):
            proto_num, proto_name = socket.htons(0x0003), "htons(ETH_P_ALL)"
        else:
            pc = flags.lookup(proto if proto not in ("", None) else 0, flags.PROTOCOLS, "protocol")
            proto_num, proto_name = pc.value, pc.name
            if fam.name not in ("AF_INET", "AF_INET6"):
                proto_name = str(proto_num)  # IPPROTO_* names mean nothing to other families (strace: 0)
        tbits = typ.value | (flags.SOCK_NONBLOCK if nonblock else 0) | flags.SOCK_CLOEXEC
        tname = typ.name + ("|SOCK_NONBLOCK" if nonblock else "") + "|SOCK_CLOEXEC"
        out = self._out("socket", name)
        args = [fam.name, tname, proto_name]
        try:
            # Python's own constructor makes exactly socket(fam, type|SOCK_CLOEXEC, proto): wrapping
            # an fd from elsewhere would cost a getsockname (CPython checks any fd it is given).
            s = PlaySocket(fam.value, tbits, proto_num, name=name, nonblock=nonblock)
        except OSError as exc:
            self._fail(out, exc, None, family=fam.name, type=typ.name)
            out.trace = trace.call("socket", args, -1, out.errno)
            return self._emit(out)
        fd = s.fileno()
        out.ret = fd
        out.trace = trace.call("socket", args, fd, None)
        self._register(name, s)
        return self._emit(out)

    def socketpair(self, name1: str, name2: str, family: str | int = "unix", type: str | int = "stream") -> Outcome:
        """socketpair(2): two connected sockets (SOCK_CLOEXEC, as socket())."""
        self._check_name(name1)
        if name1 == name2:
            raise UsageError("socketpair needs two different names")
        self._check_name(name2)
        fam = flags.lookup(family, flags.FAMILIES, "family")
        typ = flags.lookup(type, flags.TYPES, "type")
        out = self._out("socketpair", name1)
        tname = typ.name + "|SOCK_CLOEXEC"
        ret, err, (a, b) = libc.socketpair(fam.value, typ.value | flags.SOCK_CLOEXEC, 0)
        if ret < 0:
            self._fail_code(out, err, None, family=fam.name, type=typ.name)
            out.trace = trace.call("socketpair", [fam.name, tname, "0", "0x..."], -1, out.errno)
            return self._emit(out)
        sa = self._wrap(out, a, fam.value, typ.value, 0, name=name1, origin="socketpair")
        sb = self._wrap(out, b, fam.value, typ.value, 0, name=name2, origin="socketpair")
        for s in (sa, sb):
            s.connected = True
            s.peer = "" if fam.value == socket.AF_UNIX else None
        out.ret = 0
        out.new_sockets = [name1, name2]
        out.value = [a, b]
        out.trace = trace.call("socketpair", [fam.name, tname, "0", f"[{a}, {b}]"], 0, None)
        self._register(name1, sa)
        self._register(name2, sb)
        return self._emit(out)

    def _wrap(self, out: Outcome | None, fd: int, family: int, type_: int, proto: int, **kw: Any) -> PlaySocket:
        """A socket object for an fd the kernel just gave us (socketpair, accept4).

        CPython checks every fd it is handed with a getsockname (socket(fileno=...)),
        whatever else it is told: that call is the engine's and is traced as such. Its
        result is not handed back, so the line shows the family and elides the rest.
        """
        obj = PlaySocket(family, type_, proto, fileno=fd, **kw)
        if out is None:
            return obj
        family = int(obj.family)
        fam_name = flags.const_name(family, flags.FAMILIES)
        shown = "{sa_family=AF_UNIX}" if family == socket.AF_UNIX and kw.get("origin") == "socketpair" else (
            f"{{sa_family={fam_name}, ...}}")
        known = 2 if shown == "{sa_family=AF_UNIX}" else _SOCKADDR_LEN.get(family)
        ln = f"[{libc.SOCKADDR_MAX} => {known}]" if known else f"[{libc.SOCKADDR_MAX}]"
        out.add_line(ENGINE, trace.call("getsockname", [str(fd), shown, ln], 0, None))
        return obj

    def adopt_fd(self, fd: int, name: str | None = None, origin: str = "scm_rights", prefix: str = "r",
                 out: Outcome | None = None) -> str:
        """Make a received descriptor a named member of the playground.

        The engine knows nothing about it, so it asks: SO_DOMAIN, SO_TYPE and SO_PROTOCOL
        SO_TYPE (ENOTSOCK: a plain fd), SO_PROTOCOL and F_GETFL; CPython's check of the
        fd (getsockname) gives the family. Each is a marked line on `out` (the recvmsg
        that brought it, by default the call in progress on this thread).
        """
        out = out if out is not None else getattr(self._local, "out", None)

        def ask(opt: int, label: str) -> int:
            ret, err, raw, _ = libc.getsockopt(fd, _SOL_SOCKET, opt, 4)
            val = int.from_bytes(raw[:4], "little", signed=True) if ret == 0 else 0
            if out is not None:
                shown = f"[{_const_text(opt, val)}]" if ret == 0 else "0x..."
                out.add_line(ENGINE, trace.call("getsockopt", [str(fd), "SOL_SOCKET", label, shown, "[4]"], ret,
                                                errnos.name_of(err) if err else None))
            if ret < 0:
                raise OSError(err, os.strerror(err))
            return val

        with self._lock:
            name = self._new_name(name, prefix)
            obj: PlaySocket | PlainFd
            try:
                typ = ask(_SO_TYPE, "SO_TYPE")  # ENOTSOCK: a pipe or a file
                proto = ask(_SO_PROTOCOL, "SO_PROTOCOL")
            except OSError:
                obj = PlainFd(fd, name)
            else:
                ret, err = libc.fcntl(fd, _fcntl.F_GETFL)
                if out is not None:
                    out.add_line(ENGINE, trace.call("fcntl", [str(fd), "F_GETFL"], ret,
                                                    errnos.name_of(err) if err else None,
                                                    f"({_fl_names(ret)})" if ret >= 0 else ""))
                # family -1: CPython's own check of the fd (getsockname) tells it the family
                obj = self._wrap(out, fd, -1, typ, proto, name=name, origin=origin,
                                 nonblock=ret >= 0 and bool(ret & os.O_NONBLOCK))
            self.sockets[name] = obj
        self._changed(added=[name])
        return name

    # ------------------------------------------------------------------ addresses
    def bind(self, name: str, addr: Any) -> Outcome:
        """bind(2): give the socket a local address.

        `value` is the address bound; with port 0 the kernel picks one, which only an
        engine getsockname (a marked trace line) can tell.
        """
        s = self.get(name)
        out = self._out("bind", name)
        fam = self._family(s)
        sa = self.resolve_addr(addr, fam, out)
        text, length = addresses.strace_sockaddr(sa, fam)
        fd = s.fileno()
        if libc.supported(fam):
            raw = libc.pack_sockaddr(sa, fam)
            ret, err = libc.bind(fd, raw)
            length = len(raw)
        else:
            ret, err = _python_call(fam, sa, lambda: _zero(s.bind, sa))
        if ret < 0:
            self._fail_code(out, err, s, address=addresses.format(sa, fam))
        else:
            out.ret = 0
            s.bound = True
            if fam == socket.AF_UNIX and isinstance(sa, str):
                s.created_path = sa
                self._created_paths.append(os.path.abspath(sa))
            if fam in (socket.AF_INET, socket.AF_INET6) and sa[1] == 0:
                with contextlib.suppress(OSError):
                    s.local = self._engine_getsockname(s, out)
            elif libc.supported(fam):
                s.local = sa
            out.value = addresses.format(s.local, fam) if s.local is not None else addresses.format(sa, fam)
        out.trace = trace.call("bind", [str(fd), text, str(length)], out.ret, out.errno)
        return self._emit(out)

    def listen(self, name: str, backlog: int = 128) -> Outcome:
        """listen(2): accept connections, with a queue of `backlog` (given to the kernel as is)."""
        s = self.get(name)
        backlog = limits.c_int(backlog, "backlog")
        out = self._out("listen", name)
        ret, err = libc.listen(s.fileno(), backlog)
        if ret < 0:
            self._fail_code(out, err, s)
        else:
            out.ret = 0
            s.listening = True
            s.bound = True
        out.trace = trace.call("listen", [str(s.fileno()), str(backlog)], out.ret, out.errno)
        return self._emit(out)

    def connect(self, name: str, addr: Any, timeout: float | None = None) -> Outcome:
        """connect(2), one real call; on a blocking socket it waits in the kernel (cancellable).

        `timeout` (seconds) is the kernel's: SO_SNDTIMEO is set for the call and put
        back (marked lines); when it runs out the kernel answers EINPROGRESS and the
        connection attempt goes on (poll for POLLOUT, then read SO_ERROR).
        """
        s = self.get(name)
        fam = self._family(s)
        out = self._out("connect", name)
        sa = self.resolve_addr(addr, fam, out)
        text, length = addresses.strace_sockaddr(sa, fam)
        fd = s.fileno()
        addr_text = addresses.format(sa, fam)
        if self._wire is not None:
            self._wire.before_send(name, sa, fam)
        if libc.supported(fam):
            raw = libc.pack_sockaddr(sa, fam)
            length = len(raw)
            with self._timeout_for(s, out, _SO_SNDTIMEO, timeout):
                if s.nonblock:
                    ret, err = libc.connect(fd, raw)
                    reason = ""
                else:
                    (ret, err), reason = self._in_kernel((name,), "connect", lambda: libc.connect(fd, raw))
        else:
            reason = ""
            ret, err = _python_call(fam, sa, lambda: _zero(s.connect, sa))
        if ret < 0:
            self._fail_code(out, err, s, address=addr_text)
            self._interrupted(out, reason)
            if err == E.EINPROGRESS and timeout is not None and not s.nonblock:
                out.notes.append("the timeout (SO_SNDTIMEO) ran out; the kernel goes on connecting in the background")
        else:
            out.ret = 0
            s.connected = True
            s.bound = True
            s.peer = sa
        out.trace = trace.call("connect", [str(fd), text, str(length)], out.ret, out.errno)
        return self._emit(out)

    def accept(self, name: str, newname: str | None = None, timeout: float | None = None) -> Outcome:
        """accept4(2) with SOCK_CLOEXEC: the new connection joins as `newname` (a1, a2... by default).

        On a blocking listener it waits in the kernel (cancellable); SO_RCVTIMEO, or
        `timeout` set as SO_RCVTIMEO for the call, makes the kernel answer EAGAIN.
        """
        s = self.get(name)
        if newname:
            self._check_name(newname)
        out = self._out("accept", name)
        fd = s.fileno()
        fam = self._family(s)
        with self._timeout_for(s, out, _SO_RCVTIMEO, timeout):
            if s.nonblock:
                ret, err, raw = libc.accept4(fd, libc.SOCK_CLOEXEC)
                reason = ""
            else:
                (ret, err, raw), reason = self._in_kernel((name,), "accept",
                                                          lambda: libc.accept4(fd, libc.SOCK_CLOEXEC))
        if ret < 0:
            self._fail_code(out, err, s, state="listening" if s.listening else "not listening")
            self._interrupted(out, reason)
            out.trace = trace.call("accept4", [str(fd), "0x...", f"[{libc.SOCKADDR_MAX}]", "SOCK_CLOEXEC"], -1,
                                   out.errno)
            return self._emit(out)
        peer = libc.unpack_sockaddr(raw, fam)
        with self._lock:
            nm = self._new_name(newname, "a") if not newname else newname
            conn = self._wrap(out, ret, int(s.family), int(s.type), s.proto, name=nm, origin="accept")
            conn.connected = conn.bound = True
            conn.peer = peer
            self.sockets[nm] = conn
        self._changed(added=[nm])
        text, _ = addresses.strace_sockaddr(peer, fam)
        out.ret = ret
        out.address = addresses.format(peer, fam)
        out.new_sockets = [nm]
        out.value = nm
        out.trace = trace.call("accept4", [str(fd), text, f"[{libc.SOCKADDR_MAX} => {len(raw)}]", "SOCK_CLOEXEC"],
                               ret, None)
        return self._emit(out)

    def getsockname(self, name: str) -> Outcome:
        return self._name_call(name, "getsockname")

    def getpeername(self, name: str) -> Outcome:
        return self._name_call(name, "getpeername")

    def _name_call(self, name: str, syscall: str) -> Outcome:
        s = self.get(name)
        out = self._out(syscall, name)
        fam = self._family(s)
        fd = s.fileno()
        ret, err, raw = (libc.getsockname if syscall == "getsockname" else libc.getpeername)(fd)
        if ret < 0:
            self._fail_code(out, err, s)
            out.trace = trace.call(syscall, [str(fd), "0x...", f"[{libc.SOCKADDR_MAX}]"], -1, out.errno)
        else:
            sa = libc.unpack_sockaddr(raw, fam)
            out.ret = 0
            out.value = addresses.format(sa, fam) if raw else ""
            out.address = out.value
            text, _ = addresses.strace_sockaddr(sa, fam)
            out.trace = trace.call(syscall, [str(fd), text, f"[{libc.SOCKADDR_MAX} => {len(raw)}]"], 0, None)
        return self._emit(out)

    # ------------------------------------------------------------------ data
    def _data(self, data: Any) -> bytes:
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        if isinstance(data, str):
            return limits.text(data, "data").encode()
        raise UsageError(f"data must be bytes or text, not {type(data).__name__}")

    def _may_wait(self, s: PlaySocket, bits: int) -> bool:
        """Whether the call could block in the kernel (then it is made cancellable)."""
        return not (s.nonblock or bits & _MSG_DONTWAIT)

    def send(self, name: str, data: Any, flags: Any = None, timeout: float | None = None) -> Outcome:
        """send(2) (libc makes it sendto with no address, as strace shows)."""
        return self._send(name, None, data, flags, timeout, "send")

    def sendto(self, name: str, addr: Any, data: Any, flags: Any = None, timeout: float | None = None) -> Outcome:
        """sendto(2): send to `addr` (needed on unconnected datagram sockets)."""
        return self._send(name, addr, data, flags, timeout, "sendto")

    def _send(self, name: str, addr: Any, data: Any, flag_words: Any, timeout: float | None, syscall: str) -> Outcome:
        s = self.get(name)
        payload = self._data(data)
        bits = 0 if flag_words is None else _bits(flag_words)
        if (addr is None and timeout is None and (s.nonblock or bits & _MSG_DONTWAIT)
                and self._local.origin == USER and libc.supported(int(s.family))
                and (self._wire is None or name in self._wire.table.current)):
            # The hot path, as in recvmsg: a send that cannot wait is Python's one sendto(2) with no
            # address; a whole send is journaled as a record (records.SEND).
            try:
                n = s.send(payload, bits)
            except OSError as exc:
                n, err = -1, exc.errno or E.EIO
            else:
                if n == len(payload):
                    d = s.__dict__
                    command = self._local.command
                    shape = d.get("_sp_sshape")
                    if (shape is None or shape[0] != syscall or shape[6] != bits or shape[2] is not command
                            or shape[5] != payload):
                        shape = d["_sp_sshape"] = (syscall, name, command, s.fileno(), int(s.family), payload, bits)
                    rec = (_now(), _REC_SEND, None, shape, n)
                    self.journal.add(rec, 0)
                    if self._watcher is not None:
                        self._watcher.poke()
                    out = _new(Outcome)
                    out._rec = rec
                    return out
                err = 0
            out = self._out(syscall, name)
            fd = s.fileno()
            if n < 0:
                self._fail_code(out, err, s, flags=flags.bits_list(bits, flags.MSG_FLAGS), address=None)
            else:
                out.ret = n
                out.notes.append(f"only {n} of {len(payload)} bytes fit in the send buffer")
            args = [str(fd), trace.string(payload), str(len(payload)), flags.bits_names(bits, flags.MSG_FLAGS),
                    "NULL", "0"]
            out.trace = trace.call("sendto", args, out.ret, out.errno)
            return self._emit(out)
        fam = self._family(s)
        out = self._out(syscall, name)
        sa = self.resolve_addr(addr, fam, out) if addr is not None else None
        if sa is not None:
            if self._wire is not None:
                self._wire.before_send(name, sa, fam)
            text, length = addresses.strace_sockaddr(sa, fam)
            tail = [text, str(length)]
        else:
            tail = ["NULL", "0"]
        fd = s.fileno()
        reason = ""
        if libc.supported(fam) or sa is None:
            raw = libc.pack_sockaddr(sa, fam) if sa is not None else None
            if raw is not None:
                tail[1] = str(len(raw))
            with self._timeout_for(s, out, _SO_SNDTIMEO, timeout):
                if self._may_wait(s, bits):
                    (n, err), reason = self._in_kernel((name,), syscall, lambda: libc.sendto(fd, payload, bits, raw))
                else:
                    n, err = libc.sendto(fd, payload, bits, raw)
        else:
            n, err = _python_call(fam, sa, lambda: s.sendto(payload, bits, sa))
        if n < 0:
            self._fail_code(out, err, s, flags=flags.bits_list(bits, flags.MSG_FLAGS),
                            address=addresses.format(sa, fam) if sa else None)
            self._interrupted(out, reason)
        else:
            out.ret = n
            if n < len(payload):
                out.notes.append(f"only {n} of {len(payload)} bytes fit in the send buffer")
        args = [str(fd), trace.string(payload), str(len(payload)), flags.bits_names(bits, flags.MSG_FLAGS)] + tail
        out.trace = trace.call("sendto", args, out.ret, out.errno)
        return self._emit(out)

    def recv(self, name: str, size: Any = DEFAULT_RECV, flags: Any = None, timeout: float | None = None) -> Outcome:
        """recv(2) (libc makes it recvfrom with NULL address, as strace shows)."""
        return self._recv(name, size, flags, timeout, "recv")

    def recvfrom(self, name: str, size: Any = DEFAULT_RECV, flags: Any = None, timeout: float | None = None) -> Outcome:
        """recvfrom(2): also reports who sent the data."""
        return self._recv(name, size, flags, timeout, "recvfrom")

    @staticmethod
    def _buffer(s: PlaySocket, size: int) -> Any:
        """A receive buffer of `size` bytes, kept on the socket for the next call of the same size."""
        d = s.__dict__
        cached = d.get("_sp_rbuf")
        if cached is not None and cached[0] == size:
            return cached[1]
        import ctypes

        buf = ctypes.create_string_buffer(max(size, 1))
        d["_sp_rbuf"] = (size, buf)
        return buf

    def _recv(self, name: str, size: Any, flag_words: Any, timeout: float | None, syscall: str) -> Outcome:
        s = self.get(name)
        size = limits.recv_size(size)
        bits = 0 if flag_words is None else _bits(flag_words)
        if (timeout is None and not bits & _MSG_TRUNC and (s.nonblock or bits & _MSG_DONTWAIT)
                and self._local.origin == USER):
            # The hot path, as in recvmsg: one recv(2)/recvfrom(2) that cannot wait, journaled as a
            # record (records.RECV) when it succeeds.
            try:
                if syscall == "recv":
                    data, peer = s.recv(size, bits), None
                else:
                    data, peer = s.recvfrom(size, bits)
            except OSError as exc:
                out = self._out(syscall, name)
                out.peeked = bool(bits & _MSG_PEEK)
                self._fail_code(out, exc.errno or E.EIO, s, flags=flags.bits_list(bits, flags.MSG_FLAGS))
                tail = ["0x...", f"[{libc.SOCKADDR_MAX}]"] if syscall == "recvfrom" else ["NULL", "NULL"]
                out.trace = trace.call("recvfrom", [str(s.fileno()), "0x...", str(size),
                                                    flags.bits_names(bits, flags.MSG_FLAGS), *tail], -1, out.errno)
                return self._emit(out)
            else:
                d = s.__dict__
                command = self._local.command
                key = d.get("_sp_rshape")
                if key is None or key[0] != syscall or key[5] != size or key[6] != bits or key[2] is not command:
                    key = d["_sp_rshape"] = (syscall, name, command, s.fileno(), int(s.family), size, bits)
                if peer is not None:
                    last = d.get("_sp_pyaddr")
                    if last == peer:
                        peer = last
                    else:
                        d["_sp_pyaddr"] = peer
                rec = (_now(), _REC_RECV, data, key, peer)
                self.journal.add(rec, len(data))
                if self._watcher is not None:
                    self._watcher.poke()
                out = _new(Outcome)
                out._rec = rec
                return out
        fam = self._family(s)
        out = self._out(syscall, name)
        out.peeked = bool(bits & _MSG_PEEK)
        fd = s.fileno()
        buf = self._buffer(s, size)
        want_addr = syscall == "recvfrom"
        reason = ""
        with self._timeout_for(s, out, _SO_RCVTIMEO, timeout):
            if self._may_wait(s, bits):
                (n, err, raw), reason = self._in_kernel(
                    (name,), syscall, lambda: libc.recvfrom(fd, buf, size, bits, want_addr))
            else:
                n, err, raw = libc.recvfrom(fd, buf, size, bits, want_addr)
        flag_text = flags.bits_names(bits, flags.MSG_FLAGS)
        if n < 0:
            self._fail_code(out, err, s, flags=flags.bits_list(bits, flags.MSG_FLAGS))
            self._interrupted(out, reason)
            tail = ["0x...", f"[{libc.SOCKADDR_MAX}]"] if want_addr else ["NULL", "NULL"]
            out.trace = trace.call("recvfrom", [str(fd), "0x...", str(size), flag_text, *tail], -1, out.errno)
            return self._emit(out)
        out.ret = n
        if bits & _MSG_TRUNC and s.type == socket.SOCK_STREAM:
            out.data = b""
            out.notes.append("MSG_TRUNC on a stream socket throws the bytes away without copying them")
        else:
            out.data = buf.raw[: min(n, size)]
            if n > size:
                out.notes.append(f"the datagram was {n} bytes; only {size} fit in the buffer (MSG_TRUNC)")
        if want_addr:
            peer = libc.unpack_sockaddr(raw or b"", fam)
            if peer not in (None, ""):
                out.address = addresses.format(peer, fam)
                text, _ = addresses.strace_sockaddr(peer, fam)
                tail = [text, f"[{libc.SOCKADDR_MAX} => {len(raw or b'')}]"]
            else:
                tail = ["0x...", f"[{libc.SOCKADDR_MAX} => {len(raw or b'')}]"]
        else:
            tail = ["NULL", "NULL"]
        shown = out.data
        out.trace_fn = lambda o: trace.call(
            "recvfrom", [str(fd), trace.string(shown), str(size), flag_text, *tail], o.ret, o.errno
        )
        return self._emit(out)

    # ------------------------------------------------------------------ recvmsg / sendmsg
    def recvmsg(self, name: str, size: Any = DEFAULT_RECV, flags: Any = None, anc: Any = DEFAULT_ANC,
                timeout: float | None = None) -> Outcome:
        """recvmsg(2) with a control buffer of `anc` bytes; every control message is decoded.

        Received SCM_RIGHTS descriptors join the playground (r1, r2...) and are
        listed in `new_sockets`. MSG_TRUNC/MSG_CTRUNC returned by the kernel are
        in `msg_flags`. This is the hot path of a drained flood: one recvmsg with
        the flags given, buffers reused, the trace line built lazily.
        """
        s = self.sockets.get(name)
        if type(s) is not PlaySocket:
            s = self.get(name)
        if type(size) is not int or not 0 <= size <= _MAX_RECV:
            size = limits.recv_size(size)
        if type(anc) is not int or not 0 <= anc <= _MAX_ANC:
            anc = limits.anc_size(anc)
        bits = 0 if flags is None else _bits(flags)
        if timeout is None and not bits & _MSG_TRUNC and (s.nonblock or bits & _MSG_DONTWAIT):
            # The hot path (a drained flood): the call cannot wait, so Python's own recvmsg is
            # exactly one recvmsg(2) with these flags. A plain result is journaled as a record
            # (records.RECVMSG) and decoded only when read; anything else goes on below.
            try:
                data, ancl, rflags, pyaddr = s.recvmsg(size, anc, bits)
            except OSError as exc:
                n, err, data = -1, exc.errno or E.EIO, b""
            else:
                local = self._local
                if not rflags and local.origin == USER:
                    level = ctype = None
                    if not ancl:
                        kept: Any = ()
                    elif len(ancl) == 1:
                        level, ctype, kept = ancl[0]  # kept flat: one object fewer per event
                        if level == _SOL_SOCKET and (ctype == _SCM_RIGHTS or ctype == _SO_RXQ_OVFL):
                            kept = None  # fds to adopt now, a drop count to compare: decoded now
                    else:
                        kept = tuple(ancl)
                        if any(c[0] == _SOL_SOCKET and (c[1] == _SCM_RIGHTS or c[1] == _SO_RXQ_OVFL) for c in kept):
                            kept = None
                    if kept is not None:
                        d = s.__dict__
                        command = local.command
                        shape = d.get("_sp_shape")
                        if (shape is None or shape[5] != size or shape[6] != anc or shape[7] != bits
                                or shape[2] is not command):
                            shape = d["_sp_shape"] = ("recvmsg", name, command, s.fileno(), int(s.family), size,
                                                      anc, bits)
                        if pyaddr is not None:
                            last = d.get("_sp_pyaddr")
                            if last == pyaddr:
                                pyaddr = last  # one sender object for a whole flood
                            else:
                                d["_sp_pyaddr"] = pyaddr
                        rec = (_now(), _REC_RECVMSG, data, shape, pyaddr, kept, level, ctype)
                        j = self.journal
                        if len(data) > _HEAD:
                            j.add(rec, len(data))
                        else:  # Journal.add's small-record branch, inline: this is the hottest line there is
                            lock = j._lock
                            lock.acquire()
                            j._seq += 1
                            j._ring.append(rec)
                            lock.release()
                            if j._sleepers:
                                j._wake_readers()
                            if j._sink is not None:
                                j._sink.due(j._seq)
                        if self._watcher is not None:
                            self._watcher.poke()
                        out = _new(Outcome)  # outcome.lazy, inline
                        out._rec = rec
                        return out
                n, err = len(data), 0
            rawaddr = None
            out = self._out("recvmsg", name)
            out.peeked = bool(bits & _MSG_PEEK)
            fd = s.fileno()
            reason = ""
        else:
            pyaddr = None
            out = self._out("recvmsg", name)
            out.peeked = bool(bits & _MSG_PEEK)
            rb = s.recv_buffers
            if rb is None or rb.size != size or rb.anc != anc:
                rb = s.recv_buffers = libc.RecvBuffers(size, anc)
            fd = s.fileno()
            reason = ""
            if timeout is not None:
                with self._timeout_for(s, out, _SO_RCVTIMEO, timeout):
                    (n, err), reason = self._in_kernel((name,), "recvmsg", lambda: rb.recvmsg(fd, bits))
            elif s.nonblock or bits & _MSG_DONTWAIT:
                n, err = rb.recvmsg(fd, bits)
            else:  # _in_kernel, inlined: this is the flood's path on a blocking socket
                reg = self._blocked
                b = reg.enter((name,), "recvmsg", getattr(self._local, "command", None))
                try:
                    n, err = rb.recvmsg(fd, bits)
                finally:
                    reg.leave(b)
                reason = b.reason
            if n >= 0:
                data, ancl, rflags, rawaddr = rb.result(n)
                if not rflags and not bits & _MSG_TRUNC and self._wire is None and self._local.origin == USER:
                    rec_out = self._recvmsg_record(s, name, data, ancl, rawaddr, size, anc, bits)
                    if rec_out is not None:
                        return rec_out
        if n < 0:
            self._fail_code(out, err, s, flags=flags_mod.bits_list(bits, flags_mod.MSG_FLAGS))
            self._interrupted(out, reason)
            out.trace = self._recvmsg_failed_trace(fd, size, anc, bits, out.errno)
            return self._emit(out)
        stype = self._stype(s)
        if bits & _MSG_TRUNC and stype == _STREAM:
            data = b""
        out.ret = n
        out.data = data
        addr = None
        if rawaddr:
            addr, out.address = self._peer(s, rawaddr)
        elif pyaddr:
            addr, out.address = pyaddr, addresses.format(pyaddr, int(s.family))
        if ancl:
            rights = any(lv == 1 and t == 1 for lv, t, _ in ancl)
            if rights:
                self._local.out = out  # SCM_RIGHTS adoption traces its engine probes here
            try:
                ctx = cmsg.Ctx(self, s, bits)
                cmsg.decode_into(out.cmsgs, ancl, ctx)
            finally:
                if rights:
                    self._local.out = None
            if ctx.adopted:
                out.new_sockets = ctx.adopted
        if rflags:
            out.msg_flags = flags_mod.bits_list(rflags, flags_mod.MSG_FLAGS)
            if rflags & _MSG_TRUNC and not bits & _MSG_TRUNC:
                if bits & _MSG_PEEK:
                    out.notes.append(f"the message is longer than the {size}-byte buffer; this peek showed only its start and the whole message is still queued (MSG_TRUNC)")
                else:
                    out.notes.append(f"the message was longer than the {size}-byte buffer; the rest is lost (MSG_TRUNC)")
            if rflags & 0x8:
                out.notes.append(f"the {anc}-byte control buffer was too small; some control data was cut (MSG_CTRUNC)")
        if n > size and stype != _STREAM:
            out.notes.append(f"the datagram was {n} bytes; only {size} fit in the buffer (MSG_TRUNC)")
        fam = s.__dict__.get("_sp_family")
        if fam is None:
            fam = s.__dict__["_sp_family"] = int(s.family)  # socket.family builds an enum on every read
        out.trace_fn = _RecvmsgTrace(fd, fam, size, anc, bits, addr, tuple(ancl) if ancl else (), rflags)
        self.journal.emit(Event("call", name, getattr(self._local, "command", None), out))
        w = self._watcher
        if w is not None:
            w.poke()
        return out

    def _recvmsg_record(self, s: PlaySocket, name: str, data: bytes, ancl: list[tuple[int, int, bytes]],
                        rawaddr: bytes, size: int, anc: int, bits: int) -> Outcome | None:
        """Journal a plain recvmsg that could wait as a record, as the hot path does; None if not plain.

        A flood drained from a blocking socket makes one call after another: as full
        Events they would fill the journal with objects the garbage collector walks
        on every full pass (a pause of the whole process, the app's keys included).
        """
        if not ancl:
            kept: Any = ()
            level = ctype = None
        elif len(ancl) == 1:
            level, ctype, kept = ancl[0]
            if level == _SOL_SOCKET and (ctype == _SCM_RIGHTS or ctype == _SO_RXQ_OVFL):
                return None  # fds to adopt now, a drop count to compare: decoded now
        else:
            level = ctype = None
            kept = tuple(ancl)
            if any(c[0] == _SOL_SOCKET and (c[1] == _SCM_RIGHTS or c[1] == _SO_RXQ_OVFL) for c in kept):
                return None
        d = s.__dict__
        command = getattr(self._local, "command", None)
        shape = d.get("_sp_shape")
        if shape is None or shape[5] != size or shape[6] != anc or shape[7] != bits or shape[2] is not command:
            shape = d["_sp_shape"] = ("recvmsg", name, command, s.fileno(), int(s.family), size, anc, bits)
        addr = self._peer(s, rawaddr)[0] if rawaddr else None
        rec = (_now(), _REC_RECVMSG, data, shape, addr or None, kept, level, ctype)
        self.journal.add(rec, len(data))
        if self._watcher is not None:
            self._watcher.poke()
        return Outcome.lazy(rec)

    @staticmethod
    def _stype(s: PlaySocket) -> int:
        """The socket type, cached on the object (socket.type builds an enum on every read)."""
        t = s.__dict__.get("_sp_type")
        if t is None:
            t = s.__dict__["_sp_type"] = int(s.type)
        return t

    @staticmethod
    def _peer(s: PlaySocket, raw: bytes) -> tuple[Any, str | None]:
        """A sender's address and its text, remembering the last one (a flood comes from one peer)."""
        d = s.__dict__
        if d.get("_sp_peer_raw") == raw:
            return d["_sp_peer"], d["_sp_peer_text"]
        fam = d.get("_sp_family") or int(s.family)
        addr = libc.unpack_sockaddr(raw, fam)
        text = addresses.format(addr, fam) if addr not in (None, "") else None
        d["_sp_peer_raw"], d["_sp_peer"], d["_sp_peer_text"] = raw, addr, text
        return addr, text

    @staticmethod
    def _recvmsg_failed_trace(fd: int, size: int, anc: int, bits: int, err: str | None) -> str:
        return trace.call("recvmsg", [str(fd), f"{{msg_name=0x..., msg_iov=[{{iov_base=0x..., iov_len={size}}}], "
                                      f"msg_iovlen=1, msg_controllen={anc}}}",
                                      flags_mod.bits_names(bits, flags_mod.MSG_FLAGS)], -1, err)

    def sendmsg(self, name: str, data: Any, flags: Any = None, to: Any = None, rights: Any = None,
                creds: Any = False, pktinfo: Any = None, ttl: Any = None, timeout: float | None = None,
                cmsgs: Sequence[tuple[int, int, bytes]] | None = None) -> Outcome:
        """sendmsg(2) with control messages built from plain values.

        rights: socket names (["x", "y"] or "x,y") passed by SCM_RIGHTS; creds: True for
        this process's own (pid, uid, gid) or a triple (root may send others);
        pktinfo: source address and/or interface ("127.0.0.1", "lo", "lo,::1");
        ttl: the TTL (hop limit on IPv6) for this packet; cmsgs: raw (level, type, bytes).
        """
        s = self.get(name)
        payload = self._data(data)
        bits = _flag_bits(flags)
        fam = self._family(s)
        out = self._out("sendmsg", name)
        sa = self.resolve_addr(to, fam, out) if to not in (None, "") else None
        v6 = fam == socket.AF_INET6
        anc: list[tuple[int, int, bytes]] = []
        if rights:
            words = [w for w in rights.replace(",", " ").split()] if isinstance(rights, str) else list(rights)
            fds = [w if isinstance(w, int) else self._any_fd(w) for w in words]
            anc.append((cmsg.SOL_SOCKET, 1, cmsg.BY_NAME["SCM_RIGHTS"].encode(fds)))  # type: ignore[misc]
        if creds is not False and creds is not None:
            anc.append((cmsg.SOL_SOCKET, 2, cmsg.BY_NAME["SCM_CREDENTIALS"].encode(creds)))  # type: ignore[misc]
        if pktinfo not in (None, ""):
            row = cmsg.BY_NAME["IPV6_PKTINFO" if v6 else "IP_PKTINFO"]
            anc.append((row.level, row.type, row.encode(pktinfo)))  # type: ignore[misc]
        if ttl not in (None, ""):
            row = cmsg.BY_NAME["IPV6_HOPLIMIT" if v6 else "IP_TTL"]
            anc.append((row.level, row.type, row.encode(ttl)))  # type: ignore[misc]
        for item in cmsgs or ():
            level, typ, raw = item
            anc.append((int(level), int(typ), bytes(raw)))
        fd = s.fileno()
        reason = ""
        if sa is not None and self._wire is not None:
            self._wire.before_send(name, sa, fam)
        if sa is not None and not libc.supported(fam):
            n, err = _python_call(fam, sa, lambda: s.sendmsg([payload], anc, bits, sa))
        else:
            rawsa = libc.pack_sockaddr(sa, fam) if sa is not None else None
            with self._timeout_for(s, out, _SO_SNDTIMEO, timeout):
                if self._may_wait(s, bits):
                    (n, err), reason = self._in_kernel((name,), "sendmsg",
                                                       lambda: libc.sendmsg(fd, payload, anc, bits, rawsa))
                else:
                    n, err = libc.sendmsg(fd, payload, anc, bits, rawsa)
        if n < 0:
            self._fail_code(out, err, s, flags=flags_mod.bits_list(bits, flags_mod.MSG_FLAGS),
                            address=addresses.format(sa, fam) if sa else None,
                            cmsgs=[cmsg.BY_KEY[(lv, t)].name if (lv, t) in cmsg.BY_KEY else f"{lv}/{t}"
                                   for lv, t, _ in anc])
            self._interrupted(out, reason)
        else:
            out.ret = n
            if n < len(payload):
                out.notes.append(f"only {n} of {len(payload)} bytes fit in the send buffer")
            if rights and s.type == socket.SOCK_STREAM and fam != socket.AF_UNIX:
                out.notes.append("TCP ignores SCM_RIGHTS: only unix sockets can pass descriptors")
        out.cmsgs = [{"level": cmsg.LEVEL_NAMES.get(lv, str(lv)), **_sent_cmsg(lv, t, raw)} for lv, t, raw in anc]
        out.trace = trace.call("sendmsg", [str(fd), _msghdr(sa, fam, payload, len(payload), anc, 0, sent=True),
                                           flags_mod.bits_names(bits, flags_mod.MSG_FLAGS)], out.ret, out.errno)
        return self._emit(out)

    def _any_fd(self, name: str) -> int:
        """The descriptor of a named socket or plain fd (for SCM_RIGHTS)."""
        obj = self.sockets.get(name)
        if obj is None:
            self.get(name)  # raises the helpful UsageError
        return obj.fileno()  # type: ignore[union-attr]

    # ------------------------------------------------------------------ options
    def _read_option(self, s: PlaySocket, row: catalog.OptionRow, c: codecs.Codec, out: Outcome | _After) -> tuple[Any, int]:
        """getsockopt through the codec; the raw value and the optlen to show.

        Two options need their length first: SO_GET_FILTER counts instructions (a probe
        with optlen 0 says how many) and SO_PEERNAME refuses a buffer longer than the
        address (on unix sockets an engine getpeername says how long it is). Each such
        probe is an `[engine]` line on `out`; the final read is the caller's to trace.
        """
        fd = s.fileno()
        lvl = trace.LEVEL_NAMES.get(row.level_number, row.level)
        if c.read is not None and row.level_number == _SOL_SOCKET and row.number == _SO_PEERNAME:
            fam = self._family(s)
            sizes: dict[int, int] = {socket.AF_INET: 16, socket.AF_INET6: 28}
            size = sizes.get(fam)
            if size is None:
                ret, err, raw = libc.getpeername(fd)
                shown = addresses.strace_sockaddr(libc.unpack_sockaddr(raw, fam), fam)[0] if ret == 0 else "0x..."
                out.add_line(ENGINE, trace.call("getpeername", [str(fd), shown, f"[{libc.SOCKADDR_MAX} => {len(raw)}]"],
                                                ret, errnos.name_of(err) if err else None, ""), before=True)
                if ret < 0:
                    raise OSError(err, os.strerror(err))
                size = len(raw)
            ret, err, raw, ln = libc.getsockopt(fd, row.level_number, row.number, size)
            if ret < 0:
                raise OSError(err, os.strerror(err))
            return raw, ln
        if c.read is not None:  # SO_GET_FILTER: 8 bytes per instruction, optlen counts instructions
            ret, err, _, count = libc.getsockopt(fd, row.level_number, row.number, 0)
            if ret < 0:
                raise OSError(err, os.strerror(err))
            if count == 0:
                return b"", 0  # no filter: this one call was the whole read (the caller traces it)
            out.add_line(ENGINE, trace.call("getsockopt", [str(fd), lvl, row.name, "NULL", f"[0 => {count}]"], ret,
                                            None), before=True)
            ret, err, raw, n = libc.getsockopt(fd, row.level_number, row.number, count * 8, optlen=count)
            if ret < 0:
                raise OSError(err, os.strerror(err))
            return raw[: n * 8], n
        if c.size:
            raw = s.getsockopt(row.level_number, row.number, c.size)
            return raw, len(raw)
        return s.getsockopt(row.level_number, row.number), 4

    def setsockopt(self, name: str, option: str, value: Any) -> Outcome:
        """setsockopt(2); `value` is what the kernel reports back afterwards (an engine getsockopt)."""
        s = self.get(name)
        row = catalog.option(option)
        c = codecs.codec(row.kind)
        payload = c.encode(value)
        keep = None
        if isinstance(payload, codecs.Encoded):
            keep, payload = payload, payload.raw
        out = self._out("setsockopt", name)
        out.notes.append(f"asked {value}")
        lvl = trace.LEVEL_NAMES.get(row.level_number, row.level)
        arg = c.strace(payload) if isinstance(payload, bytes) else f"[{payload}]"
        length = len(payload) if isinstance(payload, bytes) else 4
        fd = s.fileno()
        try:
            s.setsockopt(row.level_number, row.number, payload)
        except OSError as exc:
            self._fail(out, exc, s, option=row.name, option_access=row.access, option_privilege=row.privilege)
        else:
            out.ret = 0
            if row.readable and row.name != "SO_ERROR":
                # The read-back the Outcome's value comes from: the engine's own call, traced and marked.
                try:
                    raw, ln = self._read_option(s, row, c, _After(out))
                except OSError as exc:
                    out.add_line(ENGINE, trace.call("getsockopt", [str(fd), lvl, row.name, "0x...", f"[{c.size or 4}]"],
                                                    -1, errnos.name_of(exc.errno or E.EIO)))
                else:
                    shown = c.strace(raw) if isinstance(raw, bytes) else f"[{raw}]"
                    out.add_line(ENGINE, trace.call("getsockopt", [str(fd), lvl, row.name, shown, _optlen(c, ln)], 0,
                                                    None))
                    with contextlib.suppress(OSError, UsageError, struct.error, ValueError):
                        out.value = c.decode(raw)
                    if row.level_number == _SOL_SOCKET and row.number in _TIMEO_NAMES and isinstance(raw, bytes):
                        s.timeouts[row.number] = raw
            warn = self._too_late(s, row)
            if warn:
                out.notes.append(warn)
        del keep
        out.trace = trace.call("setsockopt", [str(fd), lvl, row.name, arg, str(length)], out.ret, out.errno)
        return self._emit(out)

    @staticmethod
    def _too_late(s: PlaySocket, row: catalog.OptionRow) -> str | None:
        """A warning from what the engine remembers (bound, connected, listening): no calls made."""
        if not row.before:
            return None
        if row.before == "bind" and s.bound and s.family != socket.AF_UNIX:
            return f"{row.name} matters before bind(); this socket is already bound, so it may have no effect"
        if row.before in ("connect", "listen"):
            if s.connected:
                return f"{row.name} matters before {row.before}(); this socket is already connected"
            if s.listening:
                return f"{row.name} matters before {row.before}(); this socket is already listening"
        return None

    def getsockopt(self, name: str, option: str) -> Outcome:
        """getsockopt(2), decoded by the option's codec."""
        s = self.get(name)
        row = catalog.option(option)
        c = codecs.codec(row.kind)
        out = self._out("getsockopt", name)
        lvl = trace.LEVEL_NAMES.get(row.level_number, row.level)
        try:
            raw, length = self._read_option(s, row, c, out)
        except OSError as exc:
            self._fail(out, exc, s, option=row.name, option_access=row.access, option_privilege=row.privilege)
            out.trace = trace.call("getsockopt", [str(s.fileno()), lvl, row.name, "0x...", f"[{c.size or 4}]"], -1,
                                   out.errno)
            return self._emit(out)
        out.ret = 0
        out.value = c.decode(raw)
        shown = c.strace(raw) if isinstance(raw, bytes) else f"[{raw}]"
        out.trace = trace.call("getsockopt", [str(s.fileno()), lvl, row.name, shown, _optlen(c, length)], 0, None)
        return self._emit(out)

    # ------------------------------------------------------------------ teardown
    def shutdown(self, name: str, how: str | int = "rdwr") -> Outcome:
        """shutdown(2): stop reading (rd), writing (wr) or both (rdwr)."""
        s = self.get(name)
        if isinstance(how, str):
            key = how.lower().removeprefix("shut_")
            if key not in SHUT:
                raise UsageError(f"shutdown how {how!r}: expected rd, wr or rdwr")
            h = SHUT[key]
        else:
            h = limits.c_int(how, "shutdown how")
        out = self._out("shutdown", name)
        try:
            s.shutdown(h)
        except OSError as exc:
            self._fail(out, exc, s)
        else:
            out.ret = 0
        out.trace = trace.call("shutdown", [str(s.fileno()), SHUT_NAMES.get(h, str(h))], out.ret, out.errno)
        return self._emit(out)

    def close(self, name: str) -> Outcome:
        """close(2). A call waiting on this socket in another thread is interrupted first (EINTR)."""
        with self._lock:
            obj = self.sockets.get(name)
            if obj is None:
                self.get(name)  # raises the helpful UsageError
        assert obj is not None
        if self.cancel(name, reason="the socket was closed"):
            # close() alone would not wake it: the waiting call holds the file until it returns.
            self._blocked.wait_done(self._blocked.active(name), 1.0)
        if self._watcher is not None:
            self._watcher.release(name)  # the close must take effect now, not when a poll returns
        fd = obj.fileno()
        out = self._out("close", name)
        try:
            obj.close()
        except OSError as exc:
            self._fail(out, exc, None)
        else:
            out.ret = 0
        with self._lock:
            self.sockets.pop(name, None)
        self._changed(removed=[name])
        out.trace = trace.call("close", [str(fd)], out.ret, out.errno)
        self._emit(out)
        del obj  # its receive and batch buffers go with it
        self.journal.release()  # and what the allocator kept of them (and of evicted events) goes back
        return out

    def close_all(self) -> None:
        """Close every socket and remove the unix socket files the playground created."""
        w = self._watcher
        if w is not None:
            self.remove_listener(w._on_change)  # no per-socket bookkeeping while tearing down
        for name in list(self.sockets):
            with contextlib.suppress(Exception):
                self.close(name)
        for path in self._created_paths:
            with contextlib.suppress(OSError, ValueError):
                os.unlink(path)
        self._created_paths.clear()
        self.stop_watcher()
        self.wire_off()
        signals.unregister(self)
        self.journal.flush()

    # ------------------------------------------------------------------ poll / fcntl
    def poll(self, names: Sequence[str] | None = None, timeout: Any = 0, events: Any = None) -> Outcome:
        """One poll(2) over the named sockets (all when none named); timeout in ms (-1: for ever).

        Exactly the fds named are passed. A poll that waits does so in the kernel and
        is cancellable like any blocking call (EINTR).
        """
        names = list(names) if names else [n for n, o in self.sockets.items() if o.fileno() >= 0]
        objs = [self.sockets.get(n) or self.get(n) for n in names]
        mask = flags.poll_mask(events)
        timeout_ms = limits.c_int(timeout, "timeout (ms)")
        fds = [o.fileno() for o in objs]
        out = self._out("poll", names[0] if len(names) == 1 else None)
        pairs = [(fd, mask) for fd in fds]
        reason = ""
        if timeout_ms != 0:
            (ret, err, revents), reason = self._in_kernel(tuple(names) or ("*poll*",), "poll",
                                                          lambda: libc.poll(pairs, timeout_ms))
        else:
            ret, err, revents = libc.poll(pairs, timeout_ms)
        if ret < 0:
            self._fail_code(out, err, None)
            self._interrupted(out, reason)
            revents = [0] * len(fds)
        value = {n: flags.bits_list(ev, flags.POLL_BITS) for n, ev in zip(names, revents, strict=True)}
        if out.errno is None:
            out.ret = ret
            out.value = value
        ev_name = flags.bits_names(mask, flags.POLL_BITS)
        arg = "[" + ", ".join(f"{{fd={fd}, events={ev_name}}}" for fd in fds) + "]"
        got = "[" + ", ".join(f"{{fd={fd}, revents={flags.bits_names(ev, flags.POLL_BITS)}}}"
                              for fd, ev in zip(fds, revents, strict=True) if ev) + "]"
        out.trace = trace.call("poll", [arg, str(len(fds)), str(timeout_ms)], out.ret, out.errno,
                               f"({got})" if ret > 0 else "(Timeout)")
        return self._emit(out)

    def fcntl(self, name: str, op: str, value: Any = None) -> Outcome:
        """fcntl(2): nonblock on|off, async on|off (an engine F_GETFL, then F_SETFL), setown [PID], getown, getfl."""
        s = self.get(name)
        fd = s.fileno()
        op_l = op.lower()
        out = self._out("fcntl", name)
        try:
            if op_l in ("nonblock", "async"):
                bit = os.O_NONBLOCK if op_l == "nonblock" else os.O_ASYNC
                on = bool(codecs.parse_int(True if value is None else value, op_l))
                args = [str(fd), "F_SETFL"]
                fl = _fcntl.fcntl(fd, _fcntl.F_GETFL)
                out.add_line(ENGINE, trace.call("fcntl", [str(fd), "F_GETFL"], fl, None, f"({_fl_names(fl)})"),
                             before=True)
                new = (fl | bit) if on else (fl & ~bit)
                args = [str(fd), "F_SETFL", _fl_names(new)]
                _fcntl.fcntl(fd, _fcntl.F_SETFL, new)
                out.ret = 0
                out.value = on
                if op_l == "nonblock":
                    s.nonblock = on
                else:
                    s.async_io = on
                if op_l == "async" and on:
                    self._signal_note(out)
            elif op_l == "setown":
                pid = self.pid if value in (None, "") else limits.c_int(value, "pid")
                args = [str(fd), "F_SETOWN", str(pid)]
                out.ret = _fcntl.fcntl(fd, _fcntl.F_SETOWN, pid)
                out.value = pid
                s.owner_set = bool(pid)
            elif op_l == "getown":
                args = [str(fd), "F_GETOWN"]
                ret, err = libc.fcntl_raw(fd, _fcntl.F_GETOWN)  # glibc's fcntl would make it F_GETOWN_EX
                if ret < 0:
                    raise OSError(err, os.strerror(err))
                out.ret = ret
                out.value = out.ret
            elif op_l == "getfl":
                args = [str(fd), "F_GETFL"]
                out.ret = _fcntl.fcntl(fd, _fcntl.F_GETFL)
                out.value = _fl_names(out.ret)
            elif op_l == "setsig":
                sig = limits.c_int(value or 0, "signal")
                args = [str(fd), "F_SETSIG", str(sig)]
                out.ret = _fcntl.fcntl(fd, 10, sig)  # F_SETSIG
                out.value = sig
            else:
                raise UsageError(f"fcntl {op!r}: expected nonblock on|off, async on|off, setown [PID], getown, getfl or setsig SIG")
        except OSError as exc:
            self._fail(out, exc, s)
        extra = f"({out.value})" if op_l == "getfl" and out.errno is None else ""
        out.trace = trace.call("fcntl", args, out.ret, out.errno, extra)
        return self._emit(out)

    # ------------------------------------------------------------------ ioctl / sysctl
    def ioctl(self, name: str, request: str | int, value: Any = None) -> Outcome:
        """ioctl(2) with a request from sockplay.core.ioctls (SIOCINQ, SIOCGSTAMP, FIOASYNC...)."""
        s = self.get(name)
        row = ioctls.ioctl(request)
        fd = s.fileno()
        out = self._out("ioctl", name)
        arg = "0x..."
        try:
            if row.arg == "get_int":
                raw = _fcntl.ioctl(fd, row.number, b"\0\0\0\0")
                out.value = int.from_bytes(raw, "little", signed=True)
                arg = f"[{out.value}]"
            elif row.arg == "set_int":
                if value in (None, ""):
                    v = self.pid if row.name in ("SIOCSPGRP", "FIOSETOWN") else 1
                else:
                    v = ioctls.int_value(row, value)
                arg = f"[{v}]"
                _fcntl.ioctl(fd, row.number, struct.pack("i", v))
                out.value = v
                if row.name == "FIONBIO":
                    s.nonblock = bool(v)
                elif row.name == "FIOASYNC":
                    s.async_io = bool(v)
                elif row.name in ("SIOCSPGRP", "FIOSETOWN"):
                    s.owner_set = bool(v)
                if row.name in ("FIOASYNC", "SIOCSPGRP", "FIOSETOWN") and v:
                    self._signal_note(out)
            else:
                raw = _fcntl.ioctl(fd, row.number, bytes(16))
                sec, frac = ioctls.TIMEVAL.unpack(raw)
                if row.arg == "get_timeval":
                    out.value = sec + frac / 1e6
                    arg = f"{{tv_sec={sec}, tv_usec={frac}}}"
                    out.notes.append(f"last packet at {time.strftime('%H:%M:%S', time.localtime(sec))}.{frac:06d}")
                else:
                    out.value = sec + frac / 1e9
                    arg = f"{{tv_sec={sec}, tv_nsec={frac}}}"
                    out.notes.append(f"last packet at {time.strftime('%H:%M:%S', time.localtime(sec))}.{frac:09d}")
            out.ret = 0
        except OSError as exc:
            self._fail(out, exc, s, ioctl=row.name, state="listening" if s.listening else None)
        out.trace = trace.call("ioctl", [str(fd), row.shown, arg], out.ret, out.errno)
        return self._emit(out)

    def sysctl(self, key: str | None = None) -> Outcome:
        """Read a /proc/sys/net/core value (`value` an int), or all of them as a dict when `key` is None.

        Each file is openat, one read, close: three lines of the trace per value.
        """
        out = self._out("sysctl", None)
        rows = sysctl.SYSCTLS if key in (None, "") else (sysctl.row(key),)
        values: dict[str, Any] = {}
        for r in rows:
            try:
                raw = self._read_proc(out, r.path)
            except OSError as exc:
                if key not in (None, ""):
                    self._fail(out, exc, None, path=r.path)
                    return self._emit(out)
                values[r.key] = None
                continue
            values[r.key] = sysctl.parse(raw)
        out.ret = 0
        if key in (None, ""):
            out.value = values
            out.notes = [f"{r.key} = {values[r.key]} {r.unit}" for r in rows]
        else:
            r = rows[0]
            out.value = values[r.key]
            out.notes = [f"{r.key} ({r.unit}): {r.help}"]
        return self._emit(out)

    @staticmethod
    def _read_proc(out: Outcome, path: str) -> str:
        """openat, read, close of one /proc file, each a line of `out` (the person asked for them)."""
        out.trace = ""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            out.add_line(USER, trace.call("openat", ["AT_FDCWD", f'"{path}"', "O_RDONLY|O_CLOEXEC"], -1,
                                          errnos.name_of(exc.errno or E.EIO)))
            raise
        out.add_line(USER, trace.call("openat", ["AT_FDCWD", f'"{path}"', "O_RDONLY|O_CLOEXEC"], fd, None))
        try:
            raw = os.read(fd, 4096)
            out.add_line(USER, trace.call("read", [str(fd), trace.string(raw), "4096"], len(raw), None))
        finally:
            os.close(fd)
            out.add_line(USER, trace.call("close", [str(fd)], 0, None))
        return raw.decode("ascii", errors="replace")

    # ------------------------------------------------------------------ watcher and signals
    @property
    def watcher(self) -> Watcher | None:
        """The running readiness watcher, or None."""
        w = self._watcher
        return w if w is not None and w.running else None

    def start_watcher(self, interval: float = 0.05) -> Watcher:
        """Start the readiness watcher thread (idempotent); it stops in close_all()."""
        with self._lock:
            if self._watcher is None or not self._watcher.running:
                self._watcher = Watcher(self, interval=interval)
                self._watcher.start()
            return self._watcher

    def stop_watcher(self) -> None:
        w, self._watcher = self._watcher, None
        if w is not None:
            w.stop()

    def watch(self, name: str, mask: Any = None) -> list[str]:
        """Set which poll bits the watcher reports for `name` (None: all). Returns the bits watched."""
        obj = self.sockets.get(name)
        if obj is None:
            self.get(name)
        bits = flags.poll_mask(mask)
        obj.watch_mask = bits  # type: ignore[union-attr]
        if self._watcher is not None:
            self._watcher.set_mask(name, bits)
        return flags.bits_list(bits, flags.POLL_BITS)

    def _signal_note(self, out: Outcome) -> None:
        if not signals.caught("SIGIO"):
            out.notes.append("SIGIO is not caught in this process (" + signals.status()["SIGIO"] + "); "
                             "a SIGIO may end it")

    def _on_signal(self, signame: str) -> None:
        """A SIGIO or SIGURG arrived (called on the signals thread): say which sockets it is about.

        Which sockets can raise it the engine remembers (O_ASYNC, an owner set); their
        state comes from one poll, like the watcher's: no fcntl per socket.
        """
        with self._lock:
            items = [(n, o) for n, o in self.sockets.items() if isinstance(o, PlaySocket)]
        cands: dict[str, int] = {}
        for n, o in items:
            fd = o.fileno()
            if fd < 0:
                continue
            if signame == "SIGIO" and not o.async_io:
                continue
            if signame == "SIGURG" and not o.owner_set:
                continue
            cands[n] = fd
        if not cands:
            return
        p = select.poll()
        for fd in cands.values():
            p.register(fd, select.POLLIN | select.POLLPRI | select.POLLOUT | 0x2000)
        got = dict(p.poll(0))
        states = {n: got.get(fd, 0) for n, fd in cands.items()}
        prev = self._sig_seen
        if signame == "SIGURG":
            became = [n for n, st in states.items() if st & select.POLLPRI]
        else:
            became = [n for n, st in states.items() if st & ~prev.get(n, 0)]
            if not became:  # more data on a socket that was already readable
                became = [n for n, st in states.items() if st & (select.POLLIN | select.POLLERR | select.POLLHUP)]
        self._sig_seen = states
        self.journal.emit(Event("signal", became[0] if len(became) == 1 else None, None, None, signal=signame,
                                socks=became,
                                states={n: flags.bits_list(st, flags.POLL_BITS) for n, st in states.items()}))

    # ------------------------------------------------------------------ the wire
    @property
    def wire(self) -> Capture | None:
        """The packet capture while `wire on` (None when off)."""
        return self._wire

    def wire_on(self, names: Sequence[str] = (), pcap: str | None = None) -> str | None:
        """Capture the packets of these sockets (all when none named) on loopback.

        Returns None when capturing, else why it cannot (no CAP_NET_RAW, ...).
        `pcap` also writes every captured packet to that file as it arrives.
        """
        # packet capture (and BPF with it) loads with the first `wire on`
        from sockplay.core.wire.capture import Capture

        for n in names:
            self.get(n)
        with self._lock:
            cap = self._wire or Capture(self)
            self._wire_kept = cap
        cap.watch(list(names))
        if pcap:
            cap.add_writer(pcap)
        if cap.running:
            self._wire = cap
            return None
        reason = cap.start()
        if reason is not None:
            cap.close()
            self.journal.emit(Event("note", text=f"wire: {reason}", wire="unavailable", reason=reason))
            return reason
        self._wire = cap
        who = ", ".join(names) if names else "every socket"
        self.journal.emit(Event("note", text=f"wire: capturing on {cap.iface} for {who} "
                                "(sockplay's own AF_PACKET socket, filtered to the playground's ports)",
                                wire="on", reason=None))
        return None

    def wire_off(self, names: Sequence[str] = ()) -> None:
        """Stop capturing (or leave out these sockets only)."""
        cap = self._wire
        if cap is None:
            return
        if not cap.unwatch(list(names)):
            return
        self._wire = None
        cap.close()
        self.journal.emit(Event("note", text=f"wire: stopped after {cap.packets} packets", wire="off", reason=None))

    def wire_save(self, path: str) -> int:
        """Write the packets captured so far to a pcap file; returns how many."""
        cap = self._wire
        if cap is None:
            raise UsageError("the wire is off: nothing captured to save (use wire on first)")
        try:
            return cap.save(path)
        except OSError as exc:
            raise UsageError(f"cannot write {path!r}: {exc.strerror}") from None

    def wire_status(self) -> dict[str, Any]:
        """For views: running, why not, packet and drop counts, whether only unix sockets are open."""
        cap = self._wire
        if cap is not None:
            return cap.status()
        inet = any(getattr(o, "family", None) in (socket.AF_INET, socket.AF_INET6) for o in list(self.sockets.values()))
        return {"running": False, "reason": None, "packets": 0, "dropped": 0, "ports": [], "only": None,
                "unix_only": bool(self.sockets) and not inet, "iface": "lo"}

    # ------------------------------------------------------------------ info for views
    def info(self, name: str, out: Outcome | None = None, ask: bool = True) -> dict[str, Any]:
        """What a socket list shows: family, type, addresses, TCP state, blocking mode.

        Family, type, blocking mode, a bound address and the peer a connect or accept
        gave are remembered. What is not (an address the kernel chose, the TCP state)
        is asked with getsockname / getsockopt TCP_INFO: traced on `out` when given
        (the `sockets` command), left out with `ask=False`. A caller that asks without
        `out` makes calls no trace shows: the TUI's socket list takes `ask=False` and
        reads the rest through `describe()` as marked [app] calls.
        """
        obj = self.sockets.get(name)
        if obj is None:
            self.get(name)
        if isinstance(obj, PlainFd):
            return {"name": name, "kind": "fd", "fd": obj.fileno(), "family": "", "type": "",
                    "local": obj.describe(), "peer": "", "state": "", "nonblocking": False}
        s: PlaySocket = obj  # type: ignore[assignment]
        d: dict[str, Any] = {"name": name, "kind": "socket", "fd": s.fileno()}
        if s.fileno() < 0:
            d.update(family="", type="", local="", peer="", state="CLOSED", nonblocking=False)
            return d
        fam = self._family(s)
        fd = s.fileno()
        d["family"] = flags.const_name(fam, flags.FAMILIES)
        d["type"] = flags.const_name(int(s.type), flags.TYPES)
        d["nonblocking"] = s.nonblock
        d["peer"] = addresses.format(s.peer, fam) if s.peer is not None else ""
        d["local"] = addresses.format(s.local, fam) if s.local is not None else ""
        d["state"] = "LISTEN" if s.listening else ""
        if not ask:
            return d
        if s.local is None:
            ret, err, raw = libc.getsockname(fd)
            sa = libc.unpack_sockaddr(raw, fam) if ret == 0 else None
            if out is not None:
                shown = addresses.strace_sockaddr(sa, fam)[0] if ret == 0 else "0x..."
                out.add_line(USER, trace.call("getsockname", [str(fd), shown, f"[{libc.SOCKADDR_MAX} => {len(raw)}]"],
                                              ret, errnos.name_of(err) if err else None))
            d["local"] = addresses.format(sa, fam) if sa is not None else ""
        if s.type == socket.SOCK_STREAM and fam in (socket.AF_INET, socket.AF_INET6):
            ret, err, raw, ln = libc.getsockopt(fd, socket.IPPROTO_TCP, socket.TCP_INFO, 8)
            if out is not None:
                shown = f"{{tcpi_state={raw[0]}, ...}}" if ret == 0 and raw else "0x..."
                out.add_line(USER, trace.call("getsockopt", [str(fd), "SOL_TCP", "TCP_INFO", shown, f"[8 => {ln}]"],
                                              ret, errnos.name_of(err) if err else None))
            if ret == 0 and raw and raw[0] < len(TCP_STATES):
                d["state"] = TCP_STATES[raw[0]]
        return d

    def describe(self, names: Sequence[str] | None = None) -> Outcome:
        """The `sockets` command: info() for each socket, every read it needed in the trace."""
        out = self._out("sockets", None)
        out.trace = ""
        rows = [self.info(n, out=out) for n in (names or list(self.sockets))]
        out.ret = 0
        out.value = rows
        return self._emit(out)

    def __enter__(self) -> Playground:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()


class _After:
    """An Outcome seen by _read_option during setsockopt: its probes come after the set, not before."""

    def __init__(self, out: Outcome) -> None:
        self._out = out

    def add_line(self, origin: str, line: str, before: bool = False) -> None:
        self._out.add_line(origin, line, before=False)


_SOCKADDR_LEN: dict[int, int] = {int(socket.AF_INET): 16, int(socket.AF_INET6): 28}  # sizeof(sockaddr_in), sizeof(sockaddr_in6)


def _optlen(c: codecs.Codec, out_len: int) -> str:
    """getsockopt's optlen as strace shows it: `[16 => 3]` when the kernel wrote less than the buffer."""
    in_len = c.size or 4
    if c.read is not None or out_len == in_len:  # SO_GET_FILTER counts instructions; SO_PEERNAME is sized exactly
        return f"[{out_len}]"
    return f"[{in_len} => {out_len}]"


def _const_text(opt: int, val: int) -> str:
    """SO_DOMAIN/SO_TYPE/SO_PROTOCOL values as strace names them."""
    table = {_SO_DOMAIN: flags.FAMILIES, _SO_TYPE: flags.TYPES, _SO_PROTOCOL: flags.PROTOCOLS}.get(opt)
    return flags.const_name(val, table) if table else str(val)


def _fl_names(fl: int) -> str:
    names = ["O_RDWR" if fl & os.O_ACCMODE == os.O_RDWR else "O_RDONLY"]
    for bit, n in ((os.O_NONBLOCK, "O_NONBLOCK"), (os.O_ASYNC, "O_ASYNC"), (os.O_APPEND, "O_APPEND")):
        if fl & bit:
            names.append(n)
    return "|".join(names)


def _sent_cmsg(level: int, typ: int, raw: bytes) -> dict[str, Any]:
    """A control message we sent, decoded for the Outcome (without adopting anything)."""
    row = cmsg.BY_KEY.get((level, typ))
    if row is None:
        return {"name": f"type {typ}", "value": raw.hex()}
    if row.name == "SCM_RIGHTS":
        fds = cmsg._ints(raw)
        return {"name": row.name, "value": fds, "fds": fds}
    d = cmsg.decode_one(level, typ, raw, cmsg.Ctx(None, None))
    d.pop("level", None)
    return d


def _msghdr(sa: Any, fam: int, data: bytes | None, iov_len: int, anc: Sequence[tuple[int, int, bytes]],
            rflags: int, sent: bool = False) -> str:
    """The struct msghdr as strace prints it.

    A received one had a name buffer of SOCKADDR_MAX bytes (strace: `msg_namelen=128 => 16`,
    and `msg_name=0x..., msg_namelen=128 => 0` when the kernel gave no address).
    """
    if sa:
        text, length = addresses.strace_sockaddr(sa, fam)
        name = f"msg_name={text}, msg_namelen={length if sent else f'{libc.SOCKADDR_MAX} => {length}'}"
    elif sent:
        name = "msg_name=NULL, msg_namelen=0"
    else:
        name = f"msg_name=0x..., msg_namelen={libc.SOCKADDR_MAX} => 0"
    iov = f"msg_iov=[{{iov_base={trace.string(data)}, iov_len={iov_len}}}], msg_iovlen=1"
    if anc:
        ctl = f"msg_control={cmsg.strace_control(anc)}, msg_controllen={cmsg.space(anc)}"
    else:
        ctl = "msg_controllen=0"
    return f"{{{name}, {iov}, {ctl}, msg_flags={flags.bits_names(rflags, flags.MSG_FLAGS)}}}"


class _RecvmsgTrace:
    """The recvmsg strace line, built only if someone reads Outcome.trace.

    One small object rather than a closure: a journal full of Outcomes holds one
    of these each, and fewer objects is less work for the garbage collector.
    """

    __slots__ = ("fd", "fam", "size", "anc", "bits", "addr", "ancl", "rflags")

    def __init__(self, fd: int, fam: int, size: int, anc: int, bits: int, addr: Any,
                 ancl: tuple[tuple[int, int, bytes], ...], rflags: int) -> None:
        self.fd, self.fam, self.size, self.anc, self.bits = fd, fam, size, anc, bits
        self.addr, self.ancl, self.rflags = addr, ancl, rflags

    def __call__(self, o: Outcome) -> str:
        shown = o.data if o.data is not None else b""
        hdr = _msghdr(self.addr or None, self.fam, shown, self.size, self.ancl, self.rflags)
        return trace.call("recvmsg", [str(self.fd), hdr, flags.bits_names(self.bits, flags.MSG_FLAGS)], o.ret, o.errno)
