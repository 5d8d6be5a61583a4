"""A relaying proxy made of playground sockets: every accept, connect, recv and send is journaled.

TCP (and unix streams): a listener accepts each client as cliN, a new socket upN
connects to the upstream, and a Relay pumps between them; when the relay ends both are
closed. UDP: one socket bound to LISTEN receives from every client; each new sender
address gets its own connected socket upN towards the upstream, whose replies go back
to that sender with sendto on the listening socket.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from typing import Any

from sockplay.core import names as names_mod
from sockplay.core.errors import UsageError
from sockplay.core.journal import Event
from sockplay.core.relay import Relay


def family_of(addr: str) -> str:
    """The family an address text belongs to: inet6 for [..], unix for paths, else inet."""
    if addr.startswith("["):
        return "inet6"
    if addr.startswith(("/", ".", "@")) or ":" not in addr:
        return "unix"
    return "inet"


class Proxy:
    """Listens on `listen` and relays each client to `upstream`."""

    def __init__(self, pg: Any, listen: str, upstream: str, udp: bool = False, hold: bool = False,
                 listener: str | None = None, command: str | None = None) -> None:
        self.pg = pg
        self.listen, self.upstream = listen, upstream
        self.udp, self.hold = udp, hold
        self.family = family_of(listen)
        self.up_family = family_of(upstream) if not names_mod.split_host(upstream) else "inet"
        if udp and "unix" in (self.family, self.up_family):
            raise UsageError("--udp proxies inet addresses; unix datagram sockets are not proxied")
        self.name = listener or _free_name(pg, "proxy")
        # " &" as in a shell: the accepting thread's events belong to a background job
        self.command = (command or f"proxy {listen} {upstream}" + (" udp" if udp else "")).removesuffix(" &") + " &"
        self.relays: list[Relay] = []
        self.clients = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ups: dict[Any, str] = {}  # UDP: sender address text -> upN

    # ------------------------------------------------------------------ control
    def start(self) -> list[Any]:
        """Open the listening socket (on the caller's thread, so its calls belong to the command)."""
        pg = self.pg
        host = names_mod.split_host(self.upstream)
        if host:  # a name that does not resolve is the user's mistake: say so before listening
            fam = socket.AF_INET6 if self.up_family == "inet6" else socket.AF_INET
            names_mod.resolve(pg, host[0], host[1], fam, socket.SOCK_DGRAM if self.udp else socket.SOCK_STREAM)
        outs = [pg.socket(self.name, self.family, "dgram" if self.udp else "stream")]
        if outs[-1].errno:
            return outs
        if self.family != "unix":
            outs.append(pg.setsockopt(self.name, "SO_REUSEADDR", 1))
        outs.append(pg.bind(self.name, self.listen))
        if outs[-1].errno is None and not self.udp:
            outs.append(pg.listen(self.name))
        if outs[-1].errno is not None:
            pg.close(self.name)
            return outs
        target = self._serve_udp if self.udp else self._serve_tcp
        self._thread = threading.Thread(target=self._run, args=(target,), daemon=True, name="sockplay-proxy")
        self._thread.start()
        return outs

    def stop(self) -> None:
        self._stop.set()
        for r in list(self.relays):
            r.stop("the proxy stopped")
        with contextlib.suppress(Exception):
            self.pg.cancel(self.name, reason="the proxy stopped")
        for up in list(self._ups.values()):
            with contextlib.suppress(Exception):
                self.pg.cancel(up, reason="the proxy stopped")
        if self._thread is not None:
            self._thread.join(3)

    def _note(self, text: str, **fields: Any) -> None:
        self.pg.journal.emit(Event("note", sock=self.name, command=self.command, text=text, proxy=self.name, **fields))

    def _run(self, target: Any) -> None:
        try:
            with self.pg.command_context(self.command):
                target()
        except UsageError as exc:  # the listener was closed by hand
            self._note(f"proxy {self.name} stopped: {exc}")
        except Exception as exc:  # noqa: BLE001 - say why the proxy ended instead of dying silently
            self._note(f"proxy {self.name} failed: {type(exc).__name__}: {exc}")

    def _connect_up(self, up: str, stype: str) -> bool:
        pg = self.pg
        if pg.socket(up, self.up_family, stype).errno:
            return False
        host = names_mod.split_host(self.upstream)
        if host:
            _, o = names_mod.connect(pg, up, host[0], host[1])
        else:
            o = pg.connect(up, self.upstream)
        if o.errno:
            self._note(f"proxy {self.name}: {up} could not reach {self.upstream}: {o.errno}")
            pg.close(up)
            return False
        return True

    # ------------------------------------------------------------------ TCP / unix stream
    def _serve_tcp(self) -> None:
        pg = self.pg
        while not self._stop.is_set():
            i = self._next_index()
            cli, up = f"cli{i}", f"up{i}"
            o = pg.accept(self.name, cli)
            if o.errno:
                if self._stop.is_set() or o.errno == "EINTR":
                    return
                continue
            self.clients += 1
            if not self._connect_up(up, "stream"):
                pg.close(cli)
                continue
            self._note(f"proxy {self.name}: client {o.address or cli} as {cli}, relayed to {self.upstream} by {up}",
                       client=cli, upstream=up)
            r = Relay(pg, cli, up, hold=self.hold, command=f"relay {cli} {up}" + (" hold" if self.hold else ""))
            self.relays.append(r)
            r.start()
            threading.Thread(target=self._reap, args=(r,), daemon=True, name=f"sockplay-proxy-reap {cli}").start()

    def _next_index(self) -> int:
        i = 1
        while f"cli{i}" in self.pg.sockets or f"up{i}" in self.pg.sockets:
            i += 1
        return i

    def _reap(self, r: Relay) -> None:
        r.wait()
        with self.pg.command_context(self.command):
            for name in (r.a, r.b):
                with contextlib.suppress(UsageError):
                    self.pg.close(name)

    # ------------------------------------------------------------------ UDP
    def _serve_udp(self) -> None:
        pg = self.pg
        while not self._stop.is_set():
            o = pg.recvfrom(self.name, 65536)
            if o.errno:
                if self._stop.is_set() or o.errno == "EINTR":
                    return
                continue
            sender = o.address
            up = self._ups.get(sender)
            if up is None:
                up = _free_name(pg, "up")
                if not self._connect_up(up, "dgram"):
                    continue
                self._ups[sender] = up
                self.clients += 1
                self._note(f"proxy {self.name}: datagrams from {sender} go to {self.upstream} by {up}",
                           client=sender, upstream=up)
                threading.Thread(target=self._udp_back, args=(up, sender), daemon=True,
                                 name=f"sockplay-proxy-udp {up}").start()
            pg.send(up, o.data or b"")

    def _udp_back(self, up: str, sender: str) -> None:
        pg = self.pg
        with contextlib.suppress(UsageError), pg.command_context(self.command):
            while not self._stop.is_set():
                o = pg.recv(up, 65536)
                if o.errno in ("EINTR", "EBADF") or self._stop.is_set():
                    return
                if o.errno:  # ECONNREFUSED: the upstream port is closed; the next datagram may find it
                    continue
                pg.sendto(self.name, sender, o.data or b"")


def _free_name(pg: Any, prefix: str) -> str:
    i = 1
    while f"{prefix}{i}" in pg.sockets:
        i += 1
    return f"{prefix}{i}"


_PROXIES: weakref.WeakKeyDictionary[Any, list[Proxy]] = weakref.WeakKeyDictionary()


def register(pg: Any, p: Proxy) -> None:
    _PROXIES.setdefault(pg, []).append(p)


def proxies(pg: Any) -> list[Proxy]:
    return [p for p in _PROXIES.get(pg, []) if not p._stop.is_set()]


def stop_all(pg: Any) -> None:
    for p in _PROXIES.pop(pg, []):
        p.stop()
    with contextlib.suppress(Exception):
        from sockplay.core import relay

        for r in relay.running(pg):
            r.stop("the playground closed")
