"""The option form for the selected socket, built from the catalog.

One line per option that applies to the socket's family and type, grouped by
level: a Switch for booleans, an Input for everything typed, a plain value for
read-only options. Each line shows what was asked beside what the kernel
reports back, and the kernel's refusal inline. Every change is a command line
run through `app.run_command(..., origin="form")`, so the REPL shows it and a
session replays as a script; values arrive back through `journal_calls`, so a
`setsockopt` typed in the REPL moves the form too.

Reading values is a real, journaled getsockopt per option (shown in the System
calls pane). The form reads only the rows on screen, once per socket (ctrl+r
reads them again), and never reads SO_ERROR: reading it clears the pending
error. Reads are observations, not the person's commands: they are not echoed
in the REPL or recorded into a session script.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Label, Static, Switch, TabbedContent, Tabs

from sockplay.core import catalog, codecs
from sockplay.core.catalog import OptionRow
from sockplay.core.errors import UsageError
from sockplay.lang.executor import example_value
from sockplay.tui.widgets.base import SocketView

LEVEL_TITLES = {"SOL_SOCKET": "Socket", "IPPROTO_TCP": "TCP", "IPPROTO_IP": "IP", "IPPROTO_IPV6": "IPv6"}
NEVER_READ = frozenset({"SO_ERROR"})  # reading it clears the error the person is about to look at
READ_AHEAD = 2  # rows below the visible ones read in the same batch, so a small scroll costs nothing
READ_FIRST = 14  # the top rows always read on selection: the same calls whatever the layout's height
READ_DELAY = 0.12  # seconds: a burst of selection/scroll/filter changes makes one read
HINT = "values: real getsockopt calls, see System calls"
IDLE_HELP = (
    "Values are real getsockopt calls on the rows shown (never SO_ERROR: reading clears it); ctrl+r rereads. "
    "/ filters · ↑↓ move · Enter applies · focus a row to learn what it does."
)
# Shown first within their level: what people reach for most; the rest follow in catalog order.
COMMON = (
    "SO_RCVBUF", "SO_SNDBUF", "SO_KEEPALIVE", "SO_LINGER", "SO_REUSEADDR", "SO_REUSEPORT",
    "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_RCVLOWAT", "SO_PEEK_OFF", "SO_TIMESTAMP", "SO_RXQ_OVFL",
    "SO_OOBINLINE", "SO_BROADCAST", "SO_ERROR", "SO_TYPE",
    "TCP_NODELAY", "TCP_CORK", "TCP_INFO", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
    "IP_TTL", "IP_TOS", "IP_RECVERR", "IPV6_V6ONLY",
)
_RANK = {name: i for i, name in enumerate(COMMON)}
INT_KINDS = frozenset({"int", "size", "u64", "rate", "bpf_fd", "ignored"})
PREBUILT = (("inet", "stream"),)  # option groups built with the form (the demo scene's c1)


@dataclass(slots=True)
class OptState:
    """What the form knows about one option of one socket."""

    kernel: Any = None  # the decoded value the kernel last reported
    read: bool = False  # kernel holds a real read (getsockopt, or setsockopt's read-back)
    error: str | None = None  # the last refusal, "ERRNO: why"
    asked: str | None = None  # the value last asked for with setsockopt (form or REPL)
    sig: tuple[str, str, str] | None = None  # socket state, local, peer when read (None: unknown)
    pending: bool = False  # a read is queued


def _short(word: str, prefix: str) -> str:
    return word.removeprefix(prefix).lower()


def state_sig(info: dict[str, Any]) -> tuple[str, str, str]:
    return (info.get("state", "") or "", info.get("local", "") or "", info.get("peer", "") or "")


def too_late(row: OptionRow, info: dict[str, Any]) -> str | None:
    """Why setting `row` now may have no effect (the socket is past row.before), or None."""
    if not row.before:
        return None
    local, peer, state = info.get("local", ""), info.get("peer", ""), info.get("state", "")
    bound = bool(local) and not local.endswith(":0") and info.get("family") != "AF_UNIX"
    if row.before == "bind" and bound:
        return "already bound"
    if row.before in ("connect", "listen"):
        if peer:
            return "already connected"
        if state == "LISTEN":
            return "already listening"
    return None


def input_text(row: OptionRow, value: Any) -> str:
    """A kernel value written the way the option's Input accepts it back."""
    if value is None:
        return ""
    if row.kind in INT_KINDS or row.kind == "timeval":
        return f"{value:g}" if isinstance(value, float) else str(value)
    if row.kind in ("ifname", "string"):
        return str(value)
    if row.kind == "linger":
        return codecs.codec(row.kind).show(value)
    return ""  # structs and programs: the kernel's answer is beside the input, not in it


