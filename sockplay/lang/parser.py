"""Lines of the command language into Command objects, or a ScriptError saying where and why.

The parser checks everything it can know without the kernel: the command
exists, the number of words, families, types, options, flags, sizes, data
escapes. Whether a socket name exists is known only when the command runs,
so the executor checks that (and still names the line and column).
"""

from __future__ import annotations

import errno as _errno
import re
from dataclasses import dataclass, field
from typing import Any

from sockplay.core import catalog, codecs, errnos, flags, limits
from sockplay.core.errors import UsageError, did_you_mean
from sockplay.lang import commands as C
from sockplay.lang.grammar import ScriptError, Token, decode_data, split_commands

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,31}$")
_KEY_RE = re.compile(r"^([A-Za-z_]+)=(.*)$", re.S)
# Every errno spelling Python knows (ENOTSUP and EOPNOTSUPP, EWOULDBLOCK and EAGAIN);
# expect compares the canonical strace name that the engine reports.
ERRNO_NAMES: frozenset[str] = frozenset(
    n for n in dir(_errno) if n.startswith("E") and isinstance(getattr(_errno, n), int)
)


@dataclass(slots=True)
class Command:
    """One parsed command: the table row, typed arguments, and where each came from.

    `args` maps ArgSpec.dest (and key names such as count, timeout) to values:
    sock/newsock/addr/value/text -> str, data -> bytes, flags -> list of short
    words, size/int/count -> int, ms/timeout -> int milliseconds, option -> the
    full option name. `cols` maps the same keys to 1-based columns.
    """

    name: str
    spec: C.CommandSpec
    args: dict[str, Any]
    text: str
    line: int = 1
    col: int = 1
    cols: dict[str, int] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)

    def col_of(self, key: str) -> int:
        """Column of an argument, for error messages; the command's own column if unknown."""
        return self.cols.get(key, self.col)

    def error(self, message: str, key: str | None = None) -> ScriptError:
        return ScriptError(self.line, self.col_of(key) if key else self.col, message)


def _words(n: int) -> str:
    return "no words" if n == 0 else ("1 word" if n == 1 else f"{n} words")


def _positional_usage(spec: C.CommandSpec) -> str:
    return " ".join(
        (f"[{a.name}...]" if a.repeat else f"[{a.name}]") if a.optional else (a.name + ("..." if a.repeat else ""))
        for a in spec.args
    )


def parse_ms(text: str) -> int:
    """Milliseconds from `100`, `100ms`, `1.5s`; a UsageError says what was expected."""
    t = text.strip().lower()
    try:
        if t.endswith("ms"):
            value = float(t[:-2])
        elif t.endswith("s"):
            value = float(t[:-1]) * 1000
        else:
            value = float(t)
    except ValueError:
        raise UsageError(f"{text!r} is not a time; expected milliseconds such as 100, or 1.5s") from None
    if value < 0 or value != value or value > 10**9:
        raise UsageError(f"{text!r}: expected a time from 0 to 1000000000 milliseconds")
    return int(value)


def _fits(kind: str, tok: Token) -> bool:
    """Could this word fill an optional argument of `kind`? (Otherwise that argument is skipped.)"""
    if not tok.bare and kind not in ("value", "text", "topic", "key", "data", "addr"):
        return False
    text = tok.text
    try:
        if kind in ("size", "int"):
            codecs.parse_int(text)
            return text.lower() not in ("on", "off", "true", "false", "yes", "no")
        if kind == "proto":
            flags.lookup(text, flags.PROTOCOLS, "protocol")
            return True
        if kind == "type":
            flags.lookup(text, flags.TYPES, "type")
            return True
        if kind == "flags":
            flags.msg_flag(text)
            return True
    except UsageError:
        return False
    if kind == "sockflag":
        return text.lower() in C.SOCK_FLAGS
    if kind in ("sock", "newsock"):
        return bool(NAME_RE.match(text)) and "=" not in text
    return True


