"""The Playground: named real sockets, real syscalls, every result an Outcome in the journal.

Each public method is named after its syscall. A failing syscall is an Outcome
with `errno` set; misuse of the API (unknown name, bad value) raises UsageError.
Blocking calls wait in poll() beside a cancel eventfd, so another thread can
wake them (`cancel`, `close`) and a UI can run them off its own thread.
"""

from __future__ import annotations

import contextlib
import errno as E
import fcntl as _fcntl
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sockplay.core import (
    addresses,
    catalog,
    cmsg,
    codecs,
    errnos,
    flags,
    ioctls,
    limits,
    signals,
    sysctl,
    trace,
)
from sockplay.core.errors import UsageError, did_you_mean
from sockplay.core.journal import Event, Journal
from sockplay.core.outcome import Outcome
from sockplay.core.sockets import NAME_RE, PlainFd, PlaySocket, tcp_state
from sockplay.core.watcher import Watcher
from sockplay.core.wire.capture import Capture

flags_mod = flags  # for methods whose `flags` parameter hides the module

SHUT = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}
SHUT_NAMES = {v: f"SHUT_{k.upper()}" for k, v in SHUT.items()}
DEFAULT_RECV = 65536
DEFAULT_ANC = 256

# MSG_* bits used on the hot path (flags.MSG_FLAGS has the full table).
_MSG_OOB, _MSG_PEEK, _MSG_TRUNC, _MSG_DONTWAIT = 0x1, 0x2, 0x20, 0x40
_MSG_WAITALL, _MSG_ERRQUEUE = 0x100, 0x2000
_DGRAM = int(socket.SOCK_DGRAM)
_flag_cache: dict[Any, int] = {}


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


class _Cancelled(Exception):
    """A pending wait was woken by cancel() or close()."""


class _Wait:
    """One pending blocking call: an eventfd another thread can write to wake it."""

    __slots__ = ("efd", "reason")

    def __init__(self) -> None:
        self.efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.reason = ""


