"""The Wire pane: one line per packet the playground's sockets put on loopback.

It follows the journal on its own (a subscription of its own, formatting off the
UI thread), so the app only has to place it. Packets are grouped under the call
that was last made before them (`── connect c ──`), with the kernel's receive
time on each, the same clock as the calls' events: a connect's SYN, SYN-ACK and
ACK sit under that connect. A packet more than WAIT_AFTER seconds after the last
call is marked as the kernel's own (a keepalive probe, a retransmission).
When nothing can be captured the pane says why; it shows itself when `wire on`
runs and F4 toggles it (it takes the Ancillary pane's place).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Literal

from textual.message import Message

from sockplay.core.wire.decode import tcpdump_flags
from sockplay.tui.widgets.format import Freezer
from sockplay.tui.widgets.panes import EventPane

WAIT_AFTER = 0.2  # seconds: a packet this long after the last call was not caused by it
IN_CALL = 0.05  # seconds: a packet this close before a call's end passed while that call ran
HOLD = 0.1  # seconds a packet waits for the call that sent it to reach the journal
WIRE_RULES = [
    (r"^\d\d:\d\d\.\d{6}", "time"),
    (r"^── .* ──.*$", "secondary-bold"),
    (r"\[[SFRPUEW.]+\]", "accent-bold"),
    (r"\[R\.?\]", "error-bold"),
    (r"\bicmp6? [A-Z_|]+", "error-bold"),
    (r"(?<=\d{6} )(\S+ → \S+)", "primary-bold"),
    (r"\budp\b", "accent-bold"),
    (r"^# .*", "warning"),
    (r"\(kernel[^)]*\)", "secondary"),
]
HINT_OFF = "# wire off: type `wire on` to see the packets your calls cause (needs CAP_NET_RAW); F4 hides this pane"
HINT_UNIX = "# only unix sockets are open: unix sockets never reach the wire"


class WireBatch(Message):
    """Lines for the pane, formatted in the journal's thread."""

    def __init__(self, lines: list[str], folded: int, show: bool) -> None:
        super().__init__()
        self.lines, self.folded, self.show = lines, folded, show


def packet_line(ev: Any, fz: Freezer, note: str = "") -> str:
    """`00:01.119821 c → srv [S] seq 0 win 65495 len 0 [mss 65495,sackOK,TS,nop,wscale 10]` (TCP by its flags)."""
    f = ev.fields
    src = f.get("src_sock") or fz.addr(f.get("src", "?"))
    dst = f.get("dst_sock") or fz.addr(f.get("dst", "?"))
    head = f"{fz.clock_us(ev.time, ev.seq)[3:]} {src} → {dst}"  # MM:SS.uuuuuu: the hour is on the call's line
    proto = f.get("proto")
    if proto == "tcp":
        flags = f.get("flags", [])
        first = "SYN" in flags
        seq = "ISN" if first and fz.frozen else f.get("seq")
        ack = f.get("ack")
        if fz.frozen and ack is not None and "SYN" in flags:
            ack = "ISN+1"
        parts = [f"[{tcpdump_flags(flags)}] seq {seq}"]
        if ack is not None:
            parts.append(f"ack {ack}")
        parts.append(f"win {f.get('win')} len {f.get('len')}")
        opts = [("TS" if o.startswith("TS ") and fz.frozen else o) for o in f.get("options", [])]
        if opts and first:  # what a handshake negotiates; later segments carry only timestamps
            parts.append("[" + ",".join(opts) + "]")
        body = " ".join(parts)
    elif proto == "udp":
        body = f"udp len {f.get('len')}"
    else:
        body = f"{proto} {'|'.join(f.get('flags', [])) or '?'} {fz.addr(f.get('info', ''))}".rstrip()
    return f"{head} {body}{note}"


