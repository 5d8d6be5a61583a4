"""The result of one engine call: what the kernel said, decoded for people.

Two ways to make one. Cold calls build an Outcome field by field. Hot calls
(a datagram drained in a flood) hand the journal a *record*: a flat tuple of
plain values (bytes, ints, str, None) that the garbage collector does not track,
and return `Outcome.lazy(record)`. Such an Outcome decodes itself (cmsgs, notes,
address text, trace) the first time any field is read: an unset slot raises
AttributeError, `__getattr__` fills every slot from the record, and later reads
are plain slot reads. A record's decoder is found by `record[1]`, a small int
registered in DECODERS (records hold no functions: a function would keep the
tuple tracked by the GC).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# code -> fill(outcome, record, index): index is the datagram's place in a batch record, or None.
DECODERS: dict[int, Callable[[Outcome, tuple, int | None], None]] = {}
HEAD = 64  # bytes of data an event keeps once the journal's byte budget is spent

USER, ENGINE, APP = "user", "engine", "app"
MARKS = {ENGINE: "[engine] ", APP: "[app] "}  # a user's own line carries no mark


def marked(origin: str, line: str) -> str:
    """One trace line as `trace` shows it: `[engine] getsockopt(...) = 0`, a user's line bare."""
    return MARKS.get(origin, "") + line


def unmark(text: str) -> tuple[str, str]:
    """The origin and bare strace line of one line of `trace`."""
    for origin, mark in MARKS.items():
        if text.startswith(mark):
            return origin, text[len(mark):]
    return USER, text


def _lazy_list(slot: str, doc: str) -> property:
    """A list attribute created on first use: most Outcomes never need it, and each empty list
    would be one more object for the garbage collector to walk in a 100,000-event journal."""

    def get(self: Outcome) -> list[Any]:
        v = getattr(self, slot)
        if v is None:
            v = []
            setattr(self, slot, v)
        return v

    def put(self: Outcome, value: list[Any]) -> None:
        setattr(self, slot, value)

    return property(get, put, doc=doc)