def shown(row: OptionRow, value: Any) -> str:
    try:
        return str(codecs.codec(row.kind).show(value))
    except Exception:  # noqa: BLE001 - an odd value must not break the form
        return repr(value)


def option_of(outcome: Any) -> str | None:
    """The option a set/getsockopt Outcome was about: its trace names it third."""
    trace = getattr(outcome, "main_trace", None) or outcome.trace or ""  # the call's own line, unmarked
    head, _, rest = trace.partition("(")
    parts = rest.split(", ")
    return parts[2] if head in ("setsockopt", "getsockopt") and len(parts) > 2 else None


class OptValue(Static, can_focus=True):
    """A read-only option's value: focusable so its explanation can be shown."""


NAME_WIDTH = 25  # SO_ATTACH_REUSEPORT_CBPF and a space
CONTROL_WIDTH = 13  # the control's 12 cells and a space


PLACEHOLDER_WIDTH = 11  # the Input's 12 cells less the cursor's


def placeholder(row: OptionRow) -> str:
    """A real example, marked as one (`e.g. on,0`), elided with … rather than cut mid-word."""
    text = f"e.g. {example_value(row)}"
    return text if len(text) <= PLACEHOLDER_WIDTH else text[: PLACEHOLDER_WIDTH - 1] + "…"


class OptInput(Input):
    """An option's value field: Escape puts back what it held and leaves; `/` goes to the filter."""

    def _on_focus(self, event: events.Focus) -> None:
        self.before = self.value  # Input's own _on_focus runs too (Textual calls each class's)

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("escape", "slash"):
            event.prevent_default()
            event.stop()
            form = next((a for a in self.ancestors if isinstance(a, OptionsForm)), None)
            if event.key == "escape":
                self.value = getattr(self, "before", "")
                if form is not None:
                    form.leave()
            elif form is not None:
                form.action_focus_filter()
            return
        await super()._on_key(event)


class FilterInput(Input):
    """The form's filter: Escape puts back the filter it had and leaves the form's fields."""

    def _on_focus(self, event: events.Focus) -> None:
        self.before = self.value  # Input's own _on_focus runs too (Textual calls each class's)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.prevent_default()
            event.stop()
            self.value = getattr(self, "before", "")
            form = next((a for a in self.ancestors if isinstance(a, OptionsForm)), None)
            if form is not None:
                form.leave()
            return
        if event.key == "slash":  # already here: `/` is no filter character
            event.prevent_default()
            event.stop()
            return
        await super()._on_key(event)


class OptionLine(Widget):
    """One option: its name and the kernel's answer drawn by the line itself, the control its only child.

    Two widgets per option instead of four: the app walks every widget on each journal
    batch, so ~65 options must stay light.
    """

    def __init__(self, row: OptionRow) -> None:
        self.row = row
        self.control: Widget
        if not row.writable:
            self.control = OptValue("", classes="opt-value")
        elif row.kind == "bool":
            self.control = Switch(animate=False, classes="opt-switch")
        else:
            self.control = OptInput(
                placeholder=placeholder(row), compact=True, classes="opt-input", select_on_focus=True
            )
        super().__init__(self.control, classes="opt-line")
        self.detail = Content("")
        self.haystack = f"{row.name} {row.short} {row.help}".lower()
        self.drawn: tuple[Any, ...] | None = None  # what the widgets show now (skip redraws)

    @property
    def detail_text(self) -> str:
        return self.detail.plain

    def set_detail(self, content: Content) -> None:
        if content != self.detail:
            self.detail = content
            self.refresh()

    def render(self) -> Content:
        focused = self.has_focus_within
        name = (self.row.name.ljust(NAME_WIDTH), "bold $accent" if focused else "")
        return Content.assemble(name, " " * CONTROL_WIDTH, self.detail)