def _convert(kind: str, tok: Token, lineno: int, what: str) -> Any:
    """A word's typed value for `kind`; errors become ScriptError at the word's column."""
    text = tok.text
    try:
        if kind == "data":
            return decode_data(tok, lineno)
        if kind in ("sock", "newsock"):
            if not NAME_RE.match(text):
                raise UsageError(
                    f"{text!r} is not a socket name; names start with a letter and use letters, digits, _ . - (up to 32)"
                )
            return text
        if kind == "family":
            flags.lookup(text, flags.FAMILIES, "family")
            return text.lower()
        if kind == "type":
            flags.lookup(text, flags.TYPES, "type")
            return text.lower()
        if kind == "proto":
            flags.lookup(text, flags.PROTOCOLS, "protocol")
            return text.lower()
        if kind == "sockflag":
            if text.lower() not in C.SOCK_FLAGS:
                raise UsageError(f"{what}: {text!r} is not nonblock or cloexec", hint=did_you_mean(text, C.SOCK_FLAGS))
            return text.lower()
        if kind == "flags":
            return flags.msg_flag(text).short
        if kind in ("size", "int"):
            n = codecs.parse_int(text, what)
            if kind == "size" and n < 0:
                raise UsageError(f"{what} {n} is negative; expected a byte count such as 2 or 4096")
            if abs(n) > 2**31 - 1:
                raise UsageError(f"{what} {n} is too large; expected at most {2**31 - 1}")
            return n
        if kind == "option":
            return catalog.option(text).name
        if kind == "how":
            key = text.lower().removeprefix("shut_")
            if key not in C.HOW_WORDS:
                raise UsageError(f"{text!r} is not a direction; expected rd, wr or rdwr", hint=did_you_mean(key, C.HOW_WORDS))
            return key
        if kind == "request":
            try:
                from sockplay.core import ioctls
            except ImportError:
                ioctls = None  # type: ignore[assignment]
            if ioctls is not None:
                ioctls.ioctl(text)
                return text
            known = {r.upper(): r for r in C.ioctl_requests()}
            if text.upper() in known:
                return known[text.upper()]
            raise UsageError(
                f"unknown ioctl request {text!r}; expected one of {', '.join(known.values())}",
                hint=did_you_mean(text, known.values()),
            )
        if kind == "fcntlop":
            if text.lower() not in C.FCNTL_OPS:
                raise UsageError(
                    f"unknown fcntl operation {text!r}; expected {', '.join(C.FCNTL_OPS)}",
                    hint=did_you_mean(text, C.FCNTL_OPS),
                )
            return text.lower()
        if kind == "wireop":
            if text.lower() not in C.WIRE_OPS:
                raise UsageError(f"wire {text!r}: expected on, off or save (as in: wire on, wire save x.pcap)",
                                 hint=did_you_mean(text, C.WIRE_OPS))
            return text.lower()
        if kind == "field":
            if text.lower() not in C.EXPECT_FIELDS:
                raise UsageError(
                    f"expect cannot check {text!r}; expected one of {', '.join(C.EXPECT_FIELDS)}",
                    hint=did_you_mean(text, C.EXPECT_FIELDS),
                )
            return text.lower()
        if kind == "requirement":
            from sockplay.lang.requirements import BY_WORD

            if text.lower() not in BY_WORD:
                raise UsageError(
                    f"unknown requirement {text!r}; expected one of {', '.join(BY_WORD)}",
                    hint=did_you_mean(text, BY_WORD),
                )
            return text.lower()
        if kind == "relaymode":
            if text.lower() not in C.RELAY_MODES:
                raise UsageError(f"relay mode {text!r}: expected hold, stop or wait",
                                 hint=did_you_mean(text, C.RELAY_MODES))
            return text.lower()
        if kind == "ms":
            return parse_ms(text)
        if kind == "addr":
            if not text.strip():
                raise UsageError("the address is empty; expected 127.0.0.1:8080, [::1]:80, ./x.sock, @name or a socket name")
            return text
        return text
    except UsageError as exc:
        raise ScriptError(lineno, tok.col, str(exc)) from None


