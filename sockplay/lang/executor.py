"""Runs parsed Commands on a Playground: the one path every front-end takes.

The TUI's forms, the REPL and `sockplay run` all hand a Command to
`Executor.run` and render the Result it returns. Engine misuse (an unknown
socket, a bad value) comes back as a ScriptError naming the line and column,
never as another exception.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sockplay.core import batch, catalog, codecs, flags
from sockplay.core.errors import UsageError
from sockplay.core.flags import msg_flags_value
from sockplay.core.journal import Event
from sockplay.core.outcome import Outcome
from sockplay.lang import commands as C
from sockplay.lang.grammar import ScriptError, quote_data, show_data
from sockplay.lang.parser import Command, parse_line
from sockplay.lang.protocol import ProtocolCommands, remember_peer

READY_WAIT = 1.0  # seconds `expect ready` waits for the watcher


@dataclass(slots=True)
class ExpectResult:
    """The verdict of one `expect`: what was wanted, what was there, and a sentence saying so."""

    ok: bool
    field: str
    expected: str
    actual: str
    message: str


class OutcomeLog(list):
    """The Outcomes of one command: all of them up to KEEP, then the first and the newest.

    A `count=10000000` drain must not hold ten million Outcomes (and their data)
    until it ends: memory would grow without bound, and the garbage collector's
    passes over them would stall every other thread. Whatever is let go is
    still counted in the running tallies that `transcript.fold` prints.
    """

    KEEP = 512

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.ok = 0
        self.rets: Counter[Any] = Counter()
        self.moved = 0
        self.errs: Counter[str] = Counter()
        self.cmsgs: Counter[str] = Counter()

    def append(self, o: Outcome) -> None:
        self.total += 1
        if o.errno is None:
            self.ok += 1
            self.rets[o.ret] += 1
            if o.ret and o.ret > 0 and o.syscall not in ("socket", "accept"):
                self.moved += o.ret
        else:
            self.errs[o.errno] += 1
        for c in o.cmsgs:
            self.cmsgs[str(c.get("name", c.get("type")))] += 1
        super().append(o)
        if len(self) > 2 * self.KEEP:
            del self[1 : 1 + self.KEEP]  # keep the first, drop the oldest of the rest


@dataclass(slots=True)
class Result:
    """What running one Command produced, for printers to render.

    `outcomes` holds one Outcome per syscall (count=N gives N, or fewer when a
    receive stopped at an error). `lines` is text output (help, sockets, echo);
    `rows` the same as a table for views that draw their own.
    """

    command: Command
    outcomes: list[Outcome] = field(default_factory=OutcomeLog)
    expect: ExpectResult | None = None
    lines: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None
    elapsed: float = 0.0
    skip: str | None = None  # set by an unmet `require`: what is missing; the rest of the step is skipped
    steps: list[Any] | None = None  # a multi-call command's calls in order: Outcomes and library-call text
    final: Outcome | None = None  # what `expect` checks when the calls together make one value (a message)
    cancelled: str | None = None  # set when `Executor.cancel` stopped a count=N loop: why

    @property
    def outcome(self) -> Outcome | None:
        """The last Outcome (the one `expect` checks)."""
        return self.outcomes[-1] if self.outcomes else None

    @property
    def ok(self) -> bool:
        """False when an expect failed or the (last) call failed."""
        if self.expect is not None and not self.expect.ok:
            return False
        if self.final is not None:
            return self.final.errno is None
        return all(o.errno is None for o in self.outcomes[-1:])

    @property
    def failed(self) -> Outcome | None:
        """The failed call a --strict run stops on: a count=N receive may end in an error, a single call may not."""
        if self.final is not None:
            return self.final if self.final.errno else None
        if not self.outcomes:
            return None
        last = self.outcomes[-1]
        if last.errno is None:
            return None
        if self.command.spec.group == "data" and self.command.name.startswith("recv") and len(self.outcomes) > 1:
            return None
        return last


class Executor(ProtocolCommands):
    """Executes Commands against one Playground and remembers the last result for `expect`."""

    def __init__(
        self,
        pg: Any,
        ready_wait: float = READY_WAIT,
        on_wait: Callable[[], None] | None = None,
        max_sleep_ms: int | None = None,
    ) -> None:
        self.pg = pg
        self.last: Outcome | None = None
        self.call_seq = 0
        self.call_time = 0.0
        self.ready_wait = ready_wait
        self.on_wait = on_wait  # called every few ms during sleep / expect ready, e.g. to print events
        self.max_sleep_ms = max_sleep_ms
        # A count=N loop on a thread beside a UI: every `share_every` seconds of work, sleep
        # `share_for` seconds so the UI thread gets the GIL (None: never, as `sockplay run` wants).
        self.share_every: float | None = None
        self.share_for = 0.002
        self._share_at = 0.0
        # Until this time.monotonic(), the loop leaves the CPU and the GIL to the UI at each
        # turn (the UI sets it when a key arrives, so the key is answered before the loop goes on).
        self.yield_until = 0.0
        self._cancel = threading.Event()
        self._cancel_reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop the count=N loop running now after its current call (thread-safe).

        A call blocked in the kernel is woken by `Playground.cancel`; this stops the
        loop around it, so `send u2 x count=10000000` ends at the next call.
        """
        self._cancel_reason = reason
        self._cancel.set()

    def _stopped(self, r: Result) -> bool:
        if self._cancel.is_set():
            r.cancelled = self._cancel_reason or "cancelled"
            return True
        return False

    # ------------------------------------------------------------------ entry points
    def run_line(self, line: str, lineno: int = 1) -> list[Result]:
        """Parse and run one line (REPL / TUI convenience)."""
        return [self.run(cmd) for cmd in parse_line(line, lineno)]

    def run(self, cmd: Command) -> Result:
        """Run one Command. Raises ScriptError when the command cannot run as written."""
        start = time.monotonic()
        self._cancel.clear()  # a cancel is for what runs when it is asked, never for the next command
        result = Result(cmd)
        handler = getattr(self, f"_do_{cmd.name}")
        self._check_sockets(cmd)
        self._check_addr_names(cmd)
        if cmd.spec.calls:
            self.call_seq = self.pg.journal.last_seq  # `expect signal` looks at events after this
            self.call_time = time.time()  # and `expect wire` at packets that passed after this
        try:
            with self.pg.command_context(cmd.text):
                handler(cmd, result)
        except UsageError as exc:
            raise ScriptError(cmd.line, self._blame(cmd, str(exc)), str(exc)) from None
        if result.final is not None:
            self.last = result.final
        elif cmd.spec.calls and result.outcomes:
            self.last = result.outcomes[-1]
        result.elapsed = time.monotonic() - start
        return result

    # ------------------------------------------------------------------ helpers
    def _check_sockets(self, cmd: Command) -> None:
        """Unknown socket names are the script's mistake: name the column."""
        names: list[tuple[str, str]] = []
        for a in cmd.spec.args:
            if a.kind == "sock" and a.dest in cmd.args:
                v = cmd.args[a.dest]
                names += [(n, a.dest) for n in (v if isinstance(v, list) else [v])]
        if cmd.name == "expect" and cmd.args.get("field") == "ready":
            names.append((cmd.args["sock"], "sock"))
        names += [(n, "rights") for n in cmd.args.get("rights", [])]
        for name, dest in names:
            if name not in self.pg.sockets:
                try:
                    self.pg.get(name)
                    msg = f"no socket named {name!r}"
                except UsageError as exc:
                    msg = str(exc)
                raise ScriptError(cmd.line, cmd.col_of(dest), msg)

    def _check_addr_names(self, cmd: Command) -> None:
        """A socket's name as ADDR means its local address, so the families must agree."""
        target = self.pg.sockets.get(cmd.args.get("sock"))
        for key in ("addr", "to"):
            other = self.pg.sockets.get(cmd.args.get(key))
            if other is None or target is None or other is target:
                continue
            fam, ofam = getattr(target, "family", None), getattr(other, "family", None)
            if fam is None or ofam is None or fam == ofam or (fam == socket.AF_INET6 and ofam == socket.AF_INET):
                continue
            names = {socket.AF_UNIX: "unix", socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
            raise ScriptError(
                cmd.line,
                cmd.col_of(key),
                f"{cmd.args[key]!r} is a {names.get(ofam, ofam)} socket and {cmd.args['sock']!r} is "
                f"{names.get(fam, fam)}: a socket name stands for its local address, so the families must match",
            )

    @staticmethod
    def _blame(cmd: Command, message: str) -> int:
        """The column of the argument an engine message talks about, else the command's."""
        for key, value in cmd.args.items():
            if not isinstance(value, str) or not value:
                continue
            # A one-letter value (socket `a`) is not looked for as a bare word: "a" is also English.
            if repr(value) in message or (len(value) > 1 and f"{value!r}"[1:-1] in message.split()):
                if key in cmd.cols:
                    return cmd.cols[key]
        for key in ("value", "addr", "to", "option", "request", "size"):
            if key in cmd.cols and key in cmd.args:
                return cmd.cols[key]
        return cmd.col

    @staticmethod
    def _timeout(cmd: Command) -> float | None:
        ms = cmd.args.get("timeout")
        return None if ms is None else ms / 1000.0

    def _tick(self) -> None:
        if self.on_wait is not None:
            self.on_wait()

    def _share(self) -> None:
        """Called every few calls of a long loop: give other threads (the UI) their turn."""
        if self.share_every is None:
            return
        now = time.monotonic()
        if now < self.yield_until:
            time.sleep(min(self.yield_until - now, 0.1))
            self._share_at = time.monotonic() + self.share_every
        elif now >= self._share_at:
            time.sleep(self.share_for)
            self._share_at = time.monotonic() + self.share_every

    def _engine(self, method: str) -> Callable[..., Outcome]:
        fn = getattr(self.pg, method, None)
        if fn is None:
            raise UsageError(f"{method} is not available in this build of the engine yet")
        return fn

    # ------------------------------------------------------------------ sockets
    def _do_socket(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        sf = a.get("sockflags", [])
        r.outcomes.append(
            self.pg.socket(a["name"], a["family"], a["type"], a.get("proto") or 0,
                           nonblock="nonblock" in sf, cloexec="cloexec" in sf)
        )

    def _do_socketpair(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        r.outcomes.append(self.pg.socketpair(a["name"], a["name2"], type=a.get("type") or "stream"))

    def _do_bind(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.bind(cmd.args["sock"], cmd.args["addr"]))

    def _do_listen(self, cmd: Command, r: Result) -> None:
        backlog = cmd.args.get("backlog")
        r.outcomes.append(self.pg.listen(cmd.args["sock"], 128 if backlog is None else backlog))

    def _do_accept(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.accept(cmd.args["sock"], cmd.args.get("newname"), timeout=self._timeout(cmd)))

    def _do_connect(self, cmd: Command, r: Result) -> None:
        if self._connect_by_name(cmd, r):
            return
        r.outcomes.append(self.pg.connect(cmd.args["sock"], cmd.args["addr"], timeout=self._timeout(cmd)))
        remember_peer(self.pg, cmd.args["sock"], cmd.args["addr"])  # for tls NAME client's name check

    def _do_shutdown(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.shutdown(cmd.args["sock"], cmd.args["how"]))

    def _do_close(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.close(cmd.args["sock"]))

    # ------------------------------------------------------------------ data
    BATCH_SLICE = 16_384  # datagrams per engine batch call: the printer drains the journal between slices

    def _batched(self, cmd: Command, r: Result, receive: bool, call: Callable[[int], Any]) -> bool:
        """count=N on a datagram socket that cannot block: recvmmsg/sendmmsg, 1,024 datagrams a syscall.

        Returns False (nothing done) where N single calls could behave differently:
        a blocking socket, a timeout, MSG_PEEK/OOB/ERRQUEUE, a stream, or count=1.
        """
        a = cmd.args
        count = a.get("count", 1)
        if count < 2 or a.get("timeout") is not None:
            return False
        sock = self.pg.sockets.get(a["sock"])
        try:
            bits = msg_flags_value(a.get("flags") or None)
        except (UsageError, ValueError):
            return False
        if not (batch.can_batch_recv(sock, bits, count) if receive else batch.can_batch_send(sock, bits, count)):
            return False
        run = batch.OutcomeRun()
        left = count
        while left > 0:
            part = call(min(left, self.BATCH_SLICE))
            run.extend(part)
            left -= part.datagrams
            self._tick()
            if part.tail is not None or not part.datagrams:
                break
        r.outcomes = run  # type: ignore[assignment]  # a Sequence: millions of Outcomes are made only when read
        return True

    def _repeat_send(self, cmd: Command, r: Result, call: Callable[[], Outcome]) -> None:
        for i in range(cmd.args.get("count", 1)):
            if i and self._stopped(r):
                break
            r.outcomes.append(call())
            if i % 16 == 15:
                self._share()
            if i % 256 == 255:
                self._tick()  # let a printer drain the journal during a long flood

    def _repeat_recv(self, cmd: Command, r: Result, call: Callable[[], Outcome]) -> None:
        sock = self.pg.sockets.get(cmd.args["sock"])
        stream = getattr(sock, "type", None) == 1
        for i in range(cmd.args.get("count", 1)):
            if i and self._stopped(r):
                break
            out = call()
            r.outcomes.append(out)
            if i % 16 == 15:
                self._share()
            if i % 256 == 255:
                self._tick()
            if out.errno is not None or (stream and out.ret == 0 and cmd.args.get("size", 1) != 0):
                break  # first error, or end of stream: further tries would say the same

    def _do_send(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        if self._tls_send(cmd, r) or self._batched(cmd, r, False, lambda n: self.pg.sendmmsg(a["sock"], a["data"], a["flags"] or None,
                                                                     count=n, call="send")):
            return
        self._repeat_send(cmd, r, lambda: self.pg.send(a["sock"], a["data"], a["flags"] or None,
                                                       timeout=self._timeout(cmd)))

    def _do_sendto(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        if self._batched(cmd, r, False, lambda n: self.pg.sendmmsg(a["sock"], a["data"], a["flags"] or None,
                                                                     to=a["addr"], count=n, call="sendto")):
            return
        self._repeat_send(cmd, r, lambda: self.pg.sendto(a["sock"], a["addr"], a["data"], a["flags"] or None,
                                                         timeout=self._timeout(cmd)))

    def _do_sendmsg(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        fn = self._engine("sendmsg")
        self._repeat_send(cmd, r, lambda: fn(a["sock"], a["data"], a["flags"] or None, to=a.get("to"),
                                             rights=a.get("rights"), creds=bool(a.get("creds"))))

    def _recv_size(self, cmd: Command) -> int:
        size = cmd.args.get("size")
        return 65536 if size is None else size

    def _do_recv(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        if self._tls_recv(cmd, r) or self._recv_until(cmd, r) or self._batched(cmd, r, True, lambda n: self.pg.recvmmsg(a["sock"], self._recv_size(cmd), a["flags"] or None,
                                                                    count=n, call="recv")):
            return
        self._repeat_recv(cmd, r, lambda: self.pg.recv(a["sock"], self._recv_size(cmd), a["flags"] or None,
                                                       timeout=self._timeout(cmd)))

    def _do_recvfrom(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        if self._batched(cmd, r, True, lambda n: self.pg.recvmmsg(a["sock"], self._recv_size(cmd),
                                                                    a["flags"] or None, count=n, call="recvfrom")):
            return
        self._repeat_recv(cmd, r, lambda: self.pg.recvfrom(a["sock"], self._recv_size(cmd), a["flags"] or None,
                                                           timeout=self._timeout(cmd)))

    def _do_recvmsg(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        fn = self._engine("recvmsg")
        kw: dict[str, Any] = {"anc": a.get("anc", 256)}
        if self._batched(cmd, r, True, lambda n: self.pg.recvmmsg(a["sock"], self._recv_size(cmd), a["flags"] or None,
                                                                    anc=kw["anc"], count=n, call="recvmsg")):
            return
        if a.get("timeout") is not None:
            kw["timeout"] = self._timeout(cmd)
        self._repeat_recv(cmd, r, lambda: fn(a["sock"], self._recv_size(cmd), a["flags"] or None, **kw))

    # ------------------------------------------------------------------ options and info
    def _do_setsockopt(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        r.outcomes.append(self.pg.setsockopt(a["sock"], a["option"], a["value"]))

    def _do_getsockopt(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.getsockopt(cmd.args["sock"], cmd.args["option"]))

    def _do_getsockname(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.getsockname(cmd.args["sock"]))

    def _do_getpeername(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.getpeername(cmd.args["sock"]))

    def _do_poll(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self.pg.poll(cmd.args.get("socks") or None, timeout=cmd.args.get("timeout", 0)))

    def _do_ioctl(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        r.outcomes.append(self._engine("ioctl")(a["sock"], a["request"], a.get("value")))

    def _do_fcntl(self, cmd: Command, r: Result) -> None:
        a = cmd.args
        r.outcomes.append(self.pg.fcntl(a["sock"], a["op"], a.get("value")))

    def _do_sysctl(self, cmd: Command, r: Result) -> None:
        r.outcomes.append(self._engine("sysctl")(cmd.args.get("key")))

    def _do_sockets(self, cmd: Command, r: Result) -> None:
        describe = getattr(self.pg, "describe", None)
        if describe is not None:  # the reads it needs are real calls: one traced event
            out = describe()
            r.outcomes.append(out)
            rows, out.value = out.value, None  # the table below shows them
        else:
            rows = [self.pg.info(name) for name in list(self.pg.sockets)]
        r.rows = rows
        if not rows:
            r.lines.append("no sockets yet (try: socketpair a b)")
            return
        cols = ("name", "fd", "family", "type", "local", "peer", "state")
        table = [[str(row.get(c, "") or "") for c in cols] + ["nonblock" if row.get("nonblocking") else ""]
                 for row in rows]
        r.lines += _table([c.upper() for c in cols] + ["MODE"], table)

    def _do_options(self, cmd: Command, r: Result) -> None:
        name = cmd.args["sock"]
        try:
            info = self.pg.info(name, ask=False)  # family and type are remembered: no call needed
        except TypeError:
            info = self.pg.info(name)
        fam = _short(info.get("family", ""), flags.FAMILIES)
        typ = _short(info.get("type", ""), flags.TYPES)
        rows: list[dict[str, Any]] = []
        for row in catalog.OPTIONS:
            if not row.readable or row.alias_of:
                continue
            if "any" not in row.families and fam not in row.families:
                continue
            if "any" not in row.types and typ not in row.types:
                continue
            out = self.pg.getsockopt(name, row.name)
            r.outcomes.append(out)
            shown = out.errno if out.errno else _show_value(row, out.value)
            rows.append({"option": row.name, "value": out.value, "errno": out.errno, "shown": shown, "kind": row.kind})
        r.rows = rows
        r.lines += _table(["OPTION", "VALUE", "KIND"], [[d["option"], str(d["shown"]), d["kind"]] for d in rows])

    # ------------------------------------------------------------------ script commands
    def _do_help(self, cmd: Command, r: Result) -> None:
        r.lines += help_lines(cmd.args.get("topic"))

    def _do_cancel(self, cmd: Command, r: Result) -> None:
        name = cmd.args.get("sock")
        if name is not None:
            self.pg.get(name)  # an unknown name is a script error, named
        after = cmd.args.get("after")
        if after is None:
            n = self.pg.cancel(name, reason="cancelled by the cancel command")
            r.lines.append(f"interrupted {n} waiting call{'s' if n != 1 else ''}" if n else "no call was waiting")
            return
        self.pg.cancel_after(name, after / 1000.0)
        r.lines.append(f"in {after} ms the call then waiting{' on ' + name if name else ''} gets the cancel signal")

    def _do_sleep(self, cmd: Command, r: Result) -> None:
        ms = cmd.args["ms"]
        if self.max_sleep_ms is not None:
            ms = min(ms, self.max_sleep_ms)
        deadline = time.monotonic() + ms / 1000.0
        while (left := deadline - time.monotonic()) > 0:
            if self._cancel.wait(min(left, 0.05)):
                r.cancelled = self._cancel_reason or "cancelled"
                r.lines.append(f"sleep cut short after {ms - max(0, int(left * 1000))} ms ({r.cancelled})")
                return
            self._tick()

    def _do_require(self, cmd: Command, r: Result) -> None:
        from sockplay.lang.requirements import unmet

        try:
            missing = unmet(cmd.args["what"], cmd.args.get("arg"))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if missing:
            r.skip = missing
            r.lines.append(f"skipped: needs {missing}")
            self.pg.journal.emit(Event("note", command=cmd.text, text=f"skipped: needs {missing}", skipped=True))

    def _do_wire(self, cmd: Command, r: Result) -> None:
        op = cmd.args.get("action")
        names = cmd.args.get("names", [])
        if op == "on":
            why = self.pg.wire_on(names)
            r.lines.append(f"wire: {why}" if why else "wire: capturing on loopback for " + (", ".join(names) or "every socket"))
        elif op == "off":
            self.pg.wire_off(names)
            r.lines.append("wire: " + ("leaving out " + ", ".join(names) if names and self.pg.wire else "off"))
        elif op == "save":
            n = self.pg.wire_save(names[0])
            r.lines.append(f"wire: {n} packets written to {names[0]} (read it with tcpdump -r {names[0]})")
        st = self.pg.wire_status()
        if op is None:
            if st["running"]:
                who = ", ".join(st["only"]) if st["only"] else "every socket"
                r.lines.append(f"wire: capturing on {st['iface']} for {who}: {st['packets']} packets"
                               + (f", {st['dropped']} lost (ring full)" if st["dropped"] else "")
                               + (f"; ports {', '.join(map(str, st['ports']))}" if st["ports"] else ""))
            else:
                r.lines.append("wire: off" + (f" ({st['reason']})" if st["reason"] else "") + "; wire on starts it")
        if st["unix_only"]:
            r.lines.append("wire: only unix sockets are open, and unix sockets never reach the wire")

    def _do_echo(self, cmd: Command, r: Result) -> None:
        text = " ".join(cmd.args.get("text", []))
        r.lines.append(text)
        self.pg.journal.emit(Event("note", command=cmd.text, text=text))

    def _do_expect(self, cmd: Command, r: Result) -> None:
        field_ = cmd.args["field"]
        if field_ == "wire":
            res = self._wire(cmd)
        else:
            res = self._ready(cmd) if field_ == "ready" else self._signal(cmd) if field_ == "signal" else self._check(cmd)
        r.expect = res
        self.pg.journal.emit(
            Event(
                "expect",
                sock=cmd.args.get("sock") or (self.last.sock if self.last else None),
                command=cmd.text,
                ok=res.ok,
                field=res.field,
                expected=res.expected,
                actual=res.actual,
                message=res.message,
            )
        )

    def _check(self, cmd: Command) -> ExpectResult:
        f = cmd.args["field"]
        want = cmd.args["expected"]
        shown_want = " ".join(cmd.args["values"])
        o = self.last
        if o is None:
            return ExpectResult(False, f, shown_want, "nothing", f"expect {f}: no call has run yet to check")
        if f == "ret":
            ok, actual = o.ret == want, str(o.ret)
        elif f == "errno":
            ok, actual = o.errno == want, o.errno or "0 (no error)"
            shown_want = want or "0 (no error)"
        elif f == "data" and cmd.args.get("regex") is not None:
            rx = cmd.args["regex"]
            ok = o.data is not None and rx.search(o.data) is not None
            actual = "no data" if o.data is None else show_data(o.data)
            shown_want = "~ /" + rx.pattern.decode("utf-8", "replace") + "/"
            verb = "matches" if ok else "does not match"
            return ExpectResult(ok, f, shown_want, actual, f"{o.syscall} data {actual} {verb} {shown_want[2:]}")
        elif f == "data":
            ok = o.data == want
            actual = "no data" if o.data is None else show_data(o.data)
            shown_want = show_data(want)
        elif f == "cmsg":
            names = [str(c.get("name", c.get("type", ""))).upper() for c in o.cmsgs]
            actual = ", ".join(f"{n} {_cmsg_value(c)}" for n, c in zip(names, o.cmsgs, strict=True)) or "no ancillary data"
            ok = False
            for n, c in zip(names, o.cmsgs, strict=True):
                if n in (want, "SO_" + want, "SCM_" + want) and (
                    cmd.args.get("expected_value") is None or value_matches(c.get("value"), cmd.args["expected_value"])
                ):
                    ok = True
        elif f == "value":
            ok, actual = value_matches(o.value, want), _show_plain(o.value)
        else:  # flags
            ok, actual = all(x in o.msg_flags for x in want), "|".join(o.msg_flags) or "no flags"
        verb = "as expected" if ok else "but expected"
        msg = f"{o.syscall} {f} is {actual}" + (f", {verb} {shown_want}" if not ok else f", {verb}")
        return ExpectResult(ok, f, shown_want, actual, msg)

    def _signal(self, cmd: Command) -> ExpectResult:
        """Wait up to a second for a signal event (since the previous call began) naming the socket."""
        want: str = cmd.args["expected"]
        name = cmd.args.get("sock")
        shown_want = want + (f" for {name}" if name else "")
        deadline = time.monotonic() + self.ready_wait
        while True:
            for ev in self.pg.journal.since(self.call_seq):
                if ev.kind == "signal" and getattr(ev, "signal", None) == want:
                    socks = list(getattr(ev, "socks", ()) or ([ev.sock] if ev.sock else []))
                    if name is None or name in socks:
                        got = f"{want} for {', '.join(socks) or 'the process'}"
                        return ExpectResult(True, "signal", shown_want, got, f"{got} arrived")
            if time.monotonic() >= deadline:
                return ExpectResult(False, "signal", shown_want, "no signal",
                                    f"no {shown_want} arrived within {self.ready_wait:g} s (is O_ASYNC on and F_SETOWN set?)")
            time.sleep(0.02)
            self._tick()

    def _wire(self, cmd: Command) -> ExpectResult:
        """Wait up to a second for packets matching the words, among those since the previous call began."""
        from sockplay.lang import wirecheck

        want = cmd.args["expected"]
        shown = " ".join(cmd.args["values"])
        status = self.pg.wire_status()
        if not status["running"]:
            why = status.get("reason") or "the wire is off (wire on starts the capture)"
            return ExpectResult(False, "wire", shown, "no capture", f"cannot see the wire: {why}")
        deadline = time.monotonic() + self.ready_wait
        count = want.get("count")
        found: list[Any] = []
        while True:
            events = [ev for ev in self.pg.journal.since(self.call_seq)
                      if ev.kind == "wire" and ev.time >= self.call_time - 0.001]
            found = [ev for ev in events if wirecheck.matches(self.pg, ev, want)]
            now = time.monotonic()
            if found and count is None:
                break
            if count is not None and len(found) > count:
                break
            if now >= deadline:
                break
            time.sleep(0.02)
            self._tick()
        return wirecheck.verdict(want, shown, found, events, self.ready_wait)

    def _ready(self, cmd: Command) -> ExpectResult:
        """Wait for the watcher to report the bits; if it says nothing in time, poll once."""
        name = cmd.args["sock"]
        want: list[str] = cmd.args["expected"]
        shown_want = f"{name} " + " ".join(want)
        deadline = time.monotonic() + self.ready_wait
        seen_seq = 0
        state: list[str] | None = None
        while True:
            state, seen_seq = _latest_ready(self.pg.journal, name, state, seen_seq)
            watcher = getattr(self.pg, "watcher", None)
            if watcher is not None and hasattr(watcher, "state"):
                state = watcher.state(name) or state
            if state is not None and all(w in state for w in want):
                actual = " ".join(state) or "no bits"
                return ExpectResult(True, "ready", shown_want, actual, f"{name} is ready: {actual}")
            if time.monotonic() >= deadline or not _watcher_running(self.pg):
                break
            time.sleep(0.02)
            self._tick()
        if _watcher_running(self.pg):
            out = self.pg.poll([name], timeout=0)
        else:  # no watcher: one poll that waits (for any of the bits) until the deadline
            left_ms = max(0, int((deadline - time.monotonic()) * 1000))
            out = self.pg.poll([name], timeout=left_ms, events=want)
        got = (out.value or {}).get(name, []) if out.errno is None else []
        actual = " ".join(got) or "no bits"
        ok = all(w in got for w in want)
        msg = f"{name} is ready: {actual}" if ok else f"{name} shows {actual}, but expected {' '.join(want)}"
        return ExpectResult(ok, "ready", shown_want, actual, msg + " (by poll)")


def _latest_ready(journal: Any, name: str, state: list[str] | None, seen_seq: int) -> tuple[list[str] | None, int]:
    """The newest readiness the watcher reported for `name` (None when it never has)."""
    events = journal.since(seen_seq) if hasattr(journal, "since") else journal.snapshot()
    for ev in reversed(events):
        if ev.seq <= seen_seq:
            break
        if ev.kind == "ready" and ev.sock == name:
            state = list(ev.fields.get("events") or [])
            break
    return state, (events[-1].seq if events else seen_seq)


def _watcher_running(pg: Any) -> bool:
    """True when a readiness watcher thread is reporting for this playground."""
    w = getattr(pg, "watcher", None) or getattr(pg, "_watcher", None)
    if w is None:
        return False
    alive = getattr(w, "running", None)
    if alive is None:
        alive = getattr(w, "is_alive", lambda: True)
    return bool(alive() if callable(alive) else alive)


def value_matches(actual: Any, text: str) -> bool:
    """Does an Outcome value equal what a person typed? 4096, on, SOCK_STREAM, on,5, 1.5 ..."""
    t = text.strip()
    if actual is None:
        return t.lower() in ("none", "null", "-", "")
    if isinstance(actual, bool | int):
        try:
            return codecs.parse_int(t) == int(actual)
        except UsageError:
            return str(actual).lower() == t.lower()
    if isinstance(actual, float):
        try:
            return math.isclose(float(t.rstrip("s")), actual, rel_tol=1e-6, abs_tol=1e-6)
        except ValueError:
            return False
    if isinstance(actual, str):
        a, w = actual.lower(), t.lower()
        return a == w or a.split("_", 1)[-1] == w or (a.startswith("@") is False and a == w.strip('"'))
    if isinstance(actual, bytes):
        return actual == t.encode() or actual.hex() == t.lower().removeprefix("hex:")
    if isinstance(actual, tuple | list):
        parts = [p for p in t.strip("()[]").replace(" ", "").split(",") if p != ""]
        if len(parts) != len(actual):
            return False
        return all(value_matches(x, p) for x, p in zip(actual, parts, strict=True))
    if isinstance(actual, dict):
        key, sep, rest = t.partition("=")
        if sep and key in actual:
            return value_matches(actual[key], rest)
        return str(actual) == t
    return str(actual) == t


def _short(const_name: str, table: tuple[flags.Const, ...]) -> str:
    for c in table:
        if c.name == const_name:
            return c.words[0]
    return const_name.lower()


def _show_plain(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bytes):
        return quote_data(v)
    if isinstance(v, tuple | list):
        return ",".join(_show_plain(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _show_value(row: catalog.OptionRow, v: Any) -> str:
    try:
        return str(codecs.codec(row.kind).show(v))
    except Exception:  # noqa: BLE001 - a codec that cannot show a value falls back to plain text
        return _show_plain(v)


def _cmsg_value(c: dict[str, Any]) -> str:
    return _show_plain(c.get("value"))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    return [fmt(header)] + [fmt(r) for r in rows]


# A value people would really type, per value kind (help OPTION shows it in its example).
KIND_EXAMPLES: dict[str, str] = {
    "bool": "on", "int": "1", "size": "4096", "u64": "1", "rate": "125000", "linger": "on,0",
    "timeval": "1.5", "ifname": "lo", "string": "reno", "timestamping": "software,rx_software",
    "mreqn": "224.1.2.3", "txtime": "monotonic", "cbpf": "accept-first-16",
    "reuseport_cbpf": "cpu", "pmtudisc": "do", "ignored": "1", "bpf_fd": "5",
}
# Options whose useful example differs from their kind's.
OPTION_EXAMPLES: dict[str, str] = {
    "SO_RCVBUF": "4096", "SO_SNDBUF": "4096", "SO_RCVLOWAT": "4", "SO_PEEK_OFF": "4",
    "SO_PRIORITY": "6", "SO_MARK": "42", "IP_TTL": "5", "IP_TOS": "0x10", "TCP_KEEPIDLE": "5",
    "TCP_MAXSEG": "1000", "SO_BINDTODEVICE": "lo", "TCP_CONGESTION": "reno",
}


def example_value(row: Any) -> str:
    """What to type after `setsockopt s OPTION`: a real value, never a placeholder."""
    if row.name in OPTION_EXAMPLES:
        return OPTION_EXAMPLES[row.name]
    if row.kind in KIND_EXAMPLES:
        return KIND_EXAMPLES[row.kind]
    what = codecs.codec(row.kind).help
    if "such as " in what:
        return what.split("such as ", 1)[1].split()[0].strip(",.;)")
    return "1"


def help_lines(topic: str | None) -> list[str]:
    """Help text: all commands, one command, an option from the catalog, a flag or a topic."""
    if not topic:
        lines = ["Commands (help COMMAND for one, help SO_LINGER for an option, help data|addr|flags|count|expect|wire):"]
        width = min(max(len(c.usage) for c in C.COMMANDS), 73)
        for c in C.COMMANDS:
            first = c.help.split(". ")[0].rstrip(".")
            if len(c.usage) > width:  # a long usage gets its own line rather than widening every row
                lines += [f"  {c.usage}", f"  {'':{width}}  {first}"]
            else:
                lines.append(f"  {c.usage.ljust(width)}  {first}")
        return lines
    word = topic.strip()
    spec = C.command(word)
    if spec is not None:
        lines = [f"usage: {spec.usage}", "", spec.help, "", f"example: {spec.example}"]
        for a in spec.args:
            lines.append(f"  {a.name:<9} {C.KINDS.get(a.kind, a.kind)}")
        for k in spec.keys:
            lines.append(f"  {k.usage.strip('[]'):<9} {k.help}")
        t = C.TOPIC_BY_NAME.get(spec.name)
        if t is not None:  # a topic of the same name (expect, wire) adds its prose and examples
            lines += ["", t.help, ""] + [f"  {e}" for e in t.examples]
        return lines
    if word.lower() in C.TOPIC_BY_NAME:
        t = C.TOPIC_BY_NAME[word.lower()]
        return [t.help, ""] + [f"  {e}" for e in t.examples]
    try:
        row = catalog.option(word)
    except UsageError:
        row = None
    if row is not None:
        lines = [f"{row.name}  ({row.level}, {row.kind}, {'read-only' if row.access == 'ro' else 'write-only' if row.access == 'wo' else 'read-write'}, Linux {row.since})"]
        lines.append(row.help)
        if row.before:
            lines.append(f"Set it before {row.before}() for it to take effect.")
        if row.privilege:
            lines.append(f"Needs {row.privilege}.")
        fams = ", ".join(row.families)
        typs = ", ".join(row.types)
        lines.append(f"Applies to families: {fams}; types: {typs}.")
        what = codecs.codec(row.kind).help
        if row.writable and what:
            lines.append(f"Value: {what}.")
        lines.append(
            f"example: setsockopt s {row.name} {example_value(row)}" if row.writable
            else f"example: getsockopt s {row.name}"
        )
        if row.lesson:
            lines.append(f"See it in action: sockplay lesson {row.lesson}  (or sockplay run on the lesson file)")
        return lines
    try:
        f = flags.msg_flag(word)
        return [f"{f.name} ({f.short}, {f.value:#x}): {f.help}"]
    except UsageError:
        pass
    for b in flags.POLL_BITS:
        if word.upper() in (b.name, "POLL" + word.upper()):
            return [f"{b.name}: {b.help}"]
    from sockplay.core.errors import nearest

    near = nearest(word, list(C.COMMAND_NAMES) + [r.name for r in catalog.OPTIONS] + [f.name for f in flags.MSG_FLAGS])
    raise UsageError(f"no help on {word!r}; try a command, an option such as SO_LINGER, or a flag",
                     hint=f"did you mean {near[0]}?" if near else None)
