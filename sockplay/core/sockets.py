"""The objects a Playground holds: real sockets with a name, and plain fds received by SCM_RIGHTS."""

from __future__ import annotations

import os
import re
import socket
from typing import Any

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,31}$")


class PlaySocket(socket.socket):
    """A real socket.socket that also knows its playground name and history.

    Subclassing keeps `pg.sockets[name]` a genuine socket for library users,
    while the engine tracks what the kernel does not tell us (who made it, the
    unix path it created, the last SO_RXQ_OVFL count seen).
    """

    def __init__(self, *args: Any, name: str = "", origin: str = "socket", nonblock: bool = False,
                 **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.name = name
        self.origin = origin
        self.created_path: str | None = None
        self.last_ovfl: int | None = None
        self.listening = False
        self.watch_mask: int | None = None
        self.auto_accept = False
        # What the engine knows from its own calls, so it never has to ask the kernel again
        # behind the person's back (every call it does make is in the trace).
        self.nonblock = nonblock  # O_NONBLOCK, from socket(SOCK_NONBLOCK), fcntl, ioctl FIONBIO
        self.async_io = False  # O_ASYNC, from fcntl or FIOASYNC
        self.owner_set = False  # F_SETOWN / SIOCSPGRP done
        self.timeouts: dict[int, bytes] = {}  # SO_RCVTIMEO/SO_SNDTIMEO as the kernel read them back
        self.local: Any = None  # the local address once known (bind, or an engine getsockname)
        self.peer: Any = None  # the peer's address once known (connect, accept, socketpair)
        self.bound = False
        self.connected = False
        self.recv_buffers: Any = None  # libc.RecvBuffers reused by recvmsg

    @property
    def kind(self) -> str:
        return "socket"

    def nonblocking(self) -> bool:
        """O_NONBLOCK as the engine set it (no fcntl: the engine remembers its own calls)."""
        return self.nonblock


class PlainFd:
    """A descriptor that is not a socket (a pipe or file passed by SCM_RIGHTS)."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd = fd
        self.name = name
        self.origin = "scm_rights"
        self.watch_mask: int | None = None
        self.closed = False

    @property
    def kind(self) -> str:
        return "fd"

    def fileno(self) -> int:
        return -1 if self.closed else self.fd

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)

    def describe(self) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{self.fd}")
        except OSError:
            return "?"


TCP_STATES = (
    "", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
    "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
)


def tcp_state(sock: socket.socket) -> str:
    """The TCP state from TCP_INFO's first byte ('' for non-TCP sockets)."""
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    except OSError:
        return ""
    return TCP_STATES[raw[0]] if raw and raw[0] < len(TCP_STATES) else ""
