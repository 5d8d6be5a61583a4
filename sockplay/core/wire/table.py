"""Which playground socket owns which address, read from /proc/net, never from the sockets.

Naming the two ends of a packet needs each socket's local and peer address.
Asking the sockets (getsockname) would be syscalls on the user's sockets that
the trace does not show; instead the socket's inode (from /proc/self/fd) is
looked up in /proc/net/{tcp,udp}{,6}, which the kernel fills for us.
A socket that has been closed keeps its last addresses here, so the FIN or
RST its close sends can still carry its name.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

PROC_FILES = (("tcp", "/proc/net/tcp", False), ("tcp6", "/proc/net/tcp6", True),
              ("udp", "/proc/net/udp", False), ("udp6", "/proc/net/udp6", True))
LISTEN = 0x0A


@dataclass(frozen=True, slots=True)
class Ends:
    """A socket's addresses as text ("127.0.0.1:5000"); peer is '' when unconnected."""

    proto: str  # tcp or udp
    local: str
    peer: str
    listening: bool


def _hex_addr(text: str, v6: bool) -> str:
    ip_hex, port_hex = text.split(":")
    port = int(port_hex, 16)
    raw = bytes.fromhex(ip_hex)
    if v6:
        raw = b"".join(struct.pack("<I", w) for w in struct.unpack(">4I", raw))
        ip = socket.inet_ntop(socket.AF_INET6, raw)
        if ip.startswith("::ffff:") and "." in ip:
            return f"{ip[7:]}:{port}"  # a v4-mapped address shows as the IPv4 one, as on the wire
        return f"[{ip}]:{port}"
    return f"{socket.inet_ntop(socket.AF_INET, struct.pack('<I', int(ip_hex, 16)))}:{port}"


def proc_net(inodes: set[int]) -> dict[int, Ends]:
    """Addresses of the sockets with these inodes."""
    found: dict[int, Ends] = {}
    if not inodes:
        return found
    for proto, path, v6 in PROC_FILES:
        try:
            with open(path, encoding="ascii") as f:
                next(f, None)
                for line in f:
                    w = line.split()
                    if len(w) < 10:
                        continue
                    ino = int(w[9])
                    if ino not in inodes:
                        continue
                    peer = _hex_addr(w[2], v6)
                    port0 = peer.endswith(":0")
                    found[ino] = Ends(proto.rstrip("6"), _hex_addr(w[1], v6), "" if port0 else peer,
                                      proto.startswith("tcp") and int(w[3], 16) == LISTEN)
        except OSError:
            continue
    return found


def inode_of(fd: int) -> int | None:
    """The socket inode behind an fd of this process (readlink of /proc/self/fd, not a call on the fd)."""
    try:
        link = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    if link.startswith("socket:["):
        return int(link[8:-1])
    return None


def port_of(addr: str) -> int:
    try:
        return int(addr.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 0


def host_of(addr: str) -> str:
    return addr.rsplit(":", 1)[0].strip("[]")


_WILD = ("0.0.0.0", "::")


class Table:
    """Names for addresses: current sockets first, then the last addresses of closed ones."""

    def __init__(self) -> None:
        self.current: dict[str, Ends] = {}
        self.closed: dict[str, Ends] = {}
        self.inet_names: set[str] = set()  # sockets that could reach the wire (inet/inet6)
        # What /proc/net cannot tell: a bound socket that neither listens nor connects is in no
        # table, and a connect refused at once frees its port before we look. Filled from bind's
        # result and from a connect's first packet.
        self.extra: dict[str, Ends] = {}

    def update(self, socks: Iterable[tuple[str, int, int]]) -> None:
        """Refresh from (name, fd, family) of the open sockets."""
        inodes: dict[int, str] = {}
        inet: set[str] = set()
        for name, fd, fam in socks:
            if fam not in (socket.AF_INET, socket.AF_INET6) or fd < 0:
                continue
            inet.add(name)
            ino = inode_of(fd)
            if ino is not None:
                inodes[ino] = name
        ends = proc_net(set(inodes))
        current = {inodes[i]: e for i, e in ends.items()}
        closed = dict(self.closed)
        for name, e in self.current.items():
            if name not in current:
                closed[name] = e  # closed, or reset and out of the tables: its last packets still get its name
        for name in current:
            closed.pop(name, None)
        self.current = current
        self.closed = closed
        self.inet_names = inet

    def ports(self, names: set[str] | None = None) -> set[int]:
        out = set()
        for name, e in list(self.current.items()) + list(self.closed.items()) + list(self.extra.items()):
            if names is None or name in names:
                p = port_of(e.local)
                if p:
                    out.add(p)
        return out

    def ends_of(self, name: str) -> Ends | None:
        return self.current.get(name) or self.closed.get(name) or self.extra.get(name)

    def learn(self, name: str, proto: str, local: str, peer: str = "") -> None:
        self.extra = {**self.extra, name: Ends(proto, local, peer, False)}

    def name(self, proto: str, local: str, peer: str) -> str | None:
        """The socket whose local address is `local` talking to `peer`; None when none is ours."""
        best: tuple[int, str] | None = None
        for pool, rank in ((self.current, 0), (self.closed, 3), (self.extra, 6)):
            for name, e in pool.items():
                if e.proto != proto or port_of(e.local) != port_of(local):
                    continue
                host = host_of(e.local)
                if host not in _WILD and host != host_of(local) and host != "::ffff:" + host_of(local):
                    continue
                if e.peer:
                    if e.peer != peer:
                        continue
                    score = rank
                elif e.listening or proto == "udp":
                    score = rank + 1
                else:
                    score = rank + 2
                if best is None or score < best[0]:
                    best = (score, name)
        return best[1] if best else None

    def matches(self, name: str, addr: str, other: str) -> bool:
        """Is a packet end at `addr` (talking to `other`) this socket's? For `expect wire ... from NAME`."""
        e = self.ends_of(name)
        if e is None or port_of(e.local) != port_of(addr):
            return False
        host = host_of(e.local)
        if host not in _WILD and host != host_of(addr):
            return False
        return not e.peer or e.peer == other
