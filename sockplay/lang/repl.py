"""`sockplay repl`: the command language typed line by line, with prompt_toolkit.

The loop (`Repl.run`) takes a PromptSession and a writer, so tests drive it
headless with a pipe input and collect what it writes. Each command runs on a
worker thread: the prompt stays responsive to Ctrl-C, which wakes a blocking
call through `pg.cancel()` instead of killing the REPL. Readiness and signal
events from the journal arrive on another thread and are printed above the
prompt with `run_in_terminal`, so the line being typed is redrawn intact.
"""

from __future__ import annotations

import asyncio
import code
import contextlib
import ctypes
import io
import keyword
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.formatted_text import ANSI, FormattedText
from prompt_toolkit.history import History
from prompt_toolkit.input.typeahead import store_typeahead
from prompt_toolkit.keys import Keys
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output
from prompt_toolkit.renderer import print_formatted_text as render_formatted
from prompt_toolkit.styles import BaseStyle, Style, merge_styles, style_from_pygments_dict
from pygments.lexers.python import PythonLexer

from sockplay.core import Playground
from sockplay.core.errors import UsageError
from sockplay.core.journal import Event
from sockplay.lang import bug, transcript
from sockplay.lang.completer import CommandCompleter, PythonCompleter
from sockplay.lang.executor import Executor, Result
from sockplay.lang.grammar import ScriptError
from sockplay.lang.history import TolerantFileHistory
from sockplay.lang.lexer import TOKEN_STYLES, SockLexer
from sockplay.lang.parser import parse_line

PROMPT = "sockplay> "
PY_PROMPT = ">>> "
PY_MORE = "... "
MAX_EVENT_LINES = 40  # per journal batch; the rest is folded into one "+N more" line
EXTRA_COMMANDS = {"python": "evaluate Python with pg and every socket in scope (or start a line with !)"}

REPL_HELP = [
    "",
    "In this REPL:",
    "  Tab completes commands, socket names, options and flags; Right accepts a suggestion from history.",
    "  Ctrl-C cancels a call that is waiting (recv, accept, connect, poll) and keeps the REPL.",
    "  Ctrl-D leaves and closes every socket.",
    "  !EXPR or python EXPR runs Python with pg (the playground) and each socket by name;",
    "  python alone switches to Python mode until Ctrl-D or exit.",
]
PYTHON_HELP = [
    "python [CODE]   or   !CODE",
    "",
    "Runs Python for what the command language does not cover. In scope: pg, the",
    "Playground (pg.recv('b', 2, flags=['peek']) makes the same call as recv b 2 peek),",
    "and every socket whose name is a Python identifier, as the socket object itself.",
    "Without CODE, switches to Python mode (prompt >>>) until Ctrl-D or exit.",
    "A traceback is printed and the REPL carries on.",
]

Writer = Callable[[str], None]


def history_path() -> Path:
    """$XDG_STATE_HOME/sockplay/history, by default ~/.local/state/sockplay/history."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "sockplay" / "history"


def repl_style() -> BaseStyle:
    """Token colours shared with the TUI, plus the prompt's own classes."""
    return merge_styles([
        style_from_pygments_dict(TOKEN_STYLES),
        Style.from_dict({"prompt": "bold #5fafff", "prompt.py": "bold #ffd75f"}),
    ])


class _Interrupted(BaseException):
    """Raised inside the worker (from the executor's wait hook) when Ctrl-C was pressed."""


class _ThreadStream(io.TextIOBase):
    """stdout/stderr for Python mode: the worker's whole lines go to the REPL writer.

    redirect_stdout is process-wide, so writes from any other thread pass through
    to the stream that was there before instead of being captured (or looping back).
    """

    def __init__(self, emit: Callable[[str], None], fallback: Any) -> None:
        self._emit = emit
        self._fallback = fallback
        self._buf = ""
        self.owner: int | None = None

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self.owner is not None and threading.get_ident() != self.owner:
            return self._fallback.write(s)
        self._buf += s
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            self._emit(line)
        return len(s)

    def flush(self) -> None:
        if self.owner is not None and threading.get_ident() != self.owner:
            self._fallback.flush()
            return
        if self._buf:
            line, self._buf = self._buf, ""
            self._emit(line)


