"""The description of the calls a script makes, shared by every export back end.

Why: `sockplay export` must write what `sockplay run` would do, and nothing a
script's text could smuggle in. The script is parsed by the language's own
parser; `typed_args` then turns every free-text value into a typed value with
the same functions the engine uses (codecs.parse_int, the option codecs,
addresses.parse, the ioctl and sysctl tables), so a value `run` rejects is
rejected here with the same message. The Generator walks those typed
Commands, keeps track of which sockets exist (their family and type decide
how addresses and values are written) and hands each step to a back end
(python.py, c.py), which writes values only through literals.py. Anything it
cannot write faithfully is a ScriptError naming the line (exit 2).
"""

from __future__ import annotations

import dataclasses
import errno as _errno
import re
import struct
from dataclasses import dataclass
from typing import Any

from sockplay.core import addresses, catalog, codecs, flags, ioctls, limits, sysctl
from sockplay.core.errors import UsageError
from sockplay.lang.executor import Executor
from sockplay.lang.export.literals import text_bytes
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import Command

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



def _errno_name(code: int) -> str:
    for name in PREFERRED_ERRNO:
        if getattr(_errno, name) == code:
            return name
    return _errno.errorcode.get(code, f"E{code}")



# `timeout=` is the kernel's own (issue 9): sockplay sets SO_RCVTIMEO (receives, accept) or SO_SNDTIMEO
# (sends, connect) for the one call and puts the socket's own value back afterwards.
TIMEOUT_OPTION = {"recv": "SO_RCVTIMEO", "recvfrom": "SO_RCVTIMEO", "recvmsg": "SO_RCVTIMEO",
                  "accept": "SO_RCVTIMEO", "send": "SO_SNDTIMEO", "sendto": "SO_SNDTIMEO", "connect": "SO_SNDTIMEO"}
NO_TIMEOUT = (0, 0)


def timeout_timeval(ms: int) -> tuple[int, int]:
    """A `timeout=` in ms as the engine's (tv_sec, tv_usec): 0 becomes 1 us, since a zero timeval means for ever."""
    if ms <= 0:
        return (0, 1)
    return divmod(int(ms) * 1000, 1_000_000)


def fcntl_int(n: int) -> int:
    """The int fcntl(2) receives when Python's fcntl.fcntl is given `n`: CPython keeps the low 32 bits."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def typed_args(cmd: Command) -> dict[str, Any]:
    """The command's arguments with every free-text value replaced by the typed value the engine would use.

    Raises UsageError with the engine's message for a value `sockplay run` rejects.
    Addresses are typed later, by Generator.address, since they depend on the socket's family.
    """
    a = dict(cmd.args)
    name = cmd.name
    if name == "ioctl":
        row = ioctls.ioctl(a["request"])
        a["request"] = row.name
        value = a.get("value")
        if row.arg == "set_int" and value not in (None, ""):
            a["value"] = ioctls.int_value(row, value)
        else:
            a["value"] = None
    elif name == "fcntl":
        op, value = a["op"], a.get("value")
        if op in ("nonblock", "async"):
            a["value"] = bool(codecs.parse_int(True if value is None else value, op))
        elif op == "setown":  # a C int, checked as the engine checks it
            a["value"] = None if value in (None, "") else limits.c_int(value, "pid")
        elif op == "setsig":
            a["value"] = limits.c_int(value or 0, "signal")
        else:
            a["value"] = None
    elif name == "setsockopt":
        opt = catalog.option(a["option"])
        if opt.kind in READ_HOOK_KINDS:
            return a  # Generator.option refuses these with its own reason
        raw = codecs.codec(opt.kind).encode(a["value"])
        if not isinstance(raw, bytes):
            raise UsageError(f"{opt.name} ({opt.kind}) cannot be exported: its value points into memory")
        a["raw"] = raw
    elif name == "sysctl":
        key = a.get("key")
        a["rows"] = list(sysctl.SYSCTLS) if key in (None, "") else [sysctl.row(key)]
    elif name == "echo":
        a["text"] = [str(t) for t in a.get("text", [])]
    return a


def typed_command(cmd: Command) -> Command:
    """The Command with typed arguments; a value `run` rejects is a ScriptError at the column `run` names."""
    try:
        args = typed_args(cmd)
    except UsageError as exc:
        raise ScriptError(cmd.line, Executor._blame(cmd, str(exc)), str(exc)) from None
    return dataclasses.replace(cmd, args=args)


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
        self.unix_paths: list[bytes] = []  # socket files bound, to remove at the end as sockplay does
        self.last_value: str | None = None  # int, pair, real, text: what `expect value` compares
        self.last_call: str | None = None
        self.last_msg = False  # the last call was recvmsg: flags and cmsgs can be checked
        self.signals = False
        self.timeouts: dict[str, dict[str, tuple[int, int]]] = {}  # socket -> SO_RCVTIMEO/SO_SNDTIMEO it holds
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
            cmd = typed_command(cmd)
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
            if cmd.name == "setsockopt":
                self.remember_timeout(cmd)
            if cmd.spec.calls:
                self.last_call = cmd.name
        return self.assemble()

    def remember_timeout(self, cmd: Command) -> None:
        """The engine remembers a socket's SO_RCVTIMEO/SO_SNDTIMEO to put it back after a `timeout=` call."""
        row = catalog.option(cmd.args["option"])
        raw = cmd.args.get("raw")
        if row.name in ("SO_RCVTIMEO", "SO_SNDTIMEO") and isinstance(raw, bytes) and len(raw) == 16:
            self.timeouts.setdefault(cmd.args["sock"], {})[row.name] = struct.unpack("ll", raw)

    def call_timeout(self, cmd: Command, s: Sock) -> tuple[str, tuple[int, int], tuple[int, int]] | None:
        """For a call with `timeout=`: the option set for it, the timeval set, and the one put back after."""
        ms = cmd.args.get("timeout")
        if ms is None or cmd.name not in TIMEOUT_OPTION:
            return None
        opt = TIMEOUT_OPTION[cmd.name]
        self.const(opt, catalog.option(opt).number)
        return opt, timeout_timeval(ms), self.timeouts.get(s.name, {}).get(opt, NO_TIMEOUT)

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
        self.timeouts[name] = {}
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
        except ValueError as exc:  # a NUL byte or a lone surrogate in the text
            raise ScriptError(cmd.line, cmd.col_of(key),
                              f"{text!r} is not an address ({exc}); expected {addresses.ADDR_HELP}") from None
        if s.family == "AF_UNIX" and isinstance(sa, str):
            sa = text_bytes(sa)  # a path is bytes for the kernel: NULs and any byte value travel as they are
            created = sa.split(b"\0", 1)[0]  # the kernel names the file up to the first NUL
            if cmd.name == "bind" and created and created not in self.unix_paths:
                self.unix_paths.append(created)
        return "lit", sa

    def const(self, name: str, value: int) -> str:
        self.consts[name] = value
        return name

    def msg_flags(self, words: list[str] | None) -> list[str]:
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
        self.left_out(cmd, "sockets prints sockplay's own table of names (and any reads it makes to fill it "
                           "in are left out with it)")

    def do_cancel(self, cmd: Command) -> None:
        raise cmd.error(f"cancel interrupts a call waiting in another of sockplay's threads; the {self.lang} "
                        "program runs one call at a time, so cancel cannot be exported")

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
