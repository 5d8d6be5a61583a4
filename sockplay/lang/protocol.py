"""Executor handlers for protocol debugging: relay and intercept, proxy, recv until, TLS, host names.

A mixin of Executor (sockplay/lang/executor.py) so the core handlers stay small. Each
handler drives the engine only through the Playground's public calls and the helpers in
sockplay/core (relay, proxy, until, tls, names); a command that makes several calls fills
`Result.steps` with them in order (real calls as Outcomes, library calls as text) and,
where the calls together make one value (a message), `Result.final` for `expect`.
"""

from __future__ import annotations

import socket
import sys
import weakref
from typing import Any

from sockplay.core import names, proxy, relay, until
from sockplay.core.errors import UsageError
from sockplay.core.outcome import Outcome
from sockplay.lang.grammar import show_data


def assembled(name: str, data: bytes, calls: int, notes: list[str] | None = None) -> Outcome:
    """What `expect` checks after a multi-call read: the message. Never journaled (no syscall of its own)."""
    o = Outcome("recv", sock=name, ret=len(data), data=data, notes=list(notes or []))
    o.trace = f"(one message assembled from the {calls} calls above; not a syscall)"
    return o


class ProtocolCommands:
    """Handlers mixed into Executor; `self.pg`, `self._timeout` and `self._tick` come from it."""

    pg: Any

    # ------------------------------------------------------------------ relay
    def _do_relay(self, cmd: Any, r: Any) -> None:
        a, b, mode = cmd.args["a"], cmd.args["b"], cmd.args.get("mode")
        cur = relay.find(self.pg, a, b)
        if mode == "stop":
            if cur is None:
                raise UsageError(f"no relay runs between {a!r} and {b!r}")
            cur.stop("stopped by relay stop")
            cur.wait(3)
            r.lines.append(f"relay {cur.ident} ended: {cur.summary()}")
            return
        if mode == "wait":
            cur = cur or relay.latest(self.pg, a, b)
            if cur is None:
                cur = relay.Relay(self.pg, a, b, command=cmd.text).start()
            t = self._timeout(cmd)  # type: ignore[attr-defined]
            while not cur.wait(0.05):
                self._tick()  # type: ignore[attr-defined]
                if t is not None:
                    t -= 0.05
                    if t <= 0:
                        r.lines.append(f"relay {cur.ident} still running after the timeout: {cur.summary()}")
                        return
            r.lines.append(f"relay {cur.ident} ended ({cur.reason}): {cur.summary()}")
            return
        if cur is not None:
            raise UsageError(f"relay {cur.ident} already runs between {a!r} and {b!r}; "
                             f"relay {a} {b} stop ends it")
        rl = relay.Relay(self.pg, a, b, hold=mode == "hold", command=cmd.text).start()
        r.lines.append(f"relay {rl.ident}: {a} <-> {b} running in the background"
                       + ("; each chunk is held: forward, drop or replace DATA" if rl.hold else "")
                       + f"; relay {a} {b} stop ends it")

    def _decide(self, cmd: Any, r: Any, fate: str, data: bytes | None = None) -> None:
        c, outs = relay.decide(self.pg, fate, data)
        r.outcomes.extend(outs)
        r.steps = list(outs)
        what = {"forward": "forwarded", "drop": "dropped", "replace": "replaced"}[fate]
        line = f"{what} {len(c.data)} bytes {c.src} -> {c.dst}: {relay.preview(c.data)}"
        if fate == "replace":
            line += f"; sent {len(data or b'')} bytes instead: {relay.preview(data or b'')}"
        r.lines.append(line)
        if "(" in c.fate:
            r.lines.append(c.fate)

    def _do_forward(self, cmd: Any, r: Any) -> None:
        self._decide(cmd, r, "forward")

    def _do_drop(self, cmd: Any, r: Any) -> None:
        self._decide(cmd, r, "drop")

    def _do_replace(self, cmd: Any, r: Any) -> None:
        self._decide(cmd, r, "replace", cmd.args["data"])

    # ------------------------------------------------------------------ proxy
    def _do_proxy(self, cmd: Any, r: Any) -> None:
        a = cmd.args
        p = proxy.Proxy(self.pg, a["listen"], a["upstream"], udp=bool(a.get("udp")), hold=bool(a.get("hold")),
                        command=cmd.text)
        outs = p.start()
        r.outcomes.extend(outs)
        r.steps = list(outs)
        if outs and outs[-1].errno is not None:
            r.final = outs[-1]
            r.lines.append(f"the proxy could not start: {outs[-1].syscall} failed with {outs[-1].errno}"
                           + (f": {outs[-1].error}" if outs[-1].error else ""))
        elif outs:
            proxy.register(self.pg, p)
            r.lines.append(f"proxy {p.name} on {a['listen']} -> {a['upstream']}"
                           + (" (udp, one upN per sender)" if p.udp else " (each client cliN relayed by upN)")
                           + f"; close {p.name} to stop taking clients")

    # ------------------------------------------------------------------ host names
    def _connect_by_name(self, cmd: Any, r: Any) -> bool:
        addr = cmd.args["addr"]
        if addr in self.pg.sockets:
            return False
        hp = names.split_host(addr)
        if hp is None:
            return False
        items, last = names.connect(self.pg, cmd.args["sock"], hp[0], hp[1],
                                    timeout=self._timeout(cmd))  # type: ignore[attr-defined]
        r.steps = items
        r.outcomes.extend(i for i in items if isinstance(i, Outcome))
        tried = [i for i in items if isinstance(i, Outcome)]
        remember_peer(self.pg, cmd.args["sock"], addr)
        r.lines.append(f"{hp[0]} resolved to {len(_addrs(items))} address(es); "
                       f"{len(tried)} connect attempt(s), " + ("the last worked" if last.errno is None else
                                                              f"none worked (last: {last.errno})"))
        return True

    # ------------------------------------------------------------------ TLS-aware data
    # sockplay.core.tls (and ssl with it) loads with the first `tls` command: a send or recv
    # before that cannot be on a TLS session, so scripts without TLS never load ssl.
    def _tls_send(self, cmd: Any, r: Any) -> bool:
        sess = _session(self.pg, cmd.args["sock"])
        if sess is None:
            return False
        if cmd.args.get("flags"):
            raise UsageError("MSG_ flags do not apply to a TLS socket's plaintext (the records are sent with none)")
        for _ in range(cmd.args.get("count", 1)):
            step = sess.write(cmd.args["data"])
            r.steps = (r.steps or []) + step.items
            r.outcomes.extend(step.outcomes)
            if step.error:
                r.lines.append(f"TLS: {step.error}")
                break
        return True

    def _tls_recv(self, cmd: Any, r: Any) -> bool:
        sess = _session(self.pg, cmd.args["sock"])
        if sess is None:
            return False
        if cmd.args.get("flags") or cmd.args.get("count", 1) != 1:
            raise UsageError("a TLS socket's recv takes SIZE and timeout= only (flags act on records, not plaintext)")
        u = cmd.args.get("until")
        t = self._timeout(cmd)  # type: ignore[attr-defined]
        if u is not None:
            step, data, ok = sess.read_until(u, until.DEFAULT_TIMEOUT if t is None else t)
        else:
            size = cmd.args.get("size")
            step, data = sess.read(65536 if size is None else size, t)
            ok = step.error is None
        r.steps = step.items
        r.outcomes.extend(step.outcomes)
        notes = []
        if sess.plain:
            notes.append(f"{len(sess.plain)} decrypted bytes past this read wait in sockplay's TLS buffer "
                         "(the kernel no longer holds them: they arrived inside the same records)")
        r.final = assembled(cmd.args["sock"], data, len(step.outcomes), notes)
        if ok:
            r.lines.append(f"= {len(data)}  data {show_data(data)}" + (" (plaintext from TLS)"))
        else:
            r.final.errno = "EAGAIN" if step.error and "in time" in step.error else None
            r.lines.append(f"TLS: {step.error}" + (f"; partial {show_data(data)}" if data else ""))
        r.lines += notes
        return True

    def _recv_until(self, cmd: Any, r: Any) -> bool:
        u = cmd.args.get("until")
        if u is None:
            return False
        name = cmd.args["sock"]
        t = self._timeout(cmd)  # type: ignore[attr-defined]
        msg = until.read(self.pg, name, u, until.DEFAULT_TIMEOUT if t is None else t)
        r.steps = list(msg.outcomes)
        r.outcomes.extend(msg.outcomes)
        r.final = assembled(name, msg.data, len(msg.outcomes))
        if msg.complete:
            r.lines.append(f"message until {u.describe()}: {len(msg.data)} bytes  data {show_data(msg.data)}")
        else:
            r.final.errno = "EAGAIN" if msg.why == "timed out" else None
            r.final.error = f"no complete message ({msg.why})"
            r.lines.append(f"no message until {u.describe()}: {msg.why}; {len(msg.data)} bytes were taken"
                           + (f": {show_data(msg.data)}" if msg.data else ""))
        return True

    # ------------------------------------------------------------------ tls command
    def _do_tls(self, cmd: Any, r: Any) -> None:
        from sockplay.core import tls

        a = cmd.args
        if a["target"] == "keylog":
            path = tls.set_keylog(self.pg, a["role"])
            r.lines.append(f"TLS secrets of later handshakes go to {path} (SSLKEYLOGFILE format; "
                           "Wireshark: Preferences > Protocols > TLS > (Pre)-Master-Secret log filename)")
            return
        name = a["target"]
        if self.pg.get(name).type != socket.SOCK_STREAM:
            raise UsageError(f"{name!r} is not a stream socket; TLS runs over a connected stream (DTLS is not supported)")
        t = self._timeout(cmd)  # type: ignore[attr-defined]
        t = 10.0 if t is None else t
        if a["role"] == "close":
            sess = tls.session(self.pg, name)
            if sess is None:
                raise UsageError(f"{name!r} does not speak TLS")
            step = sess.close_notify()
            r.steps = step.items
            r.outcomes.extend(step.outcomes)
            r.lines.append("close_notify sent: the peer learns the TLS stream ended on purpose")
            return
        alpn = [p for p in (a.get("alpn") or "").split(",") if p]
        ca = None
        resuming = tls.session(self.pg, name, pending=True) is not None
        if a["role"] == "client":
            ctx = tls.client_context(self.pg, a.get("verify", "on"), alpn)
            sni = a.get("sni") or (None if resuming else _peer_host(self.pg, name))
            if sni is None and ctx.check_hostname and not resuming:
                raise UsageError(f"verify checks the server's name, and sockplay does not know which name {name!r} "
                                 "dialled: give sni=HOST (an IP works too), or verify=off")
            _, step = tls.start(self.pg, name, False, ctx, sni, t)
        else:
            ctx, ca = tls.server_context(self.pg, a.get("cert"), a.get("key"), bool(a.get("selfsigned")), alpn)
            _, step = tls.start(self.pg, name, True, ctx, None, t)
        r.steps = (r.steps or []) + step.items
        r.outcomes.extend(step.outcomes)
        if ca and not resuming:
            r.lines.append(f"throwaway CA: {ca}  (clients trust it with: curl --cacert {ca}, "
                           f"openssl s_client -CAfile {ca}, or tls NAME client verify={ca})")
        if step.pending:
            r.lines.append("handshake in progress: the records this side had to send are sent, and none came "
                           f"back in time; run tls {name} {a['role']} again once the peer has answered")
            wait = Outcome("tls", sock=name, ret=-1, errno="EAGAIN",
                           error="the TLS handshake waits for the peer's records")
            wait.trace = "(TLS handshake waiting in the library; not a syscall)"
            r.final = wait
            return
        if step.error:
            r.lines.append(f"TLS handshake failed: {step.error}")
            fail = Outcome("tls", sock=name, ret=-1, errno="EPROTO", error=step.error)
            fail.trace = "(TLS handshake failed in the library; not a syscall)"
            r.final = fail
            return
        sess = tls.session(self.pg, name)
        assert sess is not None
        r.lines += tls.info_lines(sess.info)
        done = Outcome("tls", sock=name, ret=0, value=sess.info.get("version"))
        done.trace = "(TLS handshake done in the library; not a syscall)"
        r.final = done


