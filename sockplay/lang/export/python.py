"""The Python back end of `sockplay export`: a Python 3 program using only the standard library.

Why: one small back end per language, fed by the typed Commands of plan.py.
Every value reaches the program through literals.py (repr of bytes, str and
int), never as script text.
"""

from __future__ import annotations

import builtins
import keyword
import os
import re
import socket
import struct
from typing import Any

from sockplay.core import catalog, codecs, flags
from sockplay.lang.export.literals import py_bytes, py_comment, py_float, py_int, py_str, py_value
from sockplay.lang.export.plan import (
    CMSGS,
    DEFAULT_BACKLOG,
    INT_KINDS,
    LEVEL_NUMBERS,
    SYMBOLIC_KINDS,
    TEXT_KINDS,
    U64_KINDS,
    Generator,
    Sock,
)
from sockplay.lang.export.python_helpers import PY_DEPS, PY_HELPERS
from sockplay.lang.parser import Command

PY_RESERVED = frozenset(
    set(keyword.kwlist) | set(dir(builtins)) | {
        "errno", "fcntl", "os", "select", "signal", "socket", "struct", "sys", "time", "array", "atexit",
        "last", "buf", "n", "peer", "to", "OPEN", "ClosedSocket", "at_end", "forget", "after_bind", "LOCAL", "BOUND", "exc", "got", "fl", "p", "value", "anc", "mflags", "result", "failure",
        "expect", "show", "errname", "addr_of", "fmt_addr", "set_timeo", "close_all", "ready", "pollbits", "show_cmsgs",
        "cmsg_list", "sysctl", "cleanup", "closed_socket", "pair", "sec", "usec", "names", "fds", "raw",
    }
)

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
        self.w("", f"# line {cmd.line}: {py_comment(self.source_line(cmd))}")

    def left_out(self, cmd: Command, why: str) -> None:
        self.w(f"# left out: {why}")

    def c(self, name: str) -> str:
        """A constant: socket.NAME when Python has it with this value, else the spelled-out name."""
        value = self.consts.get(name)
        if value is not None and getattr(socket, name, None) == value:
            return f"socket.{name}"
        return name

    def flag_expr(self, words: list[str] | None) -> str:
        names = self.msg_flags(words)
        return " | ".join(self.c(n) for n in names) or "0"

    def addr_expr(self, cmd: Command, key: str, s: Sock) -> str:
        how, a = self.address(cmd, key, s)
        if how == "sock":
            self.needs.add("addr_of")
            return f"addr_of({py_str(a.name)}, {a.var}, {self.family_expr(s.family)})"
        return py_value(a)

    def addr_first(self, cmd: Command, key: str, s: Sock, indent: int = 0) -> str:
        """The address, with another socket's name looked up (getsockname) before the call, as sockplay does."""
        addr = self.addr_expr(cmd, key, s)
        if addr.startswith("addr_of("):
            self.w(f"to = {addr}", indent=indent)
            return "to"
        return addr

    @staticmethod
    def family_expr(name: str) -> str:
        return f"socket.{name}" if hasattr(socket, name) else str(flags.lookup(name, flags.FAMILIES, "family").value)

    def try_call(self, what: str, lines: list[str], indent: int = 0, on_fail: list[str] | None = None,
                 cmd: Command | None = None, s: Sock | None = None) -> None:
        """The call in try/except OSError; with `timeout=`, SO_RCVTIMEO/SO_SNDTIMEO set before and put back after."""
        timeo = self.call_timeout(cmd, s) if cmd is not None and s is not None else None
        var = s.var if s is not None else ""
        if timeo and cmd is not None:
            opt, (sec, usec), (old_sec, old_usec) = timeo
            self.needs.add("set_timeo")
            self.imports.add("struct")
            self.w(f"set_timeo({var}, {self.c(opt)}, {py_int(sec)}, {py_int(usec)})  "
                   f"# timeout={py_int(cmd.args['timeout'])}: the kernel's timeout for this call", indent=indent)
        self.w("try:", indent=indent)
        for ln in lines:
            self.w(ln, indent=indent + 1)
        self.w("except OSError as exc:", indent=indent)
        self.w(f"failure({py_value(what)}, exc)", indent=indent + 1)
        for ln in on_fail or []:
            self.w(ln, indent=indent + 1)
        if timeo:
            self.w("finally:", indent=indent)
            self.w(f"set_timeo({var}, {self.c(opt)}, {py_int(old_sec)}, {py_int(old_usec)})  # put back",
                   indent=indent + 1)

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
        self.needs.update({"closed_socket", "open_sockets"})
        what = f"socket {s.name}"
        self.try_call(what, [
            f"{s.var} = socket.socket({self.family_expr(fam.name)}, {tbits}, {proto_expr})",
            f"OPEN[{py_str(s.name)}] = {s.var}",
            f"forget({py_str(s.name)})",
            f"result({py_value(what)}, {s.var}.fileno())",
        ], on_fail=[f"{s.var} = closed_socket()"])
        self.set_last(None)

    def do_socketpair(self, cmd: Command) -> None:
        a = cmd.args
        typ = flags.lookup(a.get("type") or "stream", flags.TYPES, "type")
        s1 = self.new_sock(a["name"], "AF_UNIX", typ.name)
        s2 = self.new_sock(a["name2"], "AF_UNIX", typ.name)
        self.needs.update({"closed_socket", "open_sockets"})
        what = f"socketpair {s1.name} {s2.name}"
        self.try_call(what, [
            f"{s1.var}, {s2.var} = socket.socketpair(socket.AF_UNIX, socket.{typ.name})",
            f"OPEN[{py_str(s1.name)}], OPEN[{py_str(s2.name)}] = {s1.var}, {s2.var}",
            f"forget({py_str(s1.name)})",
            f"forget({py_str(s2.name)})",
            f"result({py_value(what)}, 0, extra=f\"[{{{s1.var}.fileno()}}, {{{s2.var}.fileno()}}]\")",
        ], on_fail=[f"{s1.var}, {s2.var} = closed_socket(), closed_socket()"])
        self.set_last(None)

    def do_bind(self, cmd: Command) -> None:
        s = self.sock(cmd)
        addr = self.addr_expr(cmd, "addr", s)
        what = f"bind {s.name}"
        self.needs.add("addr_of")
        lines = [f"{s.var}.bind({addr})"]
        if s.family in ("AF_INET", "AF_INET6", "AF_UNIX"):
            lines.append(f"after_bind({py_str(s.name)}, {s.var}, {addr})")
        else:
            lines.append(f"BOUND.add({py_str(s.name)})")
        self.try_call(what, lines + [f"result({py_value(what)}, 0)"])
        self.set_last(None)

    def do_listen(self, cmd: Command) -> None:
        s = self.sock(cmd)
        backlog = cmd.args.get("backlog")
        backlog = DEFAULT_BACKLOG if backlog is None else backlog
        what = f"listen {s.name}"
        self.needs.add("addr_of")
        self.try_call(what, [f"{s.var}.listen({py_int(backlog)})", f"BOUND.add({py_str(s.name)})",
                             f"result({py_value(what)}, 0)"])
        self.set_last(None)

    def do_connect(self, cmd: Command) -> None:
        s = self.sock(cmd)
        addr = self.addr_first(cmd, "addr", s)
        what = f"connect {s.name}"
        self.needs.add("addr_of")
        self.try_call(what, [f"{s.var}.connect({addr})", f"BOUND.add({py_str(s.name)})", f"result({py_value(what)}, 0)"],
                      cmd=cmd, s=s)
        self.set_last(None)

    def do_accept(self, cmd: Command) -> None:
        s = self.sock(cmd)
        name = cmd.args.get("newname") or self.auto_name("a")
        if name in self.socks:
            raise cmd.error(f"a socket named {name!r} already exists", "newname")
        new = self.new_sock(name, s.family, s.type)
        self.needs.update({"fmt_addr", "closed_socket", "open_sockets"})
        what = f"accept {s.name}"
        lines = [
            f"{new.var}, peer = {s.var}.accept()  # accept4(..., SOCK_CLOEXEC), as sockplay calls it",
            f"OPEN[{py_str(new.name)}] = {new.var}",
            f"forget({py_str(new.name)})",
            f"BOUND.add({py_str(new.name)})",
            f"result({py_value(what)}, {new.var}.fileno(), value={py_value(new.name)}, extra={py_value(new.name)} + ' from ' + fmt_addr(peer))",
        ]
        self.try_call(what, lines, on_fail=[f"{new.var} = closed_socket()"], cmd=cmd, s=s)
        self.set_last("text")
        self.value_codec = None

    def do_shutdown(self, cmd: Command) -> None:
        s = self.sock(cmd)
        what = f"shutdown {s.name}"
        how = cmd.args["how"].upper()
        self.try_call(what, [f"{s.var}.shutdown(socket.SHUT_{how})", f"result({py_value(what)}, 0)"])
        self.set_last(None)

    def do_close(self, cmd: Command) -> None:
        s = self.sock(cmd)
        what = f"close {s.name}"
        self.try_call(what, [f"OPEN.pop({py_str(s.name)}, None)", f"forget({py_str(s.name)})", f"{s.var}.close()", f"result({py_value(what)}, 0)"])
        del self.socks[s.name]
        self.set_last(None)

    # -- data ----------------------------------------------------------------
    def count_loop(self, cmd: Command) -> int:
        count = cmd.args.get("count", 1)
        if count > 1:
            self.w(f"for _ in range({py_int(count)}):  # count={py_int(count)}")
        return 1 if count > 1 else 0

    def _send(self, cmd: Command, call: str, addr_key: str | None) -> None:
        s = self.sock(cmd)
        fl = self.flag_expr(cmd.args.get("flags"))
        data = cmd.args["data"]
        what = f"{cmd.name} {s.name}"
        ind = self.count_loop(cmd)
        lines = []
        if addr_key:
            addr = self.addr_first(cmd, addr_key, s, ind)
            lines.append(f"n = {s.var}.sendto({py_value(data)}, {fl}, {addr})")
        else:
            lines.append(f"n = {s.var}.send({py_value(data)}, {fl})")
        lines.append(f"result({py_value(what)}, n)")
        self.try_call(what, lines, indent=ind, cmd=cmd, s=s)
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
        args = f"[{py_bytes(cmd.args['data'])}], [{', '.join(anc)}], {fl}"
        if cmd.args.get("to"):
            args += ", " + self.addr_expr(cmd, "to", s)
        ind = self.count_loop(cmd)
        self.try_call(what, [f"n = {s.var}.sendmsg({args})", f"result({py_value(what)}, n)"], indent=ind)
        self.set_last(None)

    def _recv(self, cmd: Command) -> None:
        s = self.sock(cmd)
        size = self.size(cmd)
        words = cmd.args.get("flags") or []
        fl = self.flag_expr(words)
        what = f"{cmd.name} {s.name}"
        count = cmd.args.get("count", 1)
        ind = self.count_loop(cmd)
        lines = [f"buf = bytearray({py_int(size)})"]
        trunc_stream = s.stream and "trunc" in words
        data = 'b""' if trunc_stream else "bytes(buf[:n])"
        if trunc_stream:
            lines.append("# MSG_TRUNC on a stream socket throws the bytes away without copying them")
        if cmd.name == "recv":
            lines += [f"n = {s.var}.recv_into(buf, {py_int(size)}, {fl})", f"result({py_value(what)}, n, data={data})"]
        elif cmd.name == "recvfrom":
            self.needs.add("fmt_addr")
            lines += [f"n, peer = {s.var}.recvfrom_into(buf, {py_int(size)}, {fl})",
                      f"result({py_value(what)}, n, data={data}, extra=('from ' + fmt_addr(peer)) if peer else '')"]
        else:
            anc = cmd.args.get("anc", 256)
            self.needs.update({"show_cmsgs", "msgflags", "fmt_addr"})
            self.imports.add("struct")
            lines += [
                f"n, anc, mflags, peer = {s.var}.recvmsg_into([buf], {py_int(anc)}, {fl})",
                "extra = ' '.join(x for x in (('from ' + fmt_addr(peer)) if peer else '',"
                " ('flags ' + msgflags(mflags)) if msgflags(mflags) else '') if x)",
                f"result({py_value(what)}, n, data={data}, extra=extra, mflags=mflags)",
                "last['cmsgs'] = cmsg_list(anc)",
            ]
        if count > 1 and s.stream and size != 0:
            lines.append("if n == 0:")
            lines.append("    break  # end of stream: more tries would say the same")
        self.try_call(what, lines, indent=ind, on_fail=["break"] if count > 1 else None, cmd=cmd, s=s)
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
            lines.append(f"result({py_value(what)}, 0, value=value, extra='value ' + {shown})")
            vk = self.value_kind(k)
        else:
            lines.append(f"result({py_value(what)}, 0)")
        self.try_call(what, lines)
        self.set_last(vk)
        self.value_codec = k

    def do_getsockopt(self, cmd: Command) -> None:
        s = self.sock(cmd)
        row, c = self.option(cmd)
        read, shown = self.read_option(s, row, c)
        what = f"getsockopt {s.name} {row.name}"
        self.try_call(what, read.split("\n") + [f"result({py_value(what)}, 0, value=value, extra='value ' + {shown})"])
        self.set_last(self.value_kind(row.kind))
        self.value_codec = row.kind

    def _name_call(self, cmd: Command) -> None:
        s = self.sock(cmd)
        self.needs.add("fmt_addr")
        what = f"{cmd.name} {s.name}"
        self.try_call(what, [f"value = fmt_addr({s.var}.{cmd.name}())", f"result({py_value(what)}, 0, value=value, extra=value)"])
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
        lines.append(f"got = dict(p.poll({py_int(timeout)}))")
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
                     f"result({py_value(what)}, 0, value=value, extra=f'value {{value}}')"]
            vk = "int"
        elif row.arg == "set_int":
            if value is None:  # the engine's default: this process for the owner requests, else 1
                arg = "os.getpid()" if row.name in ("SIOCSPGRP", "FIOSETOWN") else "1"
                self.imports.add("os")
            else:
                arg = py_int(value)  # typed and range-checked by plan.typed_args
            lines = [f"fcntl.ioctl({s.var}.fileno(), {row.name}, struct.pack('i', {arg}))",
                     f"result({py_value(what)}, 0)"]
            vk = None
        else:
            frac = "1e6" if row.arg == "get_timeval" else "1e9"
            lines = [f"sec, frac = struct.unpack('qq', fcntl.ioctl({s.var}.fileno(), {row.name}, bytes(16)))",
                     f"value = sec + frac / {frac}",
                     f"result({py_value(what)}, 0, value=value, extra=f'value {{value:.6f}}')"]
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
                     f"value = {py_int(1 if value else 0)}", f"result({py_value(what)}, 0)"]
        elif op == "setown":
            pid = "os.getpid()" if value is None else py_int(value)
            lines = [f"value = {pid}", f"n = fcntl.fcntl({fd}, fcntl.F_SETOWN, value)", f"result({py_value(what)}, n)"]
        elif op == "getown":
            lines = [f"value = fcntl.fcntl({fd}, fcntl.F_GETOWN)", f"result({py_value(what)}, value)"]
        elif op == "getfl":
            lines = [f"value = fcntl.fcntl({fd}, fcntl.F_GETFL)",
                     f"result({py_value(what)}, value, extra='O_NONBLOCK' if value & os.O_NONBLOCK else '')"]
        else:  # setsig
            self.consts["F_SETSIG"] = 10
            lines = [f"value = {py_int(value or 0)}", f"n = fcntl.fcntl({fd}, F_SETSIG, value)", f"result({py_value(what)}, n)"]
        lines[-1] = lines[-1][:-1] + ", value=value)"  # keep the value for expect value
        self.try_call(what, lines)
        self.set_last(vk)
        self.value_codec = None

    def do_sysctl(self, cmd: Command) -> None:
        for row in cmd.args["rows"]:  # rows of sysctl.SYSCTLS: the key was looked up, never pasted
            path = row.path
            what = f"sysctl {row.key}"
            self.try_call(what, [f"with open({py_value(path)}) as f:", "    value = f.read().strip()",
                                 f"result({py_value(what)}, 0, value=value, extra=value)"])
        self.set_last("text")
        self.value_codec = None

    # -- script commands -----------------------------------------------------
    def do_sleep(self, cmd: Command) -> None:
        self.imports.add("time")
        self.w(f"time.sleep({py_float(cmd.args['ms'] / 1000)})")

    def do_echo(self, cmd: Command) -> None:
        self.w(f"print({py_str(' '.join(cmd.args.get('text', [])))}, flush=True)")

    def expect_line(self, cmd: Command, text: str, ok: str, actual: str) -> None:
        self.w(f"expect({cmd.line}, {py_value(text)}, {ok}, {actual})")

    def expect_signal(self, cmd: Command, text: str, sig: str) -> None:
        self.imports.add("time")
        self.w(f"expect({cmd.line}, {py_value(text)}, *wait_signal({py_value(sig)}))")

    def expect_ready(self, cmd: Command, text: str, s: Sock, bits: list[str]) -> None:
        self.needs.add("ready")
        self.imports.update({"select", "time"})
        mask = " | ".join(f"select.{b}" if hasattr(__import__("select"), b) else "0x2000" for b in bits)
        self.w(f"expect({cmd.line}, {py_value(text)}, *ready({s.var}, {mask}))")

    def expect_ret(self, cmd: Command, text: str, want: int) -> None:
        self.expect_line(cmd, text, f"last['ret'] == {py_int(want)}", "str(last['ret'])")

    def expect_errno(self, cmd: Command, text: str, want: str | None) -> None:
        self.expect_line(cmd, text, f"last['errno'] == {py_value(want)}", "last['errno'] or '0 (no error)'")

    def expect_data(self, cmd: Command, text: str, want: bytes) -> None:
        self.expect_line(cmd, text, f"last['data'] == {py_value(want)}",
                         "show(last['data']) if last['data'] is not None else 'no data'")

    def expect_value(self, cmd: Command, text: str, vk: str, want: Any) -> None:
        if vk == "real":
            self.expect_line(cmd, text, f"last['value'] is not None and abs(last['value'] - {py_float(want)}) < 1e-6",
                             "str(last['value'])")
        elif vk == "text":
            self.expect_line(cmd, text, f"str(last['value']).lower() == {py_str(str(want).lower())}", "str(last['value'])")
        else:
            self.expect_line(cmd, text, f"last['value'] == {py_value(want)}", "str(last['value'])")

    def expect_flags(self, cmd: Command, text: str, names: list[str]) -> None:
        mask = " | ".join(self.c(n) for n in names)
        self.expect_line(cmd, text, f"last['flags'] & ({mask}) == ({mask})", "msgflags(last['flags']) or 'no flags'")

    def expect_cmsg(self, cmd: Command, text: str, name: str, value: str | None) -> None:
        cond = f"any(n == {py_value(name)}" + (f" and v == {py_str(value)}" if value is not None else "") + " for n, v in last['cmsgs'])"
        self.expect_line(cmd, text, cond, "', '.join(f'{n} {v}' for n, v in last['cmsgs']) or 'no ancillary data'")

    # -- the whole program ---------------------------------------------------
    def assemble(self) -> str:
        while True:  # helpers needed by the helpers needed, and so on
            more = {d for need in self.needs for d in PY_DEPS.get(need, [])} - self.needs
            if not more:
                break
            self.needs |= more
        if "ready" in self.needs:
            self.needs.add("pollbits")
        if self.signals:
            self.imports.add("signal")
            self.needs.add("signals")
        self.imports.update({"atexit", "os"})
        name = py_comment(os.path.basename(self.filename)).replace("\\", "/").replace('"', "'")
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
                if re.search(rf"\b{m}\.", code)} | {"atexit", "os"}
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
        order = ["errname", "show", "result", "closed_socket", "open_sockets", "set_timeo", "addr_of", "fmt_addr", "pollbits",
                 "ready", "msgflags", "show_cmsgs", "signals"]
        for h in order:
            if h in self.needs:
                out += ["", PY_HELPERS[h].strip("\n")]
        end = ["", "", "def at_end() -> None:",
               '    """When the script ends (or an expect fails), close the sockets still open, in order, then remove',
               '    the socket files it bound, as sockplay does."""']
        if self.signals:
            end += ["    # A close can raise SIGIO: ignore SIGIO and SIGURG from here on.",
                    "    for sig in (signal.SIGIO, signal.SIGURG):",
                    "        signal.signal(sig, signal.SIG_IGN)"]
        if "open_sockets" in self.needs:
            end.append("    close_all()")
        if self.unix_paths:
            end += [f"    for path in {py_value(self.unix_paths)}:",
                    "        try:",
                    "            os.unlink(path)",
                    "        except OSError:",
                    "            pass"]
        if len(end) > 5:
            out += end + ["", "", "atexit.register(at_end)"]
        out += ["", ""] + [ln for ln in self.body[1:]] if self.body else []
        return "\n".join(out).rstrip() + "\n"

