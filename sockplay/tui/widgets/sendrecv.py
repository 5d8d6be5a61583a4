"""The Send/Recv tab: send and receive on the selected socket with any MSG_ flag.

Every button press becomes a command line run through `app.run_command(...,
origin="form")`, so the REPL shows `send c1 hello` or `recv a1 2 peek` and a
session replays as a script. The received-data view is filled from the journal,
not from the buttons, so receives typed in the REPL show here too.

The data view keeps the newest entry at the bottom, as a terminal, the REPL and
the System calls pane do: bytes of a stream then read top to bottom in the order
they arrived, and a person's eye stays in one place while keep-reading runs.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label, SelectionList, Static, Switch
from textual.widgets.selection_list import Selection

from sockplay.core.flags import MSG_FLAGS, Flag
from sockplay.lang.grammar import ScriptError, decode_data, quote_data, quote_word, tokenize
from sockplay.lang.parser import parse_line
from sockplay.tui.widgets.base import SocketView
from sockplay.tui.widgets.hexdump import fit_width, hex_rows

# The picker's flags, most used first; every one the send or a receive call accepts
# (MSG_WAITFORONE is for recvmmsg, which no command makes; MSG_CTRUNC is only returned).
PICKER_ORDER = (
    "peek", "dontwait", "waitall", "trunc", "oob", "nosignal", "more", "eor",
    "dontroute", "confirm", "errqueue", "cmsg_cloexec", "zerocopy", "fastopen",
)
FLAGS: dict[str, Flag] = {f.short: f for f in MSG_FLAGS}
PICKER_FLAGS: tuple[Flag, ...] = tuple(FLAGS[s] for s in PICKER_ORDER if s in FLAGS)

RECV_CALLS = ("recv", "recvfrom", "recvmsg")
SEND_CALLS = ("send", "sendto", "sendmsg")
DEFAULT_SIZE = 1024
DEFAULT_ANC = 256

MAX_ENTRIES = 200  # entries kept per socket
MAX_BYTES = 64 * 1024  # received bytes kept per socket
ENTRY_SHOWN = 8 * 1024  # bytes of one receive shown in the dump; the rest is counted
MAX_NEW_PER_BATCH = 50  # a flood drained from the REPL shows its newest entries only (per update)
UPDATES_PER_SECOND = 2  # the view takes new entries at most this often; a lone call shows at once

DRAIN_COUNT = 16  # keep reading: tries per command (count=N stops at EAGAIN or EOF)
REARM = 0.5  # after EAGAIN, read again only when POLLIN dropped, or after this long
LOST = 3.0  # a drain command whose events never came (closed socket): give up on it


# ---------------------------------------------------------------------------- pure helpers
def parse_send_text(text: str) -> bytes:
    """The bytes the send box stands for: C escapes as in a quoted DATA word, or `hex:...`.

    Decoded with the language's own decoder, so the box accepts exactly what a
    script would. Raises ScriptError whose column counts characters of `text`.
    """
    if text[:4].lower() == "hex:":
        body = text[4:]
        if '"' in body or "'" in body:
            col = 5 + min(i for i in (body.find('"'), body.find("'")) if i >= 0)
            raise ScriptError(1, col, "hex: data takes hex digits only, as in hex:48656c6c6f")
        try:
            return decode_data(tokenize(f'hex:"{body}"')[0])
        except ScriptError as exc:
            raise ScriptError(1, max(1, exc.col - 1), exc.message) from None
    out: list[str] = ['"']
    cols: list[int] = [0]  # cols[k] = column in `text` of line character k (1-based)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text):
                raise ScriptError(1, i + 1, "a backslash ends the text; write \\\\ for a backslash")
            out += [ch, text[i + 1]]
            cols += [i + 1, i + 2]
            i += 2
            continue
        if ch == '"':
            out.append("\\")
            cols.append(i + 1)
        out.append(ch)
        cols.append(i + 1)
        i += 1
    out.append('"')
    cols.append(len(text) + 1)
    line = "".join(out)
    try:
        return decode_data(tokenize(line)[0])
    except ScriptError as exc:
        raise ScriptError(1, cols[min(exc.col - 1, len(cols) - 1)] or 1, exc.message) from None


def command_words(command: str | None) -> list[str]:
    return (command or "").split()


def was_peek(ev: Any) -> bool:
    """A receive that left its data queued: the Outcome says so, or its command asked for peek."""
    out = ev.outcome
    if out.peeked:
        return True
    return any(w.lower() in ("peek", "msg_peek") for w in command_words(ev.command))


def call_header(ev: Any) -> str:
    """The command that made this call, without count=N (each try is its own entry)."""
    words = [w for w in command_words(ev.command) if not w.startswith("count=")]
    if words and words[0] == ev.outcome.syscall:
        return " ".join(words)
    return f"{ev.outcome.syscall} {ev.sock}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(slots=True)
class Entry:
    """One call shown in the data view; its look is built when shown (width and theme vary)."""

    header: str
    syscall: str
    ret: int | None = None
    errno: str | None = None
    error: str | None = None
    data: bytes | None = None
    hidden: int = 0  # received bytes not kept (past ENTRY_SHOWN)
    peeked: bool = False
    eof: bool = False
    msg_flags: list[str] = field(default_factory=list)
    address: str | None = None
    cmsgs: list[str] = field(default_factory=list)
    new_sockets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data or b"")

    @property
    def classes(self) -> str:
        kind = (
            "-error" if self.errno
            else "-eof" if self.eof
            else "-peeked" if self.peeked
            else "-sent" if self.syscall in SEND_CALLS
            else "-received"
        )
        return f"sr-entry {kind}"

    def render(self, width: int) -> Content:
        """Header line (and the error), the dump `width` bytes per line, then the engine's notes."""
        parts: list[str | tuple[str, str]] = [(self.header, "bold"), ("  →  ", "$text-muted")]
        if self.errno:
            parts += [(f"-1 {self.errno}", "bold $text-error")]
        elif self.syscall in SEND_CALLS:
            parts += [f"{plural(self.ret or 0, 'byte')} sent"]
        elif self.eof:
            parts += [("0 bytes: peer closed", "bold $text-warning"), ("  (end of stream)", "$text-muted")]
        else:
            parts += [plural(self.ret or 0, "byte")]
            if self.ret is not None and self.ret != self.size + self.hidden:
                parts += [(f" ({self.size + self.hidden} in the buffer)", "$text-muted")]
            if self.peeked:
                parts += ["  ", (" peeked ", "bold reverse $text-warning"), (" still queued", "$text-warning")]
        lines = [Content.assemble(*parts)]
        # what came with the data, on a line of its own so the header never wraps mid-way
        extra: list[str | tuple[str, str]] = []
        for flag in self.msg_flags:
            extra += [(f" {flag} ", "bold reverse $text-error"), " "]
        if self.address:
            extra += [("from ", "$text-muted"), (self.address, "$text-accent"), " "]
        if self.cmsgs:
            extra += [("cmsg ", "$text-muted"), ", ".join(self.cmsgs), " "]
        if self.new_sockets:
            extra += [("new ", "$text-muted"), ", ".join(self.new_sockets), " "]
        if extra:
            lines.append(Content.assemble(*extra[:-1]))
        if self.errno and self.error:
            lines.append(Content.styled(self.error, "$text-error"))
        if self.data:
            text_style = "$text-warning" if self.peeked else "$text-accent"
            for row in hex_rows(self.data, width):
                lines.append(
                    Content.assemble(
                        (row.offset, "$text-muted"), "  ", row.hex, "  ", (row.text, text_style)
                    )
                )
        if self.hidden:
            lines.append(Content.styled(f"… {plural(self.hidden, 'more byte')} not shown", "$text-muted"))
        lines += [Content.styled(n, "italic $text-muted") for n in self.notes]
        return Content("\n").join(lines)


