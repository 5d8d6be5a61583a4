"""The sockplay Textual app: socket list, per-socket tabs, three live panes and a REPL.

Every action, typed or clicked, goes through `SockplayApp.run_command(line)`, so
the REPL pane always shows the command that did it and a session replays as a
script. Commands run on daemon threads (a blocking recv never freezes the UI);
the journal reaches the UI one batch at a time through a single message.
"""

from __future__ import annotations

import gc
import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Event as TextualEvent
from textual.events import Key, Paste
from textual.lazy import Lazy
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import Footer, Header, Input, Static, Tab, TabbedContent, TabPane, Tabs

from sockplay.core import Outcome, Playground, UsageError
from sockplay.lang import bug
from sockplay.lang.executor import Executor, Result
from sockplay.lang.grammar import ScriptError
from sockplay.lang.transcript import COUNT_SHOWN, count_calls, fold, summary
from sockplay.tui import guard, scene
from sockplay.tui.config import load_user_config
from sockplay.tui.guard import NotUTF8Input
from sockplay.tui.palette import SockplayProvider
from sockplay.tui.themes import DEFAULT_THEME, Notice, ThemeSpec, load_themes
from sockplay.tui.views import BY_NAME, LIVE, VIEWS
from sockplay.tui.widgets.base import SocketView
from sockplay.tui.widgets.format import (
    AncillaryState,
    Freezer,
    cmsg_lines,
    kind_label,
    poll_line,
    syscall_lines,
)
from sockplay.tui.widgets.help import HelpScreen
from sockplay.tui.widgets.options_form import OptionsForm
from sockplay.tui.widgets.panes import AncillaryPane, EventPane, PollPane, SyscallPane
from sockplay.tui.widgets.repl import PROMPT, CommandLine, ReplPane
from sockplay.tui.widgets.sendrecv import SendRecvPanel
from sockplay.tui.widgets.sockets import SocketList
from sockplay.tui.widgets.wire import WirePane

FROZEN_ENV = "SOCKPLAY_FROZEN"
PENDING_AFTER = 0.3  # seconds a command may take before the REPL moves on and shows it pending


# ---------------------------------------------------------------------------- messages
CALLS_PER_BATCH = 200  # the newest call events handed to SocketViews per batch
LIST_READ_GAP = 0.5  # seconds between two of the socket list's own reads (addresses the kernel chose, TCP states)
LIST_READ = "the socket list's read"  # the command text of those reads
# the option form's getsockopt, the socket list's getsockname and TCP_INFO, folded (README: "[app]")
READS_LABEL = "[app] reads for the views (o opens)"


class KernelRead(Message):
    """The socket list's traced read finished: its rows (addresses the kernel chose, TCP states)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.rows = rows


class JournalBatch(Message):
    """One journal delivery, already formatted off the UI thread."""

    def __init__(
        self,
        poll: list[str],
        anc: list[str],
        sys: list[str],
        folded: tuple[int, int, int],
        ready: dict[str, list[str]],
        sockets_changed: bool,
    ) -> None:
        super().__init__()
        self.poll, self.anc, self.sys = poll, anc, sys
        self.folded = folded
        self.ready = ready
        self.sockets_changed = sockets_changed
        self.last_seq = 0
        self.calls: list[Any] = []  # call events with Outcomes, oldest first, for SocketViews
        self.accept_ready: list[str] = []  # listeners that just became readable (auto-accept)
        self.posted_at = 0.0  # time.monotonic() when the dispatcher posted it
        self.folded_reads: list[list[str]] = []  # reads folded in the System calls pane, by call
        self.reads_continue = False  # the first group continues the pane's last folded read


class CommandDone(Message):
    """A command line finished (possibly long after it was typed, if it blocked)."""

    def __init__(self, line: str, origin: str, lines: list[tuple[str, str]], late: bool) -> None:
        super().__init__()
        self.line, self.origin, self.lines, self.late = line, origin, lines, late


class CommandStarted(Message):
    """A command line starts running now: echo it (so echoes and results interleave)."""

    def __init__(self, line: str, origin: str) -> None:
        super().__init__()
        self.line, self.origin = line, origin


class CommandPending(Message):
    """A command is still running after PENDING_AFTER: the REPL is free again."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


# ---------------------------------------------------------------------------- execution
# Lines from these origins run on their own Executor: a form reading option values between
# a person's `recv` and their `expect` must not become the result that `expect` checks.
SIDE_ORIGINS = frozenset({"form", "auto-accept"})
SHARE_EVERY = 0.005  # seconds of a count= loop between its 2 ms pauses for the UI
BATCHES_PER_SECOND = 10  # journal batches the panes take at most, whatever the event rate
KEY_YIELD = 0.05  # seconds a count= loop stands aside after each key or paste
FREEZE_AFTER = 3.0  # seconds after mount: startup is done, what it built is taken out of full GC passes
IDLE_PER_BUSY = 2.0  # after a batch, the UI gets twice the time it took with no batch (keys first)
MAX_BATCH_GAP = 1.0  # seconds: however slow the machine, the panes move at least this often in a flood
SWITCH_INTERVAL = 0.001  # seconds: how soon a thread waiting for the GIL (the UI) may take it
# Commands of these groups build what a session holds (sockets, options, queued data): a
# recording starts with those that ran, in the order they finished, so a replay reaches the
# same state (a recv that waited for a later send finished after it, and replays after it).
SETUP_GROUPS = frozenset({"sockets", "options", "data"})


class Executors:
    """The app's executors: one for what people type (and lessons, scripts), one for forms."""

    def __init__(self, pg: Playground) -> None:
        self.main, self.side = Executor(pg), Executor(pg)
        for ex in (self.main, self.side):
            ex.share_every = SHARE_EVERY  # a long count= loop leaves the UI thread its turn

    def __call__(self, line: str, lineno: int = 1, origin: str = "") -> list[Result]:
        return (self.side if origin in SIDE_ORIGINS else self.main).run_line(line, lineno)

    def key_arrived(self) -> None:
        """A person typed: running count=N loops stand aside for KEY_YIELD seconds (the key shows first)."""
        until = time.monotonic() + KEY_YIELD
        self.main.yield_until = self.side.yield_until = until

    def cancel(self, reason: str) -> None:
        """Stop every count=N loop and sleep now running, after its current call."""
        self.main.cancel(reason)
        self.side.cancel(reason)


def make_executor(pg: Playground) -> Executors:
    return Executors(pg)


