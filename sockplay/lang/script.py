"""`sockplay run`: play a script headless and print its transcript (text or JSONL).

Exit status: 0 everything ran and every expect held; 1 an expect failed (or,
with --strict, a syscall failed and no expect right after it accounted for
that); 2 the script is wrong: it does not parse, or a command is misused
(unknown socket, wrong number of words, bad value), with line and column
named on stderr; 3 sockplay itself failed (a bug): the traceback and one line
saying so go to stderr. The whole script is parsed before anything runs, so a typo
on the last line costs no side effects.

All printing happens on the main thread, draining the journal between
commands (and during waits and long floods), so JSON lines come out whole and
in seq order.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from dataclasses import dataclass
from typing import IO, Any

from sockplay.core import Playground
from sockplay.lang import bug
from sockplay.lang.executor import Executor, Result
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import Command, check_script
from sockplay.lang.transcript import Style, render_command, render_event, render_result

EXIT_OK, EXIT_EXPECT, EXIT_SCRIPT = 0, 1, 2


@dataclass(slots=True)
class RunOptions:
    json: bool = False
    strict: bool = False
    color: bool = False
    pcap: str | None = None  # capture the run's packets to this pcap file (wire on from the start)


class Runner:
    """Runs parsed commands on a Playground and prints the transcript as it goes."""

    def __init__(
        self,
        pg: Playground,
        out: IO[str],
        err: IO[str],
        options: RunOptions,
        filename: str = "<script>",
        source: list[str] | None = None,
    ) -> None:
        self.pg = pg
        self.out = out
        self.err = err
        self.opts = options
        self.filename = filename
        self.source = source or []
        self.style = Style(options.color)
        self.err_style = Style(options.color and _isatty(err))
        self.seq = 0  # last journal seq printed
        self.executor = Executor(pg, on_wait=self.drain)

    # -- output ----------------------------------------------------------------
    def drain(self) -> None:
        """Print the journal's new events: all of them as JSON, or the asynchronous ones as text."""
        journal = self.pg.journal
        if journal.last_seq <= self.seq:
            return
        events = journal.since(self.seq)
        if not events:
            return
        if events[0].seq > self.seq + 1 and self.seq:
            self._missed(events[0].seq - self.seq - 1)
        chunk: list[str] = []
        for ev in events:
            if self.opts.json:
                chunk.append(json.dumps(ev.to_json(), ensure_ascii=False))
            else:
                line = render_event(ev, self.style)
                if line is not None:
                    chunk.append(line)
        self.seq = events[-1].seq
        if chunk:
            self.out.write("\n".join(chunk) + "\n")
            self.out.flush()

    def _missed(self, n: int) -> None:
        self.err.write(f"sockplay run: {n} events went by faster than they could be printed\n")

    def _error(self, line: int, col: int, message: str) -> None:
        self.err.write(_located(self.filename, self.source, line, col, message, self.err_style))

    # -- running ---------------------------------------------------------------
    def run(self, commands: list[Command]) -> int:
        strict_failure: tuple[Command, Result] | None = None
        skip_until = 0  # an unmet `require` skips the lines before this one (the rest of its step)
        for cmd in commands:
            if cmd.line < skip_until:
                continue
            if strict_failure is not None and not _accounts_for(cmd):
                return self._strict_fail(*strict_failure)
            strict_failure = None
            if not self.opts.json:
                self.drain()
                self.out.write(render_command(cmd.text, cmd.line, self.style) + "\n")
                self.out.flush()
            try:
                result = self.executor.run(cmd)
            except ScriptError as exc:
                self.drain()
                self._error(exc.line, exc.col, exc.message)
                return EXIT_SCRIPT
            if not self.opts.json:
                lines = render_result(result, self.style)
                if lines:
                    self.out.write("\n".join(lines) + "\n")
            self.drain()
            if result.skip is not None:
                skip_until = step_end(self.source, cmd.line)
                continue
            if result.expect is not None and not result.expect.ok:
                self._error(cmd.line, cmd.col, f"expect failed: {result.expect.message}")
                return EXIT_EXPECT
            if self.opts.strict and result.failed is not None:
                strict_failure = (cmd, result)
        if strict_failure is not None:
            return self._strict_fail(*strict_failure)
        return EXIT_OK

    def _strict_fail(self, cmd: Command, result: Result) -> int:
        o = result.failed
        assert o is not None
        self._error(cmd.line, cmd.col, f"--strict: {o.syscall} failed with {o.errno}" + (f": {o.error}" if o.error else ""))
        return EXIT_EXPECT


