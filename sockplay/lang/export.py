"""`sockplay export`: a script as a standalone Python or C program making the same calls.

Why: a learner takes what they tried in sockplay into their own code. The
program spells out every constant (with its number where Python's socket
module or libc may lack it), quotes each script line in a comment, prints one
line per call (`recv b -> 2 "cc"`, `recv b -> -1 EAGAIN`) and turns `expect`
lines into checks that exit 1. A failing call is a result: the program prints
the errno name and goes on, as `sockplay run` does.

The script is parsed by the language's own parser; this module only walks the
Commands, keeps track of which sockets exist (their family and type decide how
addresses and values are written) and hands each step to a code generator.
Anything it cannot write faithfully is a ScriptError naming the line (exit 2).
"""

from __future__ import annotations

import builtins
import errno as _errno
import keyword
import os
import re
import socket
import struct
import sys
from dataclasses import dataclass
from typing import Any

from sockplay.core import addresses, catalog, codecs, flags, sysctl
from sockplay.core.errors import UsageError
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import Command, check_script

EXIT_OK, EXIT_SCRIPT = 0, 2

DEFAULT_RECV = 65536
DEFAULT_BACKLOG = 128
MAX_BUFFER = 16 * 1024 * 1024

# Option value kinds, grouped by how a program reads and writes them.
INT_KINDS = {"int", "size", "bool", "bpf_fd", "ignored"}
U64_KINDS = {"u64", "rate"}
SYMBOLIC_KINDS = {"sock_type", "family", "protocol", "pmtudisc"}
TEXT_KINDS = {"string", "ifname"}
READ_HOOK_KINDS = {"cbpf", "reuseport_cbpf", "sockaddr"}  # sized or pointer-carrying: no faithful export

# errno numbers with more than one name: sockplay says these.
PREFERRED_ERRNO = ("EAGAIN", "EOPNOTSUPP", "EDEADLK")
# errno names the C program can name (aliases left out: a switch cannot hold a number twice).
C_ERRNOS = (
    "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "EBADF", "EAGAIN", "ENOMEM", "EACCES",
    "EFAULT", "EBUSY", "EEXIST", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY",
    "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOSYS",
    "ENOTEMPTY", "ELOOP", "ENOMSG", "ENODATA", "ETIME", "EPROTO", "EBADMSG", "EOVERFLOW", "EILSEQ",
    "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL",
    "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN",
    "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",
    "EALREADY", "EINPROGRESS", "ECANCELED", "EOWNERDEAD",
)
SIGNAL_OPS = {"async", "setown", "setsig"}
SIGNAL_IOCTLS = {"FIOASYNC", "SIOCSPGRP", "FIOSETOWN"}

# Control messages the programs decode: name -> (level, type, how). Others print their size.
CMSGS: dict[str, tuple[str, int, str]] = {
    "SCM_RIGHTS": ("SOL_SOCKET", 1, "fds"),
    "SCM_CREDENTIALS": ("SOL_SOCKET", 2, "ucred"),
    "SO_TIMESTAMP": ("SOL_SOCKET", 29, "timeval"),
    "SO_TIMESTAMPNS": ("SOL_SOCKET", 35, "timespec"),
    "SO_RXQ_OVFL": ("SOL_SOCKET", 40, "u32"),
    "SO_TIMESTAMP_NEW": ("SOL_SOCKET", 63, "timeval"),
    "SO_TIMESTAMPNS_NEW": ("SOL_SOCKET", 64, "timespec"),
    "IP_TOS": ("SOL_IP", 1, "u8"),
    "IP_TTL": ("SOL_IP", 2, "int"),
    "IPV6_HOPLIMIT": ("SOL_IPV6", 52, "int"),
    "IPV6_TCLASS": ("SOL_IPV6", 67, "int"),
}
LEVEL_NUMBERS = {"SOL_SOCKET": 1, "SOL_IP": 0, "SOL_IPV6": 41}


@dataclass(slots=True)
class Sock:
    """A socket the script has opened by this point: its variable and what kind it is."""

    name: str
    var: str
    family: str  # AF_INET, AF_INET6, AF_UNIX, ...
    type: str  # SOCK_STREAM, ...

    @property
    def family_number(self) -> int:
        return flags.lookup(self.family, flags.FAMILIES, "family").value

    @property
    def stream(self) -> bool:
        return self.type == "SOCK_STREAM"


def _c_string(data: bytes) -> str:
    """A C string literal for any bytes: octal escapes (never \\x, which runs on), '?' escaped (trigraphs)."""
    out = []
    for b in data:
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


def _c_text(text: str) -> str:
    return _c_string(text.encode("utf-8"))


def _c_comment(text: str) -> str:
    return text.replace("*/", "* /").replace("/*", "/ *")


def _errno_name(code: int) -> str:
    for name in PREFERRED_ERRNO:
        if getattr(_errno, name) == code:
            return name
    return _errno.errorcode.get(code, f"E{code}")


