"""Socket ioctls as data: one row per request, the way strace keeps its tables.

Each row says how the argument travels (an int read back, an int passed in, a
timeval or timespec read back) and what the request is for, in our own words.
Numbers are Linux x86-64; Python's socket module has none of them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from sockplay.core.errors import UsageError, did_you_mean


@dataclass(frozen=True, slots=True)
class IoctlRow:
    """One ioctl request. `arg` is get_int, set_int, get_timeval or get_timespec."""

    name: str
    number: int
    arg: str
    help: str
    aliases: tuple[str, ...] = ()
    strace_name: str = ""  # how strace spells it when it differs

    @property
    def shown(self) -> str:
        return self.strace_name or self.name


IOCTLS: tuple[IoctlRow, ...] = (
    IoctlRow("SIOCINQ", 0x541B, "get_int",
             "Bytes waiting to be read. On UDP only the first datagram's size counts; on TCP the whole "
             "queue up to the urgent mark. A listening socket answers EINVAL.",
             ("FIONREAD", "inq"), "FIONREAD"),
    IoctlRow("SIOCOUTQ", 0x5411, "get_int",
             "Bytes in the send queue not yet acknowledged by the peer (TCP) or not yet sent. On a "
             "unix stream socket it counts the kernel's buffer size for them, not the bytes.",
             ("TIOCOUTQ", "outq"), "TIOCOUTQ"),
    IoctlRow("SIOCOUTQNSD", 0x894B, "get_int",
             "TCP only: bytes in the send queue that have not been sent at all yet.", ("outqnsd",)),
    IoctlRow("SIOCGSTAMP", 0x8906, "get_timeval",
             "When the last packet was received, as a timeval. ENOENT until one has been; "
             "not available on unix sockets (ENOTTY).", ("gstamp", "stamp"), "SIOCGSTAMP_OLD"),
    IoctlRow("SIOCGSTAMPNS", 0x8907, "get_timespec",
             "SIOCGSTAMP with nanoseconds (a timespec).", ("gstampns", "stampns"), "SIOCGSTAMPNS_OLD"),
    IoctlRow("FIOASYNC", 0x5452, "set_int",
             "Turn signal-driven I/O on or off (the same bit as O_ASYNC): the owner gets SIGIO when "
             "the socket becomes ready. Set the owner with SIOCSPGRP or fcntl setown.", ("async",)),
    IoctlRow("FIONBIO", 0x5421, "set_int",
             "Turn nonblocking mode on or off (the same bit as O_NONBLOCK).", ("nbio", "nonblock")),
    IoctlRow("SIOCSPGRP", 0x8902, "set_int",
             "Set the process (positive) or process group (negative) that gets SIGIO and SIGURG "
             "for this socket.", ("spgrp",)),
    IoctlRow("FIOSETOWN", 0x8901, "set_int", "Same as SIOCSPGRP.", ("setown",)),
    IoctlRow("SIOCGPGRP", 0x8904, "get_int",
             "Who gets this socket's SIGIO and SIGURG (0: nobody).", ("gpgrp",)),
    IoctlRow("FIOGETOWN", 0x8903, "get_int", "Same as SIOCGPGRP.", ("getown",)),
    IoctlRow("SIOCATMARK", 0x8905, "get_int",
             "1 when the next byte to read is the TCP urgent mark, so a read now stops at it; 0 otherwise.",
             ("atmark",)),
)

_INDEX: dict[str, IoctlRow] = {}
for _r in IOCTLS:
    _INDEX[_r.name.lower()] = _r
    for _a in _r.aliases:
        _INDEX.setdefault(_a.lower(), _r)
BY_NUMBER = {r.number: r for r in IOCTLS}

TIMEVAL = struct.Struct("qq")


def ioctl(word: str | int) -> IoctlRow:
    """Find a request by name (SIOCINQ), alias (FIONREAD, inq) or number."""
    if isinstance(word, int):
        row = BY_NUMBER.get(word)
    else:
        w = word.strip().lower()
        row = _INDEX.get(w)
        if row is None and w.startswith("0x"):
            row = BY_NUMBER.get(int(w, 16))
    if row is None:
        raise UsageError(
            f"unknown ioctl {word!r}; expected one of {', '.join(r.name for r in IOCTLS)}",
            hint=did_you_mean(str(word), [r.name for r in IOCTLS] + [a for r in IOCTLS for a in r.aliases]),
        )
    return row


def int_value(row: IoctlRow, value: object) -> int:
    """The int a set_int request passes, parsed and range-checked (the engine and export both use this)."""
    from sockplay.core import codecs

    return codecs.int32(value, row.name)