def _convert_key(spec: C.CommandSpec, key: C.KeySpec, value: str, tok: Token, lineno: int) -> Any:
    col = tok.col + len(key.key) + 1
    try:
        if key.kind == "int":
            n = codecs.parse_int(value, key.key)
            if key.key == "count" and not 1 <= n <= 10_000_000:
                raise UsageError(f"count={value}: expected a number of times from 1 to 10000000")
            return n
        if key.kind == "size":
            n = codecs.parse_int(value, key.key)
            if not 0 <= n <= limits.MAX_ANC:
                raise UsageError(f"{key.key}={value}: expected a byte count from 0 to {limits.MAX_ANC} ({limits.human(limits.MAX_ANC)})")
            return n
        if key.kind == "ms":
            if spec.name == "poll" and value.strip().startswith("-"):
                # poll(2)'s own meaning: a negative timeout waits until an event (cancellable in the app)
                return limits.c_int(value, "timeout (ms)")
            return parse_ms(value)
        if key.kind == "addr":
            if not value:
                raise UsageError(f"{key.key}= needs an address, as in {key.key}=127.0.0.1:9000")
            return value
        if key.kind == "text":
            if not value:
                raise UsageError(f"{key.key}= needs a value, as in {key.key}={key.placeholder.split('|')[0]}")
            return value
        if key.kind == "socks":
            names = [n for n in value.split(",") if n]
            if not names:
                raise UsageError(f"{key.key}= needs socket names, as in {key.key}=a,b")
            for nm in names:
                if not NAME_RE.match(nm):
                    raise UsageError(f"{nm!r} in {key.key}= is not a socket name")
            return names
    except UsageError as exc:
        raise ScriptError(lineno, col, str(exc)) from None
    raise ScriptError(lineno, tok.col, f"{spec.name}: {key.key} is a switch; write it alone, without =")


def _keyword(tok: Token) -> tuple[str, str] | None:
    if not tok.parts or tok.parts[0].quoted:
        return None
    m = _KEY_RE.match(tok.text)
    return (m.group(1).lower(), m.group(2)) if m else None


def parse_tokens(tokens: list[Token], line: str, lineno: int = 1) -> Command:
    """One command's words (as split by the grammar) into a Command."""
    head = tokens[0]
    name = head.text.lower()
    spec = C.command(name)
    if spec is None:
        hint = did_you_mean(head.text, C.COMMAND_NAMES)
        msg = f"unknown command {head.text!r}"
        msg += f"; {hint}" if hint else "; 'help' lists the commands"
        raise ScriptError(lineno, head.col, msg)
    text = line[head.col - 1 : tokens[-1].end - 1]
    cmd = Command(spec.name, spec, {}, text, lineno, head.col, {})
    rest = tokens[1:]
    if spec.name == "recv":
        rest = _take_until(cmd, rest, line, lineno)
    specs = spec.args
    si = 0
    filled: dict[str, list[Token]] = {}
    positional_count = 0

    def required_done() -> bool:
        return all(a.dest in filled for a in specs if not a.optional)

    for tok in rest:
        kv = _keyword(tok)
        if kv is not None:
            key = spec.key(kv[0])
            if key is not None and key.kind != "switch":
                if key.key in cmd.args:
                    raise ScriptError(lineno, tok.col, f"{key.key}= is given twice")
                cmd.args[key.key] = _convert_key(spec, key, kv[1], tok, lineno)
                cmd.cols[key.key] = tok.col
                continue
        if tok.bare:
            key = spec.key(tok.text.lower())
            if key is not None and key.kind == "switch" and required_done():
                cmd.args[key.key] = True
                cmd.cols[key.key] = tok.col
                continue
        skipped: C.ArgSpec | None = None
        while si < len(specs) and specs[si].optional and not _fits(specs[si].kind, tok):
            if specs[si].repeat and specs[si].dest in filled and si == len(specs) - 1:
                break
            skipped = specs[si]
            si += 1
        if si >= len(specs):
            if skipped is not None and kv is None and not skipped.repeat and skipped.dest not in filled:
                _convert(skipped.kind, tok, lineno, skipped.name)  # the word was meant for it: say why it does not fit
            raise _extra_word(spec, tok, kv, positional_count, len(rest), lineno)
        a = specs[si]
        filled.setdefault(a.dest, []).append(tok)
        positional_count += 1
        if not a.repeat:
            si += 1

    missing = [a for a in specs if not a.optional and a.dest not in filled]
    if missing:
        end_col = (rest[-1].end + 1) if rest else head.end + 1
        raise ScriptError(
            lineno,
            end_col,
            f"{spec.name} needs {_positional_usage(spec)}; got {_words(positional_count)}"
            f" (missing {' '.join(a.name for a in missing)})",
        )
    for a in specs:
        toks = filled.get(a.dest)
        if toks is None:
            if a.repeat:
                cmd.args[a.dest] = []
            continue
        cmd.cols[a.dest] = toks[0].col
        if spec.name == "expect" and a.dest == "values":
            cmd.args[a.dest] = toks  # typed by _check_expect, which knows the field
            continue
        values = [_convert(a.kind, t, lineno, a.name) for t in toks]
        cmd.args[a.dest] = values if a.repeat else values[0]
    _check(cmd, filled, lineno)
    return cmd


