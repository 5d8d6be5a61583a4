"""The C back end of `sockplay export`: a C program that compiles cleanly with `cc -Wall -Werror`.

Why: one small back end per language, fed by the typed Commands of plan.py.
Every value reaches the program through literals.py (string literals with
three-digit octal escapes, integers range-checked for their C type), never as
script text.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from sockplay.core import catalog, codecs, flags
from sockplay.lang.export.c_helpers import C_HELPERS, C_ORDER
from sockplay.lang.export.literals import (
    c_comment,
    c_double,
    c_fits,
    c_int,
    c_string,
    c_text,
    text_bytes,
)
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
    fcntl_int,
)
from sockplay.lang.parser import Command

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

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false", "main",
}
C_NAMES = {
    "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "send", "sendto", "sendmsg", "recv",
    "recvfrom", "recvmsg", "setsockopt", "getsockopt", "getsockname", "getpeername", "shutdown", "close",
    "poll", "ioctl", "fcntl", "printf", "putchar", "puts", "exit", "errno", "signal", "unlink", "nanosleep",
    "strlen", "memcpy", "memcmp", "memset", "strcmp", "strcasecmp", "getpid", "getuid", "getgid", "fopen",
    "fgets", "fclose", "snprintf", "inet_pton", "inet_ntop", "write", "time", "stdout", "stderr", "stdin",
    "buf", "sv", "n", "e", "r", "v", "got", "len", "ss", "sl", "fl", "peer", "extra", "fds", "last_ret",
    "last_err", "last_data", "last_len", "last_int", "last_pair", "last_real", "last_text", "last_flags",
    "last_cmsgs", "last_ncmsg", "result", "show", "errname", "addr_of", "fmt_addr", "set_timeo", "track",
    "untrack", "close_all", "open_fds", "n_open", "at_end", "old", "forget", "mark_bound", "after_bind",
    "local_addr", "local_len", "is_bound", "MAX_FD",
    "pollbits", "expect_fail", "expect_ok", "sleep_ms", "sysctl_read", "cleanup", "on_signal", "i", "msg",
    "iov", "control", "cm", "sa_in", "sa_in6", "sa_un", "lookup_name", "sec", "frac", "ts", "tv", "ucred",
    "linger", "timeval", "sockaddr", "pollfd", "msghdr", "iovec", "cmsghdr", "f", "line", "value", "fd",
    "abs", "free", "malloc", "read", "open", "kill", "raise", "sleep", "index", "random", "select",
}
C_RESERVED = frozenset(C_KEYWORDS | C_NAMES)

def c_equal(var: str, want: int, ctype: str) -> str:
    """`var == want`, or a condition that cannot hold when `want` does not fit the variable's C type."""
    if c_fits(want, ctype):
        return f"{var} == {c_int(want, ctype)}"
    return f"0 /* {want} does not fit a C {ctype}: {var} can never equal it */"


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
        self.w("", f"/* line {cmd.line}: {c_comment(self.source_line(cmd))} */")

    def left_out(self, cmd: Command, why: str) -> None:
        self.w(f"/* left out: {c_comment(why)} */")

    def block(self, lines: list[str], head: str = "{", indent: int = 1) -> None:
        self.w(head, indent=indent)
        for ln in lines:
            self.w(ln, indent=indent + 1)
        self.w("}", indent=indent)

    def flag_expr(self, words: list[str] | None) -> str:
        return " | ".join(self.msg_flags(words)) or "0"

    def addr_lines(self, cmd: Command, key: str, s: Sock) -> list[str]:
        """Lines filling `ss`/`sl` with the address; the caller declares them."""
        how, a = self.address(cmd, key, s)
        if how == "sock":
            self.needs.update({"addr_of", "open_sockets"})
            return [f"sl = addr_of({a.var}, {s.family}, &ss); /* {a.name}'s local address, asked at run time */"]
        if s.family == "AF_INET":
            self.needs.add("sa_in")
            return [f"sl = sa_in(&ss, {c_text(a[0])}, {c_int(a[1], what='port')});"]
        if s.family == "AF_INET6":
            self.needs.add("sa_in6")
            return [f"sl = sa_in6(&ss, {c_text(a[0])}, {c_int(a[1], what='port')}, {c_int(a[3], 'unsigned', 'scope')});"]
        self.needs.add("sa_un")
        raw = a if isinstance(a, bytes) else text_bytes(a)
        return [f"sl = sa_un(&ss, {c_string(raw)}, {len(raw)});"]

    # -- sockets -------------------------------------------------------------
    def do_socket(self, cmd: Command) -> None:
        a = cmd.args
        fam = flags.lookup(a["family"], flags.FAMILIES, "family")
        typ = flags.lookup(a["type"], flags.TYPES, "type")
        proto = flags.lookup(a.get("proto") or 0, flags.PROTOCOLS, "protocol")
        s = self.new_sock(a["name"], fam.name, typ.name)
        # Python (and so sockplay) always opens sockets with SOCK_CLOEXEC: the program does the same.
        sockflags = {f"SOCK_{f.upper()}" for f in a.get("sockflags", [])} | {"SOCK_CLOEXEC"}
        tbits = " | ".join([typ.name] + sorted(sockflags))
        self.const(proto.name, proto.value)
        self.needs.add("open_sockets")
        self.w(f"{s.var} = socket({fam.name}, {tbits}, {proto.name});")
        self.w(f"result({c_text('socket ' + s.name)}, {s.var}, errno, NULL, 0, NULL);")
        self.w(f"track({s.var});")
        self.set_last(None)

    def do_socketpair(self, cmd: Command) -> None:
        a = cmd.args
        typ = flags.lookup(a.get("type") or "stream", flags.TYPES, "type")
        s1 = self.new_sock(a["name"], "AF_UNIX", typ.name)
        s2 = self.new_sock(a["name2"], "AF_UNIX", typ.name)
        self.block([
            "int sv[2] = {-1, -1};",
            f"int r = socketpair(AF_UNIX, {typ.name} | SOCK_CLOEXEC, 0, sv); /* CLOEXEC as Python passes it */",
            "int e = errno;",
            "char extra[32];",
            f"{s1.var} = sv[0];",
            f"{s2.var} = sv[1];",
            'snprintf(extra, sizeof extra, "[%d, %d]", sv[0], sv[1]);',
            f"result({c_text(f'socketpair {s1.name} {s2.name}')}, r, e, NULL, 0, extra);",
            f"track({s1.var});",
            f"track({s2.var});",
        ])
        self.needs.add("open_sockets")
        self.set_last(None)

    def _addr_call(self, cmd: Command, call: str) -> None:
        s = self.sock(cmd)
        set_, put_back = self.timeo(cmd, s)
        lines = ["struct sockaddr_storage ss;", "socklen_t sl;"] + self.addr_lines(cmd, "addr", s) + set_
        lines += [f"int r = {call}({s.var}, (struct sockaddr *)&ss, sl);", *put_back,
                  f"result({c_text(f'{call} {s.name}')}, r, errno, NULL, 0, NULL);"]
        self.needs.add("open_sockets")
        if call == "bind":
            lines.append(f"after_bind({s.var}, r == 0, &ss, sl);")
        else:
            lines.append(f"mark_bound({s.var}, r == 0);")
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
        self.needs.add("open_sockets")
        self.block([f"int r = listen({s.var}, {c_int(backlog)});",
                    f"result({c_text('listen ' + s.name)}, r, errno, NULL, 0, NULL);", f"mark_bound({s.var}, r == 0);"])
        self.set_last(None)

    def do_accept(self, cmd: Command) -> None:
        s = self.sock(cmd)
        name = cmd.args.get("newname") or self.auto_name("a")
        if name in self.socks:
            raise cmd.error(f"a socket named {name!r} already exists", "newname")
        new = self.new_sock(name, s.family, s.type)
        self.needs.add("fmt_addr")
        self.needs.add("open_sockets")
        set_, put_back = self.timeo(cmd, s)
        lines = ["struct sockaddr_storage ss;", "socklen_t sl = sizeof ss;", "int e;", "char extra[200];", *set_,
                 f"{new.var} = accept4({s.var}, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC); /* as Python's accept() */",
                 "e = errno;", *put_back, f"track({new.var});", f"mark_bound({new.var}, {new.var} >= 0);"]
        lines += [f"snprintf(extra, sizeof extra, \"%s from %s\", {c_text(new.name)}, fmt_addr(&ss, sl));",
                  f"result({c_text('accept ' + s.name)}, {new.var}, e, NULL, 0, extra);",
                  f"snprintf(last_text, sizeof last_text, \"%s\", {c_text(new.name)});",
                  f"last_valued = {new.var} >= 0;"]
        self.block(lines)
        self.set_last("text")
        self.value_codec = None

    def do_shutdown(self, cmd: Command) -> None:
        s = self.sock(cmd)
        how = "SHUT_" + cmd.args["how"].upper()
        self.block([f"int r = shutdown({s.var}, {how});",
                    f"result({c_text('shutdown ' + s.name)}, r, errno, NULL, 0, NULL);"])
        self.set_last(None)

    def do_close(self, cmd: Command) -> None:
        s = self.sock(cmd)
        self.block([f"untrack({s.var});", f"int r = close({s.var});",
                    f"result({c_text('close ' + s.name)}, r, errno, NULL, 0, NULL);"])
        del self.socks[s.name]
        self.set_last(None)

    # -- data ----------------------------------------------------------------
    def loop_head(self, cmd: Command) -> str:
        count = cmd.args.get("count", 1)
        return f"for (int i = 0; i < {c_int(count)}; i++) {{ /* count={c_int(count)} */" if count > 1 else "{"

    def timeo(self, cmd: Command, s: Sock) -> tuple[list[str], list[str]]:
        """With `timeout=`: the line setting SO_RCVTIMEO/SO_SNDTIMEO before the call, and the one putting it back."""
        t = self.call_timeout(cmd, s)
        if t is None:
            return [], []
        opt, (sec, usec), (old_sec, old_usec) = t
        self.needs.add("set_timeo")
        ms = c_int(cmd.args["timeout"])
        return ([f"set_timeo({s.var}, {opt}, {c_int(sec, 'long')}, {c_int(usec, 'long')}); "
                 f"/* timeout={ms}: the kernel's timeout for this call */"],
                [f"set_timeo({s.var}, {opt}, {c_int(old_sec, 'long')}, {c_int(old_usec, 'long')}); /* put back */"])

    def _send(self, cmd: Command, addr_key: str | None) -> None:
        s = self.sock(cmd)
        fl = self.flag_expr(cmd.args.get("flags"))
        data = cmd.args["data"]
        lines, put_back = self.timeo(cmd, s)
        what = c_text(f"{cmd.name} {s.name}")
        if addr_key:
            lines = ["struct sockaddr_storage ss;", "socklen_t sl;"] + self.addr_lines(cmd, addr_key, s) + lines
            lines.append(f"ssize_t n = sendto({s.var}, {c_string(data)}, {len(data)}, {fl}, "
                         "(struct sockaddr *)&ss, sl);")
        else:
            lines.append(f"ssize_t n = send({s.var}, {c_string(data)}, {len(data)}, {fl});")
        lines += put_back
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
        lines = [f"struct iovec iov = {{(void *){c_string(data)}, {len(data)}}};",
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
                  f"result({c_text('sendmsg ' + s.name)}, n, errno, NULL, 0, NULL);"]
        self.block(lines, self.loop_head(cmd))
        self.set_last(None)

    def _recv(self, cmd: Command) -> None:
        s = self.sock(cmd)
        size = c_int(self.size(cmd), what="size")  # at most MAX_BUFFER, checked by plan
        words = cmd.args.get("flags") or []
        fl = self.flag_expr(words)
        count = cmd.args.get("count", 1)
        what = c_text(f"{cmd.name} {s.name}")
        lines, put_back = self.timeo(cmd, s)
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
            anc = c_int(cmd.args.get("anc", 256), what="anc")
            self.needs.update({"fmt_addr", "msgflags", "show_cmsgs", "open_sockets"})
            for n, v in (("MSG_ERRQUEUE", 0x2000), ("MSG_CMSG_CLOEXEC", 0x40000000)):
                self.const(n, v)
            lines += ["struct sockaddr_storage ss;",
                      f"struct iovec iov = {{buf, {size}}};",
                      *([f"union {{ char buf[{anc}]; struct cmsghdr align; }} control;"] if anc != "0" else []),
                      "struct msghdr msg;",
                      "char extra[300] = \"\";",
                      "memset(&msg, 0, sizeof msg);",
                      "msg.msg_name = &ss;",
                      "msg.msg_namelen = sizeof ss;",
                      "msg.msg_iov = &iov;",
                      "msg.msg_iovlen = 1;",
                      f"msg.msg_control = {'control.buf' if anc != '0' else 'NULL'};",
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
        if put_back:  # right after the call: SO_RCVTIMEO goes back before anything else runs
            at = next(k for k, ln in enumerate(lines) if ln.startswith("ssize_t n = "))
            lines[at + 1:at + 1] = put_back
        if count > 1:
            lines.append("if (n < 0)")
            lines.append("    break; /* the first error ends the tries */")
            if s.stream and self.size(cmd) != 0:  # a zero-size receive returns 0 without an end of stream
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
        if (k in INT_KINDS or k in SYMBOLIC_KINDS) and len(raw) == 4:
            decl = f"int v = {c_int(struct.unpack('i', raw)[0])};"
            size = "sizeof v"
        elif k in U64_KINDS and len(raw) == 8:
            decl = f"unsigned long long v = {c_int(struct.unpack('Q', raw)[0], 'unsigned long long')};"
            size = "sizeof v"
        elif k == "linger":
            decl = "struct linger v = {{{}, {}}};".format(*(c_int(x) for x in struct.unpack("ii", raw)))
            size = "sizeof v"
        elif k == "timeval":
            decl = "struct timeval v = {{{}, {}}};".format(*(c_int(x, "long") for x in struct.unpack("ll", raw)))
            size = "sizeof v"
        elif k in TEXT_KINDS:
            decl = f"const char v[] = {c_string(raw)};"
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
        lines += [f"result({c_text(f'setsockopt {s.name} {row.name}')}, r, e, NULL, 0, extra);",
                  "last_valued = valued;"]
        self.block(lines)
        self.set_last(vk)
        self.value_codec = k

    def do_getsockopt(self, cmd: Command) -> None:
        s = self.sock(cmd)
        row, c = self.option(cmd)
        lines = ['char extra[300] = "";', "int valued = 0;"] + self.read_option(s, row, c, readback=False)
        lines += [f"result({c_text(f'getsockopt {s.name} {row.name}')}, r, e, NULL, 0, extra);",
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
                    f"result({c_text(f'{cmd.name} {s.name}')}, r, e, NULL, 0, last_text);",
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
                 f"int n = poll(fds, {len(socks)}, {c_int(timeout, what='timeout')});", "int e = errno;"]
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
        what = c_text(f"ioctl {s.name} {row.name}")
        value = cmd.args.get("value")
        if row.arg == "get_int":
            lines = ["int v = 0;", "char extra[64] = \"\";", f"int r = ioctl({s.var}, {row.name}, &v);", "int e = errno;",
                     "if (r >= 0)", '    snprintf(extra, sizeof extra, "value %d", v);',
                     f"result({what}, r, e, NULL, 0, extra);", "last_int = v;", "last_valued = r >= 0;"]
            vk: str | None = "int"
        elif row.arg == "set_int":
            if value is None:  # the engine's default: this process for the owner requests, else 1
                arg = "getpid()" if row.name in ("SIOCSPGRP", "FIOSETOWN") else "1"
            else:
                arg = c_int(value, what=row.name)  # typed and range-checked by plan.typed_args
            lines = [f"int v = {arg};", f"int r = ioctl({s.var}, {row.name}, &v);",
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
        what = c_text(f"fcntl {s.name} {op}")
        if op in ("nonblock", "async"):
            bit = "O_NONBLOCK" if op == "nonblock" else "O_ASYNC"
            new = f"fl | {bit}" if value else f"fl & ~{bit}"
            lines = [f"int fl = fcntl({s.var}, F_GETFL);", f"int r = fcntl({s.var}, F_SETFL, {new});",
                     f"result({what}, r, errno, NULL, 0, NULL);", f"last_int = {1 if value else 0};",
                     "last_valued = r >= 0;"]
        elif op == "setown":
            pid, kept = ("getpid()", "getpid()") if value is None else self.fcntl_arg(value)
            lines = [f"int r = fcntl({s.var}, F_SETOWN, {pid});", f"result({what}, r, errno, NULL, 0, NULL);",
                     f"last_int = {kept};", "last_valued = r >= 0;"]
        elif op == "getown":
            lines = [f"int r = fcntl({s.var}, F_GETOWN);", f"result({what}, r, errno, NULL, 0, NULL);",
                     "last_int = r;", "last_valued = 1;"]
        elif op == "getfl":
            lines = [f"int r = fcntl({s.var}, F_GETFL);",
                     f"result({what}, r, errno, NULL, 0, r >= 0 && (r & O_NONBLOCK) ? \"O_NONBLOCK\" : \"\");",
                     "last_int = r;", "last_valued = r >= 0;"]
        else:
            self.const("F_SETSIG", 10)
            sig, kept = self.fcntl_arg(value or 0)  # plan made it an int
            lines = [f"int r = fcntl({s.var}, F_SETSIG, {sig});", f"result({what}, r, errno, NULL, 0, NULL);",
                     f"last_int = {kept};", "last_valued = r >= 0;"]
        self.block(lines)
        self.set_last("int")
        self.value_codec = None

    @staticmethod
    def fcntl_arg(value: int) -> tuple[str, str]:
        """The int fcntl receives (CPython, and so sockplay, passes the low 32 bits) and the value sockplay reports."""
        arg = c_int(fcntl_int(value))
        if fcntl_int(value) != value:
            arg += f" /* {value} as CPython passes it: the low 32 bits */"
        return arg, c_int(value, "long long") if c_fits(value, "long long") else c_int(fcntl_int(value))

    def do_sysctl(self, cmd: Command) -> None:
        self.needs.add("sysctl_read")
        for row in cmd.args["rows"]:  # rows of sysctl.SYSCTLS: the key was looked up, never pasted
            self.block([f"long r = sysctl_read({c_text(row.path)}, last_text, sizeof last_text);", "int e = errno;",
                        f"result({c_text('sysctl ' + row.key)}, r, e, NULL, 0, last_text);", "last_valued = r == 0;"])
        self.set_last("text")
        self.value_codec = None

    # -- script commands -----------------------------------------------------
    def do_sleep(self, cmd: Command) -> None:
        self.needs.add("sleep_ms")
        self.w(f"sleep_ms({cmd.args['ms']});")

    def do_echo(self, cmd: Command) -> None:
        self.w(f"printf(\"%s\\n\", {c_text(' '.join(cmd.args.get('text', [])))});")

    def expect_line(self, cmd: Command, text: str, ok: str, actual: str) -> None:
        self.w(f"expect({cmd.line}, {c_text(text)}, {ok}, {actual});")

    def expect_signal(self, cmd: Command, text: str, sig: str) -> None:
        which = 0 if sig == "SIGIO" else 1
        self.w(f"expect({cmd.line}, {c_text(text)}, wait_signal({which}), \"no {sig}\");")

    def expect_ready(self, cmd: Command, text: str, s: Sock, bits: list[str]) -> None:
        self.needs.update({"ready", "pollbits"})
        self.w(f"expect_ready({cmd.line}, {c_text(text)}, {s.var}, {' | '.join(bits)});")

    def expect_ret(self, cmd: Command, text: str, want: int) -> None:
        self.block(["char got[32];", 'snprintf(got, sizeof got, "%ld", last_ret);'] + [
            f"expect({cmd.line}, {c_text(text)}, {c_equal('last_ret', want, 'long')}, got);"])

    def expect_errno(self, cmd: Command, text: str, want: str | None) -> None:
        if want is None:
            self.expect_line(cmd, text, "last_err == 0", "last_err ? errname(last_err) : \"0 (no error)\"")
        else:
            self.expect_line(cmd, text, f"last_err == {want}", "last_err ? errname(last_err) : \"0 (no error)\"")

    def expect_data(self, cmd: Command, text: str, want: bytes) -> None:
        self.expect_line(cmd, text,
                         f"last_len == {len(want)} && memcmp(last_data, {c_string(want)}, {len(want)}) == 0",
                         "last_len < 0 ? \"no data\" : shown(last_data, last_len)")

    def expect_value(self, cmd: Command, text: str, vk: str, want: Any) -> None:
        if vk == "int":
            self.block(["char got[32];", 'snprintf(got, sizeof got, "%lld", last_int);',
                        f"expect({cmd.line}, {c_text(text)}, last_valued && {c_equal('last_int', want, 'long long')}, got);"])
        elif vk == "pair":
            self.block(["char got[32];", 'snprintf(got, sizeof got, "%d,%d", last_pair[0], last_pair[1]);',
                        f"expect({cmd.line}, {c_text(text)}, last_valued && {c_equal('last_pair[0]', want[0], 'int')} "
                        f"&& {c_equal('last_pair[1]', want[1], 'int')}, got);"])
        elif vk == "real":
            self.block(["char got[32];", 'snprintf(got, sizeof got, "%g", last_real);',
                        f"expect({cmd.line}, {c_text(text)}, last_valued && last_real > {c_double(want)} - 1e-6 "
                        f"&& last_real < {c_double(want)} + 1e-6, got);"])
        else:
            self.expect_line(cmd, text, f"last_valued && strcasecmp(last_text, {c_text(str(want))}) == 0", "last_text")

    def expect_flags(self, cmd: Command, text: str, names: list[str]) -> None:
        mask = " | ".join(names)
        self.expect_line(cmd, text, f"(last_flags & ({mask})) == ({mask})", "msgflags(last_flags)")

    def expect_cmsg(self, cmd: Command, text: str, name: str, value: str | None) -> None:
        cond = f"has_cmsg({c_text(name)}, {c_text(value) if value is not None else 'NULL'})"
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
                track(fd); /* kept and closed at the end, as sockplay does */
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
            f"/* {c_comment(name)}, exported by `sockplay export --to c`.",
            " *",
            " * It makes the same system calls as the script, in the same order, and prints",
            ' * one line per call: `recv b -> 2 "cc"`, or `recv b -> -1 EAGAIN` when the call',
            " * fails (a failure is a result: the program goes on). An expect that does not",
            " * hold prints why and exits with status 1.",
            " *",
            f" * Build and run: cc -Wall -o prog {c_comment(os.path.splitext(name)[0])}.c && ./prog",
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
            unl = "\n".join(f"    unlink({c_string(p)});" for p in self.unix_paths)
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
        if "open_sockets" in self.needs:
            out.append("    atexit(close_all); /* runs first: sockets closed, then files removed, as sockplay does */")
        out += self.body
        if socks:
            out += ["", "    (void)" + ";\n    (void)".join(socks) + ";"]
        out += ["    return 0;", "}"]
        return "\n".join(out) + "\n"