class PyConsole(code.InteractiveConsole):
    """The Python mode: InteractiveConsole whose namespace follows the playground's sockets."""

    def __init__(self, pg: Any) -> None:
        super().__init__(locals={"pg": pg, "__name__": "__sockplay__"}, filename="<sockplay>")
        self.pg = pg
        self._injected: dict[str, Any] = {}

    def refresh(self) -> dict[str, Any]:
        """Put every socket whose name is an identifier in scope; drop the ones closed since."""
        ns = self.locals
        current = {n: s for n, s in list(self.pg.sockets.items()) if n.isidentifier() and not keyword.iskeyword(n)}
        for name, obj in self._injected.items():
            if name not in current and ns.get(name) is obj:
                del ns[name]
        ns.update(current)
        ns["pg"] = self.pg
        self._injected = current
        return ns

    def write(self, data: str) -> None:
        sys.stderr.write(data)


class Repl:
    """The read-eval-print loop, independent of the terminal it runs in."""

    def __init__(self, pg: Playground, write: Writer, color: bool = False, executor: Executor | None = None) -> None:
        self.pg = pg
        self.write = write
        self.style = transcript.Style(color)
        self.executor = executor or Executor(pg, on_wait=self._check_interrupt)
        if executor is not None and executor.on_wait is None:
            executor.on_wait = self._check_interrupt
        self.console = PyConsole(pg)
        self.python_mode = False
        self.py_more = False  # a Python statement is unfinished (prompt ...)
        self.completer = CommandCompleter(lambda: list(pg.sockets), EXTRA_COMMANDS, namespace=self.console.refresh)
        self.py_completer = PythonCompleter(self.console.refresh)
        self.lexer = PygmentsLexer(SockLexer)
        self.py_lexer = PygmentsLexer(PythonLexer)
        self.session: PromptSession[str] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._interrupt = threading.Event()
        self._busy = False
        # While a command runs, the events it causes wait here and print after its result:
        # the watcher can see a send's +POLLIN before the send's own result is printed.
        self._hold_lock = threading.Lock()
        self._holding = False
        self._held: list[str] = []

    # ------------------------------------------------------------------ output
    def emit(self, line: str) -> None:
        """Write one line from the loop thread: above the prompt if one is showing."""
        app = self.session.app if self.session is not None else None
        if app is not None and app.is_running:
            run_in_terminal(lambda: self.write(line))
        else:
            self.write(line)

    def emit_threadsafe(self, line: str) -> None:
        """Write one line from any thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            self.write(line)
        elif _on_loop_thread(loop):
            self.emit(line)
        else:
            loop.call_soon_threadsafe(self.emit, line)

    def _on_events(self, batch: list[Event], missed: int) -> None:
        """Journal reader thread: pick what arrives on its own and hand it to the loop."""
        lines: list[str] = []
        if missed:
            lines.append(transcript.INDENT + self.style("note", f"({missed:,} events went by too fast to show)"))
        shown = 0
        for ev in batch:
            text = self.event_lines(ev)
            if not text:
                continue
            if ev.kind == "pending":  # "recv waits": said while it waits, never held back
                self.emit_threadsafe("\n".join(text))
                continue
            shown += 1
            if shown <= MAX_EVENT_LINES:
                lines += text
        if shown > MAX_EVENT_LINES:
            lines.append(transcript.INDENT + self.style("note", f"+{shown - MAX_EVENT_LINES:,} more events"))
        if not lines:
            return
        with self._hold_lock:
            if self._holding:
                self._held.extend(lines)
                return
        self.emit_threadsafe("\n".join(lines))

    def _hold(self, on: bool) -> None:
        """Start holding events, or stop and print what was held (after the result just printed)."""
        with self._hold_lock:
            self._holding = on
            held, self._held = self._held, []
        if held:
            self.emit_threadsafe("\n".join(held))

    def event_lines(self, ev: Event) -> list[str]:
        """Lines for one journal event, or none for what a command's result already shows."""
        if ev.kind in ("ready", "signal"):
            line = transcript.render_event(ev, self.style)
            return [line] if line else []
        if ev.kind == "note" and ("relay" in ev.fields or "proxy" in ev.fields) and ev.fields.get("state") != "started":
            return [transcript.INDENT + self.style("note", str(ev.fields.get("text", "")))]  # a background job speaks
        if ev.kind == "pending" and self._busy and ev.command is not None and not transcript.background(ev):
            return [transcript.INDENT + self.style("note", f"... {ev.fields.get('syscall', 'the call')} "
                                                           f"on {ev.sock} waits (Ctrl-C cancels)")]
        if ev.kind == "call" and ev.command is None and ev.outcome is not None and ev.outcome.cmsgs:
            # A call made outside the language (Python mode, another front-end) that carried
            # ancillary data: the person would not see it otherwise.
            o = ev.outcome
            return [transcript.INDENT + self.style("trace", o.trace)] + [
                transcript.INDENT + self.style("cmsg", "anc " + transcript.cmsg_line(c)) for c in o.cmsgs
            ]
        return []

    # ------------------------------------------------------------------ the loop
    def message(self) -> FormattedText:
        if self.python_mode or self.py_more:
            return FormattedText([("class:prompt.py", PY_MORE if self.py_more else PY_PROMPT)])
        return FormattedText([("class:prompt", PROMPT)])

    async def run(self, session: PromptSession[str]) -> int:
        """Prompt, run, print, until Ctrl-D. Closes every socket on the way out."""
        self.session = session
        self.loop = asyncio.get_running_loop()
        unsubscribe = self.pg.journal.subscribe(self._on_events)
        try:
            while True:
                python = self.python_mode or self.py_more
                try:
                    text = await session.prompt_async(
                        self.message(),
                        lexer=self.py_lexer if python else self.lexer,
                        completer=self.py_completer if python else self.completer,
                    )
                except KeyboardInterrupt:
                    if self.py_more:
                        self.console.resetbuffer()
                        self.py_more = False
                    continue
                except EOFError:
                    if self.python_mode or self.py_more:
                        self.console.resetbuffer()
                        self.python_mode = self.py_more = False
                        self.write(self.style("note", "(back to sockplay commands)"))
                        continue
                    break
                await self.handle(text)
        finally:
            unsubscribe()
            n = len(self.pg.sockets)
            self.close_all()
            self.write(self.style("note", f"closed {n} socket{'s' if n != 1 else ''}; bye"))
        return 0

    def close_all(self) -> None:
        """Close what is still open, showing each close() the way it reached the kernel.

        Leaving is a call on every socket too: the trace shows them, not a silent teardown.
        """
        first = self.pg.journal.last_seq
        with self.pg.command_context("(leaving: close every socket)"):
            self.pg.close_all()
        for ev in self.pg.journal.since(first):
            if ev.kind == "call" and ev.outcome is not None and ev.outcome.trace:
                self.write("\n".join(transcript.trace_rows(ev.outcome, self.style)))

    async def handle(self, text: str) -> None:
        """One submitted line: Python, REPL help, or commands of the language."""
        if self.python_mode or self.py_more:
            if self.python_mode and not self.py_more and text.strip() in ("exit", "quit", "exit()", "quit()"):
                self.python_mode = False
                self.write(self.style("note", "(back to sockplay commands)"))
                return
            await self.run_python(text)
            return
        stripped = text.strip()
        if not stripped:
            return
        if stripped.startswith("!"):
            await self.run_python(stripped[1:], one_shot=True)
            return
        first, _, rest = stripped.partition(" ")
        if first.lower() == "python":
            if rest.strip():
                await self.run_python(rest.strip(), one_shot=True)
            else:
                self.python_mode = True
                self.write(self.style("note", "Python mode: pg and the sockets are in scope; Ctrl-D or exit goes back"))
            return
        if first.lower() == "help" and rest.strip().lower() in ("python", "!"):
            for line in PYTHON_HELP:
                self.write(line)
            return
        await self.run_commands(text)

    async def run_commands(self, text: str) -> bool:
        """Run a line of commands on a worker thread, printing each Result as it comes.

        Returns False when the line did not run as written or an expect failed.
        """
        results: list[Result] = []

        def work() -> None:
            try:
                for cmd in parse_line(text):
                    self._hold(True)
                    results.append(self.executor.run(cmd))
                    self.emit_threadsafe(self.render(results[-1]))
                    self._hold(False)  # its events print after it, in the order they came
            finally:
                self._hold(False)

        try:
            await self._in_worker(work, python=False)
        except ScriptError as exc:
            self.write(self._caret(exc.col) + self.style("error", f"error: {exc.message}"))
            return False
        except UsageError as exc:
            self.write(self.style("error", f"error: {exc}"))
            return False
        except _Interrupted:
            self.write(self.style("note", "(interrupted)"))
            return False
        except Exception as exc:  # noqa: BLE001 - a bug in one command must not end the session
            self.write(self.style("error", "\n".join(bug.report_lines(exc))))
            return False
        return all(r.expect is None or r.expect.ok for r in results)

    def render(self, result: Result) -> str:
        lines = transcript.render_result(result, self.style)
        if result.command.name == "help" and not result.command.args.get("topic"):
            lines += [transcript.INDENT + line for line in REPL_HELP]
        return "\n".join(lines)

    def _caret(self, col: int) -> str:
        """A ^ under the column the error is about, aligned with the prompt above it."""
        return " " * (len(PROMPT) + max(col, 1) - 1) + self.style("error", "^") + "\n"

    async def run_python(self, line: str, one_shot: bool = False) -> None:
        """Push one line to the Python console on a worker thread; output comes back as lines.

        `one_shot` (a `!` line): a complete one-line compound statement such as
        `for i in range(3): print(i)` runs at once instead of waiting for a blank line.
        """
        self.console.refresh()
        out = _ThreadStream(self.emit_threadsafe, sys.stdout)
        err = _ThreadStream(self.emit_threadsafe, sys.stderr)
        more = [False]

        def work() -> None:
            out.owner = err.owner = threading.get_ident()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    more[0] = self.console.push(line)
                    if more[0] and one_shot and not line.rstrip().endswith((":", "\\", ",", "(", "[", "{")):
                        more[0] = self.console.push("")
                except SystemExit:
                    self.console.resetbuffer()
                    self.python_mode = False
                finally:
                    out.flush()
                    err.flush()

        try:
            await self._in_worker(work, python=True)
        except _Interrupted:
            self.console.resetbuffer()
            more[0] = False
            self.write(self.style("note", "(interrupted)"))
        self.py_more = more[0]

    # ------------------------------------------------------------------ workers and Ctrl-C
    async def _in_worker(self, fn: Callable[[], None], python: bool) -> None:
        """Run `fn` on a daemon thread while reading keys: Ctrl-C cancels, other keys are kept.

        A daemon thread rather than the loop's executor: a Python line stuck in a raw
        syscall must not keep the process alive when the person leaves.
        """
        assert self.loop is not None
        loop = self.loop
        done: asyncio.Future[None] = loop.create_future()
        self._interrupt.clear()

        def target() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the loop, which reports it
                loop.call_soon_threadsafe(_settle, done, exc)
            else:
                loop.call_soon_threadsafe(_settle, done, None)

        thread = threading.Thread(target=target, name="sockplay-repl-cmd", daemon=True)
        presses = 0
        typeahead: list[Any] = []
        inp = self.session.input if self.session is not None else None

        def on_keys() -> None:
            nonlocal presses
            assert inp is not None
            for kp in inp.read_keys():
                if kp.key == Keys.ControlC:
                    presses += 1
                    self._interrupt.set()
                    self.pg.cancel(reason="cancelled by Ctrl-C")
                    if python and thread.ident is not None:
                        _raise_in_thread(thread.ident, KeyboardInterrupt)
                else:
                    typeahead.append(kp)

        self._busy = True
        thread.start()
        try:
            with contextlib.ExitStack() as stack:
                if inp is not None:
                    stack.enter_context(inp.raw_mode())
                    stack.enter_context(inp.attach(on_keys))
                while not done.done():
                    await asyncio.wait([done], timeout=0.1)
                    if self._interrupt.is_set() and not done.done():
                        if presses >= 2:
                            self.write(self.style("note", "(still blocked; left running in the background)"))
                            raise _Interrupted()
                        self.pg.cancel(reason="cancelled by Ctrl-C")  # a call that began after the key
        finally:
            self._busy = False
            if inp is not None and typeahead:
                store_typeahead(inp, typeahead)
        done.result()

    def _check_interrupt(self) -> None:
        """The executor's wait hook (sleep, expect ready, long floods): stop when Ctrl-C was pressed."""
        if self._interrupt.is_set():
            raise _Interrupted()

    async def run_plain(self, lines: Any) -> int:
        """Read lines from a non-terminal (a pipe): each is echoed after the prompt, then run."""
        self.loop = asyncio.get_running_loop()
        unsubscribe = self.pg.journal.subscribe(self._on_events)
        try:
            for raw in lines:
                line = raw.rstrip("\n")
                self.write(PROMPT + line)
                await self.handle(line)
            await asyncio.sleep(0.1)  # let the last readiness changes print
        finally:
            unsubscribe()
            self.close_all()
        return 0

    async def run_script(self, path: str) -> None:
        """Run a .sp file before the first prompt, line by line, stopping at the first error."""
        self.loop = asyncio.get_running_loop()
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.write(self.style("error", f"cannot read {path}: {exc}"))
            return
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            self.write(transcript.render_command(line.strip(), lineno, self.style))
            if not await self.run_commands(line):
                self.write(self.style("error", f"{path}:{lineno}: stopped here"))
                return


