"""Values written as literals of the target language: the only way a script's value reaches a program.

Why: a shared `.sp` file must never be able to put code into the program it
exports to. Every value the back ends write goes through one of these
functions, which take typed values (bytes, str, int, float) and return text
that the target language reads back as exactly that value, whatever the bytes
(NUL, quotes, backslashes, newlines, invalid UTF-8, surrogates).
"""

from __future__ import annotations

import math

from sockplay.core.errors import UsageError

# C integer types the programs use, with their ranges.
C_RANGES: dict[str, tuple[int, int]] = {
    "int": (-(2**31), 2**31 - 1),
    "unsigned": (0, 2**32 - 1),
    "long": (-(2**63), 2**63 - 1),
    "long long": (-(2**63), 2**63 - 1),
    "unsigned long long": (0, 2**64 - 1),
}


def text_bytes(text: str) -> bytes:
    """A str as UTF-8; lone surrogates (from a file read with surrogateescape) keep their bytes."""
    return text.encode("utf-8", "surrogatepass")


def comment_text(text: str) -> str:
    """Text safe inside a comment of either language: printable ASCII kept, every other character escaped."""
    out = []
    for ch in text:
        if 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


# ---------------------------------------------------------------- Python


def py_bytes(data: bytes) -> str:
    return repr(bytes(data))


def py_str(text: str) -> str:
    """repr escapes every unprintable character (NUL, surrogates, line separators): the literal is one line."""
    return ascii(str(text))


def py_int(n: int) -> str:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"py_int takes an int, not {type(n).__name__}")
    return str(n)


def py_float(x: float) -> str:
    x = float(x)
    if math.isfinite(x):
        return repr(x)
    return f"float({str(x)!r})"


def py_value(v: object) -> str:
    """A typed value (None, bool, int, float, str, bytes, or a tuple/list of them) as a Python literal."""
    if v is None or isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return py_int(v)
    if isinstance(v, float):
        return py_float(v)
    if isinstance(v, str):
        return py_str(v)
    if isinstance(v, bytes | bytearray):
        return py_bytes(bytes(v))
    if isinstance(v, tuple):
        inner = ", ".join(py_value(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, list):
        return "[" + ", ".join(py_value(x) for x in v) + "]"
    raise TypeError(f"no Python literal for {type(v).__name__}")


def py_comment(text: str) -> str:
    return comment_text(text)


# ---------------------------------------------------------------- C


def c_string(data: bytes) -> str:
    """A C string literal for any bytes.

    Octal escapes always take three digits, so the next character can never be
    read as part of one (a \\x escape would swallow a following hex digit); '?'
    is escaped so no trigraph can form.
    """
    out = []
    for b in bytes(data):
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "?":
            out.append("\\?")
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def c_text(text: str) -> str:
    return c_string(text_bytes(text))


def c_comment(text: str) -> str:
    """Text for a /* */ comment: escaped to ASCII, and no `*/` or `/*` can form."""
    safe = comment_text(text)
    while "*/" in safe or "/*" in safe:
        safe = safe.replace("*/", "* /").replace("/*", "/ *")
    return safe


def c_fits(n: int, ctype: str) -> bool:
    lo, hi = C_RANGES[ctype]
    return lo <= n <= hi


def c_int(n: int, ctype: str = "int", what: str = "value") -> str:
    """An integer literal for `ctype`; a value outside the type's range is a UsageError, never a wrapped number."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"c_int takes an int, not {type(n).__name__}")
    lo, hi = C_RANGES[ctype]
    if not lo <= n <= hi:
        raise UsageError(f"{what} {n} does not fit a C {ctype} ({lo} to {hi})")
    suffix = {"unsigned": "U", "unsigned long long": "ULL", "long long": "LL", "long": "L"}.get(ctype, "")
    if n == lo and n < 0:
        return f"({n + 1}{suffix} - 1)"  # the most negative value has no literal of its own
    return f"{n}{suffix}"


def c_double(x: float) -> str:
    x = float(x)
    if math.isnan(x):
        return "__builtin_nan(\"\")"
    if math.isinf(x):
        return "__builtin_inf()" if x > 0 else "(-__builtin_inf())"
    text = repr(x)
    return text if any(c in text for c in ".en") else text + ".0"
