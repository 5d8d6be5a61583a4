"""What `require WHAT [ARG]` can check, as a table: privileges and kernel features a step needs.

A lesson step that needs something this process lacks is skipped with the reason,
never left to fail obscurely.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass

# Capability bit numbers (linux/capability.h).
CAPS: dict[str, int] = {
    "CAP_NET_BIND_SERVICE": 10,
    "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12,
    "CAP_NET_RAW": 13,
    "CAP_SYS_ADMIN": 21,
}


def _cap_effective() -> int:
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def _root(_: str | None) -> str | None:
    return None if os.geteuid() == 0 else "root (run sockplay as root, e.g. with sudo)"


def _cap(arg: str | None) -> str | None:
    name = (arg or "").upper()
    if not name.startswith("CAP_"):
        name = "CAP_" + name
    bit = CAPS.get(name)
    if bit is None:
        raise ValueError(f"unknown capability {arg!r}; expected one of {', '.join(CAPS)}")
    return None if _cap_effective() >> bit & 1 else f"{name} (this process lacks it)"


def _kernel(arg: str | None) -> str | None:
    if not arg:
        raise ValueError("require kernel needs a version such as 5.4")
    try:
        want = tuple(int(p) for p in arg.split("."))
    except ValueError:
        raise ValueError(f"kernel version {arg!r}: expected numbers such as 5.4") from None
    have_text = platform.release().split("-")[0]
    have = tuple(int(p) for p in have_text.split(".") if p.isascii() and p.isdigit())
    return None if have >= want else f"Linux {arg} or newer (this is {have_text})"


def _ipv6(_: str | None) -> str | None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError as exc:
        return f"IPv6 on loopback ({exc.strerror})"
    return None


def _netns(_: str | None) -> str | None:
    if os.geteuid() != 0:
        return "root, to create network namespaces"
    if shutil.which("ip") is None:
        return "the ip command (Debian package iproute2)"
    return None


def _program(arg: str | None) -> str | None:
    if not arg:
        raise ValueError("require program needs a program name")
    return None if shutil.which(arg) else f"the program {arg!r} on PATH"


@dataclass(frozen=True, slots=True)
class Requirement:
    word: str
    arg: str | None  # placeholder for the argument, or None when it takes none
    check: Callable[[str | None], str | None]  # returns None when met, else what is missing
    help: str


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("root", None, _root, "the process runs as root"),
    Requirement("cap", "CAP_NAME", _cap, "the process holds a capability, such as CAP_NET_ADMIN"),
    Requirement("kernel", "X.Y", _kernel, "the running kernel is at least this version"),
    Requirement("ipv6", None, _ipv6, "IPv6 works on loopback"),
    Requirement("netns", None, _netns, "network namespaces can be made (root and the ip command)"),
    Requirement("program", "NAME", _program, "a program is installed"),
)
BY_WORD = {r.word: r for r in REQUIREMENTS}


def unmet(word: str, arg: str | None = None) -> str | None:
    """None when the requirement holds, else a phrase naming what is missing. ValueError for a bad request."""
    req = BY_WORD.get(word.lower())
    if req is None:
        raise ValueError(f"unknown requirement {word!r}; expected one of {', '.join(BY_WORD)}")
    return req.check(arg)
