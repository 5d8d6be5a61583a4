"""TLS over a playground socket with memory BIOs, so the engine still makes every syscall.

Python's ssl.SSLObject never touches the socket: it reads TLS records from one memory
buffer and writes them to another. Moving records between those buffers and the kernel
is done here with the Playground's own recv and send, so the journal, the socket views
and strace show each real recvfrom/sendto of TLS records. What OpenSSL does in memory
(SSL_do_handshake, SSL_write, SSL_read) is journaled as events of kind "lib": library
calls, labelled as such, never passed off as syscalls.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import ssl
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sockplay.core.errors import UsageError
from sockplay.core.journal import Event
from sockplay.core.outcome import Outcome
from sockplay.core.relay import send_all

RECORD_READ = 65536
LIB = "OpenSSL via Python ssl (memory BIOs)"

_SESSIONS: weakref.WeakKeyDictionary[Any, dict[str, Session]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_KEYLOG: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()  # playground -> SSLKEYLOGFILE file


def session(pg: Any, name: str, pending: bool = False) -> Session | None:
    """The TLS session on socket `name` if that same socket still has one (with `pending`, also a half-done one)."""
    with _LOCK:
        s = _SESSIONS.get(pg, {}).get(name)
    if s is None:
        return None
    if pg.sockets.get(name) is not s.sock:  # closed, and maybe the name reused
        with _LOCK:
            _SESSIONS.get(pg, {}).pop(name, None)
        return None
    return s if s.done or pending else None


def set_keylog(pg: Any, path: str) -> str:
    """Later handshakes on this playground append SSLKEYLOGFILE lines to `path`."""
    full = os.path.abspath(os.path.expanduser(path))
    try:
        with open(full, "a", encoding="ascii"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write the key log {path!r}: {exc.strerror}") from None
    _KEYLOG[pg] = full
    return full


@dataclass
class Step:
    """What one TLS command did, in order: real calls (Outcomes) and library calls (text)."""

    items: list[Outcome | str] = field(default_factory=list)
    error: str | None = None
    pending: bool = False  # the handshake waits for the peer's records: the same command again goes on

    @property
    def outcomes(self) -> list[Outcome]:
        return [i for i in self.items if isinstance(i, Outcome)]


class Session:
    """One TLS connection riding on a connected stream socket of the playground."""

    def __init__(self, pg: Any, name: str, ctx: ssl.SSLContext, server: bool, sni: str | None) -> None:
        self.pg = pg
        self.name = name
        self.sock = pg.get(name)
        self.server = server
        self.sni = sni
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=server, server_hostname=None if server else sni)
        self.plain = bytearray()  # decrypted bytes a `recv until` read past its message
        self.info: dict[str, Any] = {}
        self.eof = False
        self.done = False  # handshake complete: only then do send and recv go through TLS

    # ------------------------------------------------------------------ plumbing
    def lib(self, step: Step, call: str, args: str, result: str) -> None:
        text = f"{call}({args}) = {result}"
        step.items.append(text)
        self.pg.journal.emit(Event("lib", sock=self.name, command=self.pg.current_command, lib=LIB, call=call,
                                   text=text))

    def flush(self, step: Step) -> bool:
        """Send the records OpenSSL wrote into its outgoing buffer; False if the send failed."""
        data = self.out.read()
        if not data:
            return True
        err, outs = send_all(self.pg, self.name, data)
        step.items.extend(outs)
        if err:
            step.error = err
            return False
        return True

    def feed(self, step: Step, timeout: float | None) -> bool:
        """One real recv of TLS records into OpenSSL's incoming buffer; False on EOF or error."""
        o = self.pg.recv(self.name, RECORD_READ, timeout=timeout)
        step.items.append(o)
        if o.errno:
            step.pending = o.errno == "EAGAIN"
            step.error = ("no TLS records arrived in time" if o.errno == "EAGAIN" else
                          f"recv failed with {o.errno}")
            return False
        if o.ret == 0:
            self.inc.write_eof()
            self.eof = True
            step.error = "the peer closed the connection"
            return False
        self.inc.write(o.data or b"")
        return True

    # ------------------------------------------------------------------ operations
    def handshake(self, timeout: float | None) -> Step:
        step = Step()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
            except ssl.SSLWantReadError:
                self.lib(step, "SSL_do_handshake", "", "-1 SSL_ERROR_WANT_READ (needs records from the peer)")
                if not self.flush(step):
                    return step
                if not self.feed(step, _left(deadline)):
                    if not step.pending:
                        step.error = f"handshake incomplete: {step.error}"
                    return step
                continue
            except ssl.SSLError as exc:
                self.lib(step, "SSL_do_handshake", "", f"-1 {exc.reason or exc.__class__.__name__}")
                self.flush(step)  # the alert OpenSSL queued tells the peer why
                step.error = explain_ssl_error(exc)
                return step
            self.lib(step, "SSL_do_handshake", "", "1 (handshake complete)")
            self.flush(step)
            self.info = self.describe()
            self.done = True
            return step

    def write(self, data: bytes) -> Step:
        step = Step()
        try:
            n = self.obj.write(data)
        except ssl.SSLError as exc:
            self.lib(step, "SSL_write", f"{len(data)} bytes", f"-1 {exc.reason or exc}")
            step.error = explain_ssl_error(exc)
            return step
        self.lib(step, "SSL_write", f"{len(data)} bytes", f"{n} (encrypted into {self.out.pending} bytes of records)")
        self.flush(step)
        return step

    def read(self, size: int, timeout: float | None) -> tuple[Step, bytes]:
        """Up to `size` decrypted bytes: from the leftover buffer first, else records from the kernel."""
        step = Step()
        if self.plain:
            got = bytes(self.plain[:size])
            del self.plain[:size]
            step.items.append(f"(from sockplay's TLS plaintext buffer: {len(got)} bytes, {len(self.plain)} left)")
            return step, got
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                got = self.obj.read(size)
            except ssl.SSLWantReadError:
                self.lib(step, "SSL_read", str(size), "-1 SSL_ERROR_WANT_READ (needs more records)")
                if not self.feed(step, _left(deadline)):
                    if self.eof and step.error == "the peer closed the connection":
                        step.error = None
                        return step, b""
                    return step, b""
                continue
            except ssl.SSLZeroReturnError:
                self.lib(step, "SSL_read", str(size), "0 SSL_ERROR_ZERO_RETURN (the peer sent close_notify)")
                return step, b""
            except ssl.SSLEOFError as exc:
                self.lib(step, "SSL_read", str(size), "-1 unexpected EOF (no close_notify)")
                step.error = explain_ssl_error(exc)
                return step, b""
            except ssl.SSLError as exc:
                self.lib(step, "SSL_read", str(size), f"-1 {exc.reason or exc}")
                step.error = explain_ssl_error(exc)
                return step, b""
            self.lib(step, "SSL_read", str(size), str(len(got)))
            self.flush(step)  # TLS 1.3 may answer a key update or ticket
            return step, got

    def read_until(self, until: Any, timeout: float | None) -> tuple[Step, bytes, bool]:
        """A message by delimiter/len/regex; decrypted bytes past it stay in `plain` (said in the result)."""
        step = Step()
        buf = bytearray()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            end = until.end_in(bytes(buf))
            if end is not None:
                self.plain[:0] = buf[end:]
                return step, bytes(buf[:end]), True
            s, got = self.read(RECORD_READ, _left(deadline))
            step.items.extend(s.items)
            if not got:
                step.error = s.error or "the peer closed the connection before the message ended"
                self.plain[:0] = buf
                return step, b"", False
            buf += got

    def close_notify(self) -> Step:
        step = Step()
        try:
            self.obj.unwrap()
            self.lib(step, "SSL_shutdown", "", "1")
        except ssl.SSLWantReadError:
            self.lib(step, "SSL_shutdown", "", "0 (close_notify sent; the peer's not yet read)")
        except ssl.SSLError as exc:
            self.lib(step, "SSL_shutdown", "", f"-1 {exc.reason or exc}")
        self.flush(step)
        return step

    def describe(self) -> dict[str, Any]:
        """Version, cipher, ALPN, SNI and the peer certificate, for the result and the journal."""
        cipher = self.obj.cipher()
        d: dict[str, Any] = {
            "version": self.obj.version(),
            "cipher": cipher[0] if cipher else None,
            "bits": cipher[2] if cipher else None,
            "alpn": self.obj.selected_alpn_protocol(),
            "sni": self.sni,
        }
        der = self.obj.getpeercert(binary_form=True)
        if der:
            d["peer"] = cert_info(der)
        return d


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def cert_info(der: bytes) -> dict[str, Any]:
    """Subject, issuer, validity and SHA-256 fingerprint of a DER certificate."""
    info: dict[str, Any] = {"sha256": ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())}
    try:
        from cryptography import x509
    except ImportError:  # the fingerprint alone still identifies it
        return info
    c = x509.load_der_x509_certificate(der)
    info["subject"] = c.subject.rfc4514_string()
    info["issuer"] = c.issuer.rfc4514_string()
    info["not_before"] = c.not_valid_before_utc.isoformat()
    info["not_after"] = c.not_valid_after_utc.isoformat()
    with contextlib.suppress(x509.ExtensionNotFound):
        san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        info["san"] = [str(v) for v in san.get_values_for_type(x509.DNSName)] + [
            str(v) for v in san.get_values_for_type(x509.IPAddress)]
    return info