class OptionGroup(Vertical):
    """Every option line for one family/type, kept and reused across sockets of that kind."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key
        self.lines: list[OptionLine] = []
        self.items: list[Widget] = []  # headings and lines, in screen order
        fam, typ = key
        for level, rows in catalog.by_level(
            r for r in catalog.OPTIONS if not r.alias_of and catalog.applies_to(r, fam, typ)
        ).items():
            heading = Static(f"{LEVEL_TITLES.get(level, level)}  ({level})", classes="opt-heading")
            heading.level = level  # type: ignore[attr-defined]
            self.items.append(heading)
            for row in sorted(rows, key=lambda r: _RANK.get(r.name, len(_RANK))):
                line = OptionLine(row)
                self.lines.append(line)
                self.items.append(line)
        self.by_name = {line.row.name: line for line in self.lines}
        super().__init__(*self.items, classes="opt-group")

    def apply_filter(self, text: str) -> int:
        """Show only lines matching `text` (name, short name or help); returns how many show."""
        words = [w.strip("_") for w in text.lower().split() if w.strip("_")]  # rcv_ finds SO_RCVBUF
        count = 0
        level_shown: dict[str, bool] = {}
        for line in self.lines:
            ok = all(w in line.haystack for w in words)
            line.display = ok
            count += ok
            level_shown[line.row.level] = level_shown.get(line.row.level, False) or ok
        for item in self.items:
            if not isinstance(item, OptionLine):
                item.display = level_shown.get(item.level, False)  # type: ignore[attr-defined]
        return count

    def visible_order(self) -> list[Widget]:
        return [w for w in self.items if w.display]


class OptionRows(VerticalScroll):
    """The scrolling list; scrolling reveals rows whose values the form then reads."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        form = next((a for a in self.ancestors if isinstance(a, OptionsForm)), None)
        if form is not None and round(old_value) != round(new_value):
            form.schedule_read()