def _settle(fut: asyncio.Future[None], exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(None)
    else:
        fut.set_exception(exc)


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _raise_in_thread(ident: int, exc: type[BaseException]) -> None:
    """Raise `exc` in another thread at its next bytecode (pure-Python loops stop; syscalls don't)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))


def terminal_writer(output: Output, style: BaseStyle) -> Writer:
    """Write ANSI-coloured lines to a prompt_toolkit Output, synchronously."""

    def write(line: str) -> None:
        render_formatted(output, ANSI(line + "\n"), style, color_depth=output.get_default_color_depth())
        output.flush()

    return write


def make_session(repl: Repl, history: History | None = None, **kw: Any) -> PromptSession[str]:
    """A PromptSession wired to the REPL's completer, lexer and style."""
    return PromptSession(
        history=history,
        auto_suggest=AutoSuggestFromHistory(),
        completer=repl.completer,
        lexer=repl.lexer,
        style=repl_style(),
        complete_while_typing=False,
        enable_history_search=False,
        **kw,
    )


def repl_cli(args: Any) -> int:
    """Entry point for `sockplay repl [SCRIPT]`."""
    path = history_path()
    notices: list[str] = []
    history: History | None
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)  # a read-only home still gets a working REPL
    history = TolerantFileHistory(str(path), lambda msg: notices.append(msg))
    pg = Playground(watch=True)  # readiness changes become events; close_all() stops it
    # Bytes that are not UTF-8 (a paste, a binary file piped in) must reach the parser, which
    # says where they are, and must never stop the output: decode and print them leniently.
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdin.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    if not sys.stdin.isatty():
        # Piped input: no line editing, no terminal tricks; same commands and output.
        plain = Repl(pg, print)

        async def piped() -> int:
            if getattr(args, "script", None):
                await plain.run_script(args.script)
            return await plain.run_plain(sys.stdin)

        return asyncio.run(piped())

    repl = Repl(pg, print, color=sys.stdout.isatty())
    session = make_session(repl, history)
    repl.write = terminal_writer(session.output, repl_style())
    history._notice = lambda msg: repl.write(repl.style("note", msg))
    for msg in notices:
        repl.write(repl.style("note", msg))

    async def main() -> int:
        repl.write(repl.style("note", "sockplay repl: help lists the commands, Tab completes, Ctrl-D leaves"))
        if getattr(args, "script", None):
            repl.session = session
            await repl.run_script(args.script)
        return await repl.run(session)

    return asyncio.run(main())
