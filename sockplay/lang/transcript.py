"""Readable text for a terminal: each command, its trace line, its result, and events between.

Used by `sockplay run` (and usable by the REPL): Results are rendered as they
come back from the Executor; readiness, signal and note events from the
journal are rendered as they arrive. count=N folds into one summary line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sockplay.core.journal import Event
from sockplay.core.outcome import Outcome, marked
from sockplay.lang.executor import Result
from sockplay.lang.grammar import quote_data, show_data

INDENT = "    "

_CODES = {
    "command": "1;36",
    "trace": "2",
    "ok": "32",
    "error": "31",
    "fail": "1;31",
    "pass": "1;32",
    "event": "33",
    "cmsg": "35",
    "note": "3",
}


class Style:
    """ANSI colors when `color` is true, plain text otherwise."""

    def __init__(self, color: bool = False) -> None:
        self.color = color

    def __call__(self, role: str, text: str) -> str:
        if not self.color or role not in _CODES:
            return text
        return f"\x1b[{_CODES[role]}m{text}\x1b[0m"


PLAIN = Style(False)


def render_command(text: str, line: int | None = None, style: Style = PLAIN) -> str:
    """The command as typed, with its script line number."""
    prefix = f"{line:>3}> " if line is not None else "> "
    return style("command", prefix + text)


def _data(data: bytes | None) -> str:
    return "no data" if data is None else show_data(data)


def summary(o: Outcome) -> str:
    """`= 2  data "cc"`, or `= -1 EAGAIN: why`."""
    if o.errno:
        return f"= -1 {o.errno}" + (f": {o.error}" if o.error else "")
    parts = [f"= {o.ret}"]
    if o.data is not None:
        parts.append(f"data {_data(o.data)}")
    if o.value is not None and o.syscall not in ("accept", "socketpair"):
        parts.append(f"value {_value(o.value)}")
    if o.address:
        parts.append(f"from {o.address}" if o.syscall.startswith("recv") else f"peer {o.address}")
    if o.new_sockets:
        parts.append("new socket " + ", ".join(o.new_sockets))
    if o.msg_flags:
        parts.append("flags " + "|".join(o.msg_flags))
    return "  ".join(parts)


def _value(v: Any) -> str:
    if isinstance(v, bytes):
        return quote_data(v)
    if isinstance(v, float):
        return f"{v:.6f}" if abs(v) >= 1e6 else f"{v:g}"  # timestamps keep their microseconds
    if isinstance(v, dict):
        return " ".join(f"{k}={_value(x) if not isinstance(x, list) else '|'.join(map(str, x)) or '0'}" for k, x in v.items())
    if isinstance(v, tuple | list):
        return ",".join(_value(x) for x in v)
    return str(v)


def cmsg_line(c: dict[str, Any]) -> str:
    """One ancillary message: `SOL_SOCKET SO_RXQ_OVFL 198`."""
    name = c.get("name", c.get("type", "?"))
    value = c.get("value")
    inner = value if isinstance(value, dict) else {}
    extra = "".join(
        f"  {k} {_value(v)}" for k, v in c.items() if k not in ("level", "name", "type", "value") and k not in inner
    )
    return f"{c.get('level', '')} {name} {_value(c.get('value'))}{extra}".strip()


def trace_rows(o: Outcome, style: Style = PLAIN, prefix: str = "") -> list[str]:
    """One row per syscall of the call; the engine's and the app's own lines styled as notes."""
    rows = []
    for origin, line in o.trace_lines:
        text = prefix + marked(origin, line)
        rows.append(INDENT + style("trace" if origin == "user" else "note", text))
        prefix = " " * len(prefix)
    return rows


def render_outcome(o: Outcome, style: Style = PLAIN) -> list[str]:
    lines = trace_rows(o, style)
    lines.append(INDENT + style("error" if o.errno else "ok", summary(o)))
    for c in o.cmsgs:
        lines.append(INDENT + style("cmsg", "anc " + cmsg_line(c)))
    for n in o.notes:
        if not n.startswith("asked "):
            lines.append(INDENT + style("note", "note: " + n))
    return lines


def fold(outcomes: Sequence[Outcome]) -> str:
    """count=N in one line: how many calls, how they returned, bytes moved, where it stopped."""
    n = len(outcomes)
    calls = getattr(outcomes, "syscalls", None)  # a batched count=N (recvmmsg/sendmmsg): an OutcomeRun
    tallied = hasattr(outcomes, "total")  # an executor OutcomeLog: counts cover calls no longer held
    if calls is not None:  # read off the packed records: no datagram is decoded
        n_ok, rets, moved, errs, cm = outcomes.stats()  # type: ignore[attr-defined]
        parts = [f"{n} results from {calls} {outcomes.syscall} calls"]  # type: ignore[attr-defined]
    elif tallied:
        n = outcomes.total  # type: ignore[attr-defined]
        n_ok, rets, moved = outcomes.ok, outcomes.rets, outcomes.moved  # type: ignore[attr-defined]
        errs, cm = outcomes.errs, outcomes.cmsgs  # type: ignore[attr-defined]
        parts = [f"{n} calls"]
    else:
        ok_list = [o for o in outcomes if o.errno is None]
        n_ok = len(ok_list)
        rets = Counter(o.ret for o in ok_list)
        moved = sum(o.ret or 0 for o in ok_list if o.ret and o.ret > 0 and o.syscall not in ("socket", "accept"))
        errs = Counter(o.errno for o in outcomes if o.errno)
        cm = Counter(str(c.get("name", c.get("type"))) for o in outcomes for c in o.cmsgs)
        parts = [f"{n} calls"]
    if n_ok:
        common = ", ".join(f"{c}x = {r}" for r, c in rets.most_common(3))
        parts.append(f"{n_ok} ok ({common}{', ...' if len(rets) > 3 else ''})")
        if moved:
            parts.append(f"{moved} bytes")
    if errs:
        parts.append("errors " + ", ".join(f"{c}x {e}" for e, c in errs.most_common()))
    last = outcomes[-1]
    if last.errno and outcomes[-1].syscall.startswith("recv"):
        parts.append(f"stopped at {last.errno}")
    if cm:
        parts.append("anc " + ", ".join(f"{c}x {k}" for k, c in cm.most_common()))
    return "count: " + "; ".join(parts)


COUNT_SHOWN = 8  # calls of a count=N shown one by one (data, size, sender); the rest are folded


def count_calls(outcomes: list[Outcome], shown: int = COUNT_SHOWN) -> list[tuple[str, bool]]:
    """count=N call by call: `#1 = 5  data "hello"  from 127.0.0.1:9000`, then one folded line.

    Only data calls are listed (a flood of sends says the same thing each time, so
    sends list only when they differ from one another). Each pair is (text, is_error).
    The last call gets its own line below (it is what ended the loop).
    """
    n = getattr(outcomes, "total", len(outcomes))  # an OutcomeLog counts calls it no longer holds
    if n < 2:
        return []
    recv = outcomes[0].syscall.startswith("recv")
    if not recv and len({(o.ret, o.errno) for o in outcomes}) == 1:
        return []
    out: list[tuple[str, bool]] = []
    head = list(outcomes)[: min(shown, n)]
    for i, o in enumerate(head, 1):
        text = f"= -1 {o.errno}" if o.errno else summary(o)  # the explanation is on the last line
        out.append((f"#{i} {text}", o.errno is not None))
    if n > len(head):
        out.append((f"… +{n - len(head):,} more calls folded into the count above", False))
    return out


def render_result(r: Result, style: Style = PLAIN) -> list[str]:
    """Every line a Result shows under its command."""
    lines: list[str] = []
    outs = r.outcomes
    if r.command.name == "options":  # one getsockopt per row: each call's line, then the table
        for o in outs:
            lines += trace_rows(o, style)
        lines += [INDENT + s for s in r.lines]
        return lines
    if r.steps is not None:
        lines += step_lines(r.steps, style)
    elif len(outs) == 1:
        lines += render_outcome(outs[0], style)
    elif outs:
        first, last = outs[0], outs[-1]
        lines += trace_rows(first, style)
        lines.append(INDENT + style("ok", fold(outs)))
        listed = count_calls(outs)
        for text, bad in listed:
            lines.append(INDENT + "  " + style("error" if bad else "ok", text))
        if last is not first:
            if not last.trace and getattr(outs, "last_trace", None):  # a batch: the last real call's line
                lines.append(INDENT + style("trace", "last: " + outs.last_trace))  # type: ignore[attr-defined]
            else:
                lines += trace_rows(last, style, "last: ")
            if not (listed and len(outs) <= COUNT_SHOWN):  # else the list above ends with it
                lines.append(INDENT + style("error" if last.errno else "ok", "last " + summary(last)))
        if r.cancelled:
            made = getattr(outs, "total", len(outs))  # an OutcomeLog counts calls it no longer holds
            lines.append(INDENT + style("note", f"stopped after {made:,} calls ({r.cancelled})"))
        for c in last.cmsgs:
            lines.append(INDENT + style("cmsg", "anc " + cmsg_line(c)))
    lines += [INDENT + s for s in r.lines]
    if r.expect is not None:
        e = r.expect
        if e.ok:
            lines.append(INDENT + style("pass", "ok: ") + e.message)
        else:
            lines.append(INDENT + style("fail", "EXPECT FAILED: ") + e.message)
    return lines


def step_lines(steps: list[Any], style: Style = PLAIN) -> list[str]:
    """A multi-call command's calls in order: each real call's trace, library calls marked as such."""
    lines: list[str] = []
    for item in steps:
        if isinstance(item, Outcome):
            lines += _trace_text_rows(item.trace, style)
            if item.errno:
                lines.append(INDENT + style("error", summary(item)))
        else:
            lines.append(INDENT + style("note", f"lib {item}"))
    return lines


def _trace_text_rows(text: str, style: Style, prefix: str = "") -> list[str]:
    """A call's trace, one row per syscall line; a [bracketed] line (the engine's own) styled as a note."""
    rows = []
    for ln in text.splitlines() or [""]:
        rows.append(INDENT + style("note" if ln.startswith("[") else "trace", prefix + ln))
        prefix = " " * len(prefix)
    return rows


def background(ev: Event) -> bool:
    """An event from a background job (a relay's pump, a proxy's accept loop): its command ends in ' &'."""
    return ev.command is not None and ev.command.endswith(" &")


def render_event(ev: Event, style: Style = PLAIN, calls: bool = False) -> str | None:
    """An event that arrives on its own (readiness, signal, pending, note); calls only if asked."""
    f = ev.fields
    if ev.kind == "ready":
        changes = [f"+{b}" for b in f.get("added") or []] + [f"-{b}" for b in f.get("removed") or []]
        now = "|".join(f.get("events") or []) or "0"
        return INDENT + style("event", f"~ {ev.sock} {' '.join(changes) or 'ready'}  (now {now})")
    if ev.kind == "signal":
        what = f.get("signal") or f.get("name") or "signal"
        if f.get("strace_signal"):  # sockplay's own cancel signal, sent to a waiting call
            return INDENT + style("event", f"! {what} (strace: {f['strace_signal']}) to the {f.get('syscall', 'call')}"
                                  f" waiting on {ev.sock or ', '.join(f.get('socks') or [])}: {f.get('reason', '')}")
        return INDENT + style("event", f"! {what}" + (f" for {ev.sock}" if ev.sock else "") + _rest(f, ("signal", "name")))
    if ev.kind == "pending":
        if background(ev):
            return None  # a relay's pump waits between every chunk: the calls say enough
        return INDENT + style("note", f"... {f.get('syscall', 'call')} on {ev.sock} waits")
    if ev.kind == "note":
        if ev.command and ev.command.startswith(("echo", "require")):
            return None  # the command's Result already printed it
        if "tls" in f and not background(ev):
            return None  # the tls command's Result shows the handshake in full
        return INDENT + style("note", "note: " + str(f.get("text", "")))
    if ev.kind == "wire":
        from sockplay.lang.wirecheck import line

        return INDENT + style("event", "= " + line(ev))
    if ev.kind == "call" and ev.outcome is not None and (calls or background(ev)):
        bg = f"[{(ev.command or '').removesuffix(' &')}] " if background(ev) and not calls else ""
        return "\n".join(_trace_text_rows(ev.outcome.trace, style, bg))
    if ev.kind == "lib":
        if ev.command and not background(ev):
            return None  # the command's Result lists its library calls in order
        return INDENT + style("note", f"lib {f.get('text', '')}  (library call, not a syscall)")
    if ev.kind not in ("call", "expect", "pending", "note", "ready", "signal", "lib"):
        return INDENT + style("note", f"{ev.kind}: " + _rest(f, ()).strip())
    return None


def _rest(fields: dict[str, Any], skip: tuple[str, ...]) -> str:
    extra = " ".join(f"{k}={_value(v)}" for k, v in fields.items() if k not in skip)
    return f"  {extra}" if extra else ""
