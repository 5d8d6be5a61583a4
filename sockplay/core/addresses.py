"""Socket addresses as text: parse what a person types, format what the kernel returns.

Forms: `127.0.0.1:8080`, `[::1]:80`, `[fe80::1%lo]:80`, `./demo.sock` (any path),
`@abstract` (the abstract unix namespace), `*:8080` (any IPv4 address), `:8080`.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sockplay.core import limits
from sockplay.core.errors import UsageError

ADDR_HELP = "an address such as 127.0.0.1:8080, [::1]:80, ./demo.sock or @abstract"


def parse(text: str | tuple | bytes, family: int) -> Any:
    """Turn address text into what Python's socket calls take for `family`."""
    if isinstance(text, tuple):
        return _check_tuple(text, family)
    if isinstance(text, bytes | bytearray):
        return _check_unix_bytes(bytes(text)) if family == socket.AF_UNIX else bytes(text)
    if not isinstance(text, str):
        raise UsageError(f"an address is text or a tuple, not {type(text).__name__}; expected {ADDR_HELP}")
    text = limits.text(text, "address").strip()
    if family == socket.AF_UNIX:
        if not text:
            raise UsageError(f"empty unix address; expected {ADDR_HELP}")
        if text.startswith("@"):
            return _check_unix_bytes(b"\0" + text[1:].encode())
        _check_unix_bytes(_fsencode(text))
        return text
    if family == socket.AF_INET:
        host, port = _split_host_port(text, bracketed=False)
        if host in ("", "*"):
            host = "0.0.0.0"
        limits.no_nul(host, "the host", "an IPv4 address is digits and dots, such as 127.0.0.1")
        try:
            socket.inet_pton(socket.AF_INET, host)
        except OSError:
            if host == "localhost":
                host = "127.0.0.1"
            else:
                raise UsageError(f"{host!r} is not an IPv4 address; expected {ADDR_HELP}") from None
        return (host, port)
    if family == socket.AF_INET6:
        host, port = _split_host_port(text, bracketed=True)
        scope = 0
        limits.no_nul(host, "the host", "an IPv6 address is hex digits and colons, such as ::1")
        if "%" in host:
            host, ifname = host.split("%", 1)
            try:
                scope = socket.if_nametoindex(ifname)
            except OSError:
                raise UsageError(f"no interface named {ifname!r} for the IPv6 scope") from None
        if host in ("", "*"):
            host = "::"
        try:
            socket.inet_pton(socket.AF_INET6, host)
        except OSError:
            raise UsageError(f"{host!r} is not an IPv6 address; expected {ADDR_HELP}") from None
        return (host, port, 0, scope)
    if family == getattr(socket, "AF_PACKET", -1):
        ifname, _, proto = text.partition(":")
        limits.no_nul(ifname, "the interface name")
        return (ifname, limits.c_int(proto, "the protocol", "ushort") if proto else 0x0003)
    raise UsageError(f"addresses of family {family} are not supported")


def _fsencode(path: str) -> bytes:
    """The bytes the kernel gets for a path (as Python's socket module encodes it)."""
    try:
        return os.fsencode(path)
    except UnicodeEncodeError:
        limits.text(path, "the unix path")
        raise


def _check_unix_bytes(raw: bytes) -> bytes:
    """A sockaddr_un path must fit sun_path and, unless abstract, hold no NUL the kernel would cut at."""
    if raw.startswith(b"\0"):
        if len(raw) > limits.UNIX_PATH_MAX:
            raise UsageError(
                f"the abstract name is {len(raw) - 1} bytes; sun_path holds {limits.UNIX_PATH_MAX} bytes, "
                f"so the name after @ can be at most {limits.UNIX_PATH_MAX - 1}"
            )
        return raw
    limits.no_nul(raw.decode(errors="backslashreplace"), "the unix path",
                  "the kernel would cut the name there and create a different file; "
                  "use @NAME for the abstract namespace, where names may hold any byte")
    if len(raw) >= limits.UNIX_PATH_MAX:
        raise UsageError(
            f"the unix path is too long: {len(raw)} bytes, and sun_path holds {limits.UNIX_PATH_MAX} "
            f"with the NUL that ends a path, so at most {limits.UNIX_PATH_MAX - 1}; "
            "use a shorter (for example relative) path"
        )
    return raw


