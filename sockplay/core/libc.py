"""Socket syscalls through libc (ctypes), one call each, errno handed back as it came.

Why not Python's socket methods: on a blocking socket they retry after EINTR
(PEP 475), so a signal can never interrupt them, and several of them make calls
of their own (socket() without family/type probes the kernel, settimeout does
ioctl FIONBIO). A ctypes call on libc releases the GIL, makes exactly the one
syscall and returns -1 with errno, EINTR included. Each function here returns
`(ret, errno)`; errno is 0 when the call succeeded.

Addresses are packed and unpacked here too (sockaddr_in, sockaddr_in6,
sockaddr_un), to and from the same Python values the socket module uses, so
the rest of the engine (addresses.format, strace_sockaddr) is unchanged.
"""

from __future__ import annotations

import ctypes
import socket
import struct
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)
_get_errno = ctypes.get_errno
_c_int, _c_void_p, _c_size_t, _c_ssize_t = ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_ssize_t
_c_uint = ctypes.c_uint


def _fn(name: str, restype: Any, *argtypes: Any) -> Any:
    f = getattr(_libc, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_socket = _fn("socket", _c_int, _c_int, _c_int, _c_int)
_socketpair = _fn("socketpair", _c_int, _c_int, _c_int, _c_int, ctypes.POINTER(_c_int))
_bind = _fn("bind", _c_int, _c_int, ctypes.c_char_p, _c_uint)
_listen = _fn("listen", _c_int, _c_int, _c_int)
_connect = _fn("connect", _c_int, _c_int, ctypes.c_char_p, _c_uint)
_accept4 = _fn("accept4", _c_int, _c_int, _c_void_p, ctypes.POINTER(_c_uint), _c_int)
_recvfrom = _fn("recvfrom", _c_ssize_t, _c_int, _c_void_p, _c_size_t, _c_int, _c_void_p, ctypes.POINTER(_c_uint))
_sendto = _fn("sendto", _c_ssize_t, _c_int, ctypes.c_char_p, _c_size_t, _c_int, ctypes.c_char_p, _c_uint)
_recvmsg = _fn("recvmsg", _c_ssize_t, _c_int, _c_void_p, _c_int)
_sendmsg = _fn("sendmsg", _c_ssize_t, _c_int, _c_void_p, _c_int)
_poll = _fn("poll", _c_int, _c_void_p, ctypes.c_ulong, _c_int)
_getsockopt = _fn("getsockopt", _c_int, _c_int, _c_int, _c_int, _c_void_p, ctypes.POINTER(_c_uint))
_setsockopt = _fn("setsockopt", _c_int, _c_int, _c_int, _c_int, ctypes.c_char_p, _c_uint)
_getsockname = _fn("getsockname", _c_int, _c_int, _c_void_p, ctypes.POINTER(_c_uint))
_getpeername = _fn("getpeername", _c_int, _c_int, _c_void_p, ctypes.POINTER(_c_uint))
_fcntl = _fn("fcntl", _c_int, _c_int, _c_int, ctypes.c_long)
_syscall = _fn("syscall", ctypes.c_long, ctypes.c_long, ctypes.c_long, ctypes.c_long, ctypes.c_long)
SYS_FCNTL = 72  # x86-64

SOCK_CLOEXEC = 0o2000000
SOCKADDR_MAX = 128  # sizeof(struct sockaddr_storage)
_CMSG_HDR = struct.Struct("@Nii")  # cmsg_len (size_t), cmsg_level, cmsg_type


def _res(ret: int) -> tuple[int, int]:
    return (ret, 0) if ret >= 0 else (-1, _get_errno())


# ---------------------------------------------------------------- addresses
def pack_sockaddr(addr: Any, family: int) -> bytes:
    """A Python socket-module address as the bytes of a struct sockaddr_*."""
    if family == socket.AF_INET:
        host, port = addr[0], addr[1]
        return struct.pack("=H", family) + struct.pack("!H", port) + socket.inet_pton(family, host) + bytes(8)
    if family == socket.AF_INET6:
        host, port = addr[0], addr[1]
        flow = addr[2] if len(addr) > 2 else 0
        scope = addr[3] if len(addr) > 3 else 0
        return (struct.pack("=H", family) + struct.pack("!HI", port, flow)
                + socket.inet_pton(family, host.split("%")[0]) + struct.pack("=I", scope))
    if family == socket.AF_UNIX:
        raw = addr.encode() if isinstance(addr, str) else bytes(addr)
        if raw and not raw.startswith(b"\0"):
            raw += b"\0"  # a path is NUL-terminated; an abstract name counts exactly its bytes
        return struct.pack("=H", family) + raw
    raise ValueError(f"no sockaddr packing for family {family}")


def unpack_sockaddr(raw: bytes, family: int) -> Any:
    """What Python's socket module would return for these sockaddr bytes."""
    if not raw:
        return None
    if len(raw) < 2:
        return "" if family == socket.AF_UNIX else None
    fam = struct.unpack_from("=H", raw)[0]
    if fam == socket.AF_INET and len(raw) >= 8:
        return (socket.inet_ntop(fam, raw[4:8]), struct.unpack_from("!H", raw, 2)[0])
    if fam == socket.AF_INET6 and len(raw) >= 28:
        port, flow = struct.unpack_from("!HI", raw, 2)
        return (socket.inet_ntop(fam, raw[8:24]), port, flow, struct.unpack_from("=I", raw, 24)[0])
    if fam == socket.AF_UNIX:
        path = raw[2:]
        if path.startswith(b"\0"):
            return path
        return path.split(b"\0", 1)[0].decode(errors="surrogateescape")
    return raw


def supported(family: int) -> bool:
    return family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX)