class Playground:
    """Holds named sockets and makes real syscalls on them."""

    def __init__(self, journal_cap: int = 100_000, journal: Journal | None = None, watch: bool = False) -> None:
        """`watch=True` starts the readiness watcher at once (the TUI and `sockplay run` do).

        It is off by default so that a library user's or a test's journal holds
        only the calls it made, in order, and a benchmark measures the calls alone;
        `start_watcher()` turns it on later.
        """
        self.journal = journal if journal is not None else Journal(cap=journal_cap)
        self.sockets: dict[str, PlaySocket | PlainFd] = {}
        self._lock = threading.RLock()
        self._local = threading.local()
        self._pending: dict[str, list[_Wait]] = {}
        self._created_paths: list[str] = []
        self._listeners: list[Any] = []  # callables told when the socket set changes (the watcher)
        self.pid = os.getpid()
        self._watcher: Watcher | None = None
        self._wire: Capture | None = None  # the packet capture, while `wire on`
        self._sig_seen: dict[str, int] = {}
        if threading.current_thread() is threading.main_thread():
            signals.install()  # SIGIO/SIGURG become events; a no-op when the host has its own handlers
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
            try:
                ctx["family"] = flags.const_name(int(s.family), flags.FAMILIES)
                ctx["type"] = flags.const_name(int(s.type), flags.TYPES)
                ctx["nonblocking"] = s.nonblocking() if isinstance(s, PlaySocket) else None
            except OSError:
                pass
        return ctx

    def _fail(self, out: Outcome, exc: OSError, s: socket.socket | None = None, **ctx: Any) -> Outcome:
        code = exc.errno if exc.errno is not None else E.EIO
        out.errno = errnos.name_of(code)
        out.ret = -1
        out.error = errnos.explain(out.errno, out.syscall, self._ctx(s, **ctx))
        return out

    def _family(self, s: socket.socket) -> int:
        return int(s.family)

    def resolve_addr(self, addr: Any, family: int) -> Any:
        """Address text (or another socket's name, meaning its local address) to a sockaddr."""
        if isinstance(addr, str) and addr in self.sockets:
            other = self.sockets[addr]
            if isinstance(other, PlaySocket):
                local = other.getsockname()
                inet = (socket.AF_INET, socket.AF_INET6)
                if other.family != family and not (family in inet and other.family in inet):
                    raise UsageError(
                        f"{addr!r} is a {flags.const_name(int(other.family), flags.FAMILIES)} socket, so its "
                        f"address cannot be used with a {flags.const_name(family, flags.FAMILIES)} socket; "
                        "the families must match"
                    )
                if family == socket.AF_INET and other.family == socket.AF_INET6:
                    raise UsageError(f"{addr!r} has an IPv6 address; an AF_INET socket cannot reach it")
                if family == socket.AF_INET6 and other.family == socket.AF_INET:
                    return ("::ffff:" + local[0], local[1], 0, 0)
                if family == socket.AF_INET and other.family == socket.AF_INET:
                    host = "127.0.0.1" if local[0] == "0.0.0.0" else local[0]
                    return (host, local[1])
                if family == socket.AF_INET6 and isinstance(local, tuple) and local[0] == "::":
                    return ("::1", *local[1:])
                return local
        return addresses.parse(addr, family)

    # ------------------------------------------------------------------ blocking
    @staticmethod
    def _accepting(s: PlaySocket) -> bool:
        """Whether the socket listens: only then can accept wait (elsewhere the kernel fails at once)."""
        try:
            return bool(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
        except OSError:
            return False

    def _must_wait(self, s: PlaySocket, events: int, flag_bits: int) -> bool:
        if flag_bits & flags.msg_flag("dontwait").value or s.nonblocking():
            return False
        p = select.poll()
        p.register(s.fileno(), events)
        return not p.poll(0)

    def _timeout_of(self, s: PlaySocket, optname: int) -> float | None:
        sec, usec = struct.unpack("ll", s.getsockopt(socket.SOL_SOCKET, optname, 16))
        t = sec + usec / 1e6
        return t or None

    def _wait(self, s: PlaySocket, name: str, events: int, syscall: str, timeout: float | None) -> bool:
        """Wait until `events` or cancel; True if ready, False on timeout. Emits a pending event."""
        self.journal.emit(Event("pending", sock=name, command=self.current_command, syscall=syscall))
        w = _Wait()
        with self._lock:
            self._pending.setdefault(name, []).append(w)
        try:
            p = select.poll()
            p.register(s.fileno(), events)
            p.register(w.efd, select.POLLIN)
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                left = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
                ready = p.poll(left)
                if any(fd == w.efd for fd, _ in ready):
                    raise _Cancelled(w.reason or "cancelled")
                if ready:
                    return True
                if deadline is not None and time.monotonic() >= deadline:
                    return False
        finally:
            with self._lock:
                lst = self._pending.get(name, [])
                if w in lst:
                    lst.remove(w)
                if not lst:
                    self._pending.pop(name, None)
            os.close(w.efd)

    def cancel(self, name: str | None = None, reason: str = "cancelled by the user") -> int:
        """Wake pending blocking calls (on `name`, or all). Returns how many were woken."""
        with self._lock:
            waits = [w for n, lst in self._pending.items() if name is None or n == name for w in lst]
        for w in waits:
            w.reason = reason
            with contextlib.suppress(OSError):
                os.eventfd_write(w.efd, 1)
        return len(waits)

    def pending(self) -> list[str]:
        with self._lock:
            return [n for n, lst in self._pending.items() if lst]

    def _cancelled(self, out: Outcome, reason: str) -> Outcome:
        out.errno = "EINTR"
        out.ret = -1
        out.error = f"The call was abandoned before it returned ({reason}); no data was taken from the socket."
        return out

    # ------------------------------------------------------------------ creation
    def socket(
        self,
        name: str,
        family: str | int = "inet",
        type: str | int = "stream",
        proto: str | int = 0,
        nonblock: bool = False,
        cloexec: bool = False,
    ) -> Outcome:
        """socket(2): a new socket called `name`."""
        self._check_name(name)
        fam = flags.lookup(family, flags.FAMILIES, "family")
        typ = flags.lookup(type, flags.TYPES, "type")
        if isinstance(proto, str) and fam.name == "AF_PACKET" and not proto.isdigit():
            proto_num, proto_name = socket.htons(0x0003), "htons(ETH_P_ALL)"
        else:
            pc = flags.lookup(proto if proto not in ("", None) else 0, flags.PROTOCOLS, "protocol")
            proto_num, proto_name = pc.value, pc.name
        tbits = typ.value | (flags.SOCK_NONBLOCK if nonblock else 0) | (flags.SOCK_CLOEXEC if cloexec else 0)
        tname = typ.name + ("|SOCK_NONBLOCK" if nonblock else "") + ("|SOCK_CLOEXEC" if cloexec else "")
        out = Outcome("socket", sock=name)
        args = [fam.name, tname, proto_name]
        try:
            fd = socket.socket(fam.value, tbits, proto_num).detach()
        except OSError as exc:
            self._fail(out, exc, None, family=fam.name, type=typ.name)
            out.trace = trace.call("socket", args, -1, out.errno)
            return self._emit(out)
        s = PlaySocket(fileno=fd, name=name)
        self._restore_blocking_mode(s, nonblock)
        out.ret = fd
        out.trace = trace.call("socket", args, fd, None)
        self._register(name, s)
        return self._emit(out)

    @staticmethod
    def _restore_blocking_mode(s: PlaySocket, nonblock: bool) -> None:
        # Python keeps its own timeout; make it "blocking, no timeout" so the fd's
        # O_NONBLOCK flag alone decides, as it does for a C program.
        s.settimeout(None)
        if nonblock:
            fl = _fcntl.fcntl(s.fileno(), _fcntl.F_GETFL)
            _fcntl.fcntl(s.fileno(), _fcntl.F_SETFL, fl | os.O_NONBLOCK)

    def socketpair(self, name1: str, name2: str, family: str | int = "unix", type: str | int = "stream") -> Outcome:
        """socketpair(2): two connected sockets."""
        self._check_name(name1)
        if name1 == name2:
            raise UsageError("socketpair needs two different names")
        self._check_name(name2)
        fam = flags.lookup(family, flags.FAMILIES, "family")
        typ = flags.lookup(type, flags.TYPES, "type")
        out = Outcome("socketpair", sock=name1)
        try:
            a, b = socket.socketpair(fam.value, typ.value)
        except OSError as exc:
            self._fail(out, exc, None, family=fam.name, type=typ.name)
            out.trace = trace.call("socketpair", [fam.name, typ.name, "0", "0x..."], -1, out.errno)
            return self._emit(out)
        sa = PlaySocket(fileno=a.detach(), name=name1, origin="socketpair")
        sb = PlaySocket(fileno=b.detach(), name=name2, origin="socketpair")
        for s in (sa, sb):
            self._restore_blocking_mode(s, False)
        out.ret = 0
        out.new_sockets = [name1, name2]
        out.value = [sa.fileno(), sb.fileno()]
        out.trace = trace.call("socketpair", [fam.name, typ.name, "0", f"[{sa.fileno()}, {sb.fileno()}]"], 0, None)
        self._register(name1, sa)
        self._register(name2, sb)
        return self._emit(out)

    def adopt_fd(self, fd: int, name: str | None = None, origin: str = "scm_rights", prefix: str = "r") -> str:
        """Make a received descriptor a named member of the playground."""
        with self._lock:
            name = self._new_name(name, prefix)
            try:
                obj: PlaySocket | PlainFd = PlaySocket(fileno=fd, name=name, origin=origin)
                obj.settimeout(None) if not obj.nonblocking() else None
            except OSError:
                obj = PlainFd(fd, name)
            self.sockets[name] = obj
        self._changed(added=[name])
        return name

    # ------------------------------------------------------------------ addresses
    def bind(self, name: str, addr: Any) -> Outcome:
        """bind(2): give the socket a local address."""
        s = self.get(name)
        sa = self.resolve_addr(addr, self._family(s))
        out = Outcome("bind", sock=name)
        text, length = addresses.strace_sockaddr(sa, self._family(s))
        try:
            s.bind(sa)
        except OSError as exc:
            self._fail(out, exc, s, address=addresses.format(sa, self._family(s)))
        else:
            out.ret = 0
            if s.family == socket.AF_UNIX and isinstance(sa, str):
                s.created_path = sa
                self._created_paths.append(os.path.abspath(sa))
            out.value = addresses.format(s.getsockname(), self._family(s))
        out.trace = trace.call("bind", [str(s.fileno()), text, str(length)], out.ret, out.errno)
        return self._emit(out)

    def listen(self, name: str, backlog: int = 128) -> Outcome:
        """listen(2): accept connections, with a queue of `backlog`."""
        s = self.get(name)
        backlog = limits.c_int(backlog, "backlog")
        out = Outcome("listen", sock=name)
        try:
            s.listen(backlog)
        except OSError as exc:
            self._fail(out, exc, s)
        else:
            out.ret = 0
            s.listening = True
        out.trace = trace.call("listen", [str(s.fileno()), str(backlog)], out.ret, out.errno)
        return self._emit(out)

    def connect(self, name: str, addr: Any, timeout: float | None = None) -> Outcome:
        """connect(2). On a blocking socket the wait is cancellable; nonblocking gives EINPROGRESS."""
        s = self.get(name)
        fam = self._family(s)
        sa = self.resolve_addr(addr, fam)
        out = Outcome("connect", sock=name)
        text, length = addresses.strace_sockaddr(sa, fam)
        args = [str(s.fileno()), text, str(length)]
        addr_text = addresses.format(sa, fam)
        fd = s.fileno()
        blocking = not s.nonblocking()
        if self._wire is not None:
            self._wire.before_send(name, sa, fam)
        try:
            if blocking and s.type == socket.SOCK_STREAM and fam in (socket.AF_INET, socket.AF_INET6):
                fl = _fcntl.fcntl(fd, _fcntl.F_GETFL)
                _fcntl.fcntl(fd, _fcntl.F_SETFL, fl | os.O_NONBLOCK)
                try:
                    rc = s.connect_ex(sa)
                    if rc == E.EINPROGRESS:
                        if timeout is None:
                            timeout = self._timeout_of(s, socket.SO_SNDTIMEO)
                        if not self._wait(s, name, select.POLLOUT, "connect", timeout):
                            rc = E.ETIMEDOUT if timeout else E.EINPROGRESS
                        else:
                            rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                            if rc == 0:
                                # A nonblocking connect leaves the socket "connecting" until connect()
                                # is called once more; do that so later calls see what a truly
                                # blocking connect leaves behind (a second connect gives EISCONN).
                                s.connect_ex(sa)
                finally:
                    with contextlib.suppress(OSError):
                        _fcntl.fcntl(fd, _fcntl.F_SETFL, fl)
                if rc:
                    raise OSError(rc, os.strerror(rc))
            else:
                s.connect(sa)
        except _Cancelled as c:
            self._cancelled(out, str(c))
        except OSError as exc:
            self._fail(out, exc, s, address=addr_text)
        else:
            out.ret = 0
        out.trace = trace.call("connect", args, out.ret, out.errno)
        return self._emit(out)

    def accept(self, name: str, newname: str | None = None, timeout: float | None = None) -> Outcome:
        """accept(2): the new connection joins the playground as `newname` (a1, a2... by default)."""
        s = self.get(name)
        if newname:
            self._check_name(newname)
        out = Outcome("accept", sock=name)
        fd = s.fileno()
        try:
            if self._accepting(s) and self._must_wait(s, select.POLLIN, 0):
                if timeout is None:
                    timeout = self._timeout_of(s, socket.SO_RCVTIMEO)
                if not self._wait(s, name, select.POLLIN, "accept", timeout):
                    raise OSError(E.EAGAIN, os.strerror(E.EAGAIN))
            conn_fd, peer = s._accept()  # type: ignore[attr-defined]
        except _Cancelled as c:
            self._cancelled(out, str(c))
            out.trace = trace.call("accept", [str(fd), "0x...", "0x..."], -1, out.errno)
            return self._emit(out)
        except OSError as exc:
            self._fail(out, exc, s, state="listening" if s.listening else "not listening")
            out.trace = trace.call("accept", [str(fd), "0x...", "0x..."], -1, out.errno)
            return self._emit(out)
        with self._lock:
            nm = self._new_name(newname, "a") if not newname else newname
            conn = PlaySocket(s.family, s.type, s.proto, fileno=conn_fd, name=nm, origin="accept")
            conn.settimeout(None)
            self.sockets[nm] = conn
        self._changed(added=[nm])
        fam = self._family(s)
        text, length = addresses.strace_sockaddr(peer, fam)
        out.ret = conn_fd
        out.address = addresses.format(peer, fam)
        out.new_sockets = [nm]
        out.value = nm
        out.trace = trace.call("accept", [str(fd), text, f"[{length}]"], conn_fd, None)
        return self._emit(out)

    def getsockname(self, name: str) -> Outcome:
        return self._name_call(name, "getsockname")

    def getpeername(self, name: str) -> Outcome:
        return self._name_call(name, "getpeername")

    def _name_call(self, name: str, syscall: str) -> Outcome:
        s = self.get(name)
        out = Outcome(syscall, sock=name)
        fam = self._family(s)
        try:
            sa = getattr(s, syscall)()
        except OSError as exc:
            self._fail(out, exc, s)
            out.trace = trace.call(syscall, [str(s.fileno()), "0x...", "0x..."], -1, out.errno)
        else:
            out.ret = 0
            out.value = addresses.format(sa, fam)
            out.address = out.value
            text, length = addresses.strace_sockaddr(sa, fam)
            out.trace = trace.call(syscall, [str(s.fileno()), text, f"[{length}]"], 0, None)
        return self._emit(out)

    # ------------------------------------------------------------------ data
    def _data(self, data: Any) -> bytes:
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        if isinstance(data, str):
            return limits.text(data, "data").encode()
        raise UsageError(f"data must be bytes or text, not {type(data).__name__}")

    def send(self, name: str, data: Any, flags: Any = None, timeout: float | None = None) -> Outcome:
        """send(2) (strace shows it as sendto with no address)."""
        return self._send(name, None, data, flags, timeout, "send")

    def sendto(self, name: str, addr: Any, data: Any, flags: Any = None, timeout: float | None = None) -> Outcome:
        """sendto(2): send to `addr` (needed on unconnected datagram sockets)."""
        return self._send(name, addr, data, flags, timeout, "sendto")

    def _send(self, name: str, addr: Any, data: Any, flag_words: Any, timeout: float | None, syscall: str) -> Outcome:
        s = self.get(name)
        payload = self._data(data)
        bits = flags.msg_flags_value(flag_words)
        fam = self._family(s)
        sa = self.resolve_addr(addr, fam) if addr is not None else None
        out = Outcome(syscall, sock=name)
        if sa is not None:
            if self._wire is not None:
                self._wire.before_send(name, sa, fam)
            text, length = addresses.strace_sockaddr(sa, fam)
            tail = [text, str(length)]
        else:
            tail = ["NULL", "0"]
        args = [str(s.fileno()), trace.string(payload), str(len(payload)), flags.bits_names(bits, flags.MSG_FLAGS)] + tail
        try:
            if self._must_wait(s, select.POLLOUT, bits):
                if timeout is None:
                    timeout = self._timeout_of(s, socket.SO_SNDTIMEO)
                if not self._wait(s, name, select.POLLOUT, syscall, timeout):
                    bits_call = bits | flags.msg_flag("dontwait").value
                else:
                    bits_call = bits
            else:
                bits_call = bits
            n = s.sendto(payload, bits_call, sa) if sa is not None else s.send(payload, bits_call)
        except _Cancelled as c:
            self._cancelled(out, str(c))
        except OSError as exc:
            self._fail(out, exc, s, flags=flags.bits_list(bits, flags.MSG_FLAGS),
                       address=addresses.format(sa, fam) if sa else None)
        else:
            out.ret = n
            if n < len(payload):
                out.notes.append(f"only {n} of {len(payload)} bytes fit in the send buffer")
        out.trace = trace.call("sendto", args, out.ret, out.errno)
        return self._emit(out)

    def recv(self, name: str, size: Any = DEFAULT_RECV, flags: Any = None, timeout: float | None = None) -> Outcome:
        """recv(2) (strace shows it as recvfrom with NULL address)."""
        return self._recv(name, size, flags, timeout, "recv")

    def recvfrom(self, name: str, size: Any = DEFAULT_RECV, flags: Any = None, timeout: float | None = None) -> Outcome:
        """recvfrom(2): also reports who sent the data."""
        return self._recv(name, size, flags, timeout, "recvfrom")

    def _prepare_recv(self, s: PlaySocket, name: str, bits: int, timeout: float | None, syscall: str) -> int:
        """Wait (cancellably) when the call would block; returns the flags for the real call."""
        if not self._must_wait(s, select.POLLIN | select.POLLPRI, bits) or self._accepting(s):
            return bits  # a listener has nothing to read: let the kernel say so at once
        if timeout is None:
            timeout = self._timeout_of(s, socket.SO_RCVTIMEO)
        events = select.POLLIN | (select.POLLPRI if bits & 1 else 0)
        if self._wait(s, name, events, syscall, timeout):
            return bits
        return bits | flags.msg_flag("dontwait").value  # the kernel then says EAGAIN itself

    def _recv(self, name: str, size: Any, flag_words: Any, timeout: float | None, syscall: str) -> Outcome:
        s = self.get(name)
        size = limits.recv_size(size)
        bits = flags.msg_flags_value(flag_words)
        fam = self._family(s)
        out = Outcome(syscall, sock=name)
        out.peeked = bool(bits & 2)
        fd = s.fileno()
        buf = bytearray(size)
        try:
            call_bits = self._prepare_recv(s, name, bits, timeout, syscall)
            if syscall == "recv":
                n = s.recv_into(buf, size, call_bits)
                peer = None
            else:
                n, peer = s.recvfrom_into(buf, size, call_bits)
        except _Cancelled as c:
            self._cancelled(out, str(c))
            out.trace = trace.call("recvfrom", [str(fd), "0x...", str(size), flags.bits_names(bits, flags.MSG_FLAGS), "NULL", "NULL"], -1, out.errno)
            return self._emit(out)
        except OSError as exc:
            self._fail(out, exc, s, flags=flags.bits_list(bits, flags.MSG_FLAGS))
            out.trace = trace.call("recvfrom", [str(fd), "0x...", str(size), flags.bits_names(bits, flags.MSG_FLAGS), "NULL", "NULL"], -1, out.errno)
            return self._emit(out)
        out.ret = n
        stream = s.type == socket.SOCK_STREAM
        if bits & 0x20 and stream:
            out.data = b""
            out.notes.append("MSG_TRUNC on a stream socket throws the bytes away without copying them")
        else:
            out.data = bytes(buf[: min(n, size)])
            if n > size:
                out.notes.append(f"the datagram was {n} bytes; only {size} fit in the buffer (MSG_TRUNC)")
        if peer is not None:
            out.address = addresses.format(peer, fam) if peer else None
            text, length = addresses.strace_sockaddr(peer, fam) if peer else ("NULL", 0)
            tail = [text, f"[{length}]"] if peer else ["NULL", "NULL"]
        else:
            tail = ["NULL", "NULL"]
        shown = out.data
        out.trace_fn = lambda o: trace.call(
            "recvfrom", [str(fd), trace.string(shown), str(size), flags.bits_names(bits, flags.MSG_FLAGS), *tail], o.ret, o.errno
        )
        return self._emit(out)

    # ------------------------------------------------------------------ recvmsg / sendmsg
    def recvmsg(self, name: str, size: Any = DEFAULT_RECV, flags: Any = None, anc: Any = DEFAULT_ANC,
                timeout: float | None = None) -> Outcome:
        """recvmsg(2) with a control buffer of `anc` bytes; every control message is decoded.

        Received SCM_RIGHTS descriptors join the playground (r1, r2...) and are
        listed in `new_sockets`. MSG_TRUNC/MSG_CTRUNC returned by the kernel are
        in `msg_flags`. This is the hot path of a drained flood: no syscall but
        recvmsg itself on a datagram socket, and the trace line is built lazily.
        """
        s = self.sockets.get(name)
        if type(s) is not PlaySocket:
            s = self.get(name)
        size = limits.recv_size(size)
        anc = limits.anc_size(anc)
        bits = _flag_bits(flags)
        out = Outcome("recvmsg", name)
        out.peeked = bool(bits & _MSG_PEEK)
        d = s.__dict__
        stype = d.get("_sp_type")
        if stype is None:
            stype = d["_sp_type"] = int(s.type)  # socket.type builds an enum on every read
        try:
            if not bits & _MSG_TRUNC and (bits & (_MSG_DONTWAIT | _MSG_ERRQUEUE) or stype == _DGRAM):
                # The hot path. Datagrams: try at once without blocking and wait (cancellably)
                # only on EAGAIN: one syscall when data is there, same result as a blocking call.
                try:
                    data, ancl, rflags, addr = s.recvmsg(size, anc, bits | _MSG_DONTWAIT)
                except BlockingIOError:
                    if bits & (_MSG_DONTWAIT | _MSG_ERRQUEUE) or s.nonblocking():
                        raise
                    data, ancl, rflags, addr = self._recvmsg_blocking(s, name, size, anc, bits, timeout)
                n = len(data)
            elif stype != socket.SOCK_STREAM and stype != socket.SOCK_SEQPACKET:
                n, data, ancl, rflags, addr = self._recvmsg_call(s, size, anc, bits | _MSG_DONTWAIT, bits)
            else:
                n, data, ancl, rflags, addr = self._recvmsg_call(
                    s, size, anc, self._prepare_recv(s, name, bits, timeout, "recvmsg"), bits)
        except BlockingIOError as exc:
            if bits & (_MSG_DONTWAIT | _MSG_ERRQUEUE) or s.nonblocking():
                return self._recvmsg_error(out, s, exc, size, anc, bits)
            try:  # MSG_TRUNC on a blocking datagram socket with nothing queued yet
                n, data, ancl, rflags, addr = self._recvmsg_call(
                    s, size, anc, self._prepare_recv(s, name, bits, timeout, "recvmsg"), bits)
            except _Cancelled as c:
                return self._recvmsg_error(out, s, c, size, anc, bits)
            except OSError as exc2:
                return self._recvmsg_error(out, s, exc2, size, anc, bits)
        except (_Cancelled, OSError) as exc:
            return self._recvmsg_error(out, s, exc, size, anc, bits)
        out.ret = n
        out.data = data
        if addr:
            out.address = d["_sp_peer_text"] if d.get("_sp_peer") == addr else self._peer_text(s, addr)
        if ancl:
            ctx = cmsg.Ctx(self, s, bits)
            cmsg.decode_into(out.cmsgs, ancl, ctx)
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
        if n > size:
            out.notes.append(f"the datagram was {n} bytes; only {size} fit in the buffer (MSG_TRUNC)")
        out.trace_fn = _RecvmsgTrace(s.fileno(), d.get("_sp_family") or self._family_cached(s), size, anc, bits,
                                     addr, tuple(ancl) if ancl else (), rflags)
        self.journal.emit(Event("call", name, getattr(self._local, "command", None), out))
        w = self._watcher
        if w is not None:
            w.poke()
        return out

    def _recvmsg_blocking(self, s: PlaySocket, name: str, size: int, anc: int, bits: int,
                          timeout: float | None) -> tuple[bytes, list, int, Any]:
        if timeout is None:
            timeout = self._timeout_of(s, socket.SO_RCVTIMEO)
        events = select.POLLIN | (select.POLLPRI if bits & _MSG_OOB else 0)
        ready = self._wait(s, name, events, "recvmsg", timeout)
        return s.recvmsg(size, anc, bits if ready else bits | _MSG_DONTWAIT)

    @staticmethod
    def _family_cached(s: PlaySocket) -> int:
        fam = s.__dict__["_sp_family"] = int(s.family)
        return fam

    def _recvmsg_error(self, out: Outcome, s: PlaySocket, exc: BaseException, size: int, anc: int,
                       bits: int) -> Outcome:
        if isinstance(exc, _Cancelled):
            self._cancelled(out, str(exc))
        else:
            self._fail(out, exc, s, flags=flags_mod.bits_list(bits, flags_mod.MSG_FLAGS))  # type: ignore[arg-type]
        out.trace = self._recvmsg_failed_trace(s.fileno(), size, anc, bits, out.errno)
        return self._emit(out)

    def _recvmsg_call(self, s: PlaySocket, size: int, anc: int, call_bits: int,
                      bits: int) -> tuple[int, bytes, list, int, Any]:
        if bits & _MSG_TRUNC:
            # Python's recvmsg would pad the bytes out to the real length: read into a buffer.
            buf = bytearray(size)
            n, ancl, rflags, addr = s.recvmsg_into([buf], anc, call_bits)
            data = b"" if self._stype(s) == socket.SOCK_STREAM else bytes(buf[: min(n, size)])
            return n, data, ancl, rflags, addr
        data, ancl, rflags, addr = s.recvmsg(size, anc, call_bits)
        return len(data), data, ancl, rflags, addr

    @staticmethod
    def _stype(s: PlaySocket) -> int:
        """The socket type, cached on the object (socket.type builds an enum on every read)."""
        t = s.__dict__.get("_sp_type")
        if t is None:
            t = s.__dict__["_sp_type"] = int(s.type)
        return t

    def _peer_text(self, s: PlaySocket, addr: Any) -> str:
        """Address text of a sender, remembering the last one (a flood comes from one peer)."""
        d = s.__dict__
        if d.get("_sp_peer") == addr:
            return d["_sp_peer_text"]
        text = addresses.format(addr, int(s.family))
        d["_sp_peer"] = addr
        d["_sp_peer_text"] = text
        return text

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
        sa = self.resolve_addr(to, fam) if to not in (None, "") else None
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
        out = Outcome("sendmsg", sock=name)
        fd = s.fileno()
        if sa is not None and self._wire is not None:
            self._wire.before_send(name, sa, fam)
        try:
            call_bits = bits
            if self._must_wait(s, select.POLLOUT, bits):
                if timeout is None:
                    timeout = self._timeout_of(s, socket.SO_SNDTIMEO)
                if not self._wait(s, name, select.POLLOUT, "sendmsg", timeout):
                    call_bits = bits | _MSG_DONTWAIT
            n = s.sendmsg([payload], anc, call_bits, sa) if sa is not None else s.sendmsg([payload], anc, call_bits)
        except _Cancelled as c:
            self._cancelled(out, str(c))
        except OSError as exc:
            self._fail(out, exc, s, flags=flags_mod.bits_list(bits, flags_mod.MSG_FLAGS),
                       address=addresses.format(sa, fam) if sa else None,
                       cmsgs=[cmsg.BY_KEY[(lv, t)].name if (lv, t) in cmsg.BY_KEY else f"{lv}/{t}" for lv, t, _ in anc])
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
    def setsockopt(self, name: str, option: str, value: Any) -> Outcome:
        """setsockopt(2); the Outcome's value is what the kernel reports back afterwards."""
        s = self.get(name)
        row = catalog.option(option)
        c = codecs.codec(row.kind)
        payload = c.encode(value)
        keep = None
        if isinstance(payload, getattr(codecs, "Encoded", ())):
            keep, payload = payload, payload.raw
        out = Outcome("setsockopt", sock=name)
        out.notes.append(f"asked {value}")
        lvl = trace.LEVEL_NAMES.get(row.level_number, row.level)
        arg = c.strace(payload) if isinstance(payload, bytes) else f"[{payload}]"
        length = len(payload) if isinstance(payload, bytes) else 4
        try:
            s.setsockopt(row.level_number, row.number, payload)
        except OSError as exc:
            self._fail(out, exc, s, option=row.name, option_access=row.access, option_privilege=row.privilege)
        else:
            out.ret = 0
            if row.readable and row.name != "SO_ERROR":
                with contextlib.suppress(OSError, UsageError, struct.error, ValueError):
                    out.value = c.decode(_read_option(s, row, c))
            warn = self._too_late(s, row)
            if warn:
                out.notes.append(warn)
        del keep
        out.trace = trace.call("setsockopt", [str(s.fileno()), lvl, row.name, arg, str(length)], out.ret, out.errno)
        return self._emit(out)

    def _too_late(self, s: PlaySocket, row: catalog.OptionRow) -> str | None:
        if not row.before:
            return None
        try:
            if row.before == "bind" and s.family != socket.AF_UNIX and s.getsockname()[1] != 0:
                return f"{row.name} matters before bind(); this socket is already bound, so it may have no effect"
            if row.before in ("connect", "listen"):
                with contextlib.suppress(OSError):
                    s.getpeername()
                    return f"{row.name} matters before {row.before}(); this socket is already connected"
                if s.listening:
                    return f"{row.name} matters before {row.before}(); this socket is already listening"
        except (OSError, IndexError, TypeError):
            return None
        return None

    def getsockopt(self, name: str, option: str) -> Outcome:
        """getsockopt(2), decoded by the option's codec."""
        s = self.get(name)
        row = catalog.option(option)
        c = codecs.codec(row.kind)
        out = Outcome("getsockopt", sock=name)
        lvl = trace.LEVEL_NAMES.get(row.level_number, row.level)
        try:
            raw = _read_option(s, row, c)
        except OSError as exc:
            self._fail(out, exc, s, option=row.name, option_access=row.access, option_privilege=row.privilege)
            out.trace = trace.call("getsockopt", [str(s.fileno()), lvl, row.name, "0x...", f"[{c.size}]"], -1, out.errno)
            return self._emit(out)
        out.ret = 0
        out.value = c.decode(raw)
        shown = c.strace(raw) if isinstance(raw, bytes) else f"[{raw}]"
        length = len(raw) if isinstance(raw, bytes) else 4
        out.trace = trace.call("getsockopt", [str(s.fileno()), lvl, row.name, shown, f"[{length}]"], 0, None)
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
        out = Outcome("shutdown", sock=name)
        try:
            s.shutdown(h)
        except OSError as exc:
            self._fail(out, exc, s)
        else:
            out.ret = 0
        out.trace = trace.call("shutdown", [str(s.fileno()), SHUT_NAMES.get(h, str(h))], out.ret, out.errno)
        return self._emit(out)

    def close(self, name: str) -> Outcome:
        """close(2). A call waiting on this socket in another thread is woken first."""
        with self._lock:
            obj = self.sockets.get(name)
            if obj is None:
                self.get(name)  # raises the helpful UsageError
        if self.cancel(name, reason="the socket was closed"):
            deadline = time.monotonic() + 0.5  # let woken waiters leave poll(), which holds the file
            while name in self._pending and time.monotonic() < deadline:
                time.sleep(0.002)
        if self._watcher is not None:
            self._watcher.release(name)  # the close must take effect now, not when a poll returns
        fd = obj.fileno()
        out = Outcome("close", sock=name)
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
        return self._emit(out)

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
        """One-shot poll(2) over the named sockets (all when none named); timeout in ms."""
        names = list(names) if names else [n for n, o in self.sockets.items() if o.fileno() >= 0]
        objs = [self.sockets.get(n) or self.get(n) for n in names]
        mask = flags.poll_mask(events)
        timeout_ms = limits.c_int(timeout, "timeout (ms)")
        p = select.poll()
        fds = []
        for o in objs:
            fd = o.fileno()
            fds.append(fd)
            p.register(fd, mask)
        out = Outcome("poll", sock=names[0] if len(names) == 1 else None)
        w = _Wait()
        key = names[0] if len(names) == 1 else "*poll*"
        with self._lock:
            self._pending.setdefault(key, []).append(w)
        p.register(w.efd, select.POLLIN)
        try:
            if timeout_ms != 0:
                self.journal.emit(Event("pending", sock=out.sock, command=self.current_command, syscall="poll"))
            ready = p.poll(None if timeout_ms < 0 else timeout_ms)
        except OSError as exc:
            self._fail(out, exc, None)
            ready = []
        finally:
            with self._lock:
                lst = self._pending.get(key, [])
                if w in lst:
                    lst.remove(w)
                if not lst:
                    self._pending.pop(key, None)
            os.close(w.efd)
        if any(fd == w.efd for fd, _ in ready):
            self._cancelled(out, w.reason or "cancelled")
        by_fd = {fd: ev for fd, ev in ready if fd != w.efd}
        value = {n: flags.bits_list(by_fd.get(fd, 0), flags.POLL_BITS) for n, fd in zip(names, fds, strict=True)}
        if out.errno is None:
            out.ret = len(by_fd)
            out.value = value
        ev_name = flags.bits_names(mask, flags.POLL_BITS)
        arg = "[" + ", ".join(f"{{fd={fd}, events={ev_name}}}" for fd in fds) + "]"
        got = "[" + ", ".join(f"{{fd={fd}, revents={flags.bits_names(ev, flags.POLL_BITS)}}}" for fd, ev in by_fd.items()) + "]"
        out.trace = trace.call("poll", [arg, str(len(fds)), str(timeout_ms)], out.ret, out.errno, f"({got})" if by_fd else "(Timeout)")
        return self._emit(out)

    def fcntl(self, name: str, op: str, value: Any = None) -> Outcome:
        """fcntl(2): nonblock on|off, async on|off, setown [PID], getown, getfl."""
        s = self.get(name)
        fd = s.fileno()
        op_l = op.lower()
        out = Outcome("fcntl", sock=name)
        try:
            if op_l in ("nonblock", "async"):
                bit = os.O_NONBLOCK if op_l == "nonblock" else os.O_ASYNC
                on = bool(codecs.parse_int(True if value is None else value, op_l))
                fl = _fcntl.fcntl(fd, _fcntl.F_GETFL)
                new = (fl | bit) if on else (fl & ~bit)
                _fcntl.fcntl(fd, _fcntl.F_SETFL, new)
                out.ret = 0
                out.value = on
                if op_l == "async" and on:
                    self._signal_note(out)
                args = [str(fd), "F_SETFL", _fl_names(new)]
            elif op_l == "setown":
                pid = self.pid if value in (None, "") else limits.c_int(value, "pid")
                out.ret = _fcntl.fcntl(fd, _fcntl.F_SETOWN, pid)
                out.value = pid
                args = [str(fd), "F_SETOWN", str(pid)]
            elif op_l == "getown":
                out.ret = _fcntl.fcntl(fd, _fcntl.F_GETOWN)
                out.value = out.ret
                args = [str(fd), "F_GETOWN"]
            elif op_l == "getfl":
                out.ret = _fcntl.fcntl(fd, _fcntl.F_GETFL)
                out.value = _fl_names(out.ret)
                args = [str(fd), "F_GETFL"]
            elif op_l == "setsig":
                sig = limits.c_int(value or 0, "signal")
                out.ret = _fcntl.fcntl(fd, 10, sig)  # F_SETSIG
                out.value = sig
                args = [str(fd), "F_SETSIG", str(sig)]
            else:
                raise UsageError(f"fcntl {op!r}: expected nonblock on|off, async on|off, setown [PID], getown, getfl or setsig SIG")
        except OSError as exc:
            self._fail(out, exc, s)
            args = [str(fd), op_l.upper()]
        extra = f"({out.value})" if op_l == "getfl" and out.errno is None else ""
        out.trace = trace.call("fcntl", args, out.ret, out.errno, extra)
        return self._emit(out)

    # ------------------------------------------------------------------ ioctl / sysctl
    def ioctl(self, name: str, request: str | int, value: Any = None) -> Outcome:
        """ioctl(2) with a request from sockplay.core.ioctls (SIOCINQ, SIOCGSTAMP, FIOASYNC...)."""
        s = self.get(name)
        row = ioctls.ioctl(request)
        fd = s.fileno()
        out = Outcome("ioctl", sock=name)
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
        """Read a /proc/sys/net/core value (`value` an int), or all of them as a dict when `key` is None."""
        out = Outcome("sysctl")
        rows = sysctl.SYSCTLS if key in (None, "") else (sysctl.row(key),)
        values: dict[str, Any] = {}
        traces = []
        for r in rows:
            try:
                raw, v = sysctl.read(r)
            except OSError as exc:
                if key not in (None, ""):
                    self._fail(out, exc, None, path=r.path)
                    out.trace = trace.call("read", [f'"{r.path}"'], -1, out.errno)
                    return self._emit(out)
                values[r.key] = None
                continue
            values[r.key] = v
            traces.append(trace.call("read", [f'"{r.path}"', trace.string(raw.encode())], len(raw), None))
        out.ret = 0
        if key in (None, ""):
            out.value = values
            out.notes = [f"{r.key} = {values[r.key]} {r.unit}" for r in rows]
        else:
            r = rows[0]
            out.value = values[r.key]
            out.notes = [f"{r.key} ({r.unit}): {r.help}"]
        out.trace = traces[0] if len(traces) == 1 else f"read(\"{sysctl.BASE}/*\") = {len(traces)} values"
        return self._emit(out)

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
        """A SIGIO or SIGURG arrived (called on the signals thread): say which sockets it is about."""
        with self._lock:
            items = [(n, o) for n, o in self.sockets.items() if isinstance(o, PlaySocket)]
        cands: dict[str, int] = {}
        for n, o in items:
            fd = o.fileno()
            if fd < 0:
                continue
            try:
                if signame == "SIGIO" and not _fcntl.fcntl(fd, _fcntl.F_GETFL) & os.O_ASYNC:
                    continue
                if signame == "SIGURG" and not _fcntl.fcntl(fd, _fcntl.F_GETOWN):
                    continue
            except OSError:
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
        for n in names:
            self.get(n)
        with self._lock:
            cap = self._wire or Capture(self)
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
    def info(self, name: str) -> dict[str, Any]:
        """What a socket list shows: family, type, addresses, TCP state, blocking mode."""
        obj = self.sockets.get(name)
        if obj is None:
            self.get(name)
        if isinstance(obj, PlainFd):
            return {"name": name, "kind": "fd", "fd": obj.fileno(), "family": "", "type": "",
                    "local": obj.describe(), "peer": "", "state": "", "nonblocking": False}
        s: PlaySocket = obj  # type: ignore[assignment]
        d: dict[str, Any] = {"name": name, "kind": "socket", "fd": s.fileno()}
        try:
            fam = self._family(s)
            d["family"] = flags.const_name(fam, flags.FAMILIES)
            d["type"] = flags.const_name(int(s.type), flags.TYPES)
            d["nonblocking"] = s.nonblocking()
            try:
                d["local"] = addresses.format(s.getsockname(), fam)
            except OSError:
                d["local"] = ""
            try:
                d["peer"] = addresses.format(s.getpeername(), fam)
            except OSError:
                d["peer"] = ""
            d["state"] = tcp_state(s) if s.type == socket.SOCK_STREAM and fam != socket.AF_UNIX else (
                "LISTEN" if s.listening else "")
        except OSError:
            d.update(family="", type="", local="", peer="", state="CLOSED", nonblocking=False)
        return d

    def __enter__(self) -> Playground:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()


def _read_option(s: socket.socket, row: catalog.OptionRow, c: codecs.Codec) -> Any:
    """getsockopt through the codec: some options size their buffer themselves (SO_GET_FILTER, SO_PEERNAME)."""
    if c.read is not None:
        return c.read(s.fileno(), row.level_number, row.number)
    if c.size:
        return s.getsockopt(row.level_number, row.number, c.size)
    return s.getsockopt(row.level_number, row.number)


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
    """The struct msghdr as strace prints it."""
    if sa:
        text, length = addresses.strace_sockaddr(sa, fam)
        name = f"msg_name={text}, msg_namelen={length}"
    else:
        name = "msg_name=NULL, msg_namelen=0"
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
