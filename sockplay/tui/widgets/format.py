"""Turning journal events into pane lines, and freezing what varies run to run.

Formatting runs on the journal's dispatcher thread, not the UI thread, and only
for the events a pane will actually show: in a flood the rest are counted, never
formatted (an strace line costs more than the syscall that made it).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

POLL_SHORT = {
    "POLLIN": "IN",
    "POLLPRI": "PRI",
    "POLLOUT": "OUT",
    "POLLERR": "ERR",
    "POLLHUP": "HUP",
    "POLLRDHUP": "RDHUP",
    "POLLNVAL": "NVAL",
}
FROZEN_BASE = 12 * 3600.0  # frozen clocks read 12:00:00.000 plus a millisecond per command


class Freezer:
    """Maps what varies between runs (clock, ports, fds) to stable stand-ins for snapshots.

    When `frozen` is False every method is the identity, so the same code path
    renders the live app and the snapshot app.
    """

    _PORT_RE = re.compile(r"(?<=[\]\d]:)(\d{2,5})\b|(?<=htons\()(\d+)(?=\))")
    _FD_RE = re.compile(
        r"^((?:\[\w+\] )?\w+\()(\d+)(?=[,)])|(?<=fd=)(\d+)|(?<=\[)(\d+)(?=, \d+\])|(?<=, )(\d+)(?=\]\))"
    )

    _TV_RE = re.compile(r"tv_sec=(\d+), (tv_usec|tv_nsec)=\d+")

    def __init__(self, frozen: bool = False) -> None:
        self.frozen = frozen
        self._lock = threading.Lock()
        self._ports: dict[int, int] = {}
        self._fds: dict[int, int] = {}
        self.commands = 0

    def command_started(self) -> None:
        """Frozen clocks read 12:00:00 plus one millisecond per command started so far.

        Not per event: the watcher may report a readiness change before or after the
        call that caused it reaches the journal, so counting events is not repeatable.
        """
        self.commands += 1

    # -- registration (in creation order, so the mapping is the same every run)
    def port(self, real: int) -> int:
        if not self.frozen or real == 0:
            return real
        with self._lock:
            if real not in self._ports:
                self._ports[real] = 40001 + len(self._ports)
            return self._ports[real]

    def fd(self, real: int) -> int:
        if not self.frozen or real < 0:
            return real
        with self._lock:
            if real not in self._fds:
                self._fds[real] = 3 + len(self._fds)
            return self._fds[real]

    def learn(self, sockets: dict[str, Any]) -> None:
        """Register fds and local ports of `sockets` in creation order (dict order).

        Called before each batch is formatted and before the socket list renders,
        so the stand-ins do not depend on which thread saw a socket first.
        """
        if not self.frozen:
            return
        for obj in list(sockets.values()):
            try:
                fd = obj.fileno()
                if fd < 0:
                    continue
                self.fd(fd)
                local = obj.getsockname()
            except (OSError, AttributeError):
                continue
            if isinstance(local, tuple) and len(local) >= 2 and isinstance(local[1], int):
                self.port(local[1])

    # -- rendering
    def clock(self, t: float, seq: int = 0) -> str:
        """`HH:MM:SS.mmm` local time; frozen: 12:00:00 plus a millisecond per command."""
        if self.frozen:
            ms = self.commands
            return (
                time.strftime("%H:%M:%S", time.gmtime(FROZEN_BASE + ms // 1000))
                + f".{ms % 1000:03d}"
            )
        return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"

    def clock_us(self, t: float, seq: int = 0) -> str:
        """`HH:MM:SS.uuuuuu`, for kernel timestamps."""
        if self.frozen:
            ms = self.commands
            stamp = time.strftime("%H:%M:%S", time.gmtime(FROZEN_BASE + ms // 1000))
            return stamp + f".{ms % 1000:03d}000"
        return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}"

    def addr(self, text: str) -> str:
        """`127.0.0.1:41234` with the port frozen."""
        if not self.frozen or not text:
            return text
        return self._PORT_RE.sub(lambda m: str(self.port(int(m.group(0)))), text)

    def trace(self, text: str) -> str:
        """An strace line with its fds and ports frozen."""
        if not self.frozen:
            return text
        text = self.addr(text)

        def fd_sub(m: re.Match[str]) -> str:
            if m.group(1):
                return m.group(1) + str(self.fd(int(m.group(2))))
            return str(self.fd(int(m.group(0))))

        text = self._FD_RE.sub(fd_sub, text)
        # timestamps (seconds since the epoch) vary; timeouts such as SO_RCVTIMEO's do not
        text = self._TV_RE.sub(
            lambda m: f"tv_sec=1700000000, {m.group(2)}=0" if int(m.group(1)) >= 100_000_000 else m.group(0),
            text,
        )
        # socket() and accept() return a new fd
        m = re.match(r"^(?:\[\w+\] )?(socket|accept4?)\(.*\) = (\d+)$", text)
        if m:
            text = text[: m.start(2)] + str(self.fd(int(m.group(2))))
        return text

    def text(self, text: str) -> str:
        """Free text (REPL output): ports frozen, fds as in trace()."""
        return self.trace(text) if self.frozen else text


def kind_label(family: str, type_: str) -> str:
    """`tcp`, `udp6`, `unix`... from AF_* and SOCK_* names."""
    fam = {
        "AF_INET": "",
        "AF_INET6": "6",
        "AF_UNIX": "unix",
        "AF_PACKET": "pkt",
        "AF_NETLINK": "nl",
    }.get(family, family.removeprefix("AF_").lower())
    typ = type_.removeprefix("SOCK_")
    if family in ("AF_INET", "AF_INET6"):
        base = {"STREAM": "tcp", "DGRAM": "udp", "RAW": "raw", "SEQPACKET": "sctp"}.get(
            typ, typ.lower()
        )
        return base + fam
    if family == "AF_UNIX":
        return {"STREAM": "unix", "DGRAM": "unix-dg", "SEQPACKET": "unix-sp"}.get(typ, "unix")
    return f"{fam}-{typ.lower()}" if typ else fam or "fd"


# TCP states shortened to fit the socket list's column whole (8): still one name per state.
SHORT_STATES = {
    "ESTABLISHED": "ESTAB", "SYN_SENT": "SYN-SENT", "SYN_RECV": "SYN-RECV", "FIN_WAIT1": "FIN-WT1",
    "FIN_WAIT2": "FIN-WT2", "TIME_WAIT": "TIME-WT", "CLOSE_WAIT": "CLOSE-WT", "LAST_ACK": "LAST-ACK",
    "NEW_SYN_RECV": "SYN-RECV",
}
STATE_WIDTH = 8


def short_state(state: str) -> str:
    """A TCP state that fits the socket list's column whole (a cut state would read as another)."""
    short = SHORT_STATES.get(state, state)
    return short if len(short) <= STATE_WIDTH else short[: STATE_WIDTH - 1] + "…"