class Outcome:
    """One syscall's result.

    `trace` holds one line per syscall the call made, in order, strace's syntax.
    The call's own syscall (the "main" line) is built lazily from `trace_fn`:
    formatting an strace line costs more than the syscall itself, and a flood
    drained with count=N rarely shows them all. Calls the engine made for its own
    needs (a read-back, a probe, a timeout set around a call) are lines before or
    after it, marked `[engine] `; the app's own reads are marked `[app] `.
    `trace_lines` gives the same as (origin, bare line) pairs.
    """

    __slots__ = ("syscall", "sock", "ret", "errno", "error", "data", "value", "_cmsgs", "_msg_flags",
                 "address", "_new_sockets", "_notes", "peeked", "trace_fn", "_trace", "_pre", "_post",
                 "origin", "dropped", "_rec")

    cmsgs = _lazy_list("_cmsgs", "decoded ancillary messages: dicts with level, name, value")
    msg_flags = _lazy_list("_msg_flags", "flags the kernel returned (MSG_TRUNC, MSG_CTRUNC...)")
    new_sockets = _lazy_list("_new_sockets", "names of sockets this call added (accept, SCM_RIGHTS)")
    notes = _lazy_list("_notes", "remarks for people about this result")

    def __init__(
        self,
        syscall: str,
        sock: str | None = None,
        ret: int | None = None,
        errno: str | None = None,
        error: str | None = None,
        data: bytes | None = None,
        value: Any = None,
        cmsgs: list[dict[str, Any]] | None = None,
        msg_flags: list[str] | None = None,
        address: str | None = None,
        new_sockets: list[str] | None = None,
        notes: list[str] | None = None,
        peeked: bool = False,
        trace_fn: Callable[[Outcome], str] | None = None,
    ) -> None:
        self.syscall = syscall
        self.sock = sock
        self.ret = ret
        self.errno = errno
        self.error = error
        self.data = data
        self.value = value
        self._cmsgs = cmsgs
        self._msg_flags = msg_flags
        self.address = address
        self._new_sockets = new_sockets
        self._notes = notes
        self.peeked = peeked
        self.trace_fn = trace_fn
        self._trace: str | None = None
        self._pre: list[tuple[str, str]] | None = None
        self._post: list[tuple[str, str]] | None = None
        self.origin = USER  # whose call the main line is: the user's, or the app's own read
        self.dropped = 0  # bytes of `data` the journal let go (byte budget); `ret` keeps the length
        self._rec: Any = None

    @classmethod
    def lazy(cls, record: tuple, index: int | None = None) -> Outcome:
        """An Outcome decoded from `record` (datagram `index` of a batch) on first read."""
        o = _new(cls)
        o._rec = record if index is None else (record, index)
        return o

    def __getattr__(self, name: str) -> Any:
        # Reached only for a slot never set: a lazy Outcome not yet decoded.
        try:
            pending = object.__getattribute__(self, "_rec")
        except AttributeError:
            raise AttributeError(name) from None
        if pending is None or name.startswith("__"):
            raise AttributeError(name)
        record, index = pending if len(pending) == 2 else (pending, None)
        DECODERS[record[1]](self, record, index)  # calls Outcome.__init__, which resets _rec
        self._rec = None
        return object.__getattribute__(self, name)

    def head(self, keep: int = HEAD) -> Outcome:
        """A copy keeping only the first `keep` bytes of data (the journal's byte budget)."""
        o = _new(Outcome)
        for slot in Outcome.__slots__:
            setattr(o, slot, getattr(self, slot))
        if self.data is not None and len(self.data) > keep:
            o.dropped = self.dropped + len(self.data) - keep
            o.data = self.data[:keep]
            if o._trace is None and o.trace_fn is not None:
                o._trace = o.trace_fn(self)  # the line now: a lazy line may hold on to all the data
            o.trace_fn = None
        return o

    def __repr__(self) -> str:
        return (f"Outcome({self.syscall!r}, sock={self.sock!r}, ret={self.ret!r}, errno={self.errno!r}, "
                f"data={self.data!r}, value={self.value!r})")

    @property
    def ok(self) -> bool:
        return self.errno is None

    @property
    def main_trace(self) -> str:
        """The strace line of the call's own syscall ("" when it made none of its own)."""
        if self._trace is None:
            self._trace = self.trace_fn(self) if self.trace_fn else f"{self.syscall}(...) = {self.ret}"
        return self._trace

    @property
    def trace(self) -> str:
        """Every line, in order, joined by newlines; a single syscall gives exactly its strace line."""
        if self._pre is None and self._post is None and self.origin == USER:
            return self.main_trace
        return "\n".join(marked(o, line) for o, line in self.trace_lines)

    @trace.setter
    def trace(self, text: str) -> None:
        self._trace = text

    @property
    def trace_lines(self) -> list[tuple[str, str]]:
        """(origin, strace line) for each syscall, in order; origin is user, engine or app."""
        main = self.main_trace
        lines = list(self._pre or ())
        if main:
            lines.append((self.origin, main))
        lines.extend(self._post or ())
        return lines

    def add_line(self, origin: str, line: str, before: bool = False) -> None:
        """Another syscall this call made: before its own (`before`) or after it."""
        if before:
            if self._pre is None:
                self._pre = []
            self._pre.append((origin, line))
        else:
            if self._post is None:
                self._post = []
            self._post.append((origin, line))

    def summary(self) -> str:
        """One line for people: the return value, or the errno and why."""
        if self.errno:
            return f"= -1 {self.errno}: {self.error}" if self.error else f"= -1 {self.errno}"
        parts = [f"= {self.ret}"]
        if self.value is not None:
            parts.append(f"value {self.value!r}" if not isinstance(self.value, str) else f"value {self.value}")
        if self.data is not None:
            parts.append(f"data {self.data!r}")
        if self.address:
            parts.append(f"from {self.address}")
        if self.new_sockets:
            parts.append("new " + ", ".join(self.new_sockets))
        return "  ".join(parts)


_new = object.__new__


def lazy(record: tuple) -> Outcome:
    """Outcome.lazy(record) for the hot path (no classmethod call)."""
    o = _new(Outcome)
    o._rec = record
    return o