class Generator:
    """Walks the Commands: tracks sockets and the last call's shape; subclasses write the code."""

    lang = ""
    reserved: frozenset[str] = frozenset()

    def __init__(self, filename: str, source: list[str]) -> None:
        self.filename = filename
        self.source = source
        self.socks: dict[str, Sock] = {}
        self.vars: dict[str, str] = {}  # script name -> variable, kept when a name is reused
        self.consts: dict[str, int] = {}  # constants the program spells out
        self.needs: set[str] = set()  # helpers the program uses
        self.body: list[str] = []
        self.unix_paths: list[str] = []
        self.last_value: str | None = None  # int, pair, real, text: what `expect value` compares
        self.last_call: str | None = None
        self.last_msg = False  # the last call was recvmsg: flags and cmsgs can be checked
        self.signals = False
        self.max_buf = 1
        self.cur: Command | None = None

    # ------------------------------------------------------------------ walking
    def run(self, commands: list[Command]) -> str:
        self.signals = any(
            (c.name == "fcntl" and c.args.get("op") in SIGNAL_OPS)
            or (c.name == "ioctl" and str(c.args.get("request", "")).upper() in SIGNAL_IOCTLS)
            or (c.name == "expect" and c.args.get("field") == "signal")
            for c in commands
        )
        for cmd in commands:
            self.cur = cmd
            self.comment_step(cmd)
            handler = getattr(self, f"do_{cmd.name}", None)
            if handler is None:
                raise cmd.error(f"{cmd.name} cannot be exported to {self.lang}")
            _refuse_protocol_forms(cmd, self.lang)
            try:
                handler(cmd)
            except UsageError as exc:
                raise cmd.error(str(exc)) from None
            if cmd.spec.calls:
                self.last_call = cmd.name
        return self.assemble()

    def source_line(self, cmd: Command) -> str:
        if 1 <= cmd.line <= len(self.source):
            return self.source[cmd.line - 1].strip()
        return cmd.text

    def sock(self, cmd: Command, key: str = "sock", name: str | None = None) -> Sock:
        """The socket a command names; a name the script has not opened is the script's mistake."""
        name = name if name is not None else cmd.args[key]
        s = self.socks.get(name)
        if s is None:
            known = ", ".join(self.socks) or "none"
            raise ScriptError(
                cmd.line, cmd.col_of(key),
                f"no socket named {name!r} at this point of the script (open: {known}); export can only "
                "name sockets the script opens with socket, socketpair or accept",
            )
        return s

    def new_sock(self, name: str, family: str, type_: str) -> Sock:
        var = self.vars.get(name)
        if var is None:
            var = self.variable(name)
            self.vars[name] = var
        s = Sock(name, var, family, type_)
        self.socks[name] = s
        return s

    def variable(self, name: str) -> str:
        """The script's name as an identifier of the target language, unique and not reserved."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if base[0].isdigit():
            base = "s_" + base
        var = base
        if var in self.reserved or var.startswith("SO_") or var.isupper():
            var = base + "_sock"
        n = 2
        taken = set(self.vars.values())
        while var in taken or var in self.reserved:
            var = f"{base}_{n}"
            n += 1
        return var

    def auto_name(self, prefix: str = "a") -> str:
        i = 1
        while f"{prefix}{i}" in self.socks:
            i += 1
        return f"{prefix}{i}"

    def address(self, cmd: Command, key: str, s: Sock) -> tuple[str, Any]:
        """('sock', Sock) when the address is another socket's name, else ('lit', parsed sockaddr)."""
        text = cmd.args[key]
        if text in self.socks:
            return "sock", self.socks[text]
        if s.family not in ("AF_INET", "AF_INET6", "AF_UNIX"):
            raise cmd.error(f"addresses of {s.family} sockets cannot be exported", key)
        try:
            sa = addresses.parse(text, s.family_number)
        except UsageError as exc:
            raise ScriptError(cmd.line, cmd.col_of(key), str(exc)) from None
        if s.family == "AF_UNIX" and isinstance(sa, str) and cmd.name == "bind" and sa not in self.unix_paths:
            self.unix_paths.append(sa)
        return "lit", sa

    def const(self, name: str, value: int) -> str:
        self.consts[name] = value
        return name

    def msg_flags(self, words: list[str]) -> list[str]:
        names = []
        for w in words or []:
            f = flags.msg_flag(w)
            names.append(self.const(f.name, f.value))
        return names

    def option(self, cmd: Command) -> tuple[catalog.OptionRow, codecs.Codec]:
        row = catalog.option(cmd.args["option"])
        if row.kind in READ_HOOK_KINDS:
            raise cmd.error(
                f"{row.name} ({row.kind}) cannot be exported: its value is not a plain number, struct or string",
                "option",
            )
        self.const(row.name, row.number)
        return row, codecs.codec(row.kind)

    def value_kind(self, kind: str) -> str | None:
        if kind in INT_KINDS or kind in U64_KINDS:
            return "int"
        if kind in SYMBOLIC_KINDS or kind in TEXT_KINDS or kind == "errno":
            return "text"
        if kind == "linger":
            return "pair"
        if kind == "timeval":
            return "real"
        return None

    def size(self, cmd: Command) -> int:
        size = cmd.args.get("size")
        size = DEFAULT_RECV if size is None else size
        if size > MAX_BUFFER:
            raise cmd.error(f"a {size}-byte buffer is too big to export; use at most {MAX_BUFFER}", "size")
        self.max_buf = max(self.max_buf, size)
        self.needs.add("buf")
        return size

    def set_last(self, value: str | None, msg: bool = False) -> None:
        self.last_value = value
        self.last_msg = msg

    # ------------------------------------------------------------------ expect
    def do_expect(self, cmd: Command) -> None:
        f = cmd.args["field"]
        text = cmd.text
        if f == "ready":
            s = self.sock(cmd)
            self.expect_ready(cmd, text, s, cmd.args["expected"])
            return
        if f == "signal":
            # A plain handler cannot tell which socket a signal is about: the export checks the signal.
            self.expect_signal(cmd, text, cmd.args["expected"])
            return
        if self.last_call is None:
            raise cmd.error(f"expect {f}: no call comes before it in the script")
        want = cmd.args["expected"]
        if f == "ret":
            self.expect_ret(cmd, text, want)
        elif f == "errno":
            self.expect_errno(cmd, text, want)
        elif f == "data":
            self.expect_data(cmd, text, want)
        elif f == "value":
            vk = self.last_value
            if vk is None:
                raise cmd.error(f"expect value after {self.last_call} cannot be exported (its value is not kept)")
            self.expect_value(cmd, text, vk, self.typed_want(cmd, vk, want))
        elif f in ("flags", "cmsg"):
            if not self.last_msg:
                raise cmd.error(f"expect {f} can be exported only right after recvmsg")
            if f == "flags":
                self.expect_flags(cmd, text, [self.const(n, flags.msg_flag(n).value) for n in want])
            else:
                name = want if want in CMSGS else ("SO_" + want if "SO_" + want in CMSGS else "SCM_" + want)
                if name not in CMSGS:
                    raise cmd.error(f"expect cmsg {want}: export knows {', '.join(CMSGS)}")
                self.expect_cmsg(cmd, text, name, cmd.args.get("expected_value"))
        else:
            raise cmd.error(f"expect {f} cannot be exported")

    def typed_want(self, cmd: Command, vk: str, text: str) -> Any:
        """What `expect value TEXT` means, as the concrete value the program compares with."""
        kind = self.value_codec or ""
        try:
            if vk == "int":
                return codecs.parse_int(text, "expected value")
            if vk == "pair":
                return tuple(codecs.codec("linger").decode(codecs.codec("linger").encode(text)))
            if vk == "real":
                return float(text.strip().lower().removesuffix("s"))
            if kind in SYMBOLIC_KINDS:
                c = codecs.codec(kind)
                return str(c.decode(c.encode(text)))
            if kind == "errno":
                c = codecs.codec("errno")
                return str(c.decode(c.encode(text)))
            return text
        except (UsageError, ValueError) as exc:
            raise ScriptError(cmd.line, cmd.col_of("values"), f"expect value {text!r}: {exc}") from None

    value_codec: str | None = None

    # ------------------------------------------------------------------ hooks
    def comment_step(self, cmd: Command) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def assemble(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def left_out(self, cmd: Command, why: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def do_help(self, cmd: Command) -> None:
        self.left_out(cmd, "help is sockplay's own; it makes no system call")

    def do_options(self, cmd: Command) -> None:
        self.left_out(cmd, "options reads every option in sockplay's catalog; use getsockopt for the ones you need")

    def do_sockets(self, cmd: Command) -> None:
        self.left_out(cmd, "sockets lists sockplay's own table of names; it makes no system call")

    def expect_ready(self, cmd: Command, text: str, s: Sock, bits: list[str]) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_signal(self, cmd: Command, text: str, sig: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_ret(self, cmd: Command, text: str, want: int) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_errno(self, cmd: Command, text: str, want: str | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_data(self, cmd: Command, text: str, want: bytes) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_value(self, cmd: Command, text: str, vk: str, want: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_flags(self, cmd: Command, text: str, names: list[str]) -> None:  # pragma: no cover
        raise NotImplementedError

    def expect_cmsg(self, cmd: Command, text: str, name: str, value: str | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def poll_names(self, cmd: Command) -> list[Sock]:
        names = cmd.args.get("socks") or list(self.socks)
        if not names:
            raise cmd.error("poll with no sockets open: nothing to export")
        return [self.sock(cmd, "socks", n) for n in names]


# ====================================================================== Python
PY_RESERVED = frozenset(
    set(keyword.kwlist) | set(dir(builtins)) | {
        "errno", "fcntl", "os", "select", "signal", "socket", "struct", "sys", "time", "array", "atexit",
        "last", "buf", "n", "peer", "exc", "got", "fl", "p", "value", "anc", "mflags", "result", "failure",
        "expect", "show", "errname", "addr_of", "fmt_addr", "wait_ready", "ready", "pollbits", "show_cmsgs",
        "cmsg_list", "sysctl", "cleanup", "closed_socket", "pair", "sec", "usec", "names", "fds", "raw",
    }
)

PY_HELPERS: dict[str, str] = {
    "errname": '''
ERRNO_NAMES = {errno.EAGAIN: "EAGAIN", errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EDEADLK: "EDEADLK"}


def errname(exc: OSError) -> str:
    """The errno's name as sockplay prints it (EAGAIN rather than EWOULDBLOCK)."""
    code = exc.errno or errno.EIO
    return ERRNO_NAMES.get(code) or errno.errorcode.get(code, f"E{code}")
''',
    "show": r'''
def show(data: bytes) -> str:
    """Bytes in double quotes with C escapes, the way sockplay prints received data."""
    out = []
    for b in data:
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'
''',
    "result": '''
# What the last call returned, for the expect checks that follow it.
last: dict = {"ret": None, "errno": None, "data": None, "value": None, "flags": 0, "cmsgs": []}


def result(what: str, ret: int, data: bytes | None = None, value=None, extra: str = "", mflags: int = 0,
           cmsgs: list | None = None) -> None:
    """Print one call's result as `what -> ret ...` and keep it for expect."""
    last.update(ret=ret, errno=None, data=data, value=value, flags=mflags, cmsgs=cmsgs or [])
    line = f"{what} -> {ret}"
    if data is not None:
        line += " " + show(data)
    if extra:
        line += " " + extra
    print(line, flush=True)


def failure(what: str, exc: OSError) -> None:
    """A failing call is a result too: print its errno name and go on."""
    last.update(ret=-1, errno=errname(exc), data=None, value=None, flags=0, cmsgs=[])
    print(f"{what} -> -1 {last['errno']}", flush=True)


def expect(line: int, text: str, ok: bool, actual: str) -> None:
    """An expect line of the script: stop with status 1 when it does not hold."""
    if ok:
        print(f"  ok: {text}", flush=True)
        return
    print(f"EXPECT FAILED at line {line}: {text} (got {actual})", flush=True)
    sys.exit(1)
''',
    "closed_socket": '''
def closed_socket() -> socket.socket:
    """Stands in for a socket whose creation failed: every later call on it fails with EBADF, as in C."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.close()
    return s
''',
    "addr_of": '''
def addr_of(other: socket.socket, family: int):
    """A socket's name used as an address means its local address (ephemeral ports included)."""
    local = other.getsockname()
    if family == socket.AF_INET6 and other.family == socket.AF_INET:
        return ("::ffff:" + local[0], local[1], 0, 0)
    if family == socket.AF_INET and other.family == socket.AF_INET:
        return ("127.0.0.1" if local[0] == "0.0.0.0" else local[0], local[1])
    if family == socket.AF_INET6 and isinstance(local, tuple) and local[0] == "::":
        return ("::1", *local[1:])
    return local
''',
    "fmt_addr": '''
def fmt_addr(addr) -> str:
    """Address text as sockplay shows it: 127.0.0.1:80, [::1]:80, ./path, @abstract."""
    if isinstance(addr, tuple):
        return f"[{addr[0]}]:{addr[1]}" if len(addr) == 4 else f"{addr[0]}:{addr[1]}"
    if isinstance(addr, bytes):
        addr = addr.decode(errors="backslashreplace")
    if not addr:
        return "(unnamed)"
    return "@" + addr[1:] if addr.startswith("\\0") else addr
''',
    "wait_ready": '''
def wait_ready(sock: socket.socket, events: int, ms: int) -> bool:
    """timeout=MS: wait up to MS for the socket (a nonblocking one does not wait), as sockplay does."""
    if fcntl.fcntl(sock.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK:
        return True
    p = select.poll()
    p.register(sock, events)
    return bool(p.poll(ms))
''',
    "pollbits": '''
POLL_NAMES = [("POLLIN", select.POLLIN), ("POLLPRI", select.POLLPRI), ("POLLOUT", select.POLLOUT),
              ("POLLERR", select.POLLERR), ("POLLHUP", select.POLLHUP), ("POLLNVAL", select.POLLNVAL),
              ("POLLRDHUP", 0x2000)]
POLL_ALL = select.POLLIN | select.POLLPRI | select.POLLOUT | select.POLLERR | select.POLLHUP | 0x2000


def pollbits(revents: int) -> str:
    """POLLIN|POLLOUT for a revents value, 0 for none."""
    return "|".join(name for name, bit in POLL_NAMES if revents & bit) or "0"
''',
    "ready": '''
def ready(sock: socket.socket, bits: int) -> tuple[bool, str]:
    """expect ready: poll for up to 1 s until all the bits are there."""
    deadline = time.monotonic() + 1.0
    p = select.poll()
    p.register(sock, POLL_ALL)
    got = 0
    while True:
        left = max(0, int((deadline - time.monotonic()) * 1000))
        got = dict(p.poll(left)).get(sock.fileno(), 0)
        if got & bits == bits or left == 0:
            return got & bits == bits, pollbits(got)
        time.sleep(0.01)
''',
    "show_cmsgs": '''
def cmsg_list(anc: list) -> list:
    """Decode control messages into (name, value text) pairs, and print each one."""
    out = []
    for level, typ, raw in anc:
        name, how = CMSG_NAMES.get((level, typ), (f"type {typ}", ""))
        if how == "fds":
            value = ",".join(str(x) for x in struct.unpack(f"{len(raw) // 4}i", raw[: len(raw) // 4 * 4]))
        elif how == "ucred":
            value = "pid={} uid={} gid={}".format(*struct.unpack("iII", raw[:12]))
        elif how in ("timeval", "timespec"):
            sec, frac = struct.unpack("qq", raw[:16])
            value = f"{sec}.{frac:06d}" if how == "timeval" else f"{sec}.{frac:09d}"
        elif how == "u32":
            value = str(struct.unpack("I", raw[:4])[0])
        elif how == "int":
            value = str(struct.unpack("i", raw[:4])[0])
        elif how == "u8":
            value = str(raw[0])
        else:
            value = f"{len(raw)} bytes"
        print(f"    cmsg {CMSG_LEVELS.get(level, level)} {name} {value}", flush=True)
        out.append((name, value))
    return out
''',
    "msgflags": '''
MSG_NAMES = [("MSG_OOB", 0x1), ("MSG_CTRUNC", 0x8), ("MSG_TRUNC", 0x20), ("MSG_EOR", 0x80),
             ("MSG_ERRQUEUE", 0x2000), ("MSG_CMSG_CLOEXEC", 0x40000000)]


def msgflags(bits: int) -> str:
    """The flags recvmsg returned in msg_flags, by name."""
    return "|".join(name for name, bit in MSG_NAMES if bits & bit)
''',
    "signals": '''
SIGNALS = {"SIGIO": [0, 0], "SIGURG": [0, 0]}  # per signal: [arrived, counted by an expect]


def on_signal(signum: int, frame) -> None:
    """SIGIO and SIGURG would end (or be lost to) a program that does not catch them: print them."""
    name = signal.Signals(signum).name
    SIGNALS[name][0] += 1
    print(f"signal {name}", flush=True)


def wait_signal(name: str) -> tuple[bool, str]:
    """True once a signal arrived that no earlier check counted (waits up to a second)."""
    deadline = time.monotonic() + 1.0
    while SIGNALS[name][0] <= SIGNALS[name][1] and time.monotonic() < deadline:
        time.sleep(0.01)
    ok = SIGNALS[name][0] > SIGNALS[name][1]
    SIGNALS[name][1] = SIGNALS[name][0]
    return ok, name if ok else "no signal"


signal.signal(signal.SIGIO, on_signal)
signal.signal(signal.SIGURG, on_signal)
# On the way out Python puts back the default action (which for SIGIO ends the process) while the
# sockets are still being closed, and a close can raise SIGIO: ignore both signals from then on.
atexit.register(lambda: [signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGIO, signal.SIGURG)])
''',
}
PY_DEPS = {"result": ["errname", "show"], "ready": ["pollbits"], "show_cmsgs": []}


class PythonGen(Generator):
    """Writes a Python 3 program that uses only the standard library."""

    lang = "Python"
    reserved = PY_RESERVED

    def __init__(self, filename: str, source: list[str]) -> None:
        super().__init__(filename, source)
        self.imports = {"errno", "socket", "sys"}
        self.needs.add("result")

    # -- writing -------------------------------------------------------------
    def w(self, *lines: str, indent: int = 0) -> None:
        self.body.extend(("    " * indent + ln) if ln else "" for ln in lines)

    def comment_step(self, cmd: Command) -> None:
        self.w("", f"# line {cmd.line}: {self.source_line(cmd)}")

    def left_out(self, cmd: Command, why: str) -> None:
        self.w(f"# left out: {why}")

    def c(self, name: str) -> str:
        """A constant: socket.NAME when Python has it with this value, else the spelled-out name."""
        value = self.consts.get(name)
        if value is not None and getattr(socket, name, None) == value:
            return f"socket.{name}"
        return name

    def flag_expr(self, words: list[str]) -> str:
        names = self.msg_flags(words)
        return " | ".join(self.c(n) for n in names) or "0"

    def addr_expr(self, cmd: Command, key: str, s: Sock) -> str:
        how, a = self.address(cmd, key, s)
        if how == "sock":
            self.needs.add("addr_of")
            return f"addr_of({a.var}, {self.family_expr(s.family)})"
        return repr(a)

    @staticmethod
    def family_expr(name: str) -> str:
        return f"socket.{name}" if hasattr(socket, name) else str(flags.lookup(name, flags.FAMILIES, "family").value)

    def try_call(self, what: str, lines: list[str], indent: int = 0, on_fail: list[str] | None = None) -> None:
        self.w("try:", indent=indent)
        for ln in lines:
            self.w(ln, indent=indent + 1)
        self.w("except OSError as exc:", indent=indent)
        self.w(f"failure({what!r}, exc)", indent=indent + 1)
        for ln in on_fail or []:
            self.w(ln, indent=indent + 1)

    # -- sockets -------------------------------------------------------------
    def do_socket(self, cmd: Command) -> None:
        a = cmd.args
        fam = flags.lookup(a["family"], flags.FAMILIES, "family")
        typ = flags.lookup(a["type"], flags.TYPES, "type")
        proto = flags.lookup(a.get("proto") or 0, flags.PROTOCOLS, "protocol")
        s = self.new_sock(a["name"], fam.name, typ.name)
        tbits = f"socket.{typ.name}"
        for f in a.get("sockflags", []):
            tbits += f" | socket.SOCK_{f.upper()}"
        proto_expr = f"socket.{proto.name}" if hasattr(socket, proto.name) else str(proto.value)
        self.needs.add("closed_socket")
        what = f"socket {s.name}"
        self.try_call(what, [
            f"{s.var} = socket.socket({self.family_expr(fam.name)}, {tbits}, {proto_expr})",
            f"result({what!r}, {s.var}.fileno())",
        ], on_fail=[f"{s.var} = closed_socket()"])
        self.set_last(None)

    def do_socketpair(self, cmd: Command) -> None:
        a = cmd.args
        typ = flags.lookup(a.get("type") or "stream", flags.TYPES, "type")
        s1 = self.new_sock(a["name"], "AF_UNIX", typ.name)
        s2 = self.new_sock(a["name2"], "AF_UNIX", typ.name)
        self.needs.add("closed_socket")
        what = f"socketpair {s1.name} {s2.name}"
        self.try_call(what, [
            f"{s1.var}, {s2.var} = socket.socketpair(socket.AF_UNIX, socket.{typ.name})",
            f"result({what!r}, 0, extra=f\"[{{{s1.var}.fileno()}}, {{{s2.var}.fileno()}}]\")",
        ], on_fail=[f"{s1.var}, {s2.var} = closed_socket(), closed_socket()"])
        self.set_last(None)

    def do_bind(self, cmd: Command) -> None:
        s = self.sock(cmd)
        addr = self.addr_expr(cmd, "addr", s)
        what = f"bind {s.name}"
        self.try_call(what, [f"{s.var}.bind({addr})", f"result({what!r}, 0)"])
        self.set_last(None)

    def do_listen(self, cmd: Command) -> None:
        s = self.sock(cmd)
        backlog = cmd.args.get("backlog")
        backlog = DEFAULT_BACKLOG if backlog is None else backlog
        what = f"listen {s.name}"
        self.try_call(what, [f"{s.var}.listen({backlog})", f"result({what!r}, 0)"])
        self.set_last(None)

    def do_connect(self, cmd: Command) -> None:
        s = self.sock(cmd)
        addr = self.addr_expr(cmd, "addr", s)
        if cmd.args.get("timeout") is not None:
            self.w("# timeout= is not exported: this connect waits as long as the kernel lets it")
        what = f"connect {s.name}"
        self.try_call(what, [f"{s.var}.connect({addr})", f"result({what!r}, 0)"])
        self.set_last(None)

    def do_accept(self, cmd: Command) -> None:
        s = self.sock(cmd)
        name = cmd.args.get("newname") or self.auto_name("a")
        if name in self.socks:
            raise cmd.error(f"a socket named {name!r} already exists", "newname")
        new = self.new_sock(name, s.family, s.type)
        self.needs.update({"fmt_addr", "closed_socket"})
        what = f"accept {s.name}"
        lines = []
        if cmd.args.get("timeout") is not None:
            self.needs.add("wait_ready")
            self.imports.update({"fcntl", "os", "select"})
            lines += [
                f"if not wait_ready({s.var}, select.POLLIN, {cmd.args['timeout']}):  # timeout=: give up with EAGAIN",
                "    raise BlockingIOError(errno.EAGAIN, 'timed out')",
            ]
        lines += [
            f"{new.var}, peer = {s.var}.accept()",
            f"result({what!r}, {new.var}.fileno(), value={new.name!r}, extra={new.name!r} + ' from ' + fmt_addr(peer))",
        ]
        self.try_call(what, lines, on_fail=[f"{new.var} = closed_socket()"])
        self.set_last("text")
        self.value_codec = None

    def do_shutdown(self, cmd: Command) -> None:
        s = self.sock(cmd)
        what = f"shutdown {s.name}"
        how = cmd.args["how"].upper()
        self.try_call(what, [f"{s.var}.shutdown(socket.SHUT_{how})", f"result({what!r}, 0)"])
        self.set_last(None)

    def do_close(self, cmd: Command) -> None:
        s = self.sock(cmd)
        what = f"close {s.name}"
        self.try_call(what, [f"{s.var}.close()", f"result({what!r}, 0)"])
        del self.socks[s.name]
        self.set_last(None)

    # -- data ----------------------------------------------------------------
    def count_loop(self, cmd: Command) -> int:
        count = cmd.args.get("count", 1)
        if count > 1:
            self.w(f"for _ in range({count}):  # count={count}")
        return 1 if count > 1 else 0

    def _send(self, cmd: Command, call: str, addr_key: str | None) -> None:
        s = self.sock(cmd)
        fl = self.flag_expr(cmd.args.get("flags"))
        data = cmd.args["data"]
        what = f"{cmd.name} {s.name}"
        ind = self.count_loop(cmd)
        lines = []
        if cmd.args.get("timeout") is not None and "dontwait" not in (cmd.args.get("flags") or []):
            self.needs.add("wait_ready")
            self.imports.update({"fcntl", "os", "select"})
            lines += [f"flags = {fl}",
                      f"if not wait_ready({s.var}, select.POLLOUT, {cmd.args['timeout']}):  # timeout=",
                      "    flags |= socket.MSG_DONTWAIT  # the kernel then says EAGAIN itself"]
            fl = "flags"
        if addr_key:
            addr = self.addr_expr(cmd, addr_key, s)
            lines.append(f"n = {s.var}.sendto({data!r}, {fl}, {addr})")
        else:
            lines.append(f"n = {s.var}.send({data!r}, {fl})")
        lines.append(f"result({what!r}, n)")
        self.try_call(what, lines, indent=ind)
        self.set_last(None)

    def do_send(self, cmd: Command) -> None:
        self._send(cmd, "send", None)

    def do_sendto(self, cmd: Command) -> None:
        self._send(cmd, "sendto", "addr")

    def do_sendmsg(self, cmd: Command) -> None:
        s = self.sock(cmd)
        fl = self.flag_expr(cmd.args.get("flags"))
        what = f"sendmsg {s.name}"
        anc = []
        if cmd.args.get("rights"):
            self.imports.add("array")
            fds = ", ".join(f"{self.sock(cmd, 'rights', n).var}.fileno()" for n in cmd.args["rights"])
            anc.append(f"(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [{fds}]))")
        if cmd.args.get("creds"):
            self.imports.update({"os", "struct"})
            anc.append("(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, "
                       "struct.pack('iII', os.getpid(), os.getuid(), os.getgid()))")
        args = f"[{cmd.args['data']!r}], [{', '.join(anc)}], {fl}"
        if cmd.args.get("to"):
            args += ", " + self.addr_expr(cmd, "to", s)
        ind = self.count_loop(cmd)
        self.try_call(what, [f"n = {s.var}.sendmsg({args})", f"result({what!r}, n)"], indent=ind)
        self.set_last(None)

    def _recv(self, cmd: Command) -> None:
        s = self.sock(cmd)
        size = self.size(cmd)
        words = cmd.args.get("flags") or []
        fl = self.flag_expr(words)
        what = f"{cmd.name} {s.name}"
        count = cmd.args.get("count", 1)
        ind = self.count_loop(cmd)
        lines = [f"buf = bytearray({size})"]
        if cmd.args.get("timeout") is not None and "dontwait" not in words:
            self.needs.add("wait_ready")
            self.imports.update({"fcntl", "os", "select"})
            lines += [f"flags = {fl}",
                      f"if not wait_ready({s.var}, select.POLLIN | select.POLLPRI, {cmd.args['timeout']}):  # timeout=",
                      "    flags |= socket.MSG_DONTWAIT  # the kernel then says EAGAIN itself"]
            fl = "flags"
        trunc_stream = s.stream and "trunc" in words
        data = 'b""' if trunc_stream else "bytes(buf[:n])"
        if trunc_stream:
            lines.append("# MSG_TRUNC on a stream socket throws the bytes away without copying them")
        if cmd.name == "recv":
            lines += [f"n = {s.var}.recv_into(buf, {size}, {fl})", f"result({what!r}, n, data={data})"]
        elif cmd.name == "recvfrom":
            self.needs.add("fmt_addr")
            lines += [f"n, peer = {s.var}.recvfrom_into(buf, {size}, {fl})",
                      f"result({what!r}, n, data={data}, extra=('from ' + fmt_addr(peer)) if peer else '')"]
        else:
            anc = cmd.args.get("anc", 256)
            self.needs.update({"show_cmsgs", "msgflags", "fmt_addr"})
            self.imports.add("struct")
            lines += [
                f"n, anc, mflags, peer = {s.var}.recvmsg_into([buf], {anc}, {fl})",
                "extra = ' '.join(x for x in (('from ' + fmt_addr(peer)) if peer else '',"
                " ('flags ' + msgflags(mflags)) if msgflags(mflags) else '') if x)",
                f"result({what!r}, n, data={data}, extra=extra, mflags=mflags)",
                "last['cmsgs'] = cmsg_list(anc)",
            ]
        if count > 1 and s.stream and size != 0:
            lines.append("if n == 0:")
            lines.append("    break  # end of stream: more tries would say the same")
        self.try_call(what, lines, indent=ind, on_fail=["break"] if count > 1 else None)
        self.set_last(None, msg=cmd.name == "recvmsg")

    def do_recv(self, cmd: Command) -> None:
        self._recv(cmd)

    def do_recvfrom(self, cmd: Command) -> None:
        self._recv(cmd)

    def do_recvmsg(self, cmd: Command) -> None:
        self._recv(cmd)

    # -- options -------------------------------------------------------------
    def read_option(self, s: Sock, row: catalog.OptionRow, c: codecs.Codec) -> tuple[str, str]:
        """Lines computing `value` (and its printed text `shown`) from getsockopt."""
        lvl = f"socket.{row.level}"
        opt = self.c(row.name)
        k = row.kind
        if k in INT_KINDS:
            return f"value = {s.var}.getsockopt({lvl}, {opt})", "str(value)"
        self.imports.add("struct")
        if k in U64_KINDS:
            return f"value = struct.unpack('Q', {s.var}.getsockopt({lvl}, {opt}, 8))[0]", "str(value)"
        if k in SYMBOLIC_KINDS:
            table = {n: d for n in range(0, 300) if isinstance(d := c.decode(struct.pack("i", n)), str)}
            return f"value = {table!r}.get(raw := {s.var}.getsockopt({lvl}, {opt}), str(raw))", "value"
        if k == "errno":
            return (f"value = {s.var}.getsockopt({lvl}, {opt})\n"
                    "value = errname(OSError(value, '')) if value else '0'"), "value"
        if k == "linger":
            return f"value = struct.unpack('ii', {s.var}.getsockopt({lvl}, {opt}, 8))", "f'{value[0]},{value[1]}'"
        if k == "timeval":
            return (f"sec, usec = struct.unpack('ll', {s.var}.getsockopt({lvl}, {opt}, 16))\n"
                    "value = sec + usec / 1e6"), "f'{value:g}'"
        if k in TEXT_KINDS:
            return f"value = {s.var}.getsockopt({lvl}, {opt}, 16).split(b'\\0', 1)[0].decode()", "value"
        if k == "ucred":
            return (f"value = 'pid={{}} uid={{}} gid={{}}'.format(*struct.unpack('iII', "
                    f"{s.var}.getsockopt({lvl}, {opt}, 12)))"), "value"
        return f"value = 'hex:' + {s.var}.getsockopt({lvl}, {opt}, {c.size}).hex()", "value"

    def do_setsockopt(self, cmd: Command) -> None:
        s = self.sock(cmd)
        row, c = self.option(cmd)
        raw = c.encode(cmd.args["value"])
        if not isinstance(raw, bytes):
            raise cmd.error(f"{row.name}: this value cannot be exported", "value")
        k = row.kind
        if k in INT_KINDS or k in SYMBOLIC_KINDS:
            arg = str(struct.unpack("i", raw)[0])
        elif k == "linger":
            self.imports.add("struct")
            arg = "struct.pack('ii', {}, {})".format(*struct.unpack("ii", raw))
        elif k == "timeval":
            self.imports.add("struct")
            arg = "struct.pack('ll', {}, {})".format(*struct.unpack("ll", raw))
        else:
            arg = repr(raw)
        what = f"setsockopt {s.name} {row.name}"
        lines = [f"{s.var}.setsockopt(socket.{row.level}, {self.c(row.name)}, {arg})"]
        vk = None
        if row.readable and row.name != "SO_ERROR":
            read, shown = self.read_option(s, row, c)
            lines.append("# sockplay reads the option back to show what the kernel kept")
            lines += read.split("\n")
            lines.append(f"result({what!r}, 0, value=value, extra='value ' + {shown})")
            vk = self.value_kind(k)
        else:
            lines.append(f"result({what!r}, 0)")
        self.try_call(what, lines)
        self.set_last(vk)
        self.value_codec = k

    def do_getsockopt(self, cmd: Command) -> None:
        s = self.sock(cmd)
        row, c = self.option(cmd)
        read, shown = self.read_option(s, row, c)
        what = f"getsockopt {s.name} {row.name}"
        self.try_call(what, read.split("\n") + [f"result({what!r}, 0, value=value, extra='value ' + {shown})"])
        self.set_last(self.value_kind(row.kind))
        self.value_codec = row.kind

    def _name_call(self, cmd: Command) -> None:
        s = self.sock(cmd)
        self.needs.add("fmt_addr")
        what = f"{cmd.name} {s.name}"
        self.try_call(what, [f"value = fmt_addr({s.var}.{cmd.name}())", f"result({what!r}, 0, value=value, extra=value)"])
        self.set_last("text")
        self.value_codec = None

    def do_getsockname(self, cmd: Command) -> None:
        self._name_call(cmd)

    def do_getpeername(self, cmd: Command) -> None:
        self._name_call(cmd)

    def do_poll(self, cmd: Command) -> None:
        socks = self.poll_names(cmd)
        self.needs.add("pollbits")
        self.imports.add("select")
        timeout = cmd.args.get("timeout", 0)
        lines = ["p = select.poll()"] + [f"p.register({s.var}, POLL_ALL)" for s in socks]
        lines.append(f"got = dict(p.poll({timeout}))")
        shown = " + ' ' + ".join(f"'{s.name}=' + pollbits(got.get({s.var}.fileno(), 0))" for s in socks)
        lines.append(f"result('poll', len(got), extra={shown})")
        self.try_call("poll", lines)
        self.set_last(None)

    def do_ioctl(self, cmd: Command) -> None:
        from sockplay.core import ioctls

        s = self.sock(cmd)
        row = ioctls.ioctl(cmd.args["request"])
        self.consts[row.name] = row.number
        self.imports.update({"fcntl", "struct"})
        what = f"ioctl {s.name} {row.name}"
        value = cmd.args.get("value")
        if row.arg == "get_int":
            lines = [f"value = struct.unpack('i', fcntl.ioctl({s.var}.fileno(), {row.name}, struct.pack('i', 0)))[0]",
                     f"result({what!r}, 0, value=value, extra=f'value {{value}}')"]
            vk = "int"
        elif row.arg == "set_int":
            if value is None:
                value = "os.getpid()" if row.name in ("SIOCSPGRP", "FIOSETOWN") else "1"
                self.imports.add("os")
            lines = [f"fcntl.ioctl({s.var}.fileno(), {row.name}, struct.pack('i', {value}))",
                     f"result({what!r}, 0)"]
            vk = None
        else:
            frac = "1e6" if row.arg == "get_timeval" else "1e9"
            lines = [f"sec, frac = struct.unpack('qq', fcntl.ioctl({s.var}.fileno(), {row.name}, bytes(16)))",
                     f"value = sec + frac / {frac}",
                     f"result({what!r}, 0, value=value, extra=f'value {{value:.6f}}')"]
            vk = "real"
        self.try_call(what, lines)
        self.set_last(vk)
        self.value_codec = None

    def do_fcntl(self, cmd: Command) -> None:
        s = self.sock(cmd)
        op = cmd.args["op"]
        value = cmd.args.get("value")
        self.imports.update({"fcntl", "os"})
        what = f"fcntl {s.name} {op}"
        fd = f"{s.var}.fileno()"
        vk: str | None = "int"
        if op in ("nonblock", "async"):
            bit = "os.O_NONBLOCK" if op == "nonblock" else "os.O_ASYNC"
            new = f"fl | {bit}" if value else f"fl & ~{bit}"
            lines = [f"fl = fcntl.fcntl({fd}, fcntl.F_GETFL)", f"fcntl.fcntl({fd}, fcntl.F_SETFL, {new})",
                     f"value = {1 if value else 0}", f"result({what!r}, 0)"]
        elif op == "setown":
            pid = "os.getpid()" if value is None else str(value)
            lines = [f"value = {pid}", f"n = fcntl.fcntl({fd}, fcntl.F_SETOWN, value)", f"result({what!r}, n)"]
        elif op == "getown":
            lines = [f"value = fcntl.fcntl({fd}, fcntl.F_GETOWN)", f"result({what!r}, value)"]
        elif op == "getfl":
            lines = [f"value = fcntl.fcntl({fd}, fcntl.F_GETFL)",
                     f"result({what!r}, value, extra='O_NONBLOCK' if value & os.O_NONBLOCK else '')"]
        else:  # setsig
            self.consts["F_SETSIG"] = 10
            lines = [f"value = {value or 0}", f"n = fcntl.fcntl({fd}, F_SETSIG, value)", f"result({what!r}, n)"]
        lines[-1] = lines[-1][:-1] + ", value=value)"  # keep the value for expect value
        self.try_call(what, lines)
        self.set_last(vk)
        self.value_codec = None

    def do_sysctl(self, cmd: Command) -> None:
        key = cmd.args.get("key")
        keys = [key] if key else [r.key for r in sysctl.SYSCTLS]
        for k in keys:
            path = f"{sysctl.BASE}/{k}"
            what = f"sysctl {k}"
            self.try_call(what, [f"with open({path!r}) as f:", "    value = f.read().strip()",
                                 f"result({what!r}, 0, value=value, extra=value)"])
        self.set_last("text")
        self.value_codec = None

    # -- script commands -----------------------------------------------------
    def do_sleep(self, cmd: Command) -> None:
        self.imports.add("time")
        self.w(f"time.sleep({cmd.args['ms'] / 1000!r})")

    def do_echo(self, cmd: Command) -> None:
        self.w(f"print({' '.join(cmd.args.get('text', []))!r}, flush=True)")

    def expect_line(self, cmd: Command, text: str, ok: str, actual: str) -> None:
        self.w(f"expect({cmd.line}, {text!r}, {ok}, {actual})")

    def expect_signal(self, cmd: Command, text: str, sig: str) -> None:
        self.imports.add("time")
        self.w(f"expect({cmd.line}, {text!r}, *wait_signal({sig!r}))")

    def expect_ready(self, cmd: Command, text: str, s: Sock, bits: list[str]) -> None:
        self.needs.add("ready")
        self.imports.update({"select", "time"})
        mask = " | ".join(f"select.{b}" if hasattr(__import__("select"), b) else "0x2000" for b in bits)
        self.w(f"expect({cmd.line}, {text!r}, *ready({s.var}, {mask}))")

    def expect_ret(self, cmd: Command, text: str, want: int) -> None:
        self.expect_line(cmd, text, f"last['ret'] == {want}", "str(last['ret'])")

    def expect_errno(self, cmd: Command, text: str, want: str | None) -> None:
        self.expect_line(cmd, text, f"last['errno'] == {want!r}", "last['errno'] or '0 (no error)'")

    def expect_data(self, cmd: Command, text: str, want: bytes) -> None:
        self.expect_line(cmd, text, f"last['data'] == {want!r}",
                         "show(last['data']) if last['data'] is not None else 'no data'")

    def expect_value(self, cmd: Command, text: str, vk: str, want: Any) -> None:
        if vk == "real":
            self.expect_line(cmd, text, f"last['value'] is not None and abs(last['value'] - {want!r}) < 1e-6",
                             "str(last['value'])")
        elif vk == "text":
            self.expect_line(cmd, text, f"str(last['value']).lower() == {str(want).lower()!r}", "str(last['value'])")
        else:
            self.expect_line(cmd, text, f"last['value'] == {want!r}", "str(last['value'])")

    def expect_flags(self, cmd: Command, text: str, names: list[str]) -> None:
        mask = " | ".join(self.c(n) for n in names)
        self.expect_line(cmd, text, f"last['flags'] & ({mask}) == ({mask})", "msgflags(last['flags']) or 'no flags'")

    def expect_cmsg(self, cmd: Command, text: str, name: str, value: str | None) -> None:
        cond = f"any(n == {name!r}" + (f" and v == {value!r}" if value is not None else "") + " for n, v in last['cmsgs'])"
        self.expect_line(cmd, text, cond, "', '.join(f'{n} {v}' for n, v in last['cmsgs']) or 'no ancillary data'")

    # -- the whole program ---------------------------------------------------
    def assemble(self) -> str:
        for need in list(self.needs):
            self.needs.update(PY_DEPS.get(need, []))
        if "ready" in self.needs:
            self.needs.add("pollbits")
        if self.signals:
            self.imports.add("signal")
            self.needs.add("signals")
        if self.unix_paths:
            self.imports.update({"atexit", "os"})
        name = os.path.basename(self.filename)
        out = [
            "#!/usr/bin/env python3",
            f'"""{name}, exported by `sockplay export --to python`.',
            "",
            "It makes the same system calls as the script, in the same order, and prints",
            "one line per call: `recv b -> 2 \"cc\"`, or `recv b -> -1 EAGAIN` when the call",
            "fails (a failure is a result: the program goes on). An expect that does not",
            'hold prints why and exits with status 1. Only the standard library is used.',
            '"""',
            "",
        ]
        code = "\n".join(self.body) + "".join(PY_HELPERS[h] for h in self.needs if h in PY_HELPERS)
        used = {m for m in self.imports | {"array", "atexit", "fcntl", "os", "select", "signal", "struct", "time"}
                if re.search(rf"\b{m}\.", code)} | ({"atexit", "os"} if self.unix_paths else set())
        out += [f"import {m}" for m in sorted(used)]
        spelled = []
        for cname, value in sorted(self.consts.items(), key=lambda kv: kv[0]):
            if getattr(socket, cname, None) == value:
                continue
            why = "missing from Python's socket module" if not hasattr(socket, cname) else "Linux x86-64 value"
            spelled.append(f"{cname} = {value:#x}  # {why}" if cname.startswith(("SIOC", "FIO")) else
                           f"{cname} = {value}  # {why}")
        if spelled:
            out += ["", "# Constants spelled out (Linux x86-64 values)."] + spelled
        if "show_cmsgs" in self.needs:
            table = {(LEVEL_NUMBERS[lvl], typ): (n, how) for n, (lvl, typ, how) in CMSGS.items()}
            out += ["", f"CMSG_NAMES = {table!r}", f"CMSG_LEVELS = { {v: k for k, v in LEVEL_NUMBERS.items()}!r}"]
        order = ["errname", "show", "result", "closed_socket", "addr_of", "fmt_addr", "wait_ready", "pollbits",
                 "ready", "msgflags", "show_cmsgs", "signals"]
        for h in order:
            if h in self.needs:
                out += ["", PY_HELPERS[h].strip("\n")]
        if self.unix_paths:
            out += ["", "", "def cleanup() -> None:",
                    '    """Remove the socket files this program bound, as sockplay does when a script ends."""',
                    f"    for path in {self.unix_paths!r}:",
                    "        try:",
                    "            os.unlink(path)",
                    "        except OSError:",
                    "            pass",
                    "", "", "atexit.register(cleanup)"]
        out += ["", ""] + [ln for ln in self.body[1:]] if self.body else []
        return "\n".join(out).rstrip() + "\n"


# ====================================================================== C
C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false", "main",
}
C_NAMES = {
    "socket", "socketpair", "bind", "listen", "accept", "connect", "send", "sendto", "sendmsg", "recv",
    "recvfrom", "recvmsg", "setsockopt", "getsockopt", "getsockname", "getpeername", "shutdown", "close",
    "poll", "ioctl", "fcntl", "printf", "putchar", "puts", "exit", "errno", "signal", "unlink", "nanosleep",
    "strlen", "memcpy", "memcmp", "memset", "strcmp", "strcasecmp", "getpid", "getuid", "getgid", "fopen",
    "fgets", "fclose", "snprintf", "inet_pton", "inet_ntop", "write", "time", "stdout", "stderr", "stdin",
    "buf", "sv", "n", "e", "r", "v", "got", "len", "ss", "sl", "fl", "peer", "extra", "fds", "last_ret",
    "last_err", "last_data", "last_len", "last_int", "last_pair", "last_real", "last_text", "last_flags",
    "last_cmsgs", "last_ncmsg", "result", "show", "errname", "addr_of", "fmt_addr", "wait_ready",
    "pollbits", "expect_fail", "expect_ok", "sleep_ms", "sysctl_read", "cleanup", "on_signal", "i", "msg",
    "iov", "control", "cm", "sa_in", "sa_in6", "sa_un", "lookup_name", "sec", "frac", "ts", "tv", "ucred",
    "linger", "timeval", "sockaddr", "pollfd", "msghdr", "iovec", "cmsghdr", "f", "line", "value", "fd",
    "abs", "free", "malloc", "read", "open", "kill", "raise", "sleep", "index", "random", "select",
}
C_RESERVED = frozenset(C_KEYWORDS | C_NAMES)

C_HELPERS: dict[str, str] = {
    "errname": "",  # built from C_ERRNOS in assemble()
    "show": r'''
/* Bytes in double quotes with C escapes, the way sockplay prints received data. */
void show(const unsigned char *p, long n)
{
    putchar('"');
    for (long i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c == '\r')
            printf("\\r");
        else if (c == '\t')
            printf("\\t");
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

/* The same text in a string, for expect messages (long data is cut after 1024 bytes). */
const char *shown(const unsigned char *p, long n)
{
    static char out[1024 * 4 + 8];
    size_t k = 0;
    out[k++] = '"';
    for (long i = 0; i < n && i < 1024; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            k += sprintf(out + k, "\\%c", c);
        else if (c == '\n')
            k += sprintf(out + k, "\\n");
        else if (c == '\r')
            k += sprintf(out + k, "\\r");
        else if (c == '\t')
            k += sprintf(out + k, "\\t");
        else if (c >= 0x20 && c < 0x7f)
            out[k++] = c;
        else
            k += sprintf(out + k, "\\x%02x", c);
    }
    snprintf(out + k, sizeof out - k, n > 1024 ? "...\"" : "\"");
    return out;
}
''',
    "result": r'''
/* What the last call returned, for the expect checks that follow it. */
long last_ret;
int last_err; /* errno of the last call, 0 when it succeeded */
const unsigned char *last_data;
long last_len = -1; /* -1: the last call returned no data */

/* Print one call's result as "what -> ret ..." (or "what -> -1 ENAME") and keep it for expect. */
void result(const char *what, long ret, int err, const unsigned char *data, long len, const char *extra)
{
    last_ret = ret;
    last_err = ret < 0 ? err : 0;
    last_data = data;
    last_len = ret < 0 || !data ? -1 : len;
    last_valued = 0;
    if (ret < 0) {
        printf("%s -> -1 %s\n", what, errname(err));
        fflush(stdout);
        return;
    }
    printf("%s -> %ld", what, ret);
    if (data) {
        putchar(' ');
        show(data, len);
    }
    if (extra && *extra)
        printf(" %s", extra);
    putchar('\n');
    fflush(stdout);
}

/* An expect line of the script: stop with status 1 when it does not hold. */
void expect(int line, const char *text, int ok, const char *actual)
{
    if (ok) {
        printf("  ok: %s\n", text);
        fflush(stdout);
        return;
    }
    printf("EXPECT FAILED at line %d: %s (got %s)\n", line, text, actual);
    exit(1);
}
''',
    "values": r'''
/* The value of the last call that had one (getsockopt, ioctl, ...), by its shape. */
int last_valued;
long long last_int;
int last_pair[2];
double last_real;
char last_text[256];
''',
    "addr_of": r'''
/* A socket's name used as an address means its local address (ephemeral ports included). */
socklen_t addr_of(int other, int family, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof *ss;
    memset(ss, 0, sizeof *ss);
    if (getsockname(other, (struct sockaddr *)ss, &len) < 0)
        return 0;
    if (family == AF_INET6 && ss->ss_family == AF_INET) {
        struct sockaddr_in v4 = *(struct sockaddr_in *)ss;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
        memset(ss, 0, sizeof *ss);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = v4.sin_port;
        v6->sin6_addr.s6_addr[10] = 0xff;
        v6->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&v6->sin6_addr.s6_addr[12], &v4.sin_addr, 4);
        return sizeof *v6;
    }
    if (ss->ss_family == AF_INET && ((struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY))
        ((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)ss)->sin6_addr))
        ((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
    return len;
}
''',
    "sa_in": r'''
/* An IPv4 address and port as a sockaddr. */
socklen_t sa_in(struct sockaddr_storage *ss, const char *host, int port)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, host, &sin->sin_addr);
    return sizeof *sin;
}
''',
    "sa_in6": r'''
/* An IPv6 address, port and scope as a sockaddr. */
socklen_t sa_in6(struct sockaddr_storage *ss, const char *host, int port, unsigned scope)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_scope_id = scope;
    inet_pton(AF_INET6, host, &sin6->sin6_addr);
    return sizeof *sin6;
}
''',
    "sa_un": r'''
/* A unix address: a path, or (abstract) a name starting with a NUL byte. */
socklen_t sa_un(struct sockaddr_storage *ss, const char *path, size_t len)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)ss;
    memset(ss, 0, sizeof *ss);
    sun->sun_family = AF_UNIX;
    if (len > sizeof sun->sun_path)
        len = sizeof sun->sun_path;
    memcpy(sun->sun_path, path, len);
    return offsetof(struct sockaddr_un, sun_path) + len + (path[0] ? 1 : 0);
}
''',
    "fmt_addr": r'''
/* Address text as sockplay shows it: 127.0.0.1:80, [::1]:80, ./path, @abstract. Keeps errno. */
const char *fmt_addr(const struct sockaddr_storage *ss, socklen_t len)
{
    static char out[160];
    char host[INET6_ADDRSTRLEN];
    int saved = errno;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        snprintf(out, sizeof out, "%s:%d", host, ntohs(sin->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        snprintf(out, sizeof out, "[%s]:%d", host, ntohs(sin6->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
        long n = (long)len - (long)offsetof(struct sockaddr_un, sun_path);
        if (n <= 0)
            snprintf(out, sizeof out, "(unnamed)");
        else if (sun->sun_path[0] == '\0')
            snprintf(out, sizeof out, "@%.*s", (int)(n - 1), sun->sun_path + 1);
        else
            snprintf(out, sizeof out, "%.*s", (int)strnlen(sun->sun_path, n), sun->sun_path);
    } else {
        snprintf(out, sizeof out, "(family %d)", ss->ss_family);
    }
    errno = saved;
    return out;
}
''',
    "wait_ready": r'''
/* timeout=MS: wait up to MS for the socket (a nonblocking one does not wait), as sockplay does. */
int wait_ready(int fd, short events, int ms)
{
    struct pollfd p = {fd, events, 0};
    if (fcntl(fd, F_GETFL) & O_NONBLOCK)
        return 1;
    return poll(&p, 1, ms) > 0;
}
''',
    "pollbits": r'''
#define POLL_ALL (POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLRDHUP)

/* POLLIN|POLLOUT for a revents value, 0 for none. */
const char *pollbits(int revents, char *out, size_t size)
{
    static const struct { int bit; const char *name; } names[] = {
        {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"},
        {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDHUP, "POLLRDHUP"},
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (revents & names[i].bit)
            snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "|" : "", names[i].name);
    if (!out[0])
        snprintf(out, size, "0");
    return out;
}
''',
    "ready": r'''
/* expect ready: poll for up to 1 s until all the bits are there. */
void expect_ready(int line, const char *text, int fd, int bits)
{
    struct pollfd p = {fd, POLL_ALL, 0};
    char names[128];
    for (int waited = 0;; waited += 10) {
        p.revents = 0;
        poll(&p, 1, 0);
        if ((p.revents & bits) == bits || waited >= 1000)
            break;
        poll(NULL, 0, 10);
    }
    expect(line, text, (p.revents & bits) == bits, pollbits(p.revents, names, sizeof names));
}
''',
    "msgflags": r'''
int last_flags;

/* The flags recvmsg returned in msg_flags, by name. */
const char *msgflags(int bits)
{
    static char out[128];
    static const struct { int bit; const char *name; } names[] = {
        {MSG_OOB, "MSG_OOB"}, {MSG_CTRUNC, "MSG_CTRUNC"}, {MSG_TRUNC, "MSG_TRUNC"}, {MSG_EOR, "MSG_EOR"},
        {MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (bits & names[i].bit)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? "|" : "", names[i].name);
    return out;
}
''',
    "show_cmsgs": "",  # built from CMSGS in assemble()
    "sleep_ms": r'''
void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
''',
    "sysctl_read": r'''
/* Read one /proc/sys/net/core value as text (sysctl in sockplay). */
long sysctl_read(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    if (!fgets(out, (int)size, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}
''',
    "signals": r'''
/* SIGIO and SIGURG would end (or be lost to) a program that does not catch them: print them. */
static volatile sig_atomic_t sig_arrived[2]; /* SIGIO, SIGURG */
static int sig_counted[2];

void on_signal(int sig)
{
    const char *m = sig == SIGIO ? "signal SIGIO\n" : "signal SIGURG\n";
    sig_arrived[sig == SIGIO ? 0 : 1]++;
    if (write(1, m, strlen(m)) < 0)
        return;
}

/* 1 once a signal arrived that no earlier check counted (waits up to a second). */
int wait_signal(int which)
{
    for (int i = 0; i < 100 && sig_arrived[which] <= sig_counted[which]; i++)
        usleep(10000);
    int ok = sig_arrived[which] > sig_counted[which];
    sig_counted[which] = sig_arrived[which];
    return ok;
}
''',
}
C_ORDER = ["errname", "show", "values", "result", "addr_of", "sa_in", "sa_in6", "sa_un", "fmt_addr",
           "wait_ready", "pollbits", "ready", "msgflags", "show_cmsgs", "sleep_ms", "sysctl_read", "signals"]


class CGen(Generator):
    """Writes a C program that compiles cleanly with `cc -Wall -Werror`."""

    lang = "C"
    reserved = C_RESERVED

    def __init__(self, filename: str, source: list[str]) -> None:
        super().__init__(filename, source)
        self.needs.update({"result", "errname", "show", "values"})
        self.names_tables: dict[str, dict[int, str]] = {}

    def w(self, *lines: str, indent: int = 1) -> None:
        self.body.extend(("    " * indent + ln) if ln else "" for ln in lines)

    def comment_step(self, cmd: Command) -> None:
        self.w("", f"/* line {cmd.line}: {_c_comment(self.source_line(cmd))} */")

    def left_out(self, cmd: Command, why: str) -> None:
        self.w(f"/* left out: {_c_comment(why)} */")

    def block(self, lines: list[str], head: str = "{", indent: int = 1) -> None:
        self.w(head, indent=indent)
        for ln in lines:
            self.w(ln, indent=indent + 1)
        self.w("}", indent=indent)

    def flag_expr(self, words: list[str]) -> str:
        return " | ".join(self.msg_flags(words)) or "0"

    def addr_lines(self, cmd: Command, key: str, s: Sock) -> list[str]:
        """Lines filling `ss`/`sl` with the address; the caller declares them."""
        how, a = self.address(cmd, key, s)
        if how == "sock":
            self.needs.add("addr_of")
            return [f"sl = addr_of({a.var}, {s.family}, &ss); /* {a.name}'s local address, asked at run time */"]
        if s.family == "AF_INET":
            self.needs.add("sa_in")
            return [f"sl = sa_in(&ss, {_c_text(a[0])}, {a[1]});"]
        if s.family == "AF_INET6":
            self.needs.add("sa_in6")
            return [f"sl = sa_in6(&ss, {_c_text(a[0])}, {a[1]}, {a[3]});"]
        self.needs.add("sa_un")
        raw = a if isinstance(a, bytes) else a.encode()
        return [f"sl = sa_un(&ss, {_c_string(raw)}, {len(raw)});"]

    # -- sockets -------------------------------------------------------------
    def do_socket(self, cmd: Command) -> None:
        a = cmd.args
        fam = flags.lookup(a["family"], flags.FAMILIES, "family")
        typ = flags.lookup(a["type"], flags.TYPES, "type")
        proto = flags.lookup(a.get("proto") or 0, flags.PROTOCOLS, "protocol")
        s = self.new_sock(a["name"], fam.name, typ.name)
        tbits = " | ".join([typ.name] + [f"SOCK_{f.upper()}" for f in a.get("sockflags", [])])
        self.const(proto.name, proto.value)
        self.w(f"{s.var} = socket({fam.name}, {tbits}, {proto.name});")
        self.w(f"result({_c_text('socket ' + s.name)}, {s.var}, errno, NULL, 0, NULL);")
        self.set_last(None)

    def do_socketpair(self, cmd: Command) -> None:
        a = cmd.args
        typ = flags.lookup(a.get("type") or "stream", flags.TYPES, "type")
        s1 = self.new_sock(a["name"], "AF_UNIX", typ.name)
        s2 = self.new_sock(a["name2"], "AF_UNIX", typ.name)
        self.block([
            "int sv[2] = {-1, -1};",
            f"int r = socketpair(AF_UNIX, {typ.name}, 0, sv);",
            "int e = errno;",
            "char extra[32];",
            f"{s1.var} = sv[0];",
            f"{s2.var} = sv[1];",
            'snprintf(extra, sizeof extra, "[%d, %d]", sv[0], sv[1]);',
            f"result({_c_text(f'socketpair {s1.name} {s2.name}')}, r, e, NULL, 0, extra);",
        ])
        self.set_last(None)

    def _addr_call(self, cmd: Command, call: str) -> None:
        s = self.sock(cmd)
        lines = ["struct sockaddr_storage ss;", "socklen_t sl;"] + self.addr_lines(cmd, "addr", s)
        lines += [f"int r = {call}({s.var}, (struct sockaddr *)&ss, sl);",
                  f"result({_c_text(f'{call} {s.name}')}, r, errno, NULL, 0, NULL);"]
        if cmd.args.get("timeout") is not None:
            self.w("/* timeout= is not exported: this connect waits as long as the kernel lets it */")
        self.block(lines)
        self.set_last(None)

    def do_bind(self, cmd: Command) -> None:
        self._addr_call(cmd, "bind")

    def do_connect(self, cmd: Command) -> None:
        self._addr_call(cmd, "connect")

    def do_listen(self, cmd: Command) -> None:
        s = self.sock(cmd)
        backlog = cmd.args.get("backlog")
        backlog = DEFAULT_BACKLOG if backlog is None else backlog
        self.block([f"int r = listen({s.var}, {backlog});",
                    f"result({_c_text('listen ' + s.name)}, r, errno, NULL, 0, NULL);"])
        self.set_last(None)

    def do_accept(self, cmd: Command) -> None:
        s = self.sock(cmd)
        name = cmd.args.get("newname") or self.auto_name("a")
        if name in self.socks:
            raise cmd.error(f"a socket named {name!r} already exists", "newname")
        new = self.new_sock(name, s.family, s.type)
        self.needs.add("fmt_addr")
        lines = ["struct sockaddr_storage ss;", "socklen_t sl = sizeof ss;", "int e;", "char extra[200];"]
        if cmd.args.get("timeout") is not None:
            self.needs.add("wait_ready")
            lines += [f"if (!wait_ready({s.var}, POLLIN, {cmd.args['timeout']})) {{ /* timeout=: give up with EAGAIN */",
                      f"    {new.var} = -1;", "    e = EAGAIN;", "} else {",
                      f"    {new.var} = accept({s.var}, (struct sockaddr *)&ss, &sl);", "    e = errno;", "}"]
        else:
            lines += [f"{new.var} = accept({s.var}, (struct sockaddr *)&ss, &sl);", "e = errno;"]
        lines += [f"snprintf(extra, sizeof extra, \"%s from %s\", {_c_text(new.name)}, fmt_addr(&ss, sl));",
                  f"result({_c_text('accept ' + s.name)}, {new.var}, e, NULL, 0, extra);",
                  f"snprintf(last_text, sizeof last_text, \"%s\", {_c_text(new.name)});",
                  f"last_valued = {new.var} >= 0;"]
        self.block(lines)
        self.set_last("text")
        self.value_codec = None

    def do_shutdown(self, cmd: Command) -> None:
        s = self.sock(cmd)
        how = "SHUT_" + cmd.args["how"].upper()
        self.block([f"int r = shutdown({s.var}, {how});",
                    f"result({_c_text('shutdown ' + s.name)}, r, errno, NULL, 0, NULL);"])
        self.set_last(None)

    def do_close(self, cmd: Command) -> None:
        s = self.sock(cmd)
        self.block([f"int r = close({s.var});",
                    f"result({_c_text('close ' + s.name)}, r, errno, NULL, 0, NULL);"])
        del self.socks[s.name]
        self.set_last(None)

    # -- data ----------------------------------------------------------------
    def loop_head(self, cmd: Command) -> str:
        count = cmd.args.get("count", 1)
        return f"for (int i = 0; i < {count}; i++) {{ /* count={count} */" if count > 1 else "{"

    def timeout_lines(self, cmd: Command, s: Sock, fl: str, events: str) -> tuple[list[str], str]:
        words = cmd.args.get("flags") or []
        if cmd.args.get("timeout") is None or "dontwait" in words:
            return [], fl
        self.needs.add("wait_ready")
        self.const("MSG_DONTWAIT", 0x40)
        return [f"int flags = {fl};",
                f"if (!wait_ready({s.var}, {events}, {cmd.args['timeout']})) /* timeout= */",
                "    flags |= MSG_DONTWAIT; /* the kernel then says EAGAIN itself */"], "flags"

    def _send(self, cmd: Command, addr_key: str | None) -> None:
        s = self.sock(cmd)
        fl = self.flag_expr(cmd.args.get("flags"))
        data = cmd.args["data"]
        lines, fl = self.timeout_lines(cmd, s, fl, "POLLOUT")
        what = _c_text(f"{cmd.name} {s.name}")
        if addr_key:
            lines = ["struct sockaddr_storage ss;", "socklen_t sl;"] + self.addr_lines(cmd, addr_key, s) + lines
            lines.append(f"ssize_t n = sendto({s.var}, {_c_string(data)}, {len(data)}, {fl}, "
                         "(struct sockaddr *)&ss, sl);")
        else:
            lines.append(f"ssize_t n = send({s.var}, {_c_string(data)}, {len(data)}, {fl});")
        lines.append(f"result({what}, n, errno, NULL, 0, NULL);")
        self.block(lines, self.loop_head(cmd))
        self.set_last(None)

    def do_send(self, cmd: Command) -> None:
        self._send(cmd, None)

    def do_sendto(self, cmd: Command) -> None:
        self._send(cmd, "addr")

    def do_sendmsg(self, cmd: Command) -> None:
        s = self.sock(cmd)
        fl = self.flag_expr(cmd.args.get("flags"))
        data = cmd.args["data"]
        rights = [self.sock(cmd, "rights", n) for n in cmd.args.get("rights") or []]
        creds = bool(cmd.args.get("creds"))
        lines = [f"struct iovec iov = {{(void *){_c_string(data)}, {len(data)}}};",
                 "struct msghdr msg;",
                 "union { char buf[CMSG_SPACE(sizeof(int) * 16) + CMSG_SPACE(sizeof(struct ucred))]; "
                 "struct cmsghdr align; } control;",
                 "struct cmsghdr *cm;",
                 "memset(&msg, 0, sizeof msg);",
                 "memset(&control, 0, sizeof control);",
                 "msg.msg_iov = &iov;",
                 "msg.msg_iovlen = 1;"]
        if cmd.args.get("to"):
            lines = ["struct sockaddr_storage ss;", "socklen_t sl;"] + lines + self.addr_lines(cmd, "to", s)
            lines += ["msg.msg_name = &ss;", "msg.msg_namelen = sl;"]
        if rights or creds:
            if len(rights) > 16:
                raise cmd.error("export passes at most 16 sockets in one sendmsg", "rights")
            space = []
            if rights:
                space.append(f"CMSG_SPACE(sizeof(int) * {len(rights)})")
            if creds:
                space.append("CMSG_SPACE(sizeof(struct ucred))")
            lines += ["msg.msg_control = control.buf;", f"msg.msg_controllen = {' + '.join(space)};",
                      "cm = CMSG_FIRSTHDR(&msg);"]
            if rights:
                fds = ", ".join(r.var for r in rights)
                lines += [f"int fds[{len(rights)}] = {{{fds}}}; /* SCM_RIGHTS: pass these sockets */",
                          "cm->cmsg_level = SOL_SOCKET;", "cm->cmsg_type = SCM_RIGHTS;",
                          "cm->cmsg_len = CMSG_LEN(sizeof fds);", "memcpy(CMSG_DATA(cm), fds, sizeof fds);"]
                if creds:
                    lines.append("cm = CMSG_NXTHDR(&msg, cm);")
            if creds:
                lines += ["struct ucred uc = {getpid(), getuid(), getgid()}; /* SCM_CREDENTIALS */",
                          "cm->cmsg_level = SOL_SOCKET;", "cm->cmsg_type = SCM_CREDENTIALS;",
                          "cm->cmsg_len = CMSG_LEN(sizeof uc);", "memcpy(CMSG_DATA(cm), &uc, sizeof uc);"]
        else:
            lines.append("(void)cm;")
        lines += [f"ssize_t n = sendmsg({s.var}, &msg, {fl});",
                  f"result({_c_text('sendmsg ' + s.name)}, n, errno, NULL, 0, NULL);"]
        self.block(lines, self.loop_head(cmd))
        self.set_last(None)

    def _recv(self, cmd: Command) -> None:
        s = self.sock(cmd)
        size = self.size(cmd)
        words = cmd.args.get("flags") or []
        fl = self.flag_expr(words)
        count = cmd.args.get("count", 1)
        what = _c_text(f"{cmd.name} {s.name}")
        lines, fl = self.timeout_lines(cmd, s, fl, "POLLIN | POLLPRI")
        trunc_stream = s.stream and "trunc" in words
        length = "0" if trunc_stream else f"n < {size} ? n : {size}"
        if trunc_stream:
            lines.append("/* MSG_TRUNC on a stream socket throws the bytes away without copying them */")
        if cmd.name == "recv":
            lines += [f"ssize_t n = recv({s.var}, buf, {size}, {fl});", "int e = errno;",
                      f"result({what}, n, e, buf, {length}, NULL);"]
        elif cmd.name == "recvfrom":
            self.needs.add("fmt_addr")
            lines += ["struct sockaddr_storage ss;", "socklen_t sl = sizeof ss;", "char extra[200] = \"\";",
                      f"ssize_t n = recvfrom({s.var}, buf, {size}, {fl}, (struct sockaddr *)&ss, &sl);",
                      "int e = errno;",
                      "if (n >= 0 && sl > 0)",
                      '    snprintf(extra, sizeof extra, "from %s", fmt_addr(&ss, sl));',
                      f"result({what}, n, e, buf, {length}, extra);"]
        else:
            anc = cmd.args.get("anc", 256)
            self.needs.update({"fmt_addr", "msgflags", "show_cmsgs"})
            for n, v in (("MSG_ERRQUEUE", 0x2000), ("MSG_CMSG_CLOEXEC", 0x40000000)):
                self.const(n, v)
            lines += ["struct sockaddr_storage ss;",
                      f"struct iovec iov = {{buf, {size}}};",
                      *([f"union {{ char buf[{anc}]; struct cmsghdr align; }} control;"] if anc else []),
                      "struct msghdr msg;",
                      "char extra[300] = \"\";",
                      "memset(&msg, 0, sizeof msg);",
                      "msg.msg_name = &ss;",
                      "msg.msg_namelen = sizeof ss;",
                      "msg.msg_iov = &iov;",
                      "msg.msg_iovlen = 1;",
                      f"msg.msg_control = {'control.buf' if anc else 'NULL'};",
                      f"msg.msg_controllen = {anc};",
                      f"ssize_t n = recvmsg({s.var}, &msg, {fl});",
                      "int e = errno;",
                      "if (n >= 0 && msg.msg_namelen > 0)",
                      '    snprintf(extra, sizeof extra, "from %s", fmt_addr(&ss, msg.msg_namelen));',
                      "if (n >= 0 && msg.msg_flags)",
                      '    snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%sflags %s", '
                      'extra[0] ? " " : "", msgflags(msg.msg_flags));',
                      f"result({what}, n, e, buf, {length}, extra);",
                      "last_flags = n >= 0 ? msg.msg_flags : 0;",
                      "show_cmsgs(n >= 0 ? &msg : NULL);"]
        if count > 1:
            lines.append("if (n < 0)")
            lines.append("    break; /* the first error ends the tries */")
            if s.stream and size != 0:
                lines.append("if (n == 0)")
                lines.append("    break; /* end of stream: more tries would say the same */")
        self.block(lines, self.loop_head(cmd))
        self.set_last(None, msg=cmd.name == "recvmsg")

    def do_recv(self, cmd: Command) -> None:
        self._recv(cmd)

    def do_recvfrom(self, cmd: Command) -> None:
        self._recv(cmd)

    def do_recvmsg(self, cmd: Command) -> None:
        self._recv(cmd)

    # -- options -------------------------------------------------------------
    def names_table(self, kind: str, c: codecs.Codec) -> str:
        table = {n: d for n in range(0, 300) if isinstance(d := c.decode(struct.pack("i", n)), str)}
        self.names_tables[kind] = table
        return f"{kind}_name"

    def read_option(self, s: Sock, row: catalog.OptionRow, c: codecs.Codec, readback: bool) -> list[str]:
        """Lines reading the option into `got` and, when that worked, `extra` ("value ...") and a last_* slot.

        As a read-back (after setsockopt) it runs only when `r == 0`; otherwise it sets `r` and `e` itself.
        """
        k = row.kind
        if k in INT_KINDS or k in SYMBOLIC_KINDS or k == "errno":
            decl, ptr = ["int got = 0;", "socklen_t len = sizeof got;"], "&got"
        elif k in U64_KINDS:
            decl, ptr = ["unsigned long long got = 0;", "socklen_t len = sizeof got;"], "&got"
        elif k == "linger":
            decl, ptr = ["struct linger got = {0, 0};", "socklen_t len = sizeof got;"], "&got"
        elif k == "timeval":
            decl, ptr = ["struct timeval got = {0, 0};", "socklen_t len = sizeof got;"], "&got"
        elif k in TEXT_KINDS:
            decl, ptr = ['char got[17] = "";', "socklen_t len = 16;"], "got"
        elif k == "ucred":
            decl, ptr = ["struct ucred got = {0, 0, 0};", "socklen_t len = sizeof got;"], "&got"
        else:
            decl, ptr = [f"unsigned char got[{c.size}];", "socklen_t len = sizeof got;"], "got"
        call = f"getsockopt({s.var}, {row.level}, {row.name}, {ptr}, &len)"
        if readback:
            lines = decl + [f"if (r == 0 && {call} == 0) {{"]
        else:
            lines = decl + [f"int r = {call};", "int e = errno;", "if (r == 0) {"]
        if k in INT_KINDS:
            body = ['snprintf(extra, sizeof extra, "value %d", got);', "last_int = got;"]
        elif k in U64_KINDS:
            body = ['snprintf(extra, sizeof extra, "value %llu", got);', "last_int = (long long)got;"]
        elif k in SYMBOLIC_KINDS or k == "errno":
            shown = f"{self.names_table(k, c)}(got)" if k != "errno" else 'got ? errname(got) : "0"'
            body = [f'snprintf(last_text, sizeof last_text, "%s", {shown});',
                    'snprintf(extra, sizeof extra, "value %s", last_text);']
        elif k == "linger":
            body = ['snprintf(extra, sizeof extra, "value %d,%d", got.l_onoff, got.l_linger);',
                    "last_pair[0] = got.l_onoff;", "last_pair[1] = got.l_linger;"]
        elif k == "timeval":
            body = ["last_real = got.tv_sec + got.tv_usec / 1e6;", 'snprintf(extra, sizeof extra, "value %g", last_real);']
        elif k in TEXT_KINDS:
            body = ['snprintf(last_text, sizeof last_text, "%s", got);', 'snprintf(extra, sizeof extra, "value %s", got);']
        elif k == "ucred":
            body = ['snprintf(extra, sizeof extra, "value pid=%d uid=%u gid=%u", (int)got.pid, '
                    "(unsigned)got.uid, (unsigned)got.gid);"]
        else:
            body = ['snprintf(extra, sizeof extra, "value hex:");',
                    "for (socklen_t i = 0; i < len; i++)",
                    '    snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%02x", got[i]);']
        if self.value_kind(k):
            body.append("valued = 1;")
        return lines + ["    " + b for b in body] + ["}"]

    def do_setsockopt(self, cmd: Command) -> None:
        s = self.sock(cmd)
        row, c = self.option(cmd)
        raw = c.encode(cmd.args["value"])
        if not isinstance(raw, bytes):
            raise cmd.error(f"{row.name}: this value cannot be exported", "value")
        k = row.kind
        if k in INT_KINDS or k in SYMBOLIC_KINDS:
            decl = f"int v = {struct.unpack('i', raw)[0]};"
            size = "sizeof v"
        elif k in U64_KINDS:
            number = struct.unpack("Q", raw.ljust(8, bytes(1)))[0]
            decl = f"unsigned long long v = {number}ULL;"
            size = "sizeof v"
        elif k == "linger":
            decl = "struct linger v = {{{}, {}}};".format(*struct.unpack("ii", raw))
            size = "sizeof v"
        elif k == "timeval":
            decl = "struct timeval v = {{{}, {}}};".format(*struct.unpack("ll", raw))
            size = "sizeof v"
        elif k in TEXT_KINDS:
            decl = f"const char v[] = {_c_string(raw)};"
            size = f"{len(raw)}"
        else:
            decl = f"const unsigned char v[{max(len(raw), 1)}] = {{{', '.join(str(b) for b in raw) or '0'}}};"
            size = f"{len(raw)}"
        lines = [decl, f"int r = setsockopt({s.var}, {row.level}, {row.name}, &v, {size});", "int e = errno;",
                 'char extra[300] = "";', "int valued = 0;"]
        vk = None
        if row.readable and row.name != "SO_ERROR":
            lines.append("/* sockplay reads the option back to show what the kernel kept */")
            lines += self.read_option(s, row, c, readback=True)
            vk = self.value_kind(k)
        lines += [f"result({_c_text(f'setsockopt {s.name} {row.name}')}, r, e, NULL, 0, extra);",
                  "last_valued = valued;"]
        self.block(lines)
        self.set_last(vk)
        self.value_codec = k

    def do_getsockopt(self, cmd: Command) -> None:
        s = self.sock(cmd)
        row, c = self.option(cmd)
        lines = ['char extra[300] = "";', "int valued = 0;"] + self.read_option(s, row, c, readback=False)
        lines += [f"result({_c_text(f'getsockopt {s.name} {row.name}')}, r, e, NULL, 0, extra);",
                  "last_valued = valued;"]
        self.block(lines)
        self.set_last(self.value_kind(row.kind))
        self.value_codec = row.kind

    def _name_call(self, cmd: Command) -> None:
        s = self.sock(cmd)
        self.needs.add("fmt_addr")
        self.block(["struct sockaddr_storage ss;", "socklen_t sl = sizeof ss;",
                    f"int r = {cmd.name}({s.var}, (struct sockaddr *)&ss, &sl);", "int e = errno;",
                    'snprintf(last_text, sizeof last_text, "%s", r == 0 ? fmt_addr(&ss, sl) : "");',
                    f"result({_c_text(f'{cmd.name} {s.name}')}, r, e, NULL, 0, last_text);",
                    "last_valued = r == 0;"])
        self.set_last("text")
        self.value_codec = None

    def do_getsockname(self, cmd: Command) -> None:
        self._name_call(cmd)

    def do_getpeername(self, cmd: Command) -> None:
        self._name_call(cmd)

    def do_poll(self, cmd: Command) -> None:
        socks = self.poll_names(cmd)
        self.needs.add("pollbits")
        timeout = cmd.args.get("timeout", 0)
        fds = ", ".join(f"{{{s.var}, POLL_ALL, 0}}" for s in socks)
        lines = [f"struct pollfd fds[{len(socks)}] = {{{fds}}};", "char extra[600] = \"\", bits[128];",
                 f"int n = poll(fds, {len(socks)}, {timeout});", "int e = errno;"]
        for i, s in enumerate(socks):
            sep = '" "' if i else '""'
            lines.append(f'snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s{s.name}=%s", '
                         f"{sep}, pollbits(fds[{i}].revents, bits, sizeof bits));")
        lines.append("result(\"poll\", n, e, NULL, 0, extra);")
        self.block(lines)
        self.set_last(None)

    def do_ioctl(self, cmd: Command) -> None:
        from sockplay.core import ioctls

        s = self.sock(cmd)
        row = ioctls.ioctl(cmd.args["request"])
        self.const(row.name, row.number)
        what = _c_text(f"ioctl {s.name} {row.name}")
        value = cmd.args.get("value")
        if row.arg == "get_int":
            lines = ["int v = 0;", "char extra[64] = \"\";", f"int r = ioctl({s.var}, {row.name}, &v);", "int e = errno;",
                     "if (r >= 0)", '    snprintf(extra, sizeof extra, "value %d", v);',
                     f"result({what}, r, e, NULL, 0, extra);", "last_int = v;", "last_valued = r >= 0;"]
            vk: str | None = "int"
        elif row.arg == "set_int":
            if value is None:
                value = "getpid()" if row.name in ("SIOCSPGRP", "FIOSETOWN") else "1"
            lines = [f"int v = {value};", f"int r = ioctl({s.var}, {row.name}, &v);",
                     f"result({what}, r, errno, NULL, 0, NULL);"]
            vk = None
        else:
            struct_ = "struct timeval" if row.arg == "get_timeval" else "struct timespec"
            frac = "tv_usec / 1e6" if row.arg == "get_timeval" else "tv_nsec / 1e9"
            sec = "tv_sec"
            lines = [f"{struct_} v = {{0, 0}};", "char extra[64] = \"\";", f"int r = ioctl({s.var}, {row.name}, &v);",
                     "int e = errno;", f"last_real = v.{sec} + v.{frac};",
                     "if (r >= 0)", '    snprintf(extra, sizeof extra, "value %.6f", last_real);',
                     f"result({what}, r, e, NULL, 0, extra);", "last_valued = r >= 0;"]
            vk = "real"
        self.block(lines)
        self.set_last(vk)
        self.value_codec = None

    def do_fcntl(self, cmd: Command) -> None:
        s = self.sock(cmd)
        op = cmd.args["op"]
        value = cmd.args.get("value")
        what = _c_text(f"fcntl {s.name} {op}")
        if op in ("nonblock", "async"):
            bit = "O_NONBLOCK" if op == "nonblock" else "O_ASYNC"
            new = f"fl | {bit}" if value else f"fl & ~{bit}"
            lines = [f"int fl = fcntl({s.var}, F_GETFL);", f"int r = fcntl({s.var}, F_SETFL, {new});",
                     f"result({what}, r, errno, NULL, 0, NULL);", f"last_int = {1 if value else 0};",
                     "last_valued = r >= 0;"]
        elif op == "setown":
            pid = "getpid()" if value is None else str(value)
            lines = [f"int r = fcntl({s.var}, F_SETOWN, {pid});", f"result({what}, r, errno, NULL, 0, NULL);",
                     f"last_int = {pid};", "last_valued = r >= 0;"]
        elif op == "getown":
            lines = [f"int r = fcntl({s.var}, F_GETOWN);", f"result({what}, r, errno, NULL, 0, NULL);",
                     "last_int = r;", "last_valued = 1;"]
        elif op == "getfl":
            lines = [f"int r = fcntl({s.var}, F_GETFL);",
                     f"result({what}, r, errno, NULL, 0, r >= 0 && (r & O_NONBLOCK) ? \"O_NONBLOCK\" : \"\");",
                     "last_int = r;", "last_valued = r >= 0;"]
        else:
            self.const("F_SETSIG", 10)
            lines = [f"int r = fcntl({s.var}, F_SETSIG, {value or 0});", f"result({what}, r, errno, NULL, 0, NULL);",
                     f"last_int = {value or 0};", "last_valued = r >= 0;"]
        self.block(lines)
        self.set_last("int")
        self.value_codec = None

    def do_sysctl(self, cmd: Command) -> None:
        key = cmd.args.get("key")
        keys = [key] if key else [r.key for r in sysctl.SYSCTLS]
        self.needs.add("sysctl_read")
        for k in keys:
            path = f"{sysctl.BASE}/{k}"
            self.block([f"long r = sysctl_read({_c_text(path)}, last_text, sizeof last_text);", "int e = errno;",
                        f"result({_c_text('sysctl ' + k)}, r, e, NULL, 0, last_text);", "last_valued = r == 0;"])
        self.set_last("text")
        self.value_codec = None

    # -- script commands -----------------------------------------------------
    def do_sleep(self, cmd: Command) -> None:
        self.needs.add("sleep_ms")
        self.w(f"sleep_ms({cmd.args['ms']});")

    def do_echo(self, cmd: Command) -> None:
        self.w(f"printf(\"%s\\n\", {_c_text(' '.join(cmd.args.get('text', [])))});")

    def expect_line(self, cmd: Command, text: str, ok: str, actual: str) -> None:
        self.w(f"expect({cmd.line}, {_c_text(text)}, {ok}, {actual});")

    def expect_signal(self, cmd: Command, text: str, sig: str) -> None:
        which = 0 if sig == "SIGIO" else 1
        self.w(f"expect({cmd.line}, {_c_text(text)}, wait_signal({which}), \"no {sig}\");")

    def expect_ready(self, cmd: Command, text: str, s: Sock, bits: list[str]) -> None:
        self.needs.update({"ready", "pollbits"})
        self.w(f"expect_ready({cmd.line}, {_c_text(text)}, {s.var}, {' | '.join(bits)});")

    def expect_ret(self, cmd: Command, text: str, want: int) -> None:
        self.block(["char got[32];", 'snprintf(got, sizeof got, "%ld", last_ret);'] + [
            f"expect({cmd.line}, {_c_text(text)}, last_ret == {want}, got);"])

    def expect_errno(self, cmd: Command, text: str, want: str | None) -> None:
        if want is None:
            self.expect_line(cmd, text, "last_err == 0", "last_err ? errname(last_err) : \"0 (no error)\"")
        else:
            self.expect_line(cmd, text, f"last_err == {want}", "last_err ? errname(last_err) : \"0 (no error)\"")

    def expect_data(self, cmd: Command, text: str, want: bytes) -> None:
        self.expect_line(cmd, text,
                         f"last_len == {len(want)} && memcmp(last_data, {_c_string(want)}, {len(want)}) == 0",
                         "last_len < 0 ? \"no data\" : shown(last_data, last_len)")

    def expect_value(self, cmd: Command, text: str, vk: str, want: Any) -> None:
        if vk == "int":
            self.block(["char got[32];", 'snprintf(got, sizeof got, "%lld", last_int);',
                        f"expect({cmd.line}, {_c_text(text)}, last_valued && last_int == {want}LL, got);"])
        elif vk == "pair":
            self.block(["char got[32];", 'snprintf(got, sizeof got, "%d,%d", last_pair[0], last_pair[1]);',
                        f"expect({cmd.line}, {_c_text(text)}, last_valued && last_pair[0] == {want[0]} "
                        f"&& last_pair[1] == {want[1]}, got);"])
        elif vk == "real":
            self.block(["char got[32];", 'snprintf(got, sizeof got, "%g", last_real);',
                        f"expect({cmd.line}, {_c_text(text)}, last_valued && last_real > {want!r} - 1e-6 "
                        f"&& last_real < {want!r} + 1e-6, got);"])
        else:
            self.expect_line(cmd, text, f"last_valued && strcasecmp(last_text, {_c_text(str(want))}) == 0", "last_text")

    def expect_flags(self, cmd: Command, text: str, names: list[str]) -> None:
        mask = " | ".join(names)
        self.expect_line(cmd, text, f"(last_flags & ({mask})) == ({mask})", "msgflags(last_flags)")

    def expect_cmsg(self, cmd: Command, text: str, name: str, value: str | None) -> None:
        cond = f"has_cmsg({_c_text(name)}, {_c_text(value) if value is not None else 'NULL'})"
        self.expect_line(cmd, text, cond, "last_ncmsg ? \"other control messages\" : \"no ancillary data\"")

    # -- the whole program ---------------------------------------------------
    def errname_c(self) -> str:
        cases = "\n".join(f"#ifdef {n}\n    case {n}: return \"{n}\";\n#endif" for n in C_ERRNOS)
        return (
            "\n/* The errno's name as sockplay prints it. */\n"
            "static const char *errname(int e)\n{\n    static char other[32];\n    switch (e) {\n"
            f"{cases}\n    }}\n"
            '    snprintf(other, sizeof other, "E%d", e);\n    return other;\n}\n'
        )

    def cmsgs_c(self) -> str:
        rows = []
        for name, (lvl, typ, how) in CMSGS.items():
            rows.append(f'        {{{LEVEL_NUMBERS[lvl]}, {typ}, "{lvl}", "{name}", "{how}"}},')
        table = "\n".join(rows)
        return r'''
/* Control messages recvmsg returned, decoded and printed; kept for expect cmsg. */
struct { char name[32]; char value[160]; } last_cmsgs[16];
int last_ncmsg;

void show_cmsgs(struct msghdr *msg)
{
    static const struct { int level, type; const char *level_name, *name, *how; } known[] = {
''' + table + r'''
    };
    last_ncmsg = 0;
    if (!msg)
        return;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        const unsigned char *p = CMSG_DATA(cm);
        size_t n = cm->cmsg_len - CMSG_LEN(0);
        const char *level = "?", *name = "?", *how = "";
        char value[160], unknown[32];
        snprintf(unknown, sizeof unknown, "type %d", cm->cmsg_type);
        name = unknown;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (known[i].level == cm->cmsg_level && known[i].type == cm->cmsg_type) {
                level = known[i].level_name;
                name = known[i].name;
                how = known[i].how;
            }
        if (!strcmp(how, "fds")) {
            value[0] = '\0';
            for (size_t i = 0; i + sizeof(int) <= n; i += sizeof(int)) {
                int fd;
                memcpy(&fd, p + i, sizeof fd);
                snprintf(value + strlen(value), sizeof value - strlen(value), "%s%d", i ? "," : "", fd);
            }
        } else if (!strcmp(how, "ucred") && n >= sizeof(struct ucred)) {
            struct ucred uc;
            memcpy(&uc, p, sizeof uc);
            snprintf(value, sizeof value, "pid=%d uid=%u gid=%u", (int)uc.pid, (unsigned)uc.uid, (unsigned)uc.gid);
        } else if ((!strcmp(how, "timeval") || !strcmp(how, "timespec")) && n >= 16) {
            long long t[2];
            memcpy(t, p, sizeof t);
            snprintf(value, sizeof value, !strcmp(how, "timeval") ? "%lld.%06lld" : "%lld.%09lld", t[0], t[1]);
        } else if (!strcmp(how, "u32") && n >= 4) {
            unsigned v;
            memcpy(&v, p, sizeof v);
            snprintf(value, sizeof value, "%u", v);
        } else if (!strcmp(how, "int") && n >= 4) {
            int v;
            memcpy(&v, p, sizeof v);
            snprintf(value, sizeof value, "%d", v);
        } else if (!strcmp(how, "u8") && n >= 1) {
            snprintf(value, sizeof value, "%u", p[0]);
        } else {
            snprintf(value, sizeof value, "%zu bytes", n);
        }
        printf("    cmsg %s %s %s\n", level, name, value);
        if (last_ncmsg < 16) {
            snprintf(last_cmsgs[last_ncmsg].name, sizeof last_cmsgs[0].name, "%s", name);
            snprintf(last_cmsgs[last_ncmsg].value, sizeof last_cmsgs[0].value, "%s", value);
            last_ncmsg++;
        }
    }
    fflush(stdout);
}

int has_cmsg(const char *name, const char *value)
{
    for (int i = 0; i < last_ncmsg; i++)
        if (!strcmp(last_cmsgs[i].name, name) && (!value || !strcmp(last_cmsgs[i].value, value)))
            return 1;
    return 0;
}
'''

    def assemble(self) -> str:
        name = os.path.basename(self.filename)
        out = [
            f"/* {_c_comment(name)}, exported by `sockplay export --to c`.",
            " *",
            " * It makes the same system calls as the script, in the same order, and prints",
            ' * one line per call: `recv b -> 2 "cc"`, or `recv b -> -1 EAGAIN` when the call',
            " * fails (a failure is a result: the program goes on). An expect that does not",
            " * hold prints why and exits with status 1.",
            " *",
            f" * Build and run: cc -Wall -o prog {_c_comment(os.path.splitext(name)[0])}.c && ./prog",
            " */",
            "#define _GNU_SOURCE",
        ]
        out += [f"#include <{h}>" for h in (
            "arpa/inet.h", "errno.h", "fcntl.h", "netinet/in.h", "netinet/tcp.h", "poll.h", "signal.h",
            "stddef.h", "stdio.h", "stdlib.h", "string.h", "strings.h", "sys/ioctl.h", "sys/socket.h",
            "sys/types.h", "sys/un.h", "time.h", "unistd.h")]
        if self.consts:
            out += ["", "/* Constants spelled out for C libraries that lack them (Linux x86-64 values). */"]
            for cname, value in sorted(self.consts.items()):
                shown = f"{value:#x}" if cname.startswith(("SIOC", "FIO", "MSG_")) else str(value)
                out += [f"#ifndef {cname}", f"#define {cname} {shown}", "#endif"]
        for kind, table in self.names_tables.items():
            cases = "\n".join(f'    case {n}: return "{d}";' for n, d in table.items())
            out += ["", f"/* {kind} values by name, as getsockopt returns them as numbers. */",
                    f"const char *{kind}_name(int v)", "{", "    static char other[16];", "    switch (v) {",
                    cases, "    }", '    snprintf(other, sizeof other, "%d", v);', "    return other;", "}"]
        if "buf" in self.needs:
            out.append(f"\n/* Room for the largest receive of the script. */\nunsigned char buf[{self.max_buf}];")
        for h in C_ORDER:
            if h not in self.needs:
                continue
            if h == "errname":
                out.append(self.errname_c())
            elif h == "show_cmsgs":
                out.append(self.cmsgs_c())
            else:
                out.append(C_HELPERS[h])
        if self.signals:
            out.append(C_HELPERS["signals"])
        if self.unix_paths:
            unl = "\n".join(f"    unlink({_c_string(p.encode())});" for p in self.unix_paths)
            out.append("/* Remove the socket files this program bound, as sockplay does when a script ends. */\n"
                       f"static void cleanup(void)\n{{\n{unl}\n}}\n")
        socks = sorted(set(self.vars.values()))
        out += ["int main(void)", "{"]
        if socks:
            out.append("    int " + ", ".join(f"{v} = -1" for v in socks) + ";")
        out += ["", "    /* Python, and so sockplay, ignores SIGPIPE: a send to a closed peer returns EPIPE. */",
                "    signal(SIGPIPE, SIG_IGN);"]
        if self.signals:
            out += ["    signal(SIGIO, on_signal);", "    signal(SIGURG, on_signal);"]
        if self.unix_paths:
            out.append("    atexit(cleanup);")
        out += self.body
        if socks:
            out += ["", "    (void)" + ";\n    (void)".join(socks) + ";"]
        out += ["    return 0;", "}"]
        return "\n".join(out) + "\n"


# ====================================================================== entry points
GENERATORS: dict[str, type[Generator]] = {"python": PythonGen, "c": CGen}


def export_text(text: str, to: str, filename: str = "script.sp") -> str:
    """The program for a script's text; raises ScriptError (line and column) when it cannot be written."""
    commands, errors = check_script(text)
    if errors:
        raise errors[0]
    gen = GENERATORS[to](filename, text.splitlines())
    return gen.run(commands)


def _refuse_protocol_forms(cmd: Command, lang: str) -> None:
    """Forms of issue 14 that the generated programs do not reproduce: say so instead of exporting less."""
    from sockplay.core.names import split_host

    if cmd.args.get("until") is not None:
        raise cmd.error(f"recv ... until cannot be exported to {lang} (it is a loop of peeks and sized reads)", "until")
    if cmd.name == "connect" and split_host(str(cmd.args.get("addr", ""))):
        raise cmd.error(f"connecting to a host name cannot be exported to {lang}; give an address such as 127.0.0.1:80",
                        "addr")
    if cmd.name == "expect" and cmd.args.get("regex") is not None:
        raise cmd.error(f"expect data ~ /REGEX/ cannot be exported to {lang}; use expect data with the exact bytes")


def export_cli(args: Any) -> int:
    """`sockplay export FILE --to python|c [-o OUT]`: 0 written, 2 the script cannot be exported."""
    path = args.file
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"sockplay export: cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_SCRIPT
    lines = text.splitlines()
    _, errors = check_script(text)  # every line that does not parse, as `sockplay run` lists them
    try:
        if errors:
            raise errors[0]
        program = export_text(text, args.to, path)
    except ScriptError as exc:
        msg = ""
        for e in errors or [exc]:
            msg += f"{e.format(path)}\n"
            if 1 <= e.line <= len(lines):
                msg += f"    {lines[e.line - 1].expandtabs(1)}\n    {' ' * max(e.col - 1, 0)}^\n"
        print(msg + f"sockplay export: {path} cannot be exported to {args.to}\n", file=sys.stderr, end="")
        return EXIT_SCRIPT
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(program)
        if args.to == "python":
            os.chmod(args.output, 0o755)
    else:
        sys.stdout.write(program)
    return EXIT_OK
