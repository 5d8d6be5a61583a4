"""strace-style rendering of arguments and return values."""

from __future__ import annotations

import re

from sockplay.core import errnos

STRING_LIMIT = 32  # strace's default -s
_PLAIN = re.compile(rb'[\x20-\x21\x23-\x5b\x5d-\x7e]*')  # printable, not " or \

_ESC = {0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}

LEVEL_NAMES = {1: "SOL_SOCKET", 0: "SOL_IP", 6: "SOL_TCP", 41: "SOL_IPV6", 17: "SOL_UDP"}


def string(data: bytes | None, limit: int = STRING_LIMIT) -> str:
    """A buffer as strace quotes it: C escapes, octal for the rest, '...' past the limit."""
    if data is None:
        return "NULL"
    shown = data[:limit]
    if _PLAIN.fullmatch(shown):  # printable ASCII with nothing to escape: the common case, in C
        return '"' + shown.decode("ascii") + ('"...' if len(data) > limit else '"')
    out = []
    for i, b in enumerate(shown):
        if b in _ESC:
            out.append(_ESC[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            nxt = shown[i + 1] if i + 1 < len(shown) else None
            if nxt is not None and 0x30 <= nxt <= 0x39:
                out.append(f"\\{b:03o}")
            else:
                out.append(f"\\{b:o}")
    text = '"' + "".join(out) + '"'
    return text + "..." if len(data) > limit else text


def result(ret: int | None, errno_name: str | None, extra: str = "") -> str:
    """` = 5`, ` = -1 EAGAIN (Resource temporarily unavailable)`."""
    if errno_name:
        return f" = -1 {errno_name} ({errnos.strerror(errno_name)})"
    if ret is None:
        return " = ?"
    return f" = {ret}" + (f" {extra}" if extra else "")


def call(name: str, args: list[str], ret: int | None, errno_name: str | None, extra: str = "") -> str:
    return f"{name}({', '.join(args)})" + result(ret, errno_name, extra)