def regex_span(toks: list[Token], start: int, line: str) -> tuple[str, int] | None:
    """A /REGEX/ that may hold spaces: (its text as written, how many words it took), or None."""
    first = toks[start]
    if not first.bare or not first.text.startswith("/"):
        return None
    for j in range(start, len(toks)):
        t = toks[j]
        if not t.bare:
            return None
        if t.raw.endswith("/") and (j > start or len(t.raw) > 1):
            return line[first.col - 1 : t.end - 1], j - start + 1
    return None


def _take_until(cmd: Command, rest: list[Token], line: str, lineno: int) -> list[Token]:
    """`recv NAME until DATA|len=N|/REGEX/`: take those words out before the usual parse."""
    from sockplay.core import until as until_mod

    for i, tok in enumerate(rest):
        if i == 0 or not tok.bare or tok.text.lower() != "until":
            continue
        if i + 1 >= len(rest):
            raise ScriptError(lineno, tok.end + 1, "until needs what ends the message: a delimiter such as "
                                                   '"\\r\\n", len=N or /REGEX/')
        term = rest[i + 1]
        taken = 1
        try:
            rx = regex_span(rest, i + 1, line)
            if rx is not None:
                cmd.args["until"] = until_mod.parse(rx[0])
                taken = rx[1]
            elif term.bare and term.text.startswith("len="):
                cmd.args["until"] = until_mod.parse(term.text)
            else:
                cmd.args["until"] = until_mod.parse(term.raw, decode_data(term, lineno))
        except UsageError as exc:
            raise ScriptError(lineno, term.col, str(exc)) from None
        cmd.cols["until"] = term.col
        others = rest[:i] + rest[i + 1 + taken:]
        for t in others[1:]:
            kv = _keyword(t)
            if kv is None or kv[0] != "timeout":
                raise ScriptError(lineno, t.col, f"recv ... until takes only timeout=MS besides; {t.raw!r} does not "
                                                 "fit (the message's end decides the size)")
        return others
    return rest


def _extra_word(
    spec: C.CommandSpec, tok: Token, kv: tuple[str, str] | None, got: int, total: int, lineno: int
) -> ScriptError:
    """The message for a word that has no place: unknown setting, bad flag, or one word too many."""
    if kv is not None:
        keys = [k.key for k in spec.keys]
        if keys:
            hint = did_you_mean(kv[0], keys)
            msg = f"{spec.name} has no setting {kv[0]}=; it takes {', '.join(k.usage.strip('[]') for k in spec.keys)}"
            return ScriptError(lineno, tok.col, msg + (f" ({hint})" if hint else ""))
        return ScriptError(lineno, tok.col, f"{spec.name} takes no key=value settings; found {tok.raw!r}")
    last = spec.args[-1] if spec.args else None
    if last is not None and last.repeat and last.kind == "flags":
        try:
            flags.msg_flag(tok.text)
        except UsageError as exc:
            return ScriptError(lineno, tok.col, f"{spec.name}: {exc}")
    if last is not None and last.repeat and last.kind == "sockflag":
        hint = did_you_mean(tok.text, C.SOCK_FLAGS + tuple(C.vocabulary("proto")))
        return ScriptError(
            lineno, tok.col, f"{spec.name}: {tok.raw!r} is not a protocol, nonblock or cloexec" + (f" ({hint})" if hint else "")
        )
    return ScriptError(
        lineno,
        tok.col,
        f"{spec.name} takes {_positional_usage(spec) or 'no arguments'}; got {_words(total)}"
        f" ({tok.raw!r} is one too many; quote text that holds spaces)",
    )