def step_end(source: list[str], line: int) -> int:
    """The line number of the blank line that ends the step holding `line` (past the end if none)."""
    for i in range(line, len(source)):
        if not source[i].strip():
            return i + 1
    return len(source) + 1


def _accounts_for(cmd: Command) -> bool:
    """An expect on errno or ret right after a failed call says the failure was meant."""
    return cmd.name == "expect" and cmd.args.get("field") in ("errno", "ret")


def _located(filename: str, source: list[str], line: int, col: int, message: str, style: Style) -> str:
    """`file:line:col: message`, then the line and a caret under the column."""
    text = f"{filename}:{line}:{col}: {style('error', 'error:')} {message}\n"
    if 1 <= line <= len(source):
        src = source[line - 1].rstrip("\n").expandtabs(1)
        text += f"    {src}\n    {' ' * max(col - 1, 0)}^\n"
    return text


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def run_text(
    text: str,
    out: IO[str],
    err: IO[str],
    options: RunOptions | None = None,
    filename: str = "<script>",
    pg: Playground | None = None,
) -> int:
    """Run script text; returns the exit status. The playground's sockets are closed at the end."""
    options = options or RunOptions()
    source = text.splitlines()
    commands, errors = check_script(text)
    if errors:
        style = Style(options.color and _isatty(err))
        for e in errors:
            err.write(_located(filename, source, e.line, e.col, e.message, style))
        return EXIT_SCRIPT
    own = pg is None
    pg = pg or Playground(watch=True)
    if options.pcap:
        why = pg.wire_on(pcap=options.pcap)
        if why is not None:
            err.write(f"sockplay run: --pcap {options.pcap}: {why}\n")
            if own:
                pg.close_all()
            return EXIT_SCRIPT
    runner = Runner(pg, out, err, options, filename, source)
    try:
        status = runner.run(commands)
        runner.drain()
        return status
    finally:
        if own:
            pg.close_all()
            close = getattr(pg, "close", None) or getattr(pg.journal, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - teardown must not hide the script's status
                    pass


def run_cli(args: Any) -> int:
    """Entry point for `sockplay run [--json] [--strict] [--color] FILE`."""
    path = args.file
    try:
        if path == "-":
            text, filename = sys.stdin.read(), "<stdin>"
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            filename = path
    except (OSError, UnicodeDecodeError) as exc:
        print(f"sockplay run: cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_SCRIPT
    color_opt = getattr(args, "color", "auto") or "auto"
    color = color_opt == "always" or (color_opt == "auto" and _isatty(sys.stdout))
    options = RunOptions(json=bool(getattr(args, "json", False)), strict=bool(getattr(args, "strict", False)),
                         color=color and not getattr(args, "json", False), pcap=getattr(args, "pcap", None))
    journal = getattr(args, "journal", None)
    journal_bytes = getattr(args, "journal_bytes", None)
    pg: Playground | None = None
    try:
        if journal or journal_bytes is not None:
            pg = Playground(watch=True, **({"journal_bytes": journal_bytes} if journal_bytes is not None else {}))
            if journal:
                try:
                    pg.journal.open_sink(journal)
                except OSError as exc:
                    print(f"sockplay run: cannot write the journal to {journal}: {exc.strerror or exc}",
                          file=sys.stderr)
                    return EXIT_SCRIPT
        return run_text(text, sys.stdout, sys.stderr, options, filename, pg=pg)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a crash must not look like a failed expect (1) or a bad script (2)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        print(f"sockplay run: {bug.REPORT}", file=sys.stderr)
        return bug.EXIT_BUG
    finally:
        if pg is not None:
            pg.close_all()
            failed = pg.journal.close_sink()  # writes the sink's last lines
            pg.journal.close()
            if failed is not None:
                print(f"sockplay run: the journal {journal} stopped: {failed.strerror or failed}", file=sys.stderr)
