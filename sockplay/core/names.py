"""Host names in addresses: getaddrinfo as a journaled library call, then one real connect per address.

`connect c localhost:8080` asks the resolver (a library call, shown as such with every
address it returned, in order), then tries each address with the Playground's own
connect until one works, exactly as a careful client does. Each attempt is a real
connect(2) in the trace.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from sockplay.core.errors import UsageError
from sockplay.core.journal import Event
from sockplay.core.outcome import Outcome

_FAMILY_NAMES: dict[int, str] = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6", socket.AF_UNSPEC: "AF_UNSPEC"}
_TYPE_NAMES: dict[int, str] = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM"}


def split_host(text: str) -> tuple[str, int] | None:
    """(host, port) when `text` is NAME:PORT with a host name (not an IP literal), else None."""
    if not isinstance(text, str) or text.startswith(("[", "/", ".", "@")) or text.count(":") != 1:
        return None
    host, _, port = text.rpartition(":")
    if not host or host == "*" or not (port.isascii() and port.isdigit()):  # int() refuses '²'
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if not all(c.isalnum() or c in "-._" for c in host):
        return None
    return host, int(port)


def resolve(pg: Any, host: str, port: int, family: int, stype: int) -> tuple[list[str], str]:
    """getaddrinfo for a socket of this family/type: (address texts in order, the journaled line)."""
    ask = socket.AF_UNSPEC if family == socket.AF_INET6 else family
    hints = f"{{ai_family={_FAMILY_NAMES.get(ask, ask)}, ai_socktype={_TYPE_NAMES.get(stype, stype)}}}"
    try:
        infos = socket.getaddrinfo(host, port, ask, stype)
    except socket.gaierror as exc:
        text = f'getaddrinfo("{host}", "{port}", {hints}) = {exc.strerror}'
        pg.journal.emit(Event("lib", sock=None, command=pg.current_command, lib="libc resolver",
                              call="getaddrinfo", text=text, addresses=[]))
        raise UsageError(f"cannot resolve the host in {host}:{port} ({exc.strerror})") from None
    except UnicodeError:  # the name cannot even be encoded (a label over 63 characters): never asked
        raise UsageError(f"{host[:80]!r} is not a usable host name: each dot-separated label must be 1 to 63 "
                         "characters (or use an address such as 127.0.0.1)") from None
    addrs: list[str] = []
    for fam, _t, _p, _c, sa in infos:
        assert isinstance(sa[0], str)  # an inet family's address, never AF_PACKET's bytes
        if fam == socket.AF_INET6:
            t = f"[{sa[0]}]:{sa[1]}"
        else:
            t = f"{sa[0]}:{sa[1]}" if family != socket.AF_INET6 else f"[::ffff:{sa[0]}]:{sa[1]}"
        if t not in addrs:
            addrs.append(t)
    text = f'getaddrinfo("{host}", "{port}", {hints}) = [{", ".join(addrs)}]'
    pg.journal.emit(Event("lib", sock=None, command=pg.current_command, lib="libc resolver",
                          call="getaddrinfo", text=text, addresses=addrs))
    return addrs, text


def connect(pg: Any, name: str, host: str, port: int, timeout: float | None = None) -> tuple[list[Outcome | str], Outcome]:
    """Resolve, then connect to each address in turn; the first success ends it."""
    s = pg.get(name)
    if s.family not in (socket.AF_INET, socket.AF_INET6):
        raise UsageError(f"{name!r} is a unix socket: host names apply to inet and inet6 sockets")
    addrs, text = resolve(pg, host, port, int(s.family), int(s.type))
    items: list[Outcome | str] = [text]
    if not addrs:
        raise UsageError(f"{host!r} has no address for a socket like {name!r}")
    last: Outcome | None = None
    for a in addrs:
        last = pg.connect(name, a, timeout=timeout)
        items.append(last)
        if last.errno is None or last.errno in ("EINTR", "EINPROGRESS", "EISCONN"):
            break
    assert last is not None
    return items, last