def _check(cmd: Command, filled: dict[str, list[Token]], lineno: int) -> None:
    """Rules that involve more than one word."""
    a = cmd.args
    if cmd.name == "socketpair" and a["name"] == a["name2"]:
        raise cmd.error("socketpair needs two different names", "name2")
    if cmd.name == "fcntl":
        op, value = a["op"], a.get("value")
        if op in ("nonblock", "async"):
            if value is None or value.lower() not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
                raise cmd.error(f"fcntl {op} needs on or off, as in: fcntl {a['sock']} {op} on", "value" if value else "op")
            a["value"] = value.lower() in ("on", "1", "true", "yes")
        elif op in ("setown", "setsig"):
            if value is not None:
                try:
                    a["value"] = codecs.parse_int(value, "pid" if op == "setown" else "signal")
                except UsageError as exc:
                    raise cmd.error(str(exc), "value") from None
        elif value is not None:
            raise cmd.error(f"fcntl {op} takes no value; got {value!r}", "value")
    if cmd.name == "ioctl" and a.get("value") is not None:
        try:
            a["value"] = codecs.parse_int(a["value"], "ioctl value")
        except UsageError:
            pass  # the engine decides what a textual value means for this request
    if cmd.name == "socket" and len(a.get("sockflags", [])) != len(set(a.get("sockflags", []))):
        raise cmd.error("the same creation flag is given twice", "sockflags")
    if cmd.name == "expect":
        _check_expect(cmd, filled.get("values", []), lineno)
    if cmd.name == "tls":
        _check_tls(cmd)
    if cmd.name == "relay" and a["a"] == a["b"]:
        raise cmd.error("relay needs two different sockets", "b")
    if cmd.name == "wire":
        _check_wire(cmd, filled.get("names", []), lineno)


def _check_wire(cmd: Command, toks: list[Token], lineno: int) -> None:
    op = cmd.args.get("action")
    if op == "save":
        if len(toks) != 1:
            col = toks[1].col if len(toks) > 1 else cmd.col_of("action")
            raise ScriptError(lineno, col, f"wire save needs one file name, as in: wire save demo.pcap; got {_words(len(toks))}")
        return
    if op is None and toks:
        raise ScriptError(lineno, toks[0].col, "wire needs on, off or save before socket names, as in: wire on c s")
    for t in toks:
        _convert("sock", t, lineno, "NAME")


