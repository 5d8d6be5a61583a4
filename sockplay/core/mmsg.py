"""recvmmsg(2) and sendmmsg(2) through ctypes on libc: up to 1,024 datagrams per syscall.

Python's socket module has neither call. Everything is allocated once per
(socket, shape): one data slot of `size` bytes, one control buffer of `anc`
bytes and one sender slot per message, the iovecs and the mmsghdr array, plus a
pristine copy of the headers put back with one memmove before each call (the
kernel overwrites msg_namelen, msg_controllen and msg_flags).

A received batch becomes one *packed record* of plain bytes: the datagrams'
data back to back, their control messages back to back, their senders, and
small arrays of offsets, lengths and flags, all cut out of the buffers with
C-level loops (map, slice, b"".join, memoryview casts), never a Python loop per
datagram. `datagram(record, i)` splits datagram i out when someone reads it.

Struct layouts are Linux x86-64 / aarch64 (LP64): iovec 16 bytes; msghdr 56
(name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48);
mmsghdr 64 (msg_len at 56).
"""

from __future__ import annotations

import ctypes
import socket
import struct
from array import array
from itertools import accumulate, repeat
from operator import sub
from typing import Any

from sockplay.core.libc import pack_sockaddr as _pack_sockaddr
from sockplay.core.libc import unpack_control, unpack_sockaddr

MAX_VLEN = 1024  # the kernel's UIO_MAXIOV: recvmmsg/sendmmsg take at most this many
HDR = 64  # sizeof(struct mmsghdr)
_U32 = HDR // 4  # the header's stride in uint32 units
# uint32 index of each field within one mmsghdr
_NAMELEN, _CONTROLLEN, _FLAGS, _MSGLEN = 2, 10, 12, 14
NAME_SIZE: dict[int, int] = {socket.AF_INET: 16, socket.AF_INET6: 28, socket.AF_UNIX: 110}
MSG_CTRUNC, MSG_TRUNC = 0x8, 0x20

_libc = ctypes.CDLL(None, use_errno=True)
_recvmmsg = _libc.recvmmsg
_recvmmsg.restype = ctypes.c_int
_recvmmsg.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p)
_sendmmsg = _libc.sendmmsg
_sendmmsg.restype = ctypes.c_int
_sendmmsg.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int)
_memmove = ctypes.memmove
_get_errno = ctypes.get_errno


def _addr(buf: bytearray) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(buf))


class RecvBatch:
    """Preallocated buffers for recvmmsg on one socket: `vlen` messages of `size` bytes and `anc` of control."""

    __slots__ = ("vlen", "size", "anc", "namelen", "data", "names", "ctl", "iov", "hdr", "pristine",
                 "hdr_addr", "u32", "names_mv", "_keep")

    def __init__(self, vlen: int, size: int, anc: int, family: int) -> None:
        if not 1 <= vlen <= MAX_VLEN:
            raise ValueError(f"vlen {vlen} out of range 1..{MAX_VLEN}")
        self.vlen, self.size, self.anc = vlen, size, anc
        self.namelen = NAME_SIZE.get(family, 128)
        self.data = bytearray(vlen * size or 1)
        self.names = bytearray(vlen * self.namelen)
        self.ctl = bytearray(vlen * anc or 1)
        self.iov = bytearray(16 * vlen)
        self.hdr = bytearray(HDR * vlen)
        d, nm, c, iov = _addr(self.data), _addr(self.names), _addr(self.ctl), _addr(self.iov)
        for i in range(vlen):
            struct.pack_into("@PN", self.iov, 16 * i, d + i * size, size)
            struct.pack_into("@PI4xPNPNi4xI4x", self.hdr, HDR * i,
                             nm + i * self.namelen, self.namelen, iov + 16 * i, 1,
                             c + i * anc if anc else 0, anc, 0, 0)
        self.pristine = bytes(self.hdr)
        self.hdr_addr = _addr(self.hdr)
        self.u32 = memoryview(self.hdr).cast("I")
        self.names_mv = memoryview(self.names)
        self._keep = (self.data, self.names, self.ctl, self.iov)

    def recv(self, fd: int, flags: int, want: int | None = None) -> tuple[int, int]:
        """One recvmmsg(fd, msgs, want or vlen, flags, NULL): (ret, errno), errno 0 on success."""
        vlen = self.vlen if want is None else min(want, self.vlen)
        _memmove(self.hdr_addr, self.pristine, HDR * vlen)
        ret = _recvmmsg(fd, self.hdr_addr, vlen, flags, None)
        return (ret, 0) if ret >= 0 else (-1, _get_errno())

    def pack(self, n: int, trunc: bool = False) -> tuple[bytes, Any, bytes | None, bytes, bytes, Any, bytes | None]:
        """The first `n` messages as plain bytes (see `datagram` for the layout).

        `trunc`: MSG_TRUNC was passed, so msg_len may exceed the buffer (the real length).
        """
        u32 = self.u32
        size = self.size
        lens = u32[_MSGLEN::_U32][:n].tolist()
        truncated = None
        if trunc and max(lens, default=0) > size:
            truncated = array("I", lens).tobytes()
            lens = [min(x, size) for x in lens]
        data = _compact(self.data, lens, size, n)
        ends = ends_of(lens, n)
        namelens = u32[_NAMELEN::_U32][:n].tolist()
        nl = self.namelen
        if n and namelens.count(namelens[0]) == n and self.names[: n * nl] == self.names[:nl] * n:
            names = bytes(self.names[: namelens[0]])  # one sender for the whole batch (a flood): kept once
        else:
            names = array("I", namelens).tobytes() + bytes(self.names[: n * nl])
        if self.anc:
            clens = u32[_CONTROLLEN::_U32][:n].tolist()
            ctl = _compact(self.ctl, clens, self.anc, n)
            ctl_ends = ends_of(clens, n)
        else:
            ctl, ctl_ends = b"", 0
        fl = u32[_FLAGS::_U32][:n].tolist()
        flags = None if fl.count(0) == n else array("I", fl).tobytes()
        return data, ends, truncated, names, ctl, ctl_ends, flags