def _addrs(items: list[Any]) -> list[str]:
    for i in items:
        if isinstance(i, str) and "= [" in i:
            return i.rsplit("= [", 1)[1].rstrip("]").split(", ")
    return []


# (playground) -> {socket: the host it connected to}: a host name, or the IP typed in `connect`
_HOSTS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def _session(pg: Any, name: str) -> Any:
    """The finished TLS session on `name`, or None; none can exist before sockplay.core.tls was loaded."""
    tls = sys.modules.get("sockplay.core.tls")
    return None if tls is None else tls.session(pg, name)


def remember_peer(pg: Any, name: str, addr: str) -> None:
    """What `connect NAME ADDR` dialled, so `tls NAME client` can check that name without asking the kernel."""
    a = str(addr)
    if a.startswith("["):
        host = a[1:].split("]")[0]
    elif a.count(":") == 1 and not a.startswith(("/", ".", "@")):
        host = a.rsplit(":", 1)[0]
    else:
        return
    if host and host not in ("*", "0.0.0.0", "::"):
        _HOSTS.setdefault(pg, {})[name] = host


def _peer_host(pg: Any, name: str) -> str | None:
    """No sni= given: the host the socket's connect dialled (a name is sent as SNI; an IP is only checked)."""
    return _HOSTS.get(pg, {}).get(name)
