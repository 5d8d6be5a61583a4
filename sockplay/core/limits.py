"""What the engine accepts before anything reaches the kernel, with one message per kind of mistake.

The rule (issue 9): a value the kernel can be asked about goes to the kernel,
so its answer is what the person sees. Only what cannot be represented in the
call's field is refused here: a number wider than its C type, a NUL inside a
name the kernel would silently cut, text that is not text. Receive and control
buffers are the one exception: sockplay allocates them, so it sets a limit
(MAX_RECV, MAX_ANC) rather than let one line take gigabytes of memory.
"""

from __future__ import annotations

import math
from typing import Any, AnyStr

from sockplay.core.errors import UsageError

MAX_RECV = 64 * 1024 * 1024  # bytes: the largest buffer one recv/recvfrom/recvmsg allocates
MAX_ANC = 1024 * 1024  # bytes: the largest control buffer (optmem_max is 128 KiB on most systems)
UNIX_PATH_MAX = 108  # sizeof(sun_path) on Linux

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
UINT_MAX = 2**32 - 1
USHORT_MAX = 2**16 - 1
TIMEOUT_MS_MAX = INT_MAX  # poll(2) takes an int of milliseconds

_RANGES = {
    "int": (INT_MIN, INT_MAX, "a 32-bit int"),
    "uint": (0, UINT_MAX, "a 32-bit unsigned int"),
    "ushort": (0, USHORT_MAX, "a 16-bit unsigned short"),
}


def human(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def as_int(value: Any, what: str) -> int:
    """An integer from a Python int or typed text (4096, 0x10, 64k); anything else is a UsageError."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise UsageError(f"{what}: {value!r} is not a whole number; expected an integer such as 4096")
        return int(value)
    if not isinstance(value, str):
        raise UsageError(f"{what}: {type(value).__name__} is not a number; expected an integer such as 4096")
    from sockplay.core.codecs import parse_int  # codecs imports this module: resolve lazily

    return parse_int(text(value, what), what)


def c_int(value: Any, what: str, kind: str = "int") -> int:
    """`value` as a C integer field of `kind` (int, uint, ushort): refused only when it cannot fit."""
    n = as_int(value, what)
    lo, hi, name = _RANGES[kind]
    if not lo <= n <= hi:
        raise UsageError(f"{what} {n} does not fit {name} ({lo}..{hi}), so no call could carry it")
    return n


def buffer_size(value: Any, what: str = "size", limit: int = MAX_RECV) -> int:
    """A receive (or control) buffer size: 0..limit. sockplay allocates the buffer, so it sets the limit."""
    n = as_int(value, what)
    if n < 0:
        raise UsageError(f"{what} {n} is negative; expected a byte count such as 2 or 4096")
    if n > limit:
        raise UsageError(
            f"{what} {n} is above the {human(limit)} sockplay allocates for one buffer; "
            f"ask for at most {limit}" + (" (count=N repeats a call)" if what == "size" else "")
        )
    return n


def recv_size(value: Any) -> int:
    """recv/recvfrom/recvmsg's SIZE: the buffer is exactly this big, at most MAX_RECV."""
    return value if type(value) is int and 0 <= value <= MAX_RECV else buffer_size(value, "size", MAX_RECV)


def anc_size(value: Any) -> int:
    """recvmsg's control buffer size, at most MAX_ANC."""
    return value if type(value) is int and 0 <= value <= MAX_ANC else buffer_size(value, "anc", MAX_ANC)


def text(value: str, what: str) -> str:
    """Text that is really text: no lone surrogates (bytes that were not UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise UsageError(
            f"{what}: character {exc.start + 1} is U+{ord(bad):04X}, which is not text "
            "(bytes that are not UTF-8?); write raw bytes as \\xHH in quotes or hex:"
        ) from None
    return value


def no_nul(value: AnyStr, what: str, why: str = "") -> AnyStr:
    """Refuse a NUL where a C string would end at it (a host name, an interface, a path)."""
    at = value.find("\0") if isinstance(value, str) else value.find(b"\0")
    if at >= 0:
        raise UsageError(f"{what} {value!r} has a NUL byte at position {at + 1}; {why or 'a NUL ends a C string there'}")
    return value


def port(value: Any, what: str = "port") -> int:
    """A TCP/UDP port number, 0..65535."""
    n = as_int(value, what)
    if not 0 <= n <= USHORT_MAX:
        raise UsageError(f"{what} {n} is outside 0..65535")
    return n