def _check_wire_expect(cmd: Command, toks: list[Token], lineno: int) -> dict[str, Any]:
    """expect wire PROTO FLAG... [from NAME] [to NAME] [count=N] [win=N] [len=N]."""
    form = "as in: expect wire tcp SYN ACK from s to c"
    if not toks:
        raise ScriptError(lineno, cmd.col_of("field"), f"expect wire needs a protocol (tcp, udp, icmp or icmp6), {form}")
    proto = toks[0].text.lower()
    if proto not in C.WIRE_PROTOS:
        raise ScriptError(lineno, toks[0].col, f"expect wire: {toks[0].text!r} is not tcp, udp, icmp or icmp6 ({form})")
    allowed = C.TCP_FLAG_WORDS if proto == "tcp" else C.ICMP_WORDS if proto.startswith("icmp") else ()
    want: dict[str, Any] = {"proto": proto, "flags": [], "from": None, "to": None, "count": None, "win": None, "len": None}
    i = 1
    while i < len(toks):
        t = toks[i]
        word = t.text
        kv = _keyword(t)
        if kv is not None and kv[0] in C.WIRE_KEYS:
            try:
                want[kv[0]] = codecs.parse_int(kv[1], kv[0])
            except UsageError as exc:
                raise ScriptError(lineno, t.col, str(exc)) from None
        elif word.lower() in ("from", "to"):
            if i + 1 >= len(toks):
                raise ScriptError(lineno, t.col, f"expect wire: {word} needs a socket name after it ({form})")
            want[word.lower()] = _convert("sock", toks[i + 1], lineno, "NAME")
            i += 1
        elif word.upper() in allowed:
            want["flags"].append(word.upper())
        else:
            what = "TCP flag (SYN ACK FIN RST PSH URG ECE CWR)" if proto == "tcp" else (
                "ICMP kind such as PORT_UNREACH" if allowed else "word: udp has no flags")
            hint = did_you_mean(word, allowed + ("from", "to")) if allowed else None
            raise ScriptError(lineno, t.col, f"expect wire {proto}: {word!r} is not a {what}; after the flags come "
                              f"from NAME, to NAME, count=N, win=N or len=N" + (f" ({hint})" if hint else ""))
        i += 1
    return want


def _check_tls(cmd: Command) -> None:
    a = cmd.args
    target, role = a["target"], a["role"]
    if target.lower() == "keylog":
        a["target"] = "keylog"
        extra = [k for k in ("sni", "alpn", "verify", "cert", "key", "selfsigned") if k in a]
        if extra:
            raise cmd.error(f"tls keylog FILE takes no {extra[0]}=", extra[0])
        return
    if not NAME_RE.match(target):
        raise cmd.error(f"{target!r} is not a socket name; expected tls NAME client|server or tls keylog FILE", "target")
    r = role.lower()
    if r not in C.TLS_ROLES:
        raise cmd.error(f"tls role {role!r}: expected client, server or close" +
                        (f" ({did_you_mean(role, C.TLS_ROLES)})" if did_you_mean(role, C.TLS_ROLES) else ""), "role")
    a["role"] = r
    client_only, server_only = ("sni", "verify"), ("cert", "key", "selfsigned")
    for k in server_only if r == "client" else client_only if r == "server" else client_only + server_only + ("alpn",):
        if k in a:
            raise cmd.error(f"{k}{'' if k == 'selfsigned' else '='} does not apply to tls {r}", k)
    if r == "server" and not a.get("selfsigned") and not a.get("cert"):
        raise cmd.error("tls NAME server needs cert=FILE key=FILE, or selfsigned for a throwaway certificate", "role")
    if r == "server" and a.get("selfsigned") and a.get("cert"):
        raise cmd.error("give either selfsigned or cert=FILE key=FILE, not both", "cert")


