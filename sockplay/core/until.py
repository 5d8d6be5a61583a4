"""Read one message: up to a delimiter, a length, or the end of a regular expression's match.

The choice made here is a peek and a sized read: each round peeks at what the kernel
holds (recvfrom with MSG_PEEK), then takes exactly the bytes that belong to the message
with a plain recvfrom of that size. Bytes after the message are never taken, so they
stay in the kernel's queue for the next call, where `recv`, `ioctl SIOCINQ` and poll all
still see them: sockplay keeps no hidden buffer of its own. When the peek shows no end
yet, everything peeked is taken (it is all message) and the next peek waits for more.

A TLS socket cannot be peeked through; there the decrypted bytes past the message wait
in the TLS session's plaintext buffer, and the result says how many (core/tls.py).
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from sockplay.core.errors import UsageError
from sockplay.core.outcome import Outcome

PEEK_SIZE = 65536
DEFAULT_TIMEOUT = 10.0  # seconds: a message that never ends must not hang a script


@dataclass(frozen=True, slots=True)
class Until:
    """What ends the message: `data` (a delimiter, kept in the message), `len` or `regex`."""

    kind: str
    data: bytes = b""
    length: int = 0
    pattern: re.Pattern[bytes] | None = None

    def describe(self) -> str:
        if self.kind == "len":
            return f"len={self.length}"
        if self.kind == "regex":
            assert self.pattern is not None
            return f"/{self.pattern.pattern.decode('utf-8', 'replace')}/"
        from sockplay.core.relay import preview

        return preview(self.data)

    def end_in(self, buf: bytes, searched_from: int = 0) -> int | None:
        """Where the message ends in `buf` (the index just past it), or None if not yet."""
        if self.kind == "len":
            return self.length if len(buf) >= self.length else None
        if self.kind == "data":
            i = buf.find(self.data, max(0, searched_from - len(self.data) + 1))
            return None if i < 0 else i + len(self.data)
        assert self.pattern is not None
        m = self.pattern.search(buf)
        return None if m is None else m.end()


def parse(text: str, data: bytes | None = None) -> Until:
    """`len=N`, `/REGEX/` or a delimiter (already decoded to bytes by the language)."""
    if text.startswith("len="):
        try:
            n = int(text[4:], 0)
        except ValueError:
            raise UsageError(f"{text!r}: len= takes a byte count, as in until len=16") from None
        if not 1 <= n <= 1 << 24:
            raise UsageError(f"{text!r}: expected a length from 1 to 16m bytes")
        return Until("len", length=n)
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        return Until("regex", pattern=compile_regex(text[1:-1]))
    delim = data if data is not None else text.encode()
    if not delim:
        raise UsageError("until needs a delimiter such as \"\\r\\n\\r\\n\", len=N or /REGEX/")
    return Until("data", data=delim)


def compile_regex(body: str) -> re.Pattern[bytes]:
    if not body:
        raise UsageError("the regular expression is empty; write one between slashes, as in /\\r\\n\\r\\n/")
    try:
        return re.compile(body.encode("utf-8"), re.S)
    except re.error as exc:
        raise UsageError(f"/{body}/ is not a regular expression: {exc}") from None


@dataclass
class Message:
    """The assembled message and every call that made it."""

    data: bytes = b""
    outcomes: list[Outcome] = field(default_factory=list)
    complete: bool = False
    why: str = ""  # why it is incomplete: end of file, timeout, an errno


def read(pg: Any, name: str, until: Until, timeout: float | None = DEFAULT_TIMEOUT) -> Message:
    """Peek, then take exactly the message's bytes; see the module's docstring."""
    s = pg.get(name)
    if getattr(s, "type", None) != socket.SOCK_STREAM:
        raise UsageError(f"recv until reads a byte stream; {name!r} keeps message boundaries already "
                         "(each recv returns one datagram)")
    msg = Message()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if until.kind == "len":
            o = pg.recv(name, until.length - len(msg.data), timeout=left)
            msg.outcomes.append(o)
            if _stopped(o, msg):
                return msg
            msg.data += o.data or b""
            if len(msg.data) >= until.length:
                msg.complete = True
                return msg
            continue
        peek = pg.recv(name, PEEK_SIZE, ["peek"], timeout=left)
        msg.outcomes.append(peek)
        if peek.errno == "EAGAIN" and getattr(s, "nonblocking", lambda: False)() and (left is None or left > 0):
            w = pg.poll([name], timeout=-1 if left is None else max(1, int(left * 1000)), events=["POLLIN"])
            msg.outcomes.append(w)
            if w.ret:
                continue
        if _stopped(peek, msg):
            return msg
        seen = msg.data + (peek.data or b"")
        end = until.end_in(seen, len(msg.data))
        take = len(peek.data or b"") if end is None else end - len(msg.data)
        o = pg.recv(name, take)
        msg.outcomes.append(o)
        if _stopped(o, msg):
            return msg
        msg.data += o.data or b""
        if end is not None and len(msg.data) >= end:
            msg.complete = True
            return msg


def _stopped(o: Outcome, msg: Message) -> bool:
    if o.errno:
        msg.why = "timed out" if o.errno == "EAGAIN" else o.errno
        return True
    if o.ret == 0:
        msg.why = "end of file before the message ended"
        return True
    return False