class OptionsForm(SocketView, Vertical):
    """Every option of the catalog that applies to the selected socket."""

    BINDINGS = [
        Binding("slash", "focus_filter", "filter", id="options-filter"),
        Binding("ctrl+r", "reread", "re-read", id="options-reread"),
        Binding("down", "move(1)", "next", show=False, id="options-down"),
        Binding("up", "move(-1)", "previous", show=False, id="options-up"),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.info: dict[str, Any] | None = None
        self.states: dict[str, dict[str, OptState]] = {}  # socket name -> option name -> state
        self.groups: dict[tuple[str, str], OptionGroup] = {}
        self.group: OptionGroup | None = None
        self._read_timer: Any = None
        self._showing: str | None = None  # the socket whose values the widgets hold
        self._last_shown: tuple[str | None, dict[str, Any] | None] | None = None
        self._raw_info: dict[str, Any] | None = None
        self._building: set[tuple[str, str]] = set()

    def compose(self) -> ComposeResult:
        with Horizontal(id="opt-top"):
            yield FilterInput(placeholder="filter: e.g. rcv_", id="opt-filter", compact=True)
            yield Static(HINT, id="opt-hint", markup=False)
            yield Label("auto-accept", id="opt-accept-label")
            yield Switch(animate=False, id="opt-accept")
        yield OptionRows(id="opt-rows")
        yield Static("", id="opt-help", markup=False)

    def on_mount(self) -> None:
        self.query_one("#opt-accept-label").display = False
        self.query_one("#opt-accept").display = False
        self._help_idle()
        # The commonest kind is built before its first selection, but after the app's first frame:
        # ~65 rows take most of a second on a busy machine, the form must fill at once when the
        # scene's c1 is selected, and the prompt must not wait for them.
        for key in PREBUILT:
            self._building.add(key)
            self.call_after_refresh(self._build, key)

    # -- the app's hooks -------------------------------------------------------
    def show_socket(self, name: str | None, info: dict[str, Any] | None) -> None:
        """Cheap when nothing changed: the app calls this on every socket-list refresh."""
        super().show_socket(name, info)
        self._raw_info = info
        self.info = info if name and info and info.get("kind") != "fd" and info.get("family") else None
        if not self.is_mounted:
            return
        seen = (name, dict(self.info) if self.info else None)
        if seen == self._last_shown:
            return  # a socket-list refresh that changed nothing here (a flood makes many)
        self._last_shown = seen
        accept = self.query_one("#opt-accept", Switch)
        listening = bool(self.info and self.info.get("state") == "LISTEN")
        self.query_one("#opt-accept-label").display = listening
        accept.display = listening
        if listening and name is not None:
            with accept.prevent(Switch.Changed):
                accept.value = name in getattr(self.app, "auto_accept", set())
        if self.info is None:
            if self.group is not None:
                self.group.display = False
            self.group, self._showing = None, None
            self._help_idle()
            return
        key = (_short(self.info["family"], "AF_"), _short(self.info["type"], "SOCK_"))
        group = self.groups.get(key)
        if group is None:
            # Built after the next refresh, not inside the app's journal handler: ~65 new
            # lines must not hold up the panes (or the REPL's first layout at start-up).
            self._last_shown = None
            if key not in self._building:
                self._building.add(key)
                self.call_after_refresh(self._build, key)
            return
        if group is not self.group:
            if self.group is not None:
                self.group.display = False
            group.display = True
            group.apply_filter(self.query_one("#opt-filter", Input).value)
            self.group = group
            self.query_one(OptionRows).scroll_home(animate=False)
        if self._showing != name:
            self._showing = name
            self._help_idle()
            self.schedule_read()
        self.refresh_values()

    def _build(self, key: tuple[str, str]) -> None:
        self._building.discard(key)
        if key not in self.groups:
            group = self.groups[key] = OptionGroup(key)
            group.display = False
            if getattr(self.app, "frozen", False):  # frozen screens (tests, screenshots) hold still
                for line in group.lines:
                    if isinstance(line.control, Input):
                        line.control.cursor_blink = False
            self.query_one(OptionRows).mount(group)
        self.show_socket(self.socket_name, self._raw_info)

    def journal_calls(self, events: list[Any]) -> None:
        """Fold set/getsockopt results (from the form or the REPL) into the per-socket states."""
        touched = False
        for ev in events:
            out = ev.outcome
            sock = ev.sock or out.sock
            if out is None or sock is None:
                continue
            if out.syscall in ("close", "socket", "socketpair", "accept"):
                # a name closed or (re)created: what the form knew about it is gone
                gone = [*out.new_sockets, *([sock] if out.syscall in ("close", "socket") else [])]
                for n in gone:
                    self.states.pop(n, None)
                touched = touched or self.socket_name in gone
                continue
            if out.syscall not in ("setsockopt", "getsockopt"):
                continue
            opt = option_of(out)
            if opt is None:
                continue
            st = self.states.setdefault(sock, {}).setdefault(opt, OptState())
            st.pending = False
            if out.syscall == "getsockopt":
                # A value the form refused to send stays said until the person sends again: a read
                # that was already on its way must not wipe the message from under their eyes.
                refused = st.error if (st.error or "").startswith("not sent") else None
                if out.errno:
                    st.error, st.read = refused or f"{out.errno}: {out.error or ''}".rstrip(": "), True
                    st.kernel = None
                else:
                    st.kernel, st.read, st.error = out.value, True, refused
            else:
                asked = next((n[6:] for n in out.notes if n.startswith("asked ")), None)
                st.asked = asked
                if out.errno:
                    st.error = f"{out.errno}: {out.error or ''}".rstrip(": ")
                else:
                    st.error = None
                    if out.value is not None:
                        st.kernel, st.read = out.value, True
            st.sig = state_sig(self.info) if self.info is not None and sock == self.socket_name else None
            touched = touched or sock == self.socket_name
        if touched:
            self.refresh_values()

    # -- drawing values --------------------------------------------------------
    def _states(self) -> dict[str, OptState]:
        return self.states.setdefault(self.socket_name or "", {})

    def refresh_values(self) -> None:
        """Put the selected socket's known values into the reused widgets."""
        if self.group is None or self.info is None:
            return
        states = self._states()
        sig = state_sig(self.info)
        for line in self.group.lines:
            self._draw(line, states.get(line.row.name) or OptState(), sig)
        self._update_hint()

    def _draw(self, line: OptionLine, st: OptState, sig: tuple[str, str, str]) -> None:
        row, ctl = line.row, line.control
        key = (self.socket_name, st.kernel, st.read, st.error, st.asked, st.sig, st.pending, sig, ctl.has_focus)
        if line.drawn == key:
            return  # unchanged: ~65 lines per refresh must cost next to nothing
        line.drawn = key
        if isinstance(ctl, Switch):
            want = bool(st.kernel) if st.read and st.kernel is not None else False
            if ctl.value != want:
                with ctl.prevent(Switch.Changed):
                    ctl.value = want
        elif isinstance(ctl, Input):
            if not ctl.has_focus:
                text = st.asked if st.asked is not None else (input_text(row, st.kernel) if st.read else "")
                if ctl.value != text:
                    with ctl.prevent(Input.Changed):
                        ctl.value = text
        elif isinstance(ctl, OptValue):
            ctl.update(shown(row, st.kernel) if st.read and st.error is None else ("…" if st.pending else ""))
        line.set_detail(self._detail(row, st, sig))
        line.set_class(st.error is not None, "-error")

    def _detail(self, row: OptionRow, st: OptState, sig: tuple[str, str, str]) -> Content:
        parts: list[str | tuple[str, str]] = []
        stale = st.read and st.sig is not None and st.sig != sig
        if st.error is not None:
            parts.append((f"✗ {st.error}", "$error"))
        elif st.pending:
            parts.append(("reading…", "$foreground-muted"))
        elif not row.readable:
            if st.asked is not None:
                parts.append((f"asked {st.asked}", "$foreground-muted"))
                parts.append(("  write-only", "$foreground-muted"))
            else:
                parts.append(("write-only", "$foreground-muted"))
        elif st.read:
            value = shown(row, st.kernel)
            compact = input_text(row, st.kernel) if row.kind in INT_KINDS else value  # 8192, not 8192 (8 KiB)
            if st.asked is not None and st.asked not in (value, input_text(row, st.kernel)):
                # the Input holds what was asked: "[4096] → kernel 8192" reads left to right
                parts.append(("→ " if row.kind != "bool" else f"asked {st.asked} → ", "$foreground-muted"))
            if row.writable:
                parts.append((f"kernel {compact}", "$foreground-muted" if stale else "$success"))
            elif stale:
                parts.append(("(read earlier)", "$foreground-muted"))
            if stale:
                parts.append(("  read before the state changed", "$foreground-muted"))
        if row.before:
            late = too_late(row, self.info or {})
            if parts:
                parts.append("  ")
            if late:
                parts.append((f"⚠ before {row.before}: {late}", "$warning"))
            else:
                parts.append((f"before {row.before}", "$foreground-muted"))
        return Content.assemble(*parts)

    def _update_hint(self) -> None:
        states = self._states()
        sig = state_sig(self.info or {})
        stale = sum(1 for s in states.values() if s.read and s.sig is not None and s.sig != sig)
        text = HINT if not stale else f"{stale} values read before the state changed: ctrl+r"
        self.query_one("#opt-hint", Static).update(text)

    # -- reading values --------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A read is scheduled, or a group being built will schedule one (settle() waits for both)."""
        return self._read_timer is not None or bool(self._building)

    def schedule_read(self) -> None:
        """Read the visible rows' values soon (one command line for a burst of changes)."""
        if self._read_timer is not None:
            self._read_timer.stop()
        self._read_timer = self.set_timer(READ_DELAY, self._read_visible)

    def visible_lines(self, extra: int = 0) -> list[OptionLine]:
        """The option lines on screen (every item is one cell tall, so this is arithmetic)."""
        if self.group is None:
            return []
        rows = self.query_one(OptionRows)
        top = round(rows.scroll_y)
        height = max(rows.scrollable_content_region.height, 1)
        shown_items = self.group.visible_order()[top : top + height + extra]
        return [w for w in shown_items if isinstance(w, OptionLine)]

    def _read_visible(self, force: bool = False) -> None:
        self._read_timer = None
        name = self.socket_name
        if name is None or self.info is None or not self.group or not self.is_on_screen:
            return
        states = self._states()
        want = []
        lines = self.visible_lines(READ_AHEAD)
        first = [w for w in self.group.visible_order()[:READ_FIRST] if isinstance(w, OptionLine)]
        for line in first + [ln for ln in lines if ln not in first]:
            row = line.row
            if not row.readable or row.name in NEVER_READ:
                continue
            st = states.setdefault(row.name, OptState())
            if st.pending or (st.read and not force):
                continue  # stale values are marked, not re-read behind the person's back
            st.pending = True
            want.append(row.name)
        if want:
            self._read(name, want)
            self.refresh_values()

    def _read(self, name: str, options: list[str]) -> None:
        """getsockopt each option on the command thread, after whatever was typed before.

        These are real, journaled calls (the System calls pane shows them, under the
        command text they stand for), but they are not the person's commands: they are
        not echoed in the REPL, not recorded into a session script, and `expect` still
        checks the person's own last command.
        """
        app: Any = self.app
        pg = app.pg

        def read() -> None:
            for opt in options:
                try:
                    with pg.command_context(f"getsockopt {name} {opt}"), pg.app_context():
                        pg.getsockopt(name, opt)  # the app's own read: marked [app], folded in the pane
                except Exception:  # noqa: BLE001 - closed meanwhile: its states are dropped anyway
                    return

        observe = getattr(app, "observe", None)
        if observe is not None:
            observe(read)
        else:  # an app without a command thread: go through the command language
            app.run_command("; ".join(f"getsockopt {name} {o}" for o in options), origin="form")

    @property
    def is_on_screen(self) -> bool:
        """Only a form someone can see reads values (no calls behind a hidden tab)."""
        try:
            return self.is_mounted and self.region.area > 0 and self.visible
        except Exception:  # noqa: BLE001 - not in the compositor yet
            return False

    def on_show(self, _event: events.Show) -> None:
        self.schedule_read()

    def on_resize(self, _event: events.Resize) -> None:
        """A taller form shows more rows: read the ones that came into view."""
        self.schedule_read()

    # -- actions from the person ----------------------------------------------
    def apply(self, row: OptionRow, value: str) -> None:
        """Run `setsockopt NAME OPT VALUE` for the selected socket; check the value first."""
        name = self.socket_name
        if name is None:
            return
        st = self._states().setdefault(row.name, OptState())
        try:
            codecs.codec(row.kind).encode(value)
        except (UsageError, ValueError, OverflowError) as exc:
            st.error, st.asked = f"not sent: {exc}", value
            self.refresh_values()
            return
        word = shlex.quote(value) if value else "''"
        self.app.run_command(f"setsockopt {name} {row.name} {word}", origin="form")  # type: ignore[attr-defined]

    @on(Switch.Changed, ".opt-switch")
    def _switched(self, event: Switch.Changed) -> None:
        event.stop()
        line = next((a for a in event.switch.ancestors if isinstance(a, OptionLine)), None)
        if line is None:
            return
        st = self._states().get(line.row.name)
        if st is not None and st.read and bool(st.kernel) == event.value and st.error is None:
            return  # the form moved it to show the kernel's value: nothing to ask
        self.apply(line.row, "on" if event.value else "off")

    @on(Switch.Changed, "#opt-accept")
    def _auto_accept(self, event: Switch.Changed) -> None:
        event.stop()
        if self.socket_name is not None:
            self.app.set_auto_accept(self.socket_name, event.value)  # type: ignore[attr-defined]

    @on(Input.Submitted, ".opt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = next((a for a in event.input.ancestors if isinstance(a, OptionLine)), None)
        if line is not None:
            self.apply(line.row, event.value.strip())

    @on(Input.Changed, "#opt-filter")
    def _filtered(self, event: Input.Changed) -> None:
        event.stop()
        if self.group is not None:
            n = self.group.apply_filter(event.value)
            self.query_one(OptionRows).scroll_home(animate=False)
            if event.value:
                self.query_one("#opt-hint", Static).update(f"{n} match")
            else:
                self._update_hint()
        self.schedule_read()

    @on(Input.Submitted, "#opt-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        """Enter in the filter jumps to the first matching control."""
        event.stop()
        first = next((w for w in self.visible_lines(1000)), None)
        if first is not None:
            first.control.focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        line = next((a for a in (event.widget, *event.widget.ancestors) if isinstance(a, OptionLine)), None)
        if line is not None:
            line.refresh()
            self._help_for(line.row)
        elif event.widget.id == "opt-filter":
            self._help_idle()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Text typed but never applied goes back to what the kernel holds."""
        line = event.widget.parent
        if isinstance(line, OptionLine):
            line.refresh()
        if isinstance(line, OptionLine) and isinstance(event.widget, Input) and self.info is not None:
            line.drawn = None
            self._draw(line, self._states().get(line.row.name) or OptState(), state_sig(self.info))

    def action_focus_filter(self) -> None:
        self.query_one("#opt-filter", Input).focus()

    def leave(self) -> None:
        """Escape: out of the form's fields, onto the detail's tab strip (arrows switch tabs)."""
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        target = tabs.query_one(Tabs) if tabs is not None else None
        if target is not None:
            target.focus()
        else:
            self.screen.set_focus(None)

    def go_to(self, option: str) -> bool:
        """Put the cursor on `option`'s row (clearing a filter that hides it); False if it has none here."""
        if self.group is None:
            return False
        line = self.group.by_name.get(option)
        if line is None:
            return False
        flt = self.query_one("#opt-filter", Input)
        if flt.value and not line.display:
            flt.value = ""
            self.group.apply_filter("")
        line.control.focus()
        self.call_after_refresh(lambda: self.query_one(OptionRows).scroll_to_widget(line, animate=False))
        self.schedule_read()
        return True

    def action_reread(self) -> None:
        self._read_visible(force=True)

    def action_move(self, step: int) -> None:
        if step > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    # -- the help area ---------------------------------------------------------
    def _help_idle(self) -> None:
        if not self.is_mounted:
            return
        text = IDLE_HELP if self.socket_name else "No socket selected. Try: socketpair a b"
        self.query_one("#opt-help", Static).update(text)

    def _help_for(self, row: OptionRow) -> None:
        c = codecs.codec(row.kind)
        access = {"rw": "read/write", "ro": "read-only", "wo": "write-only"}[row.access]
        facts = [row.name, f"{row.kind}, {access}", f"Linux {row.since}+"]
        if row.privilege:
            facts.append(f"needs {row.privilege}")
        if row.before:
            facts.append(f"takes effect before {row.before}()")
        if row.lesson:
            facts.append(f"lesson {row.lesson}")
        parts: list[str | tuple[str, str]] = [(" · ".join(facts), "bold")]
        if row.writable:
            parts += ["\n", ("type: ", "$foreground-muted"), c.help]
        parts += ["\n", row.help]
        self.query_one("#opt-help", Static).update(Content.assemble(*parts))