class WirePane(EventPane):
    """Packets on loopback, grouped under the call that caused them."""

    def __init__(self, *, id: str | None = "wire-pane") -> None:
        super().__init__("Wire", WIRE_RULES, wrap=True, id=id)
        self._unsubscribe: Any = None
        self._calls: deque[tuple[float, str]] = deque(maxlen=256)  # (end time, label) of recent calls
        self._pending: deque[Any] = deque()  # wire events not yet placed under a call
        self._marked: tuple[float, str] | None = None  # the call whose marker line is in the pane
        self._unix_only: bool | None = None
        self._lock = threading.Lock()
        self.packets = 0  # packets placed in the pane or folded into its counter

    def on_mount(self) -> None:
        super().on_mount()
        pg = self.app.pg  # type: ignore[attr-defined]
        st = pg.wire_status()
        self.write_line(f"# wire: {st['reason']}" if st.get("reason") else HINT_OFF)
        self._unsubscribe = pg.journal.subscribe(self._on_events)
        self.set_interval(HOLD, self._flush)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # -- placing packets under calls (any thread, under the lock) ----------------------
    def _caller(self, t: float, now: float) -> tuple[float, str] | Literal[False] | None:
        """The call a packet at `t` belongs to; None: the kernel's own; False: not known yet."""
        prev = nxt = None
        for call in self._calls:
            if call[0] < t:
                prev = call
            else:
                nxt = call
                break
        if nxt is not None and nxt[0] - t <= IN_CALL:
            return nxt  # the packet passed while this call ran (its event comes at its end)
        if prev is not None and t - prev[0] <= WAIT_AFTER:
            return prev  # right after a call: its answer (an ACK, a reply)
        if nxt is None and now - t < HOLD:
            return False  # the call that sent it may not be in the journal yet
        return None

    def _place(self, now: float) -> list[str]:
        fz: Freezer = self.app.freezer  # type: ignore[attr-defined]
        lines: list[str] = []
        while self._pending:
            ev = self._pending[0]
            call = self._caller(ev.time, now)
            if call is False:
                break
            self._pending.popleft()
            self.packets += 1
            note = ""
            if call is None:
                last = self._calls[-1] if self._calls else None
                note = "  (kernel)" if fz.frozen or last is None else \
                    f"  (kernel, {ev.time - last[0]:.1f} s after {last[1]})"
            elif call != self._marked:
                self._marked = call
                lines.append(f"── {call[1]} ── {fz.clock(call[0], 0)}")
            lines.append(packet_line(ev, fz, note))
        return lines

    # -- the journal's thread ------------------------------------------------------
    def _on_events(self, events: list[Any], missed: int) -> None:
        lines: list[str] = []
        show = False
        wire_events = [ev for ev in events if ev.kind == "wire"]
        keep = {id(ev) for ev in wire_events[-self.BATCH_CAP:]}
        folded = len(wire_events) - len(keep)
        with self._lock:
            self.packets += folded
            for ev in events:
                kind = ev.kind
                if kind == "call" and ev.outcome is not None and getattr(ev.outcome, "origin", "user") == "user":
                    # The app's own reads (the socket list's) send nothing: a packet is never theirs.
                    self._calls.append((ev.time, f"{ev.outcome.syscall} {ev.sock or ''}".strip()))
                elif kind == "note" and ev.fields.get("wire"):
                    lines += self._place(float("inf"))
                    lines.append(f"# {ev.fields.get('text', '')}")
                    show = show or ev.fields.get("wire") != "off"  # on, or why it cannot be
                elif kind == "wire" and id(ev) in keep:
                    self._pending.append(ev)
            lines += self._place(time.time())
        try:
            unix_only = bool(self.app.pg.wire_status().get("unix_only"))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the playground may be closing
            unix_only = False
        if unix_only != self._unix_only:
            if unix_only:
                lines.append(HINT_UNIX)
            self._unix_only = unix_only
        if lines or folded or missed:
            self.post_message(WireBatch(lines, folded + missed, show))

    # -- the UI thread -------------------------------------------------------------
    def _flush(self) -> None:
        """Packets held back while their call might still come: place them now."""
        if not self._pending:
            return
        with self._lock:
            lines = self._place(time.time())
        if lines:
            self.add_batch(lines)

    def on_wire_batch(self, msg: WireBatch) -> None:
        if msg.show:
            self.show_pane(True)
        self.add_batch(msg.lines, msg.folded)

    def show_pane(self, on: bool | None = None) -> None:
        """Show (True), hide (False) or toggle (None): the pane takes the Ancillary pane's place."""
        parent = self.parent
        if parent is None:
            return
        want = not parent.has_class("-wire") if on is None else on
        parent.set_class(want, "-wire")