class CommandRunner:
    """Runs command lines in order on daemon threads; a blocking one is left pending.

    Lines start in the order given. Each runs on its own daemon thread; the next
    starts when it finishes or after PENDING_AFTER, whichever is first, so a
    blocking recv waits in the background while the person types the send that
    wakes it. Daemon threads never hold the app open at exit.
    """

    def __init__(
        self,
        execute: Callable[[str, int, str], Any],
        done: Callable[[str, str, Any, bool], None],
        pending: Callable[[str], None],
        started: Callable[[str, str], None],
        gate: threading.Event | None = None,
    ) -> None:
        self._execute = execute
        self._gate = gate  # lines queue at once but start only once it is set (the app's first frame)
        self._started = started
        self._done = done
        self._pending = pending
        self._queue: queue.Queue[tuple[str, str, int] | Callable[[], object] | None] = queue.Queue()
        self._queued = 0  # submitted, not started
        self._running = 0  # started, not finished (a blocked recv stays here)
        self._lines: list[tuple[str, str]] = []  # (line, origin) of what runs now, oldest first
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._sequence, name="sockplay-commands", daemon=True
        )
        self._thread.start()

    def submit(self, line: str, origin: str = "", lineno: int = 1) -> None:
        with self._lock:
            self._queued += 1
        self._queue.put((line, origin, lineno))

    def call(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the runner thread once every line queued before it has started."""
        with self._lock:
            self._queued += 1
        self._queue.put(fn)

    @property
    def queued(self) -> int:
        with self._lock:
            return self._queued

    @property
    def running(self) -> int:
        with self._lock:
            return self._running

    @property
    def running_lines(self) -> list[tuple[str, str]]:
        """(line, origin) of every command started and not finished (ctrl+c says which it cancelled)."""
        with self._lock:
            return list(self._lines)

    @property
    def idle(self) -> bool:
        """True when nothing is queued and nothing runs (not even a blocked call)."""
        with self._lock:
            return self._queued == 0 and self._running == 0

    def stop(self) -> None:
        self._queue.put(None)

    def _sequence(self) -> None:
        if self._gate is not None:
            self._gate.wait()
        while (item := self._queue.get()) is not None:
            if callable(item):
                try:
                    item()
                finally:
                    with self._lock:
                        self._queued -= 1
                continue
            line, origin, lineno = item
            finished = threading.Event()
            late = [False]

            def work(
                line: str = line,
                origin: str = origin,
                lineno: int = lineno,
                finished: threading.Event = finished,
                late: list[bool] = late,
            ) -> None:
                try:
                    result: Any = self._execute(line, lineno, origin)
                except (ScriptError, UsageError) as exc:
                    result = exc
                except Exception as exc:  # noqa: BLE001 - a typo or a bug must not kill the app
                    result = exc
                finished.set()
                try:
                    self._done(line, origin, result, late[0])
                finally:
                    with self._lock:
                        self._running -= 1
                        if (line, origin) in self._lines:
                            self._lines.remove((line, origin))

            with self._lock:
                self._queued -= 1
                self._running += 1
                self._lines.append((line, origin))
            self._started(line, origin)
            t = threading.Thread(target=work, name=f"sockplay-cmd {line[:30]}", daemon=True)
            t.start()
            if not finished.wait(PENDING_AFTER):
                late[0] = True
                if not finished.is_set():
                    self._pending(line)


# ---------------------------------------------------------------------------- the app
@dataclass
class AppOptions:
    """What `tui_cli` passes in; tests build it directly."""

    script: str | None = None
    empty: bool = False
    theme: str | None = None
    frozen: bool = False
    user_theme_dir: Path | None = None
    config_file: Path | None = None  # None: $XDG_CONFIG_HOME/sockplay/config.toml
    history_file: Path | str | None = None  # where typed lines persist ("" keeps none)
    scene: Iterable[str] | None = None
    welcome: Iterable[str] | None = None  # the lines that greet a scene given in `scene`
    extra: dict[str, Any] = field(default_factory=dict)


class SockplayApp(App[int]):
    """The playground. `run_command` is the one door every action goes through."""

    TITLE = "sockplay"
    CSS_PATH = [
        "app.tcss",
        "widgets/options_form.tcss",
        "widgets/sendrecv.tcss",
        "widgets/completion.tcss",
        "widgets/lesson.tcss",
        "widgets/wire.tcss",
    ]
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {SockplayProvider}  # keeps the theme and system entries

    # Below these sizes the live panes share one tab strip and the socket list drops its
    # address column (classes on the screen; app.tcss says what changes).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    BINDINGS = [
        *[Binding(v.key, v.action, v.name, show=False, priority=True, id=v.binding_id) for v in VIEWS],
        Binding("f1", "help", "help", id="help"),
        Binding("f2", "record", "record", id="record"),
        Binding("f4", "toggle_wire", "wire", show=False, id="wire"),  # in F1 help; the footer stays as it was
        Binding("ctrl+t", "next_theme", "theme", id="theme"),
        Binding("ctrl+l", "focus_repl", "REPL", show=False, priority=True, id="focus-repl"),
        Binding("colon", "focus_repl", "REPL", show=False, id="focus-repl-colon"),
        Binding("ctrl+c", "cancel", "cancel", priority=True, id="cancel"),
        Binding("ctrl+q", "quit", "quit", priority=True, id="quit"),
    ]

    def __init__(
        self, options: AppOptions | None = None, playground: Playground | None = None
    ) -> None:
        super().__init__()
        guard.install()  # hostile escape sequences and non-UTF-8 input must not end the app
        sys.setswitchinterval(SWITCH_INTERVAL)  # keys answer quickly while a drain thread is busy
        self.options = options or AppOptions()
        self.frozen = self.options.frozen or os.environ.get(FROZEN_ENV, "") not in ("", "0")
        self.freezer = Freezer(self.frozen)
        self._own_pg = playground is None
        self.pg = playground if playground is not None else Playground()
        self.ready: dict[str, list[str]] = {}
        self.auto_accept: set[str] = set()
        self._initial_select: str | None = None
        self._views: list[SocketView] | None = None  # the SocketView widgets (they never change)  # selected once it appears (the scene's c1)
        # What the socket list last read from the kernel, by name: (fd, info). The list itself never
        # calls the kernel on the UI thread; its reads run as traced [app] calls (see ask_kernel).
        self._asked: dict[str, tuple[int, dict[str, Any]]] = {}
        self._asking = False  # one socket-list read at a time
        self._ask_again = False  # something changed while one ran: read once more after it
        self._next_ask_at = 0.0
        self._ask_timer: Any = None
        if self.options.history_file is not None:
            self.options.extra.setdefault("history_file", str(self.options.history_file))  # listeners whose connections are accepted as they arrive
        self.theme_specs: dict[str, ThemeSpec] = {}
        self.theme_errors: list[str] = []
        self.recording: list[str] | None = None
        self.record_path: Path | None = None
        self.setup: list[str] = []  # lines that built what the session holds (a recording starts with them)
        self.ready_signal: Signal[dict[str, list[str]]] = Signal(self, "ready")  # readiness changed
        self._result_listeners: list[Callable[[str, str, Any], None]] = []
        self.live_pane = LIVE[0].focus.lstrip("#")  # the live pane shown when they share a tab strip
        self._anc_state = AncillaryState()
        self._unsubscribe: Callable[[], None] | None = None
        self._watcher: Any = None
        self._journal_lock = threading.Lock()  # flush() and the reader thread may both deliver
        self._ui_took_batch = threading.Event()  # set when the UI has handled the last JournalBatch
        self._ui_took_batch.set()
        self._next_batch_at = 0.0
        self.seen_seq = 0  # the last journal seq shown in the panes (tests wait on it)
        self._info_text = ""  # what the socket's info box shows now
        self._frozen_gc = False  # gc.freeze() was called after startup (undone on unmount)
        self._key_until = 0.0  # time.monotonic() until which a key just typed goes first
        self._main_screen: Screen | None = None  # the screen with the panes (set on mount)
        self._live_panes: tuple[PollPane, AncillaryPane, SyscallPane] | None = None
        self._sockets_widget: SocketList | None = None
        self._execute = make_executor(self.pg)
        # The opening's lines are queued in on_mount but run once the first frame is drawn:
        # the prompt shows (and takes keys, queued behind them) before the scene's calls compete for the GIL.
        self.first_frame = threading.Event()
        self.runner = CommandRunner(
            self._execute,
            self._command_done,
            self._command_pending,
            self._command_started,
            gate=self.first_frame,
        )
        self._load_themes()
        self.keymap: dict[str, str] = {}  # binding id -> keys, as the user's config rebinds them
        self.config_notices: list[str] = []
        self._load_keymap()

    # -- keys ------------------------------------------------------------------
    def _load_keymap(self) -> None:
        config = load_user_config(self.options.config_file)
        self.keymap, self.config_notices = config.keymap, config.notices
        if "help" in self.keymap and "help-close" not in self.keymap:
            # the key that opens F1 closes it too, as F1 does by default
            self.keymap["help-close"] = "escape,q," + self.keymap["help"]
        if self.keymap:
            self.set_keymap(self.keymap)

    def bound_keys(self, binding_id: str, default: str) -> str:
        """The keys that reach `binding_id` now (the user's keymap, else the default)."""
        return self.keymap.get(binding_id, default)

    # -- themes ----------------------------------------------------------------
    def _load_themes(self) -> None:
        specs, errors = load_themes(self.options.user_theme_dir)
        self.theme_specs, self.theme_errors = specs, errors
        for spec in specs.values():
            self.register_theme(spec.theme)
        wanted = self.options.theme or DEFAULT_THEME
        if wanted not in specs:
            known = ", ".join(sorted(specs))
            self.theme_errors.append(
                f"no theme named {wanted!r}; themes: {known}. Using {DEFAULT_THEME}."
            )
            wanted = DEFAULT_THEME
        self.theme = wanted

    @property
    def syntax_styles(self) -> dict[str, str]:
        """The pygments token styles of the current theme (for the REPL highlighter)."""
        spec = self.theme_specs.get(self.theme)
        return dict(spec.syntax) if spec else {}

    def action_next_theme(self) -> None:
        names = list(self.theme_specs)
        i = names.index(self.theme) if self.theme in names else -1
        self.switch_theme(names[(i + 1) % len(names)])

    def switch_theme(self, name: str) -> None:
        if name not in self.theme_specs:
            self.notify(
                f"no theme named {name!r}; themes: {', '.join(self.theme_specs)}",
                severity="error",
                markup=False,
            )
            return
        self.theme = name
        self._update_subtitle()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, spec in self.theme_specs.items():
            where = f" ({spec.path})" if spec.path else ""
            yield SystemCommand(
                f"Theme: {name}",
                f"switch to the {name} theme{where}",
                lambda n=name: self.switch_theme(n),
            )
        for view in VIEWS:
            yield SystemCommand(view.name, f"{view.help} ({view.key})", partial(self.action_view, view.name))
        yield SystemCommand(
            "Record session", "start or stop saving commands as a .sp script", self.action_record
        )

    # -- layout ----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⇄")
        with Horizontal(id="top"):
            yield SocketList()
            with Vertical(id="detail"):
                with TabbedContent(id="tabs"):
                    with TabPane("Options", id="tab-options"):
                        yield OptionsForm(id="options-form")
                    with TabPane("Send/Recv", id="tab-sendrecv"):
                        yield Lazy(SendRecvPanel(id="sendrecv"))  # a hidden tab: mounted after the first frame
                    with TabPane("Info", id="tab-info"):
                        yield Static("", id="info")
        with Vertical(id="live"):
            yield from self.compose_live()
        yield ReplPane()
        yield Footer()

    def compose_live(self) -> ComposeResult:
        """The live panes; on small screens they share the tab strip above them (one shows at a time).

        A new live pane is one more row in views.VIEWS (live=True) and one more widget here.
        """
        yield Tabs(*[Tab(v.name, id="live-" + v.focus.lstrip("#")) for v in LIVE], id="live-tabs")
        with Horizontal(id="panes"):
            yield PollPane()
            yield AncillaryPane()
            yield SyscallPane()
            yield WirePane()

    def on_mount(self) -> None:
        if self.frozen:
            for inp in self.query(Input):
                inp.cursor_blink = False
            # how much scrolled past depends on timing; the visible lines do not (snapshots)
            self.screen.add_class("-frozen")
        self._update_subtitle()
        self.query_one("#info", Static).can_focus = True  # alt+i lands there; arrows scroll
        self.repl.command_line.placeholder = self.repl_placeholder()
        self.show_live(self.live_pane)
        self.repl.command_line.focus()
        self._main_screen = self.screen
        self._live_panes = (self.query_one(PollPane), self.query_one(AncillaryPane), self.query_one(SyscallPane))
        self._sockets_widget = self.socket_list
        self._unsubscribe = self.pg.journal.subscribe(self._on_journal, pace=self._journal_pace)
        self._start_watcher()
        for err in self.theme_errors:
            severity: SeverityLevel = "information" if isinstance(err, Notice) else "error"
            self.notify(err, title="theme", severity=severity, timeout=12, markup=False)
        for err in self.config_notices:
            self.notify(err, title="keys", severity="error", timeout=20, markup=False)
        self._start_scene()
        self.set_timer(FREEZE_AFTER, self._freeze_startup)
        self.call_after_refresh(self.first_frame.set)

    def _freeze_startup(self) -> None:
        """Take what startup built out of the garbage collector's full passes (gc.freeze).

        The app's widgets, styles and modules live as long as it does, yet each full
        collection walks them all: in a flood one comes every few seconds and stops
        every thread for a quarter of a second on a loaded machine (keys included).
        Frozen, they are skipped; on_unmount gives them back.
        """
        if self._running and not (self._closing or self._closed) and not self._frozen_gc:
            gc.freeze()
            self._frozen_gc = True

    def action_toggle_wire(self) -> None:
        """F4: the Wire pane in place of the Ancillary pane, or back."""
        self.query_one(WirePane).show_pane()

    def _start_watcher(self) -> None:
        """Readiness events come from the engine's watcher thread (idempotent)."""
        start = getattr(self.pg, "start_watcher", None)
        if callable(start):
            self._watcher = start()

    def _start_scene(self) -> None:
        """The opening: a script (on an empty playground), or the demo scene; then the welcome."""
        if self.options.script:
            self._queue_script(self.options.script)
        elif not self.options.empty:
            if self.options.scene is None:
                self._initial_select = scene.SELECT
            for line in self.options.scene if self.options.scene is not None else scene.SCENE:
                self.run_command(line, origin="scene")
        lines = self.welcome_lines()
        self.runner.call(lambda: self.post_message(CommandDone("", "welcome", lines, False)))

    # -- hooks for apps built on this one (lesson mode) -------------------------
    def welcome_lines(self) -> list[tuple[str, str]]:
        """What the REPL says once the opening commands ran: (text, kind) pairs. Override to change."""
        if self.options.script and getattr(self, "_script_unread", False):
            return [(f"nothing ran from {self.options.script}; the playground is empty (try: socketpair a b).", "info")]
        if self.options.script:
            return [(f"ran {self.options.script}: its sockets are open (ctrl+l for the REPL).", "info")]
        welcome = scene.EMPTY_WELCOME if self.options.empty else scene.WELCOME
        if self.options.welcome is not None:  # a scene of its own (sockplay proxy) says what it is
            welcome = tuple(self.options.welcome)
        return [(text, "info") for text in welcome]

    def repl_placeholder(self) -> str:
        """The command line's grey hint; an example only where its socket exists. Override to change."""
        if self.options.empty or self.options.script:
            return "type a command: socketpair a b · help · Tab completes · Up/Down for history"
        return "type a command: send c1 hello · help · Tab completes · Up/Down for history"

    def add_result_listener(self, listener: Callable[[str, str, Any], None]) -> None:
        """Call `listener(line, origin, result)` on the command thread as each command line finishes.

        `result` is what the executor returned (a list of Results) or the exception the line
        raised; listeners run after the REPL's lines for it are posted.
        """
        self._result_listeners.append(listener)

    def observe(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the command thread once every line submitted before it has started.

        For a view's own observations (the option form's getsockopt reads): they are
        real, journaled calls, but not the person's commands, so they are neither echoed
        in the REPL nor recorded, and `expect` keeps checking the person's last command.
        """
        self.runner.call(fn)

    def _queue_script(self, path: str) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            self.repl.result(f"cannot read script {path}: {exc.strerror}", "error")
            self._script_unread = True
            return
        except UnicodeDecodeError as exc:  # a binary file, or another encoding: say where, run nothing
            self.repl.result(f"cannot run script {path}: it is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                             f"at offset {exc.start}); save it as UTF-8", "error")
            self._script_unread = True
            return
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if line and not line.startswith("#"):
                self.run_command(line, origin=f"{Path(path).name}:{lineno}", lineno=lineno)

    def on_unmount(self) -> None:
        if self._frozen_gc:
            gc.unfreeze()  # the widgets and what else startup built are collectable again
            self._frozen_gc = False
        if self._unsubscribe:
            self._unsubscribe()
        self.runner.stop()
        if self._own_pg:  # close_all() stops the watcher too
            self.pg.cancel(reason="the app is closing")
            self.pg.close_all()

    @property
    def repl(self) -> ReplPane:
        return self.query_one(ReplPane)

    @property
    def socket_list(self) -> SocketList:
        return self.query_one(SocketList)

    # -- the one door ----------------------------------------------------------
    def run_command(self, line: str, origin: str = "", lineno: int = 1) -> None:
        """Echo `line` in the REPL and run it through the command language (off the UI thread).

        `origin` says where it came from ("" typed, "form", "scene", a script name);
        clicks in forms call this with the command they stand for.
        """
        line = line.strip()
        if not line:
            return
        self.runner.submit(line, origin, lineno)

    def _command_done(self, line: str, origin: str, result: Any, late: bool) -> None:
        """Runner thread: turn a result into REPL lines, then hand them to the UI."""
        self._note_setup(line, origin, result)
        try:
            lines = self._result_lines(result)
        except Exception as exc:  # noqa: BLE001 - never lose the answer to a typed line
            lines = [(f"internal error showing the result: {type(exc).__name__}: {exc}", "error")]
        self.post_message(CommandDone(line, origin, lines, late))
        for listener in self._result_listeners:
            try:
                listener(line, origin, result)
            except Exception as exc:  # noqa: BLE001 - a listener's bug must not cost the REPL its answer
                self.post_message(CommandDone(line, origin, [(f"internal error in a listener: {exc}", "error")], late))

    def _note_setup(self, line: str, origin: str, result: Any) -> None:
        """Runner thread: keep what a recording needs (lines that ran; setup lines that built sockets).

        A line that did not parse or was misused, was cancelled, or whose expect failed is
        left out, so a recording replays with `sockplay run` and exits 0.
        """
        if isinstance(result, Exception):
            return
        results = [r for r in (result if isinstance(result, list) else [result]) if isinstance(r, Result)]
        for r in results:
            if r.cancelled or any(o.errno == "EINTR" for o in r.outcomes):
                return
            if r.expect is not None and not r.expect.ok:
                return
        ok = all(o.errno is None or o.errno == "EAGAIN" for r in results for o in r.outcomes)
        if ok and results and all(r.command.spec.group in SETUP_GROUPS for r in results):
            self.setup.append(line)
        recording = self.recording
        if recording is not None and origin not in ("scene", "welcome"):
            recording.append(line)

    def _command_started(self, line: str, origin: str) -> None:
        self.freezer.command_started()
        self.post_message(CommandStarted(line, origin))

    def _command_pending(self, line: str) -> None:
        self.post_message(CommandPending(line))

    def _result_lines(self, result: Any) -> list[tuple[str, str]]:
        """REPL lines for what the executor returned (the trace itself is in the System calls pane)."""
        fz = self.freezer
        if isinstance(result, ScriptError):
            return [
                (" " * (len(PROMPT) + result.col - 1) + "^", "error"),
                (f"error (column {result.col}): {result.message}", "error"),
            ]
        if isinstance(result, UsageError):
            return [(f"error: {result}", "error")]
        if isinstance(result, Exception):
            return [(line, "error") for line in bug.report_lines(result)]
        lines: list[tuple[str, str]] = []
        for r in result if isinstance(result, list) else [result]:
            if not isinstance(r, Result):
                lines.append((fz.text(str(r)), "ok"))
                continue
            outs = r.outcomes
            if r.steps is not None:  # several calls making one thing: their traces are in the System calls pane
                kind = "error" if r.final is not None and r.final.errno else "ok"
                lines.extend((fz.text(t), kind) for t in r.lines)
                lines.extend(self._expect_lines(r))
                continue
            if len(outs) == 1:
                lines.extend(self._outcome_lines(outs[0]))
            elif outs:
                lines.append((fold(outs), "ok"))
                listed = count_calls(outs)
                lines.extend(("  " + fz.addr(text), "error" if bad else "ok") for text, bad in listed)
                last = outs[-1]
                drained = last.errno == "EAGAIN" and r.command.name.startswith("recv")
                if drained and any(o.errno is None for o in outs):
                    lines.append(("last = -1 EAGAIN: the queue is empty (a drain ends this way)", "note"))
                elif listed and len(outs) <= COUNT_SHOWN:
                    pass  # every call is listed above, the last one included
                else:
                    lines.extend(self._outcome_lines(last, prefix="last "))
            lines.extend((fz.text(t), "ok") for t in r.lines)
            if r.cancelled and r.command.args.get("count", 1) > 1:
                n = getattr(r.outcomes, "total", len(r.outcomes))  # an OutcomeLog counts calls it let go
                lines.append((f"stopped after {n:,} of {r.command.args['count']:,} calls ({r.cancelled})", "info"))
            lines.extend(self._expect_lines(r))
        return lines

    @staticmethod
    def _expect_lines(r: Result) -> list[tuple[str, str]]:
        if r.expect is None:
            return []
        e = r.expect
        return [(("ok: " if e.ok else "EXPECT FAILED: ") + e.message, "ok" if e.ok else "error")]

    def _outcome_lines(self, out: Outcome, prefix: str = "") -> list[tuple[str, str]]:
        fz = self.freezer
        if out.errno:
            lines = [(f"{prefix}= -1 {out.errno}", "error")]
            if out.error:
                lines.append((out.error, "explain"))
        else:
            text = summary(out)
            if fz.frozen and out.syscall in ("socket", "accept") and isinstance(out.ret, int):
                text = text.replace(f"= {out.ret}", f"= {fz.fd(out.ret)}", 1)
            asked = [n for n in out.notes if n.startswith("asked ")]
            if asked:
                text += f"  ({asked[0]})"
            lines = [(prefix + fz.addr(text), "ok")]
        lines.extend((fz.text(n), "note") for n in out.notes if not n.startswith("asked "))
        return lines

    def action_command_palette(self) -> None:
        """Textual's palette, guarded against the double click that dismissed it twice."""
        if self.use_command_palette and not guard.GuardedCommandPalette.is_open(self):  # type: ignore[arg-type]  # Textual wants App[object]; App is invariant in its return type
            self.push_screen(guard.GuardedCommandPalette(id="--command-palette"))

    def on_not_utf8input(self, msg: NotUTF8Input) -> None:
        self.notify(f"{msg.count} byte(s) of input were not UTF-8 text; they show as \ufffd "
                    "(write raw bytes as \\xHH in quotes, or as hex: data)",
                    title="input", severity="warning", markup=False)

    def on_command_done(self, msg: CommandDone) -> None:
        if not self.query(ReplPane):
            return  # a command that ends while the app is closing has nowhere to print
        repl = self.repl
        if msg.origin == "welcome" and self._initial_select is not None:
            self.refresh_sockets()  # the scene is done: select its socket now, or give up waiting
            self._initial_select = None
        prefix = f"[{msg.line}] " if msg.late else ""
        for text, kind in msg.lines:
            repl.result(prefix + text, kind)

    def on_command_started(self, msg: CommandStarted) -> None:
        if not self.query(ReplPane):
            return  # the app is closing (it may close before its opening lines have run)
        self.repl.echo(msg.line, msg.origin if msg.origin not in ("", "scene") else "")

    def on_command_pending(self, msg: CommandPending) -> None:
        if not self.query(ReplPane):
            return
        self.repl.result(f"… {msg.line} is still running in the background; keep typing.", "note")

    @on(CommandLine.Run)
    def _typed(self, msg: CommandLine.Run) -> None:
        self.run_command(msg.line)

    # -- journal → panes -------------------------------------------------------
    async def on_event(self, event: TextualEvent) -> None:
        if isinstance(event, (Key, Paste)) and not event.is_forwarded:
            # keys first: a running count= loop and the next journal batch wait a moment
            self._key_until = time.monotonic() + KEY_YIELD
            self._execute.key_arrived()
        await super().on_event(event)

    def _journal_pace(self) -> None:
        """Dispatcher thread, before it takes a batch from the journal.

        Backpressure keeps keys answered in a flood: one batch at a time is in the UI's
        queue, at most BATCHES_PER_SECOND are posted, and after each the UI has time
        for keys (_batch_shown). Meanwhile the journal gathers the next batch (what a
        pane cannot show is folded into its counter).
        """
        if self._running and not (self._closing or self._closed):  # a closing app takes no batches
            self._ui_took_batch.wait(timeout=2.0)
        wait = max(self._next_batch_at, self._key_until) - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, MAX_BATCH_GAP))

    def _on_journal(self, events: list[Any], missed: int) -> None:
        """Dispatcher thread: format only what the panes will show, post ONE message."""
        with self._journal_lock:
            self._ui_took_batch.clear()
            self._next_batch_at = time.monotonic() + 1 / BATCHES_PER_SECOND
            self._format_batch(events, missed)

    def _format_batch(self, events: list[Any], missed: int) -> None:
        fz = self.freezer
        fz.learn(self.pg.sockets)
        cap = EventPane.BATCH_CAP
        want_poll: list[Any] = []
        want_anc: list[Any] = []
        want_sys: list[Any] = []
        fold_poll = fold_anc = 0
        fold_sys = missed
        ready: dict[str, list[str]] = {}
        changed = False
        for ev in reversed(events):
            kind = ev.kind
            if kind == "ready":
                if ev.sock not in ready:
                    ready[ev.sock] = list(getattr(ev, "events", ()))
                if len(want_poll) < cap:
                    want_poll.append(ev)
                else:
                    fold_poll += 1
            elif kind == "pending" and (ev.command or "").endswith(" &"):
                continue  # a relay's pump waits before every chunk: its calls say enough
            elif kind in ("call", "pending", "signal", "note", "lib"):
                changed = changed or (kind == "call" and getattr(ev.outcome, "origin", "user") != "app")
                if len(want_sys) < cap:
                    want_sys.append(ev)
                else:
                    fold_sys += 1
                if ev.outcome is not None and ev.outcome.cmsgs:
                    if len(want_anc) < cap:
                        want_anc.append(ev)
                    else:
                        fold_anc += len(ev.outcome.cmsgs)
        poll = [poll_line(ev, fz) for ev in reversed(want_poll)]
        anc = [line for ev in reversed(want_anc) for line in cmsg_lines(ev, fz, self._anc_state)]
        sys: list[str] = []
        folded_reads: list[list[str]] = []
        run: list[Any] = []  # consecutive app reads: one folded line, their lines kept to be opened
        # A refresh of the form's reads may span journal batches: while nothing else came in
        # between, later batches add to the same folded line (so the pane does not depend on timing).
        continues = continues_first = getattr(self, "_reads_open", False)
        if want_sys:  # a batch of readiness changes alone leaves an open run of reads open
            self._reads_open = False

        def flush_reads(at_end: bool) -> None:
            nonlocal continues
            if run:
                lines = [line for e in run for line in syscall_lines(e, fz)]
                if not continues:
                    # one label whatever the mix: which view read first depends on timing, the line must not
                    sys.append(READS_LABEL)
                folded_reads.append(lines)
                run.clear()
                self._reads_open = at_end
            continues = False

        for ev in reversed(want_sys):
            if ev.kind == "call" and ev.outcome is not None and getattr(ev.outcome, "origin", "user") == "app":
                run.append(ev)
                continue
            flush_reads(False)
            if ev.kind == "note":
                sys.append(f"# {ev.sock + ': ' if ev.sock else ''}{getattr(ev, 'text', '')}")
            elif ev.kind == "lib":  # OpenSSL or the resolver: marked, never shown as a syscall
                sys.append(f"# lib {getattr(ev, 'text', '')}  (library call, not a syscall)")
            else:
                sys.extend(syscall_lines(ev, fz))
        flush_reads(True)
        jobs = [(str(getattr(ev, "text", "")), "note") for ev in events
                if ev.kind == "note" and ("relay" in ev.fields or "proxy" in ev.fields)
                and ev.fields.get("state") != "started"]
        if jobs:  # a background relay or proxy speaks up in the REPL too (held chunks above all)
            self.post_message(CommandDone("", "job", jobs, False))
        batch = JournalBatch(poll, anc, sys, (fold_poll, fold_anc, fold_sys), ready, changed)
        batch.folded_reads = folded_reads
        batch.reads_continue = continues_first and bool(folded_reads)
        batch.last_seq = events[-1].seq if events else 0
        calls = [ev for ev in events if ev.kind == "call" and ev.outcome is not None]
        batch.calls = calls[-CALLS_PER_BATCH:]
        batch.posted_at = time.monotonic()
        if self.auto_accept:
            batch.accept_ready = [
                ev.sock for ev in events
                if ev.kind == "ready" and ev.sock in self.auto_accept and "POLLIN" in getattr(ev, "added", ())
            ]
        self.post_message(batch)

    def on_journal_batch(self, msg: JournalBatch) -> None:
        try:
            self._show_batch(msg)
        finally:
            if self._running and not (self._closing or self._closed):
                self.call_after_refresh(self._batch_shown, msg.posted_at)
            else:
                self._ui_took_batch.set()

    def _batch_shown(self, posted_at: float) -> None:
        """The screen shows the batch: the next may come once the UI had time for keys.

        What a batch cost the UI thread (from its posting to the refresh that shows
        it, waits for the GIL included) is followed by IDLE_PER_BUSY times as long
        without a batch, so keys are answered whatever a batch costs on this machine.
        """
        now = time.monotonic()
        busy = now - posted_at
        self._next_batch_at = max(self._next_batch_at, now + min(busy * IDLE_PER_BUSY, MAX_BATCH_GAP))
        self._ui_took_batch.set()

    def _show_batch(self, msg: JournalBatch) -> None:
        self.seen_seq = max(self.seen_seq, msg.last_seq)
        panes, table = self._live_panes, self._sockets_widget
        if (panes is None or table is None or self._closing or self._closed or self._main_screen not in self.children
                or not (table.is_attached and all(w.is_attached for w in panes))):
            return  # the app is closing (or a dialog is on top): the batch has nowhere to go
        poll, anc, syscalls = panes
        with self.batch_update():
            poll.add_batch(msg.poll, msg.folded[0])
            anc.add_batch(msg.anc, msg.folded[1])
            syscalls.add_batch(msg.sys, msg.folded[2])
            syscalls.keep_folded(msg.folded_reads, msg.reads_continue)
            if msg.ready:
                self.ready.update(msg.ready)
            if msg.calls:
                self._learn_pairs(msg.calls)
            if msg.ready or msg.sockets_changed:
                # a TCP socket's readiness moving may be its state moving (a FIN, a reset): worth a read,
                # except in a frozen app (snapshots), where only your calls may decide where reads land
                moved = not self.frozen and any(self._tcp(n) for n in msg.ready)
                self.refresh_sockets(ask=msg.sockets_changed or moved)
            if msg.ready:
                self.ready_signal.publish(self.ready)
            if msg.calls:
                for view in self._socket_views():
                    view.journal_calls(msg.calls)
        for name in msg.accept_ready:
            if name in self.auto_accept:
                self.run_command(f"accept {name}", origin="auto-accept")

    def _learn_pairs(self, calls: list[Any]) -> None:
        """Socketpair partners by name: unnamed unix sockets cannot be told apart by address."""
        pairs = self.socket_list.pairs
        for ev in calls:
            out = ev.outcome
            if out.syscall == "socketpair" and out.errno is None and len(out.new_sockets) == 2:
                a, b = out.new_sockets
                pairs[a], pairs[b] = b, a
            elif out.syscall in ("socket", "accept", "close"):
                for name in [*out.new_sockets, ev.sock]:
                    mate = pairs.pop(name, None) if name else None
                    if mate is not None and pairs.get(mate) == name:
                        del pairs[mate]

    def socket_view_mounted(self, view: SocketView) -> None:
        """A per-socket view mounted (a hidden tab mounts after the first frame): show it the selection."""
        self._views = None
        if self.query(SocketList) and self.socket_list.selected is not None:
            self._show_selected(self.socket_list.selected)

    def _socket_views(self) -> list[SocketView]:
        """The per-socket tabs, found once: walking every widget on each batch is costly in a flood."""
        if not self._views:
            self._views = [w for w in self.query("*") if isinstance(w, SocketView)]
        return self._views

    def set_auto_accept(self, name: str, on: bool) -> None:
        """Accept every connection that arrives on listener `name` (each accept is a shown command)."""
        if on:
            self.auto_accept.add(name)
            if "POLLIN" in self.ready.get(name, []):
                self.run_command(f"accept {name}", origin="auto-accept")
        else:
            self.auto_accept.discard(name)

    def socket_infos(self) -> list[dict[str, Any]]:
        """The list's rows: what the engine remembers, plus what the list's last traced read saw.

        No syscall here: this runs on the UI thread, and every call on a user's socket must
        be in the trace. What the engine cannot remember (an address the kernel chose, a TCP
        state) comes from `ask_kernel`'s [app] reads.
        """
        infos = []
        for name in list(self.pg.sockets):
            try:
                info = self.pg.info(name, ask=False)
            except (UsageError, OSError, ValueError):
                continue  # closed between listing and asking
            fd, seen = self._asked.get(name, (-1, {}))
            if seen and fd == info.get("fd") and info.get("kind") == "socket" and info.get("fd", -1) >= 0:
                if not info.get("local") and seen.get("local"):
                    info["local"] = seen["local"]
                if seen.get("state") and info.get("state") != "LISTEN":
                    info["state"] = seen["state"]
            infos.append(info)
        return infos

    def _tcp(self, name: str) -> bool:
        obj = self.pg.sockets.get(name)
        return getattr(obj, "type", None) == socket.SOCK_STREAM and getattr(obj, "family", None) in (
            socket.AF_INET, socket.AF_INET6)

    @staticmethod
    def _needs_kernel(info: dict[str, Any]) -> bool:
        """Would the list need the kernel for this row (an address it chose, a TCP state)?"""
        if info.get("kind") != "socket" or info.get("fd", -1) < 0:
            return False
        tcp = info.get("type") == "SOCK_STREAM" and info.get("family") in ("AF_INET", "AF_INET6")
        return tcp or not info.get("local")

    def ask_kernel(self) -> None:
        """Read what the list cannot remember, as the app's own traced calls (`[app]` lines).

        One `sockets` read (getsockname where the kernel chose the address, getsockopt
        TCP_INFO for TCP states) on the command thread, after what was typed before it
        (so where it lands in the trace does not depend on timing); at most one every
        LIST_READ_GAP seconds. The System calls pane folds it into one line `o` opens.
        """
        if self._asking:
            self._ask_again = True
            return
        if self._closing or self._closed or not self.is_running:
            return
        wait = self._next_ask_at - time.monotonic()
        if wait > 0:
            if self._ask_timer is None:
                self._ask_timer = self.set_timer(wait, self._ask_after_gap)
            return
        names = [i["name"] for i in self.socket_infos() if self._needs_kernel(i)]
        if not names:
            return
        self._asking, self._ask_again = True, False
        pg = self.pg

        def read() -> None:
            rows: list[dict[str, Any]] = []
            try:
                alive = [n for n in names if n in pg.sockets]
                if alive:
                    with pg.command_context(LIST_READ), pg.app_context():
                        rows = list(pg.describe(alive).value or [])
            except Exception:  # noqa: BLE001 - a socket closed meanwhile: the next read sees it gone
                rows = []
            finally:
                # frozen (snapshots): no gap, so where a read lands follows the calls, not the clock
                self._next_ask_at = time.monotonic() + (0.0 if self.frozen else LIST_READ_GAP)
                self.post_message(KernelRead(rows))

        self.observe(read)

    def _ask_after_gap(self) -> None:
        self._ask_timer = None
        self.ask_kernel()

    def on_kernel_read(self, msg: KernelRead) -> None:
        self._asking = False
        for row in msg.rows:
            self._asked[row["name"]] = (row.get("fd", -1), row)
        if msg.rows and self.query(SocketList):
            self.refresh_sockets(ask=False)
        if self._ask_again:
            self.ask_kernel()

    def refresh_sockets(self, ask: bool = True) -> None:
        """Redraw the list from what the engine remembers; `ask`: then read what it cannot (traced)."""
        self.freezer.learn(self.pg.sockets)
        infos = self.socket_infos()
        names = {i["name"] for i in infos}
        for gone in [n for n in self.ready if n not in names]:
            del self.ready[gone]
        for gone in [n for n in self._asked if n not in names]:
            del self._asked[gone]
        if ask:
            self.ask_kernel()
        table = self.socket_list
        table.ready_style = f"bold {self.current_theme.success or 'green'}"
        table.update_rows(infos, self.ready, self.freezer)
        if self._initial_select is not None and self._initial_select in names:
            table.select(self._initial_select)
            self._initial_select = None
        self._show_selected(table.selected, infos)

    @on(SocketList.Selected)
    def _selected(self, msg: SocketList.Selected) -> None:
        tables = self.query(SocketList)
        if not tables or msg.name != tables.first().selected:
            return  # stale (the cursor moved on before this arrived), or the app is closing
        self._show_selected(msg.name)

    def _show_selected(self, name: str | None, infos: list[dict[str, Any]] | None = None) -> None:
        detail = self.query_one("#detail")
        info_view = self.query_one("#info", Static)
        if name is None:
            detail.border_title = "no socket selected"
            self._info_text = "No sockets. Try: socketpair a b"
            info_view.update(self._info_text)
            for view in self._socket_views():
                view.show_socket(None, None)
            return
        infos = infos if infos is not None else self.socket_infos()
        info = next((i for i in infos if i["name"] == name), None)
        if info is None:
            return
        if self._initial_select is not None and name != self._initial_select:
            return  # the scene is still opening: skip the sockets that are selected on the way
        for view in self._socket_views():
            view.show_socket(name, info)
        fz = self.freezer
        if info.get("kind") == "fd":
            detail.border_title = f"{name} · fd · {info.get('local', '')}"
        else:
            fam = info["family"].removeprefix("AF_").lower()
            typ = info["type"].removeprefix("SOCK_").lower()
            addr = fz.addr(info["local"]) or "unbound"
            if info["peer"]:
                addr += f" → {fz.addr(info['peer'])}"
            bits = [name, f"{fam} {typ}", addr] + ([info["state"]] if info["state"] else [])
            detail.border_title = " · ".join(bits)
        rows = [
            ("name", name),
            ("kind", kind_label(info.get("family", ""), info.get("type", ""))),
            ("fd", str(fz.fd(info["fd"]))),
            ("family", info.get("family", "")),
            ("type", info.get("type", "")),
            ("local", fz.addr(info.get("local", "")) or "(unbound)"),
            ("peer", fz.addr(info.get("peer", "")) or "(none)"),
            ("state", info.get("state", "") or "-"),
            ("blocking", "no (O_NONBLOCK)" if info.get("nonblocking") else "yes"),
            ("ready", " ".join(self.ready.get(name, [])) or "-"),
        ]
        text = "\n".join(f"{k:<9} {v}" for k, v in rows)
        if text != self._info_text:  # an update lays the screen out again: a flood refreshes often
            self._info_text = text
            info_view.update(text)

    # -- views and sizes ------------------------------------------------------------
    def action_view(self, name: str) -> None:
        """Go to a view by its name in views.VIEWS: show its tab, put the cursor where one types."""
        view = BY_NAME.get(name)
        if view is None:
            return
        if self.query(Lazy):  # a hidden tab is mounting (just after the first frame): go there once it is in
            self.call_after_refresh(self.action_view, name)
            return
        if self.screen is not self.screen_stack[0]:
            self.pop_screen()  # from F1 or a dialog straight to the view
        # where sockets and detail cannot both show (a cramped lesson), the view picks which
        self.screen.set_class(view.tab is not None, "-detail")
        if view.tab is not None:
            # let go of the cursor first: a focused widget in the old tab would pull it back
            self.screen.set_focus(None)
            self.query_one("#tabs", TabbedContent).active = view.tab
        if view.live:
            # wide screens: Wire and Ancillary share one place (F4 swaps them); the key picks
            if view.focus in ("#wire-pane", "#anc-pane"):
                self.query_one(WirePane).show_pane(view.focus == "#wire-pane")
            self.show_live(view.focus.lstrip("#"))
        target = self.query_one(view.focus)
        if view.tab is None and not view.live:
            # shown already: at once (Widget.focus() waits a turn), so keys typed right after land in it
            self.screen.set_focus(target)
        else:
            self.call_after_refresh(target.focus)  # the tab switch must show the widget first

    def go_to_option(self, option: str) -> bool:
        """The Options view with the cursor on `option`'s row; False when the selected socket has no such row."""
        form = self.query_one(OptionsForm)
        if form.group is None or option not in form.group.by_name:
            return False
        if self.screen is not self.screen_stack[0]:
            self.pop_screen()
        self.screen.set_class(True, "-detail")
        self.screen.set_focus(None)  # a focused widget in another tab would pull it back
        self.query_one("#tabs", TabbedContent).active = "tab-options"
        self.call_after_refresh(form.go_to, option)
        return True

    def show_live(self, pane_id: str) -> None:
        """Which live pane shows when they share the tab strip (small screens)."""
        self.live_pane = pane_id
        for pane in self.query(".live-pane"):
            pane.set_class(pane.id == pane_id, "-active")
        tabs = self.query_one("#live-tabs", Tabs)
        if tabs.active != "live-" + pane_id:
            tabs.active = "live-" + pane_id

    @on(Tabs.TabActivated, "#live-tabs")
    def _live_tab(self, msg: Tabs.TabActivated) -> None:
        msg.stop()
        if msg.tab is not None and msg.tab.id:
            self.show_live(msg.tab.id.removeprefix("live-"))

    def on_resize(self) -> None:
        """A new size: the socket list drops or regains its address column (breakpoint classes do the rest)."""
        self.call_after_refresh(self._fit_size)

    COMPACT_BELOW = 110  # columns: below this the socket list drops its address column
    CRAMPED_BELOW = 0  # columns: below this sockets and detail take turns (lesson mode sets it)

    def _fit_size(self) -> None:
        if not self.query(SocketList):
            return
        narrow = self.size.width < self.COMPACT_BELOW
        self.socket_list.set_compact(narrow)
        self.screen.set_class(self.size.width < self.CRAMPED_BELOW, "-cramped")

    # -- actions ---------------------------------------------------------------
    def action_focus_repl(self) -> None:
        line = self.repl.command_line
        if self.focused is line and self.screen is self.screen_stack[0]:
            self.repl.clear()  # pressed again in the REPL: clear it, as ctrl+l does in a shell
        line.focus()

    def action_cancel(self) -> None:
        """ctrl+c: stop what is pending (a blocked call, a count=N loop, a sleep) and say what it was.

        Blocked calls are woken through the engine's own cancel; loops stop after their
        current call. With nothing pending, ctrl+c copies a selection, as it does in an Input.
        """
        lines = [ln for ln, origin in self.runner.running_lines if origin not in SIDE_ORIGINS]
        side = [ln for ln, origin in self.runner.running_lines if origin in SIDE_ORIGINS]
        if not lines and not side and not self.pg.pending():
            focused = self.focused
            if isinstance(focused, Input) and focused.selected_text:
                focused.action_copy()
                return
            self.notify("nothing is running to cancel (ctrl+q quits)", timeout=3)
            return
        reason = "cancelled by ctrl+c"
        self._execute.cancel(reason)
        woken = self.pg.cancel(reason=reason)
        what = "; ".join(lines) or ("a keep-reading drain" if side else f"{woken} blocked call(s)")
        self.repl.result(f"ctrl+c: cancelled {what}", "info")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_record(self) -> None:
        """F2: start recording, or stop and save a script that `sockplay run` replays.

        The script starts with the setup lines that built what the session held when
        recording began (the scene, or the commands typed), so it stands on its own.
        """
        if self.recording is None:
            self._record_setup = list(self.setup)
            self.recording = []
            self.notify("recording: every command from now on goes into a .sp script (F2 stops)")
        else:
            lines, self.recording = self.recording, None
            setup = getattr(self, "_record_setup", [])
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = Path.cwd() / f"sockplay-{stamp}.sp"
            text = "# recorded by sockplay; replay with: sockplay run " + path.name + "\n"
            if setup:
                text += "# setup: what the session held when recording began\n"
                text += "".join(f"{ln}\n" for ln in setup) + "\n# recorded\n"
            text += "".join(f"{ln}\n" for ln in lines)
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                self.notify(f"could not save the recording: {exc}", severity="error", markup=False)
            else:
                self.record_path = path
                self.notify(f"saved {len(lines)} commands to {path}", markup=False)
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        rec = "   rec ●" if self.recording is not None else ""
        self.sub_title = f"theme: {self.theme}{rec}"

    # -- for tests -------------------------------------------------------------
    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until queued commands have run and their events reached the panes."""
        import asyncio

        deadline = time.monotonic() + timeout

        def quiet() -> bool:
            # everything ran, or what still runs is blocked in the engine (a pending recv);
            # and no view has calls scheduled (the option form reads values after a short delay)
            r = self.runner
            if any(view.busy for view in self._socket_views()) or self._asking or self._ask_timer is not None:
                return False
            return r.idle or (r.queued == 0 and bool(self.pg.pending()))

        while not quiet() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # results and late events are posted just after a command ends
        while self.seen_seq < self.pg.journal.last_seq and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        while any(view.behind for view in self._socket_views()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # a view takes new calls at a bounded rate
        await asyncio.sleep(0.02)


def tui_cli(args: Any) -> int:
    """Entry point from sockplay.cli: `sockplay [FILE.sp] [--empty] [--theme NAME]`."""
    options = AppOptions(
        script=getattr(args, "script", None),
        empty=bool(getattr(args, "empty", False)),
        theme=getattr(args, "theme", None),
    )
    app = SockplayApp(options)
    journal_bytes = getattr(args, "journal_bytes", None)
    if journal_bytes is not None:
        app.pg.journal.max_bytes = journal_bytes
    journal = getattr(args, "journal", None)
    if journal:
        try:
            app.pg.journal.open_sink(journal)
        except OSError as exc:
            print(f"sockplay: cannot write the journal to {journal}: {exc.strerror or exc}", file=sys.stderr)
            app.pg.close_all()
            return 2
    try:
        app.run()
    finally:
        app.pg.journal.close_sink()
    return int(app.return_code or 0)