def _check_tuple(addr: tuple, family: int) -> tuple:
    """A Python address tuple: the same checks text gets, so misuse is a UsageError."""
    if family in (socket.AF_INET, socket.AF_INET6):
        want = "(host, port)" if family == socket.AF_INET else "(host, port[, flowinfo, scope_id])"
        size_ok = len(addr) == 2 if family == socket.AF_INET else 2 <= len(addr) <= 4
        if not size_ok or not isinstance(addr[0], str):
            raise UsageError(f"address {addr!r}: expected {want}")
        limits.no_nul(limits.text(addr[0], "the host"), "the host")
        port = limits.port(addr[1], f"address {addr!r}: port")
        fam = socket.AF_INET if family == socket.AF_INET else socket.AF_INET6
        try:
            socket.inet_pton(fam, addr[0])
        except OSError:
            raise UsageError(f"{addr[0]!r} is not an IPv{4 if fam == socket.AF_INET else 6} address; "
                             f"expected {ADDR_HELP}") from None
        if family == socket.AF_INET:
            return (addr[0], port)
        rest = [limits.c_int(v, f"address {addr!r}: {w}", "uint") for v, w in zip(addr[2:], ("flowinfo", "scope_id"), strict=False)]
        return (addr[0], port, *rest)
    if family == socket.AF_UNIX:
        raise UsageError(f"address {addr!r}: a unix address is a path or @name, not a tuple; expected {ADDR_HELP}")
    if family == getattr(socket, "AF_NETLINK", -1):
        # Python packs (pid, groups) with no range check: 2**40 would reach the kernel as 0.
        if len(addr) != 2:
            raise UsageError(f"address {addr!r}: a netlink address is (pid, groups)")
        return tuple(limits.c_int(v, f"address {addr!r}: {w}", "uint") for v, w in zip(addr, ("pid", "groups"), strict=True))
    return addr


def _split_host_port(text: str, bracketed: bool) -> tuple[str, int]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise UsageError(f"{text!r}: missing ']' in an IPv6 address; expected [::1]:80")
        host, rest = text[1:end], text[end + 1 :]
        if not rest.startswith(":"):
            raise UsageError(f"{text!r}: expected a port after the brackets, as in [::1]:80")
        port_text = rest[1:]
    else:
        if bracketed and text.count(":") > 1:
            raise UsageError(f"{text!r}: put IPv6 addresses in brackets, as in [::1]:80")
        host, sep, port_text = text.rpartition(":")
        if not sep:
            raise UsageError(f"{text!r} has no port; expected HOST:PORT such as 127.0.0.1:8080")
    try:
        port = int(port_text) if port_text.isascii() else int("x")
    except ValueError:
        raise UsageError(f"{text!r}: the port {port_text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"{text!r}: port {port} is outside 0..65535")
    return host, port


def format(addr: Any, family: int) -> str:
    """Address text for a value returned by getsockname, accept, recvfrom and the like."""
    if addr is None:
        return ""
    if family == socket.AF_UNIX:
        if isinstance(addr, bytes):
            if addr.startswith(b"\0"):
                return "@" + addr[1:].decode(errors="backslashreplace")
            return addr.decode(errors="backslashreplace") or "(unnamed)"
        if addr == "":
            return "(unnamed)"
        shown = os.fsencode(addr).decode(errors="backslashreplace")  # bytes that are not UTF-8 as \xHH
        if shown.startswith("\0"):
            return "@" + shown[1:]
        return shown
    if family == socket.AF_INET and isinstance(addr, tuple):
        return f"{addr[0]}:{addr[1]}"
    if family == socket.AF_INET6 and isinstance(addr, tuple):
        host = addr[0]
        return f"[{host}]:{addr[1]}"
    if isinstance(addr, tuple):
        return ":".join(str(a) for a in addr[:2])
    return str(addr)


def strace_sockaddr(addr: Any, family: int) -> tuple[str, int]:
    """The sockaddr as strace prints it, and its length in bytes."""
    if family == socket.AF_INET and isinstance(addr, tuple):
        return (
            f'{{sa_family=AF_INET, sin_port=htons({addr[1]}), sin_addr=inet_addr("{addr[0]}")}}',
            16,
        )
    if family == socket.AF_INET6 and isinstance(addr, tuple):
        scope = addr[3] if len(addr) > 3 else 0
        flow = addr[2] if len(addr) > 2 else 0
        return (
            f"{{sa_family=AF_INET6, sin6_port=htons({addr[1]}), sin6_flowinfo=htonl({flow}), "
            f'inet_pton(AF_INET6, "{addr[0].split("%")[0]}", &sin6_addr), sin6_scope_id={scope}}}',
            28,
        )
    if family == socket.AF_UNIX:
        raw = os.fsencode(addr) if isinstance(addr, str) else (addr or b"")
        if raw.startswith(b"\0"):
            return f'{{sa_family=AF_UNIX, sun_path=@"{raw[1:].decode(errors="replace")}"}}', 2 + len(raw)
        if not raw:
            return "{sa_family=AF_UNIX}", 2
        return f'{{sa_family=AF_UNIX, sun_path="{raw.decode(errors="replace")}"}}', 3 + len(raw)
    return f"{{sa_family={family}}}", 16