def ends_of(lens: list[int], n: int) -> Any:
    """Where each item ends in a compacted buffer: one int when all have the same length."""
    if n and lens.count(lens[0]) == n:
        return lens[0]
    return array("I", accumulate(lens)).tobytes()


def _span(ends: Any, i: int) -> tuple[int, int]:
    if type(ends) is int:
        return i * ends, (i + 1) * ends
    e = memoryview(ends).cast("I")
    return (e[i - 1] if i else 0), e[i]


_uniform: dict[tuple[int, int, int], struct.Struct] = {}


def _compact(buf: bytearray, lens: list[int], stride: int, n: int) -> bytes:
    """The first lens[i] bytes of each of n slots of `stride` bytes, back to back.

    One struct unpack does the cutting in C ("23s2025x" per slot); a flood of
    same-sized datagrams reuses one compiled Struct. (Slicing a memoryview per
    datagram costs some 50 times more.)
    """
    if not n:
        return b""
    first = lens[0]
    if lens.count(first) == n:
        key = (first, stride, n)
        st = _uniform.get(key)
        if st is None:
            if len(_uniform) > 64:
                _uniform.clear()
            st = _uniform[key] = struct.Struct(f"{first}s{stride - first}x" * n)
        return b"".join(st.unpack_from(buf))
    fmt = "".join(map("%ds%dx".__mod__, zip(lens, map(sub, repeat(stride, n), lens), strict=True)))
    return b"".join(struct.unpack_from(fmt, buf))


def datagram(packed: tuple, i: int, namelen: int) -> tuple[int, bytes, bytes, bytes, int]:
    """Datagram i of a packed batch: (msg_len, data, sender sockaddr bytes, raw control, msg_flags).

    `packed` is RecvBatch.pack's tuple; `namelen` the sender slot size it was made with.
    """
    data, ends, truncated, names, ctl, ctl_ends, flags = packed
    start, end = _span(ends, i)
    d = data[start:end]
    ret = memoryview(truncated).cast("I")[i] if truncated is not None else len(d)
    if len(names) <= namelen:  # kept once for the whole batch
        sender = names
    else:
        n = (len(names)) // (4 + namelen)
        nls = memoryview(names[: 4 * n]).cast("I")
        base = 4 * n + i * namelen
        sender = names[base: base + nls[i]]
    cstart, cend = _span(ctl_ends, i)
    raw_ctl = ctl[cstart:cend]
    mflags = memoryview(flags).cast("I")[i] if flags is not None else 0
    return ret, d, sender, raw_ctl, mflags


_CMSG_HDR = struct.Struct("@Nii")

# (level, type, data) for each control message: the same walk the per-call path uses.
split_control = unpack_control


def has_rights(ctl: bytes) -> bool:
    """Whether any datagram of a packed batch carries SCM_RIGHTS (its fds must be adopted at once)."""
    if b"\x01\x00\x00\x00\x01\x00\x00\x00" not in ctl:
        return False
    off = 0
    hs = _CMSG_HDR.size
    while off + hs <= len(ctl):  # the messages lie back to back, each aligned: walk them to be sure
        ln, level, typ = _CMSG_HDR.unpack_from(ctl, off)
        if ln < hs:
            return False
        if level == socket.SOL_SOCKET and typ == 1:
            return True
        off += (ln + 7) & ~7
    return False


class SendBatch:
    """Preallocated headers for sendmmsg of one payload `vlen` times (send/sendto count=N)."""

    __slots__ = ("vlen", "payload", "dest", "iov", "hdr", "hdr_addr", "_keep")

    def __init__(self, vlen: int, payload: bytes, dest: bytes | None) -> None:
        if not 1 <= vlen <= MAX_VLEN:
            raise ValueError(f"vlen {vlen} out of range 1..{MAX_VLEN}")
        self.vlen = vlen
        self.payload = bytearray(payload or b"\0")
        self.dest = bytearray(dest) if dest else None
        self.iov = bytearray(16)
        struct.pack_into("@PN", self.iov, 0, _addr(self.payload), len(payload))
        self.hdr = bytearray(HDR * vlen)
        name = _addr(self.dest) if self.dest is not None else 0
        iov = _addr(self.iov)
        for i in range(vlen):
            struct.pack_into("@PI4xPNPNi4xI4x", self.hdr, HDR * i, name, len(dest) if dest else 0, iov, 1, 0, 0, 0, 0)
        self.hdr_addr = _addr(self.hdr)
        self._keep = (self.payload, self.dest, self.iov)

    def send(self, fd: int, flags: int, count: int | None = None) -> tuple[int, int]:
        """One sendmmsg(fd, msgs, count or vlen, flags): (datagrams sent, errno)."""
        vlen = self.vlen if count is None else min(count, self.vlen)
        ret = _sendmmsg(fd, self.hdr_addr, vlen, flags)
        return (ret, 0) if ret >= 0 else (-1, _get_errno())


# One packer and one unpacker of struct sockaddr for the whole engine: libc.py's.
sockaddr_text = unpack_sockaddr  # sender bytes to what Python's socket module would return
pack_sockaddr = _pack_sockaddr  # a socket-module address to sendmmsg's msg_name bytes