def entry_from_event(ev: Any, fz: Any = None, stream: bool = False) -> Entry:
    """What the data view shows for one call event (addresses through the app's Freezer).

    `stream`: the socket is a stream, so a receive returning 0 means the peer closed.
    """
    out = ev.outcome
    addr = out.address
    if addr and fz is not None:
        addr = fz.addr(addr)
    data = out.data
    hidden = 0
    if data is not None and len(data) > ENTRY_SHOWN:
        hidden = len(data) - ENTRY_SHOWN
        data = data[:ENTRY_SHOWN]
    recv = out.syscall in RECV_CALLS
    return Entry(
        header=call_header(ev),
        syscall=out.syscall,
        ret=out.ret,
        errno=out.errno,
        error=out.error,
        data=data if recv else None,
        hidden=hidden if recv else 0,
        peeked=recv and out.errno is None and was_peek(ev),
        eof=recv and stream and out.errno is None and out.ret == 0,
        msg_flags=[f for f in out.msg_flags if f in ("MSG_TRUNC", "MSG_CTRUNC", "MSG_OOB", "MSG_EOR")],
        address=addr,
        cmsgs=[str(c.get("name", c.get("type", "?"))) for c in out.cmsgs],
        new_sockets=list(out.new_sockets),
        notes=[n for n in out.notes if not n.startswith("asked ")],
    )