def explain_ssl_error(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"certificate verification failed: {exc.verify_message or exc.reason}. The peer's certificate is "
                "not signed by a CA this side trusts (or names another host). Give the CA file with "
                "verify=CAFILE, or verify=off to look at the certificate anyway")
    reason = exc.reason or str(exc)
    if "WRONG_VERSION_NUMBER" in reason or "PACKET_LENGTH_TOO_LONG" in reason:
        return f"TLS failed ({reason}): the peer does not speak TLS on this connection"
    if isinstance(exc, ssl.SSLEOFError):
        return "the peer closed the connection in the middle of TLS (no close_notify)"
    return f"TLS failed: {reason}"


# ---------------------------------------------------------------------- contexts
def client_context(pg: Any, verify: str = "on", alpn: list[str] | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    v = (verify or "on").strip()
    if v.lower() in ("off", "no", "0", "false"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif v.lower() in ("on", "yes", "1", "true"):
        ctx.load_default_certs()
    else:
        try:
            ctx.load_verify_locations(cafile=os.path.expanduser(v))
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"verify={v}: cannot load that CA file ({exc}); give a PEM file, on or off") from None
    _common(pg, ctx, alpn)
    return ctx


def server_context(pg: Any, cert: str | None, key: str | None, selfsigned: bool,
                   alpn: list[str] | None = None) -> tuple[ssl.SSLContext, str | None]:
    """A server context; with `selfsigned` a throwaway CA signs a localhost certificate. Returns (ctx, CA file)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca_path = None
    if selfsigned:
        ca_path = _selfsigned(ctx)
    else:
        if not cert:
            raise UsageError("tls NAME server needs cert=FILE key=FILE, or selfsigned for a throwaway certificate")
        try:
            ctx.load_cert_chain(os.path.expanduser(cert), os.path.expanduser(key) if key else None)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load cert={cert} key={key}: {exc}") from None
    _common(pg, ctx, alpn)
    return ctx, ca_path


def _common(pg: Any, ctx: ssl.SSLContext, alpn: list[str] | None) -> None:
    if alpn:
        ctx.set_alpn_protocols(alpn)
    path = _KEYLOG.get(pg)
    if path:
        ctx.keylog_filename = path


_SELF: dict[str, Any] = {}


def _selfsigned(ctx: ssl.SSLContext) -> str:
    """One throwaway CA per process (trustme), its certificate for localhost, 127.0.0.1 and ::1."""
    try:
        import trustme
    except ImportError:
        raise UsageError("selfsigned needs the trustme package (pip install trustme); "
                         "or give cert=FILE key=FILE") from None
    if "ca" not in _SELF:
        ca = trustme.CA(organization_name="sockplay throwaway CA")
        leaf = ca.issue_cert("localhost", "127.0.0.1", "::1")
        d = tempfile.mkdtemp(prefix="sockplay-tls-")
        ca_path = os.path.join(d, "ca.pem")
        ca.cert_pem.write_to_path(ca_path)
        _SELF.update(ca=ca, leaf=leaf, ca_path=ca_path)
    _SELF["leaf"].configure_cert(ctx)
    return str(_SELF["ca_path"])


def start(pg: Any, name: str, server: bool, ctx: ssl.SSLContext, sni: str | None,
          timeout: float | None) -> tuple[Session, Step]:
    """Wrap socket `name` and run the handshake; the session is kept only if it succeeded."""
    s = pg.get(name)
    import socket as _s

    if s.type != _s.SOCK_STREAM:
        raise UsageError(f"{name!r} is not a stream socket; TLS runs over a connected stream (DTLS is not supported)")
    if session(pg, name) is not None:
        raise UsageError(f"{name!r} already speaks TLS")
    sess = session(pg, name, pending=True)
    if sess is not None and sess.server != server:
        raise UsageError(f"{name!r} is in the middle of a TLS handshake as the {'server' if sess.server else 'client'}")
    if sess is None:
        sess = Session(pg, name, ctx, server, sni)
        if server:
            def on_sni(obj: Any, server_name: str | None, _ctx: Any, sess: Session = sess) -> None:
                sess.sni = server_name
            ctx.sni_callback = on_sni
    step = sess.handshake(timeout)
    with _LOCK:
        if step.error is None or step.pending:
            _SESSIONS.setdefault(pg, {})[name] = sess
        else:
            _SESSIONS.get(pg, {}).pop(name, None)
    if step.pending:
        return sess, step
    if step.error is None:
        text = "TLS handshake complete: " + "; ".join(info_lines(sess.info))
        pg.journal.emit(Event("note", sock=name, command=pg.current_command, text=text, tls=sess.info))
    else:
        pg.journal.emit(Event("note", sock=name, command=pg.current_command, text=f"TLS handshake failed: {step.error}",
                              tls={"error": step.error}))
    return sess, step


def info_lines(info: dict[str, Any]) -> list[str]:
    """The handshake's result for people."""
    lines = [f"TLS {info.get('version')}  cipher {info.get('cipher')} ({info.get('bits')} bits)  "
             f"ALPN {info.get('alpn') or 'none'}  SNI {info.get('sni') or 'none'}"]
    p = info.get("peer")
    if p:
        lines.append(f"peer certificate: subject {p.get('subject', '?')}")
        lines.append(f"  issuer {p.get('issuer', '?')}")
        if p.get("not_before"):
            lines.append(f"  valid {p['not_before']} to {p['not_after']}" + _expiry(p["not_after"]))
        if p.get("san"):
            lines.append(f"  names {', '.join(p['san'])}")
        lines.append(f"  SHA-256 {p['sha256']}")
    else:
        lines.append("peer certificate: none (a client usually sends none)")
    return lines


def _expiry(iso: str) -> str:
    try:
        end = _dt.datetime.fromisoformat(iso)
    except ValueError:
        return ""
    return "  (EXPIRED)" if end < _dt.datetime.now(_dt.UTC) else ""