def ready_badge(events: Iterable[str]) -> str:
    """`IN OUT` from ["POLLIN", "POLLOUT"], in a fixed order."""
    got = set(events)
    return " ".join(short for name, short in POLL_SHORT.items() if name in got)


# ---------------------------------------------------------------------------- pane lines
def poll_line(ev: Any, fz: Freezer) -> str:
    parts = [f"+{b}" for b in getattr(ev, "added", ())] + [
        f"-{b}" for b in getattr(ev, "removed", ())
    ]
    return f"{fz.clock(ev.time, ev.seq)} {ev.sock or '?'} {' '.join(parts) or '(no change)'}"


@dataclass(slots=True)
class AncillaryState:
    """Remembers the last SO_RXQ_OVFL counter per socket, to show the rise."""

    ovfl: dict[str, int] = field(default_factory=dict)


def cmsg_lines(ev: Any, fz: Freezer, state: AncillaryState) -> list[str]:
    out = ev.outcome
    if out is None or not out.cmsgs:
        return []
    sock = ev.sock or "?"
    lines = []
    new = list(out.new_sockets or [])
    for c in out.cmsgs:
        name = c.get("name") or c.get("type") or "?"
        value = c.get("value")
        if name in ("SO_TIMESTAMP", "SO_TIMESTAMPNS", "SO_TIMESTAMPING") and isinstance(
            value, int | float
        ):
            age = c.get("age")
            age_s = age if isinstance(age, int | float) else ev.time - float(value)
            age_ms = 2.0 if fz.frozen else age_s * 1000
            lines.append(f"{sock} {name} {fz.clock_us(float(value), ev.seq)} age {age_ms:.0f} ms")
        elif name == "SO_RXQ_OVFL" and isinstance(value, int):
            rise = c.get("rise", c.get("delta"))
            if rise is None:
                rise = value - state.ovfl.get(sock, 0)
            state.ovfl[sock] = value
            lines.append(f"{sock} SO_RXQ_OVFL {value:,} (+{rise:,})")
        elif name == "SCM_RIGHTS":
            fds = value if isinstance(value, list | tuple) else [value]
            names = c.get("names") or new
            for i, fd in enumerate(fds):
                target = f" → {names[i]}" if i < len(names) else ""
                lines.append(
                    f"{sock} SCM_RIGHTS fd {fz.fd(int(fd)) if isinstance(fd, int) else fd}{target}"
                )
        elif name == "SCM_CREDENTIALS":
            if isinstance(value, dict):
                text = " ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list | tuple) and len(value) == 3:
                text = "pid={} uid={} gid={}".format(*value)
            else:
                text = str(value)
            lines.append(f"{sock} SCM_CREDENTIALS {text}")
        else:
            if isinstance(value, dict):
                text = " ".join(f"{k}={v}" for k, v in value.items())
            else:
                text = str(value)
            lines.append(f"{sock} {name} {fz.text(text)}")
    return lines


def syscall_lines(ev: Any, fz: Freezer) -> list[str]:
    if ev.kind == "pending":
        if fz.frozen:
            # Whether a call was still in the kernel after 20 ms depends on the machine's load, and a
            # frozen app (snapshots, screenshots) must draw the same screen on every machine.
            return []
        syscall = getattr(ev, "syscall", "call")
        return [f"{ev.sock or '?'}: {syscall}(...) <pending: waits in the background>"]
    if ev.kind == "signal":
        sig = getattr(ev, "signal", None) or getattr(ev, "name", "signal")
        return [f"--- {sig} {ev.sock or ''} ---".replace("  ", " ")]
    out = ev.outcome
    if out is None:
        return []
    lines = [fz.trace(line) for line in out.trace.split("\n")]  # one row per syscall, marks kept
    if out.errno and out.error:
        lines.append(f"  ↳ {out.error}")
    return lines