# ---------------------------------------------------------------- calls
def socket_(family: int, type_: int, proto: int) -> tuple[int, int]:
    return _res(_socket(family, type_, proto))


def socketpair(family: int, type_: int, proto: int) -> tuple[int, int, tuple[int, int]]:
    fds = (_c_int * 2)()
    ret, err = _res(_socketpair(family, type_, proto, fds))
    return ret, err, (fds[0], fds[1])


def bind(fd: int, sa: bytes) -> tuple[int, int]:
    return _res(_bind(fd, sa, len(sa)))


def listen(fd: int, backlog: int) -> tuple[int, int]:
    return _res(_listen(fd, backlog))


def connect(fd: int, sa: bytes) -> tuple[int, int]:
    return _res(_connect(fd, sa, len(sa)))


def accept4(fd: int, flags: int) -> tuple[int, int, bytes]:
    buf = ctypes.create_string_buffer(SOCKADDR_MAX)
    ln = _c_uint(SOCKADDR_MAX)
    ret, err = _res(_accept4(fd, buf, ctypes.byref(ln), flags))
    return ret, err, buf.raw[: min(ln.value, SOCKADDR_MAX)] if ret >= 0 else b""


def recvfrom(fd: int, buf: Any, size: int, flags: int, want_addr: bool) -> tuple[int, int, bytes | None]:
    """recvfrom into `buf` (a ctypes buffer); the sender's address bytes when asked for."""
    if not want_addr:
        return (*_res(_recvfrom(fd, buf, size, flags, None, None)), None)
    abuf = ctypes.create_string_buffer(SOCKADDR_MAX)
    ln = _c_uint(SOCKADDR_MAX)
    ret, err = _res(_recvfrom(fd, buf, size, flags, abuf, ctypes.byref(ln)))
    return ret, err, abuf.raw[: min(ln.value, SOCKADDR_MAX)] if ret >= 0 else None


def sendto(fd: int, data: bytes, flags: int, sa: bytes | None) -> tuple[int, int]:
    return _res(_sendto(fd, data, len(data), flags, sa, len(sa) if sa else 0))