def _check_expect(cmd: Command, toks: list[Token], lineno: int) -> None:
    field_ = cmd.args["field"]
    n = len(toks)

    def need(lo: int, hi: int, form: str) -> None:
        if not lo <= n <= hi:
            col = toks[hi].col if n > hi else cmd.col_of("field")
            raise ScriptError(lineno, col, f"expect {field_} needs {form}; got {_words(n)} after {field_}")

    if field_ == "ret":
        need(1, 1, "one number, as in: expect ret 2")
        try:
            cmd.args["expected"] = codecs.parse_int(toks[0].text, "ret")
        except UsageError as exc:
            raise ScriptError(lineno, toks[0].col, str(exc)) from None
    elif field_ == "errno":
        need(1, 1, "an errno name, as in: expect errno EAGAIN (or 0 for none)")
        word = toks[0].text.upper()
        if word in ("0", "NONE", "OK", "-"):
            cmd.args["expected"] = None
        elif word in ERRNO_NAMES:
            cmd.args["expected"] = errnos.name_of(getattr(_errno, word))
        else:
            hint = did_you_mean(word, sorted(ERRNO_NAMES))
            raise ScriptError(
                lineno, toks[0].col, f"{toks[0].text!r} is not an errno name such as EAGAIN" + (f" ({hint})" if hint else "")
            )
    elif field_ == "data" and n >= 1 and toks[0].bare and toks[0].text == "~":
        from sockplay.core import until as until_mod

        rx = regex_span(toks, 1, cmd.text.rjust(len(cmd.text) + cmd.col - 1)) if n >= 2 else None
        if rx is not None and 1 + rx[1] == n:
            body = rx[0][1:-1]
        else:
            need(2, 2, "~ and a regular expression between slashes, as in: expect data ~ /^HTTP.1.1 200/")
            body = toks[1].text
        try:
            cmd.args["expected"] = None
            cmd.args["regex"] = until_mod.compile_regex(body)
        except UsageError as exc:
            raise ScriptError(lineno, toks[1].col, str(exc)) from None
    elif field_ == "data":
        need(1, 1, 'the bytes, as in: expect data "cc" (quote text with spaces)')
        cmd.args["expected"] = decode_data(toks[0], lineno)
    elif field_ == "cmsg":
        need(1, 2, "a type and maybe its value, as in: expect cmsg SO_RXQ_OVFL 198")
        cmd.args["expected"] = toks[0].text.upper()
        cmd.args["expected_value"] = toks[1].text if n > 1 else None
    elif field_ == "value":
        need(1, 1, "one value, as in: expect value SOCK_STREAM (quote values with spaces)")
        cmd.args["expected"] = toks[0].text
    elif field_ == "flags":
        need(1, 16, "MSG_ flags, as in: expect flags MSG_TRUNC")
        out = []
        for t in toks:
            try:
                out.append(flags.msg_flag(t.text).name)
            except UsageError as exc:
                raise ScriptError(lineno, t.col, str(exc)) from None
        cmd.args["expected"] = out
    elif field_ == "signal":
        need(1, 2, "a signal and optionally a socket, as in: expect signal SIGIO b")
        sig = toks[0].text.upper()
        sig = sig if sig.startswith("SIG") else "SIG" + sig
        if sig not in ("SIGIO", "SIGURG", "SIGPOLL"):
            raise ScriptError(lineno, toks[0].col, f"expect signal watches SIGIO or SIGURG, not {toks[0].text!r}")
        cmd.args["expected"] = "SIGIO" if sig == "SIGPOLL" else sig
        if n == 2:
            cmd.args["sock"] = _convert("sock", toks[1], lineno, "NAME")
            cmd.cols["sock"] = toks[1].col
    elif field_ == "wire":
        cmd.args["expected"] = _check_wire_expect(cmd, toks, lineno)
    elif field_ == "ready":
        if n < 2:
            raise ScriptError(
                lineno, cmd.col_of("field"), f"expect ready needs NAME FLAG..., as in: expect ready b POLLIN; got {_words(n)}"
            )
        cmd.args["sock"] = _convert("sock", toks[0], lineno, "NAME")
        cmd.cols["sock"] = toks[0].col
        bits = []
        for t in toks[1:]:
            try:
                flags.poll_mask([t.text])
            except UsageError as exc:
                raise ScriptError(lineno, t.col, str(exc)) from None
            word = t.text.upper()
            bits.append(word if word.startswith("POLL") else "POLL" + word)
        cmd.args["expected"] = bits
    cmd.args["values"] = [t.text for t in toks]


def parse_line(line: str, lineno: int = 1) -> list[Command]:
    """Every command on one line (usually one; `;` separates more). Blank and comment lines give []."""
    return [parse_tokens(words, line, lineno) for words in split_commands(line, lineno)]


def parse_script(text: str) -> list[Command]:
    """A whole script; the first error is raised."""
    cmds, errors = check_script(text)
    if errors:
        raise errors[0]
    return cmds


def check_script(text: str) -> tuple[list[Command], list[ScriptError]]:
    """A whole script, collecting every line's error instead of stopping at the first."""
    cmds: list[Command] = []
    errors: list[ScriptError] = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            cmds.extend(parse_line(line, i))
        except ScriptError as exc:
            errors.append(exc)
    return cmds, errors
