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

from sockplay.core import addresses, catalog, codecs, errnos, flags, trace
from sockplay.core.errors import UsageError, did_you_mean
from sockplay.core.journal import Event, Journal
from sockplay.core.outcome import Outcome
from sockplay.core.sockets import NAME_RE, PlainFd, PlaySocket, tcp_state

SHUT = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}
SHUT_NAMES = {v: f"SHUT_{k.upper()}" for k, v in SHUT.items()}
DEFAULT_RECV = 65536


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

    def __init__(self, journal_cap: int = 100_000, journal: Journal | None = None) -> None:
        self.journal = journal if journal is not None else Journal(cap=journal_cap)
        self.sockets: dict[str, PlaySocket | PlainFd] = {}
        self._lock = threading.RLock()
        self._local = threading.local()
        self._pending: dict[str, list[_Wait]] = {}
        self._created_paths: list[str] = []
        self._listeners: list[Any] = []  # callables told when the socket set changes (the watcher)
        self.pid = os.getpid()

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
        self.journal.emit(Event("call", sock=out.sock, command=self.current_command, outcome=out))
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

    def _fd(self, s: socket.socket) -> int:
        return s.fileno()

    def _family(self, s: socket.socket) -> int:
        return int(s.family)

    def resolve_addr(self, addr: Any, family: int) -> Any:
        """Address text (or another socket's name, meaning its local address) to a sockaddr."""
        if isinstance(addr, str) and addr in self.sockets:
            other = self.sockets[addr]
            if isinstance(other, PlaySocket):
                local = other.getsockname()
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
        backlog = codecs.parse_int(backlog, "backlog")
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
            if self._must_wait(s, select.POLLIN, 0):
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
            return data.encode()
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
        if not self._must_wait(s, select.POLLIN | select.POLLPRI, bits):
            return bits
        if timeout is None:
            timeout = self._timeout_of(s, socket.SO_RCVTIMEO)
        events = select.POLLIN | (select.POLLPRI if bits & 1 else 0)
        if self._wait(s, name, events, syscall, timeout):
            return bits
        return bits | flags.msg_flag("dontwait").value  # the kernel then says EAGAIN itself

    def _recv(self, name: str, size: Any, flag_words: Any, timeout: float | None, syscall: str) -> Outcome:
        s = self.get(name)
        size = codecs.parse_int(size, "size")
        if size < 0:
            raise UsageError(f"size {size} is negative; expected a byte count such as 2 or 4096")
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
            h = int(how)
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
        self.cancel(name, reason="the socket was closed")
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
        for name in list(self.sockets):
            with contextlib.suppress(Exception):
                self.close(name)
        for path in self._created_paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
        self._created_paths.clear()
        self.journal.flush()

    # ------------------------------------------------------------------ poll / fcntl
    def poll(self, names: Sequence[str] | None = None, timeout: Any = 0, events: Any = None) -> Outcome:
        """One-shot poll(2) over the named sockets (all when none named); timeout in ms."""
        names = list(names) if names else [n for n, o in self.sockets.items() if o.fileno() >= 0]
        objs = [self.sockets.get(n) or self.get(n) for n in names]
        mask = flags.poll_mask(events)
        timeout_ms = codecs.parse_int(timeout, "timeout")
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
                args = [str(fd), "F_SETFL", _fl_names(new)]
            elif op_l == "setown":
                pid = self.pid if value in (None, "") else codecs.parse_int(value, "pid")
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
                sig = codecs.parse_int(value or 0, "signal")
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