class _Iovec(ctypes.Structure):
    _fields_ = [("base", _c_void_p), ("len", _c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("name", _c_void_p), ("namelen", _c_uint), ("iov", ctypes.POINTER(_Iovec)),
                ("iovlen", _c_size_t), ("control", _c_void_p), ("controllen", _c_size_t), ("flags", _c_int)]


def _align(n: int) -> int:
    return (n + 7) & ~7


def pack_control(anc: list[tuple[int, int, bytes]]) -> bytes:
    """Control messages as the kernel reads them: each header, its data, padding to 8 bytes."""
    out = bytearray()
    for level, typ, data in anc:
        ln = _CMSG_HDR.size + len(data)
        out += _CMSG_HDR.pack(ln, level, typ) + data + bytes(_align(ln) - ln)
    return bytes(out)


def unpack_control(raw: bytes) -> list[tuple[int, int, bytes]]:
    """The (level, type, data) triples Python's recvmsg would give."""
    out = []
    off = 0
    hs = _CMSG_HDR.size
    while off + hs <= len(raw):
        ln, level, typ = _CMSG_HDR.unpack_from(raw, off)
        if ln < hs:
            break
        out.append((level, typ, bytes(raw[off + hs: off + min(ln, len(raw) - off)])))
        off += _align(ln)
    return out


class RecvBuffers:
    """Buffers one socket reuses for recvmsg: building ctypes structures costs more than the call."""

    __slots__ = ("size", "anc", "data", "name", "ctl", "iov", "msg", "msg_ref", "data_addr", "ctl_addr",
                 "name_addr", "data_mv", "ctl_mv", "name_mv")

    def __init__(self, size: int, anc: int) -> None:
        self.size, self.anc = size, anc
        self.data = ctypes.create_string_buffer(max(size, 1))
        self.name = ctypes.create_string_buffer(SOCKADDR_MAX)
        self.ctl = ctypes.create_string_buffer(max(anc, 1))
        self.data_addr = ctypes.addressof(self.data)
        self.ctl_addr = ctypes.addressof(self.ctl)
        self.name_addr = ctypes.addressof(self.name)
        self.iov = _Iovec(self.data_addr, size)
        self.msg = _Msghdr()
        self.msg.iov = ctypes.pointer(self.iov)
        self.msg.iovlen = 1
        self.msg.name = self.name_addr
        self.msg.control = self.ctl_addr if anc else None
        self.msg_ref = ctypes.byref(self.msg)
        # memoryviews: slicing one is far cheaper than ctypes.string_at (itself a foreign call)
        self.data_mv = memoryview(self.data).cast("B")
        self.ctl_mv = memoryview(self.ctl).cast("B")
        self.name_mv = memoryview(self.name).cast("B")

    def recvmsg(self, fd: int, flags: int) -> tuple[int, int]:
        m = self.msg
        m.namelen = SOCKADDR_MAX
        m.controllen = self.anc
        m.flags = 0
        ret = _recvmsg(fd, self.msg_ref, flags)
        return (ret, 0) if ret >= 0 else (-1, _get_errno())

    def result(self, n: int) -> tuple[bytes, list[tuple[int, int, bytes]], int, bytes]:
        """data (up to the buffer), control messages, msg_flags, sender address bytes."""
        m = self.msg
        data = bytes(self.data_mv[: n if n < self.size else self.size]) if n > 0 else b""
        cl = m.controllen
        ctl = unpack_control(bytes(self.ctl_mv[:cl])) if self.anc and cl else []
        nl = m.namelen
        return data, ctl, m.flags, bytes(self.name_mv[: nl if nl < SOCKADDR_MAX else SOCKADDR_MAX])


def sendmsg(fd: int, data: bytes, anc: list[tuple[int, int, bytes]], flags: int, sa: bytes | None) -> tuple[int, int]:
    dbuf = ctypes.create_string_buffer(data, len(data)) if data else None
    iov = _Iovec(ctypes.cast(dbuf, _c_void_p) if dbuf is not None else None, len(data))
    ctl = pack_control(anc)
    cbuf = ctypes.create_string_buffer(ctl, len(ctl)) if ctl else None
    nbuf = ctypes.create_string_buffer(sa, len(sa)) if sa else None
    m = _Msghdr()
    m.name = ctypes.cast(nbuf, _c_void_p) if nbuf is not None else None
    m.namelen = len(sa) if sa else 0
    m.iov = ctypes.pointer(iov)
    m.iovlen = 1
    m.control = ctypes.cast(cbuf, _c_void_p) if cbuf is not None else None
    m.controllen = len(ctl)
    return _res(_sendmsg(fd, ctypes.byref(m), flags))


class _PollFd(ctypes.Structure):
    _fields_ = [("fd", _c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


def poll(fds: list[tuple[int, int]], timeout_ms: int) -> tuple[int, int, list[int]]:
    """poll(2) over (fd, events) pairs; the revents of each, in order."""
    arr = (_PollFd * max(len(fds), 1))()
    for i, (fd, ev) in enumerate(fds):
        arr[i].fd, arr[i].events = fd, ev
    ret, err = _res(_poll(arr, len(fds), timeout_ms))
    return ret, err, [arr[i].revents & 0xFFFF for i in range(len(fds))]


def getsockopt(fd: int, level: int, name: int, size: int, optlen: int | None = None) -> tuple[int, int, bytes, int]:
    """getsockopt with a `size`-byte buffer (NULL for 0); the bytes and the optlen the kernel set.

    `optlen` defaults to `size` (SO_GET_FILTER counts it in instructions, not bytes).
    """
    buf = ctypes.create_string_buffer(max(size, 1))
    ln = _c_uint(size if optlen is None else optlen)
    ret, err = _res(_getsockopt(fd, level, name, buf if size else None, ctypes.byref(ln)))
    if ret < 0:
        return ret, err, b"", ln.value
    return ret, err, buf.raw[:size] if optlen is not None else buf.raw[: min(ln.value, size)], ln.value


def setsockopt(fd: int, level: int, name: int, value: bytes) -> tuple[int, int]:
    return _res(_setsockopt(fd, level, name, value, len(value)))


def getsockname(fd: int) -> tuple[int, int, bytes]:
    buf = ctypes.create_string_buffer(SOCKADDR_MAX)
    ln = _c_uint(SOCKADDR_MAX)
    ret, err = _res(_getsockname(fd, buf, ctypes.byref(ln)))
    return ret, err, buf.raw[: min(ln.value, SOCKADDR_MAX)]


def getpeername(fd: int) -> tuple[int, int, bytes]:
    buf = ctypes.create_string_buffer(SOCKADDR_MAX)
    ln = _c_uint(SOCKADDR_MAX)
    ret, err = _res(_getpeername(fd, buf, ctypes.byref(ln)))
    return ret, err, buf.raw[: min(ln.value, SOCKADDR_MAX)]


def fcntl(fd: int, cmd: int, arg: int = 0) -> tuple[int, int]:
    return _res(_fcntl(fd, cmd, arg))


def fcntl_raw(fd: int, cmd: int, arg: int = 0) -> tuple[int, int]:
    """fcntl as the syscall itself: glibc turns F_GETOWN into F_GETOWN_EX, this does not."""
    return _res(_syscall(SYS_FCNTL, fd, cmd, arg))