@dataclass(slots=True)
class History:
    """One socket's entries, bounded by count and by bytes; what fell off is counted."""

    entries: deque[Entry] = field(default_factory=deque)
    nbytes: int = 0
    dropped: int = 0

    def add(self, entry: Entry) -> int:
        """Append; returns how many of the oldest entries were dropped to stay in bounds."""
        self.entries.append(entry)
        self.nbytes += entry.size
        gone = 0
        while len(self.entries) > 1 and (len(self.entries) > MAX_ENTRIES or self.nbytes > MAX_BYTES):
            old = self.entries.popleft()
            self.nbytes -= old.size
            gone += 1
        self.dropped += gone
        return gone


@dataclass(slots=True)
class Reader:
    """Keep-reading state of one socket: the drain command in flight and when it went idle."""

    line: str | None = None
    seen: int = 0
    issued: float = 0.0
    idle_since: float | None = None
    stream: bool = True


# ---------------------------------------------------------------------------- the widget
class EntryView(Static):
    """One entry of the data view."""

    def __init__(self, entry: Entry, width: int) -> None:
        super().__init__(entry.render(width), classes=entry.classes, markup=False)
        self.entry = entry


class SendRecvPanel(SocketView, Vertical):
    """A send box, a flag picker, receive buttons, keep reading, and what was received."""

    BINDINGS = [
        Binding("f5", "send", "send", id="sendrecv-send"),
        Binding("f6", "recv('recv')", "recv", id="sendrecv-recv"),
        Binding("f7", "recv('recvfrom')", "recvfrom", id="sendrecv-recvfrom"),
        Binding("f8", "recv('recvmsg')", "recvmsg", id="sendrecv-recvmsg"),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.histories: dict[str, History] = {}
        self.readers: dict[str, Reader] = {}
        self.info: dict[str, Any] | None = None
        self._width = 16  # bytes per dump line in the view now
        self._shown: str | None = None  # whose history the view holds
        self._ready: dict[str, list[str]] = {}  # the app's readiness map, as last published
        self._timer: Any = None  # one pending second look (REARM / LOST)
        # Calls not yet shown, per socket: the newest MAX_NEW_PER_BATCH, and how many older ones
        # were let go. Taken at most UPDATES_PER_SECOND, so a flood costs the UI thread a bounded
        # amount of work (each entry is a widget to build and lay out) whatever its rate.
        self._waiting: dict[str, deque[Any]] = {}
        self._skipped: dict[str, int] = {}
        self._update_timer: Any = None
        self._next_update_at = 0.0
        self._view_stale = False  # the view was left as it was while hidden: rebuild when shown

    # -- layout ----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="sr-top"):
            with Vertical(id="sr-controls"):
                with Horizontal(classes="sr-row"):
                    yield Label("send", classes="sr-label")
                    yield Input(
                        placeholder=r"text: hello\r\n  or hex:48656c6c6f",
                        id="sr-data",
                        compact=True,
                    )
                    yield Button("send", id="sr-send", compact=True, tooltip="send the data (F5)")
                with Horizontal(classes="sr-row", id="sr-dest-row"):
                    yield Label("to", classes="sr-label")
                    yield Input(
                        placeholder="ADDR or socket name (sendto)", id="sr-dest", compact=True
                    )
                with Horizontal(classes="sr-row"):
                    yield Label("size", classes="sr-label")
                    yield Input(str(DEFAULT_SIZE), type="integer", id="sr-size", compact=True)
                    yield Label("anc", classes="sr-label sr-anc-label")
                    yield Input(str(DEFAULT_ANC), type="integer", id="sr-anc", compact=True,
                                tooltip="recvmsg's control buffer, in bytes")
                with Horizontal(classes="sr-row"):
                    yield Button("recv", id="sr-recv", compact=True, tooltip="recv (F6)")
                    yield Button("recvfrom", id="sr-recvfrom", compact=True,
                                 tooltip="recvfrom: also says who sent it (F7)")
                    yield Button("recvmsg", id="sr-recvmsg", compact=True,
                                 tooltip="recvmsg: data, sender, flags and ancillary data (F8)")
            with Vertical(id="sr-side"):
                with Horizontal(id="sr-keep-row"):
                    yield Switch(id="sr-keep", animate=False,
                                 tooltip="read whenever the socket becomes readable")
                    yield Label("keep reading", id="sr-keep-label")
                yield SelectionList[str](
                    *[Selection(f.short, f.short) for f in PICKER_FLAGS], id="sr-flags"
                )
        yield Static("", id="sr-help", markup=False)
        yield VerticalScroll(id="sr-view")

    def on_mount(self) -> None:
        self.query_one("#sr-dest-row").display = False
        view = self.query_one("#sr-view", VerticalScroll)
        view.border_title = "received"
        view.can_focus = True
        signal = getattr(self.app, "ready_signal", None)
        if signal is not None:  # readiness arrives when it changes; nothing polls
            signal.subscribe(self, self._ready_changed)
        self._say("Select a socket; then send, or pick flags and a size and receive.")
        if getattr(self.app, "frozen", False):
            for inp in self.query(Input):
                inp.cursor_blink = False

    # -- help line -------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        help_line = self.query_one("#sr-help", Static)
        help_line.update(text)
        help_line.set_class(error, "-error")

    @on(SelectionList.SelectionHighlighted, "#sr-flags")
    def _flag_help(self, msg: SelectionList.SelectionHighlighted) -> None:
        flag = FLAGS[str(msg.selection.value)]
        calls = " and ".join(c for c, ok in (("send", flag.send), ("receive", flag.recv)) if ok)
        self._say(f"{flag.name} ({calls}): {flag.help}")

    # -- selection ---------------------------------------------------------------
    def show_socket(self, name: str | None, info: dict[str, Any] | None) -> None:
        """Follow the selected socket: its history, its keep-reading state, a `to` field if it needs one."""
        super().show_socket(name, info)
        self.info = info
        dgram = info is not None and info.get("type") in ("SOCK_DGRAM", "SOCK_RAW") and not info.get("peer")
        self.query_one("#sr-dest-row").display = dgram
        if name != self._shown:
            self._shown = name
            self._show_keep(name in self.readers)
            self._rebuild_view()
            if name is None:
                self._say("No socket selected.")

    # -- actions -----------------------------------------------------------------
    def _flags_for(self, call: str) -> tuple[list[str], list[str]]:
        """The picked flags this call accepts, and the ones it does not."""
        picked = [FLAGS[v] for v in self.query_one("#sr-flags", SelectionList).selected]
        ok = [f for f in picked if (f.send if call in SEND_CALLS else f.recv)]
        return [f.short for f in ok], [f.short for f in picked if f not in ok]

    def _run(self, line: str, skipped: list[str], call: str) -> None:
        """Check the line with the language's parser, then run it as a form command."""
        try:
            parse_line(line)
        except ScriptError as exc:
            self._say(f"not run: {exc.message}  ({line})", error=True)
            return
        run = getattr(self.app, "run_command", None)
        if run is None:
            return
        run(line, origin="form")
        note = f"  ({', '.join(skipped)}: not a {call} flag, left out)" if skipped else ""
        self._say(f"ran: {line}{note}")

    def _int_field(self, wid: str, default: int, what: str) -> int | None:
        raw = self.query_one(wid, Input).value.strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < 0:
            self._say(f"{what} must be a byte count such as {default}, not {raw!r}", error=True)
            return None
        return value

    def action_send(self) -> None:
        name = self.socket_name
        if name is None:
            self._say("Select a socket to send on.", error=True)
            return
        text = self.query_one("#sr-data", Input).value
        try:
            data = parse_send_text(text)
        except ScriptError as exc:
            self._say(f"bad data at character {exc.col}: {exc.message}", error=True)
            return
        flags, skipped = self._flags_for("send")
        dest_row = self.query_one("#sr-dest-row")
        dest = self.query_one("#sr-dest", Input).value.strip() if dest_row.display else ""
        words = (["sendto", name, quote_word(dest)] if dest else ["send", name]) + [quote_data(data)] + flags
        self._run(" ".join(words), skipped, "send")

    def action_recv(self, call: str = "recv") -> None:
        name = self.socket_name
        if name is None:
            self._say("Select a socket to receive on.", error=True)
            return
        size = self._int_field("#sr-size", DEFAULT_SIZE, "size")
        if size is None:
            return
        words = [call, name, str(size)]
        flags, skipped = self._flags_for(call)
        words += flags
        if call == "recvmsg":
            anc = self._int_field("#sr-anc", DEFAULT_ANC, "anc")
            if anc is None:
                return
            words.append(f"anc={anc}")
        self._run(" ".join(words), skipped, "receive")

    @on(Button.Pressed)
    def _pressed(self, msg: Button.Pressed) -> None:
        msg.stop()
        if msg.button.id == "sr-send":
            self.action_send()
        elif msg.button.id and msg.button.id.removeprefix("sr-") in RECV_CALLS:
            self.action_recv(msg.button.id.removeprefix("sr-"))

    @on(Input.Submitted)
    def _submitted(self, msg: Input.Submitted) -> None:
        msg.stop()
        if msg.input.id in ("sr-data", "sr-dest"):
            self.action_send()
        elif msg.input.id == "sr-anc":
            self.action_recv("recvmsg")
        else:
            self.action_recv("recv")

    @on(Input.Changed, "#sr-data")
    def _check_data(self, msg: Input.Changed) -> None:
        """Say at once when the send box will not parse (nothing is run until send)."""
        try:
            data = parse_send_text(msg.value)
        except ScriptError as exc:
            self._say(f"bad data at character {exc.col}: {exc.message}", error=True)
        else:
            if msg.value:
                self._say(f"{plural(len(data), 'byte')}: {quote_data(data)}")

    # -- keep reading ------------------------------------------------------------
    @on(Switch.Changed, "#sr-keep")
    def _keep_changed(self, msg: Switch.Changed) -> None:
        name = self.socket_name
        if name is None:
            return
        self.query_one("#sr-keep-row").set_class(msg.value, "-on")
        if not msg.value:
            self.readers.pop(name, None)
            self._say(f"keep reading on {name}: off")
            return
        info = self.info or {}
        if info.get("state") == "LISTEN":
            self._say(f"{name} listens: POLLIN there is a connection to accept, not data", error=True)
            self._show_keep(False)
            return
        if self._int_field("#sr-size", DEFAULT_SIZE, "size") is None:
            self._show_keep(False)
            return
        self.readers[name] = Reader(stream=info.get("type") in ("SOCK_STREAM", "SOCK_SEQPACKET"))
        self._say(f"keep reading on {name}: reads whenever it becomes readable (POLLIN)")
        self._keep_tick()

    def _show_keep(self, on: bool) -> None:
        """Set the switch without it counting as a person's toggle."""
        with self.prevent(Switch.Changed):
            self.query_one("#sr-keep", Switch).value = on
        self.query_one("#sr-keep-row").set_class(on, "-on")

    def _drain_line(self, name: str, reader: Reader) -> str:
        size = self._int_field("#sr-size", DEFAULT_SIZE, "size") or DEFAULT_SIZE
        if reader.stream:
            return f"recv {name} {size} dontwait count={DRAIN_COUNT}"
        anc = self._int_field("#sr-anc", DEFAULT_ANC, "anc")
        return f"recvmsg {name} {size} dontwait anc={DEFAULT_ANC if anc is None else anc} count={DRAIN_COUNT}"

    def _ready_changed(self, ready: dict[str, list[str]]) -> None:
        self._ready = ready
        self._keep_tick()

    def _later(self, delay: float) -> None:
        """Look again after `delay` (a drain's REARM or LOST wait), once, whatever else happens."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self._keep_tick)

    def _keep_tick(self) -> None:
        """Issue a drain for each keep-reading socket that is readable and not already draining.

        One drain in flight per socket; after an EAGAIN it waits for POLLIN to drop
        and come back (or REARM seconds, in case the watcher saw no change), so it
        can never spin on a socket that only looks readable.
        """
        self._timer = None
        if not self.readers:
            return
        app: Any = self.app
        ready = self._ready or getattr(app, "ready", {})
        now = time.monotonic()
        for name, reader in list(self.readers.items()):
            if name not in app.pg.sockets:
                del self.readers[name]
                continue
            if reader.line is not None:
                if now - reader.issued < LOST:
                    self._later(LOST - (now - reader.issued))
                    continue
                reader.line = None
            if "POLLIN" not in ready.get(name, ()):
                reader.idle_since = None
                continue
            if reader.idle_since is not None and now - reader.idle_since < REARM:
                self._later(REARM - (now - reader.idle_since))
                continue
            reader.line = self._drain_line(name, reader)
            reader.seen = 0
            reader.issued = now
            app.run_command(reader.line, origin="form")

    def _stop_reading(self, name: str, why: str) -> None:
        self.readers.pop(name, None)
        if name == self.socket_name:
            self._show_keep(False)
        self._say(f"keep reading on {name} stopped: {why}", error=True)

    def _own_drain(self, ev: Any) -> bool:
        """Account for an event of our own drain; True when it is the EAGAIN that ends it (not shown)."""
        reader = self.readers.get(ev.sock)
        if reader is None or reader.line is None or ev.command != reader.line:
            return False
        out = ev.outcome
        reader.seen += 1
        if out.errno == "EAGAIN":
            reader.line, reader.idle_since = None, time.monotonic()
            if ev.sock == self.socket_name:
                self._say(f"keep reading on {ev.sock}: queue empty (EAGAIN), waiting for data")
            self._later(REARM)  # the watcher may see no change (POLLIN stayed): look again then
            return True
        if out.errno:
            reader.line = None
            self._stop_reading(ev.sock, f"{out.errno}: {out.error or ''}")
        elif reader.stream and out.ret == 0:
            reader.line = None
            self._stop_reading(ev.sock, "peer closed (recv returned 0)")
        elif reader.seen >= DRAIN_COUNT:
            reader.line = None  # more may be queued: read again at once
            self.call_later(self._keep_tick)
        return False

    # -- journal -----------------------------------------------------------------
    def journal_calls(self, events: list[Any]) -> None:
        """Show send and receive results of every socket (REPL-typed ones too), newest at the bottom."""
        for ev in events:
            out = ev.outcome
            if out is None or ev.sock is None or out.syscall not in RECV_CALLS + SEND_CALLS:
                continue
            if self._own_drain(ev):
                continue
            waiting = self._waiting.get(ev.sock)
            if waiting is None:
                waiting = self._waiting[ev.sock] = deque(maxlen=MAX_NEW_PER_BATCH)
            elif len(waiting) == MAX_NEW_PER_BATCH:  # a flood: only the newest are worth building
                self._skipped[ev.sock] = self._skipped.get(ev.sock, 0) + 1
            waiting.append(ev)
        if self._waiting and self._update_timer is None:
            wait = self._next_update_at - time.monotonic()
            if wait <= 0:
                self._take_waiting()
            else:
                self._update_timer = self.set_timer(wait, self._take_waiting)

    @property
    def behind(self) -> bool:
        """True while calls the view was given are not in its history yet (at most 1/UPDATES_PER_SECOND)."""
        return bool(self._waiting)

    def _take_waiting(self) -> None:
        """Put the waiting calls into the histories, and the shown socket's into the view."""
        self._update_timer = None
        self._next_update_at = time.monotonic() + 1 / UPDATES_PER_SECOND
        waiting, self._waiting = self._waiting, {}
        skipped, self._skipped = self._skipped, {}
        app: Any = self.app
        fz = getattr(app, "freezer", None)
        for name, evs in waiting.items():
            hist = self.histories.setdefault(name, History())
            hist.dropped += skipped.get(name, 0)
            sock = app.pg.sockets.get(name) if hasattr(app, "pg") else None
            stream = getattr(sock, "type", None) in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET)
            entries = [entry_from_event(ev, fz, stream) for ev in evs]
            gone = sum(hist.add(e) for e in entries)
            if name == self._shown:
                self._append_view(entries, gone)

    # -- the data view -------------------------------------------------------------
    def _view_width(self) -> int:
        view = self.query_one("#sr-view", VerticalScroll)
        cols = view.scrollable_content_region.width
        return fit_width(cols - 2) if cols > 0 else self._width

    def _title(self) -> None:
        view = self.query_one("#sr-view", VerticalScroll)
        name = self._shown
        hist = self.histories.get(name or "")
        title = f"received on {name}" if name else "received"
        if hist and hist.dropped:
            title += f" · +{hist.dropped:,} older entries dropped"
        view.border_title = title

    def _view_hidden(self) -> bool:
        """The tab is not on screen: its view's widgets would be built for nobody."""
        return self.query_one("#sr-view").region.area == 0

    def on_show(self) -> None:
        if self._view_stale:
            self._rebuild_view()

    def _rebuild_view(self) -> None:
        if self._view_hidden():
            self._view_stale = True  # built when the tab is shown (on_show)
            return
        self._view_stale = False
        view = self.query_one("#sr-view", VerticalScroll)
        view.remove_children()
        self._width = self._view_width()
        hist = self.histories.get(self._shown or "")
        if hist and hist.entries:
            views = [EntryView(e, self._width) for e in hist.entries]
            view.mount_all(views)
            view.call_after_refresh(self._show_newest, views[-1])
        self._title()

    def _show_newest(self, newest: EntryView) -> None:
        """Scroll to the end, but never past the newest entry's header when it is taller than the view."""
        view = self.query_one("#sr-view", VerticalScroll)
        view.scroll_to_widget(newest, animate=False, top=True)

    def _append_view(self, entries: list[Entry], gone: int) -> None:
        if self._view_stale or self._view_hidden():
            self._view_stale = True
            return
        view = self.query_one("#sr-view", VerticalScroll)
        kids = list(view.query_children(EntryView))
        # following: the end is in view, or the newest entry's header is (a tall one was shown from its top)
        follow_from = min(view.max_scroll_y, kids[-1].virtual_region.y) if kids else 0
        at_end = view.scroll_y >= follow_from - 1
        if gone >= len(kids):
            self._rebuild_view()
            return
        if gone:
            view.remove_children(kids[:gone])
        views = [EntryView(e, self._width) for e in entries]
        view.mount_all(views)
        if at_end:
            view.call_after_refresh(self._show_newest, views[-1])
        self._title()

    def on_resize(self) -> None:
        if self._view_stale and not self._view_hidden():
            self._rebuild_view()  # the view had no room (a small terminal) and has some now
            return
        width = self._view_width()
        if width != self._width:
            self._width = width
            for child in self.query_one("#sr-view").query_children(EntryView):
                child.update(child.entry.render(width))
