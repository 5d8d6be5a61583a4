"""Completion for the command language, as a plain prompt_toolkit Completer.

It needs no running Application: `get_completions(Document, CompleteEvent)` is
all both front-ends call (the REPL through PromptSession, the TUI through its
own dropdown). What to offer is read from the command table's argument kinds,
so `setsockopt s1 SO_RC` offers options and `recv s1 10 ` offers flags without
any per-command code here. Socket names come from a callable because they
change while the person types.
"""

from __future__ import annotations

import errno
import os
import rlcompleter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from sockplay.core import catalog, flags
from sockplay.lang import commands
from sockplay.lang.commands import CommandSpec
from sockplay.lang.gist import first_sentence

SYSCTL_DIR = "/proc/sys/net/core"
Candidate = tuple[str, str]  # (text, meta)

# One-line meanings for words whose tables carry no help text of their own.
_HOW_META = {
    "rd": "stop reading (SHUT_RD)",
    "wr": "done sending: the peer reads end of file (SHUT_WR)",
    "rdwr": "both directions (SHUT_RDWR)",
}
_FIELD_META = {
    "ret": "the return value",
    "errno": "the error name, such as EAGAIN",
    "data": "the bytes received",
    "cmsg": "an ancillary message type, optionally with its value",
    "value": "the decoded option or ioctl value",
    "flags": "a MSG_ flag in the returned msg_flags",
    "ready": "wait for poll bits on a socket: ready NAME POLLIN",
    "signal": "wait for SIGIO or SIGURG: signal SIGIO b",
    "wire": "wait for a packet: wire tcp SYN from c",
    "on": "capture the packets (of the named sockets, or all)",
    "off": "stop capturing (or leave the named sockets out)",
    "save": "write what was captured to a pcap file",
    "hold": "queue each chunk until forward, drop or replace decides",
    "stop": "end the relay between these two sockets",
    "wait": "block until the relay ends (timeout= to give up)",
    "client": "start a TLS handshake as the client",
    "server": "answer a TLS handshake (cert= key= or selfsigned)",
    "close": "send close_notify: end the TLS stream on purpose",
}
_WIRE_META = {
    "SYN": "opens a connection", "ACK": "acknowledges", "FIN": "no more data from this side",
    "RST": "aborts the connection", "PSH": "deliver now", "URG": "urgent data",
    "ECE": "congestion seen (ECN)", "CWR": "window reduced (ECN)",
    "PORT_UNREACH": "nobody listens on that port", "FRAG_NEEDED": "too big for the path (IPv4)",
    "PKT_TOOBIG": "too big for the path (IPv6)", "DEST_UNREACH": "any destination-unreachable error",
    "from": "sent by this socket", "to": "sent to this socket",
    "count=": "exactly N such packets", "win=": "with this window", "len=": "with this payload length",
}


def sysctl_keys() -> list[Candidate]:
    """Keys the sysctl command reads, from the engine's table, each with a line of meaning."""
    try:
        from sockplay.core import sysctl
    except ImportError:  # an engine without the table: whatever the directory holds
        try:
            return [(k, f"{SYSCTL_DIR}/{k}") for k in sorted(os.listdir(SYSCTL_DIR))]
        except OSError:
            return []
    return [(r.key, f"{r.unit} · {first_sentence(r.help)}") for r in sysctl.SYSCTLS]


def _ioctl_meta() -> dict[str, str]:
    """Help lines for ioctl requests (and their aliases) from the engine's table."""
    try:
        from sockplay.core import ioctls
    except ImportError:
        return {}
    meta: dict[str, str] = {}
    for r in ioctls.IOCTLS:
        meta[r.name] = first_sentence(r.help)
        for alias in r.aliases:
            meta.setdefault(alias, f"same as {r.name}")
    return meta


def cmsg_types() -> list[Candidate]:
    """Ancillary message names `expect cmsg` can check, from the engine's cmsg table."""
    try:
        from sockplay.core import cmsg
    except ImportError:
        return []
    return [(t.name, first_sentence(t.help)) for t in cmsg.CMSGS]


# ---------------------------------------------------------------- splitting
@dataclass(slots=True)
class _Line:
    """The current command's words before the cursor, and the word being typed."""

    words: list[str]  # complete words, command name first
    partial: str  # text of the word under the cursor ('' after a space)
    in_quote: bool = False
    in_comment: bool = False


def split_before_cursor(text: str) -> _Line:
    """Split like the grammar does (quotes, `;`, `#`), but never fail on half-typed text."""
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and i + 1 < len(text):
                cur.append(text[i : i + 2])
                i += 2
                continue
            if ch == quote:
                quote = ""
            else:
                cur.append(ch)
        elif ch in " \t":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
        elif ch == ";":
            words, cur, in_word = [], [], False
        elif ch == "#" and not in_word:
            return _Line(words, "", in_comment=True)
        elif ch in "\"'":
            quote = ch
            in_word = True
        else:
            cur.append(ch)
            in_word = True
        i += 1
    return _Line(words, "".join(cur) if in_word else "", in_quote=bool(quote))


# ---------------------------------------------------------------- the completer


class CommandCompleter(Completer):
    """Completes commands, then each argument by the kind the command table gives it.

    `socket_names` returns the names open right now. `extra_commands` maps
    front-end-only commands (the REPL's `python`) to a line of help.
    `namespace`, when given, returns the Python namespace used to complete
    `!expr` lines.
    """

    def __init__(
        self,
        socket_names: Callable[[], Iterable[str]],
        extra_commands: Mapping[str, str] | None = None,
        namespace: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.socket_names = socket_names
        self.extra_commands = dict(extra_commands or {})
        self.namespace = namespace
        self._sysctl: list[Candidate] | None = None
        self._ioctl_meta: dict[str, str] | None = None

    # -- prompt_toolkit entry point ------------------------------------------------
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        before = document.text_before_cursor
        stripped = before.lstrip()
        if stripped.startswith("!") or stripped.lower().startswith("python "):
            if self.namespace is not None:
                code = stripped[1:] if stripped.startswith("!") else stripped[len("python ") :]
                yield from python_completions(code, self.namespace())
            return
        line = split_before_cursor(before)
        if line.in_quote or line.in_comment:
            return
        for text, meta in self.candidates(line.words, line.partial):
            yield Completion(text, start_position=-len(line.partial), display_meta=meta or None)

    # -- what fits where ------------------------------------------------------------
    def candidates(self, words: list[str], partial: str) -> list[Candidate]:
        """Every (text, meta) that may replace `partial` after the complete `words`."""
        if not words:
            pool: list[Candidate] = [(c.name, first_sentence(c.help)) for c in commands.COMMANDS]
            pool += list(self.extra_commands.items())
            return _match(pool, partial)
        spec = commands.command(words[0])
        if spec is None:
            return []
        args = words[1:]
        if "=" in partial:
            return self._key_value(spec, partial)
        if spec.name == "expect":
            return _match(self._expect(args), partial)
        if spec.name == "recv" and args and args[-1].lower() == "until":
            return _match([('"\\r\\n"', "a delimiter, kept in the message"), ("len=", "a byte count"),
                           ("/", "a regular expression between slashes: /REGEX/")], partial)
        if spec.name == "recv" and len(args) == 1:
            extra = [("until", "read one message: until DATA, len=N or /REGEX/")]
        else:
            extra = []
        pool = []
        kinds, keys_open = self.kinds_at(spec, args)
        for kind, context in kinds:
            pool += self.vocab(kind, context, spec.name)
        if keys_open:
            used = {a.split("=", 1)[0] for a in args if "=" in a} | set(args)
            for k in spec.keys:
                if k.key in used:
                    continue
                text = k.key if k.kind == "switch" else k.key + "="
                pool.append((text, k.help))
        return _match(pool + extra, partial)

    def kinds_at(self, spec: CommandSpec, args: list[str]) -> tuple[list[tuple[str, list[str]]], bool]:
        """Kinds the next word may have, each with the words before it; and whether keys fit now."""
        positional = [a for a in args if "=" not in a and not _is_switch(spec, a)]
        i = 0
        consumed_repeat = False
        for word in positional:
            while i < len(spec.args) and spec.args[i].optional and not _fits(word, spec.args[i].kind):
                i += 1
                consumed_repeat = False
            if i >= len(spec.args):
                break
            if spec.args[i].repeat:
                consumed_repeat = True
            else:
                i += 1
        kinds: list[tuple[str, list[str]]] = []
        j = i
        while j < len(spec.args):
            a = spec.args[j]
            kinds.append((a.kind, positional))
            if not (a.optional or (a.repeat and consumed_repeat)):
                break
            j += 1
            consumed_repeat = False
        keys_open = j >= len(spec.args)
        return kinds, keys_open

    def vocab(self, kind: str, before: list[str], command: str = "") -> list[Candidate]:
        """Words of one kind with a line of meaning each; `before` gives context for values."""
        if kind in ("sock", "addr"):
            return [(n, "") for n in sorted(self.socket_names())]
        if kind == "tlstarget":
            return [(n, "") for n in sorted(self.socket_names())] + [("keylog", "write SSLKEYLOGFILE lines to FILE")]
        if kind == "tlsrole":
            if before and before[0].lower() == "keylog":
                return []
            return [(w, _FIELD_META.get(w, "")) for w in commands.TLS_ROLES]
        if kind == "relaymode":
            return [(w, _FIELD_META.get(w, "")) for w in commands.RELAY_MODES]
        if kind == "option":
            return [(r.name, f"{r.kind} · {first_sentence(r.help)}") for r in catalog.OPTIONS]
        if kind == "flags":
            sending = command.startswith("send")
            receiving = command.startswith("recv")
            return [
                (f.short, f.help)
                for f in flags.MSG_FLAGS
                if (f.send and sending) or (f.recv and receiving) or (not sending and not receiving)
            ]
        if kind in ("family", "type", "proto"):
            table = {"family": flags.FAMILIES, "type": flags.TYPES, "proto": flags.PROTOCOLS}[kind]
            return [(c.words[0], f"{c.name} · {c.help}") for c in table]
        if kind == "how":
            return [(w, _HOW_META.get(w, "")) for w in commands.HOW_WORDS]
        if kind == "request":
            if self._ioctl_meta is None:
                self._ioctl_meta = _ioctl_meta()
            return [(r, self._ioctl_meta.get(r, "")) for r in commands.ioctl_requests()]
        if kind == "key":
            if self._sysctl is None:
                self._sysctl = sysctl_keys()
            return self._sysctl
        if kind == "topic":
            pool = [(c.name, first_sentence(c.help)) for c in commands.COMMANDS]
            pool += [(t.name, first_sentence(t.help)) for t in commands.TOPICS]
            pool += [(r.name, f"{r.kind} · {first_sentence(r.help)}") for r in catalog.OPTIONS]
            pool += [(f.name, f.help) for f in flags.MSG_FLAGS]
            return pool
        if kind == "value":
            return self._values(before)
        if kind in ("sockflag", "fcntlop", "field", "wireop"):
            return [(w, _FIELD_META.get(w, "")) for w in commands.vocabulary(kind)]
        if kind == "wirearg":
            if before and before[0].lower() == "save":
                return [] if len(before) > 1 else [("wire.pcap", "a file name")]
            return [(n, "") for n in sorted(self.socket_names())]
        return []

    def _values(self, before: list[str]) -> list[Candidate]:
        """Suggested VALUEs: on/off for boolean options and fcntl switches, forms for SO_LINGER."""
        if len(before) >= 2:
            op = before[1]
            if op.lower() in ("nonblock", "async"):
                return [(w, "") for w in commands.ONOFF]
            try:
                row = catalog.option(op)
            except ValueError:
                return []
            if row.kind == "bool":
                return [("on", "1"), ("off", "0")]
            if row.kind == "linger":
                return [("on,0", "close resets the connection"), ("on,5", "close waits up to 5 s"), ("off", "")]
        return []

    def _expect(self, args: list[str]) -> list[Candidate]:
        """expect FIELD VALUE...: what follows depends on the field."""
        if not args:
            return [(f, _FIELD_META.get(f, "")) for f in commands.EXPECT_FIELDS]
        field = args[0].lower()
        if field == "ready":
            if len(args) == 1:
                return self.vocab("sock", [])
            return [(f.name, f.help) for f in flags.POLL_BITS]
        if field == "wire":
            if len(args) == 1:
                return [(p, "") for p in commands.WIRE_PROTOS]
            if args[-1].lower() in ("from", "to"):
                return self.vocab("sock", [])
            proto = args[1].lower()
            words = commands.TCP_FLAG_WORDS if proto == "tcp" else commands.ICMP_WORDS if proto.startswith("icmp") else ()
            pool = [(w, _WIRE_META.get(w, "")) for w in words if w not in args]
            pool += [(w, _WIRE_META[w]) for w in ("from", "to") if w not in args]
            pool += [(k + "=", _WIRE_META[k + "="]) for k in commands.WIRE_KEYS]
            return pool
        if len(args) > 1:
            return []
        if field == "errno":
            return [(name, os.strerror(code)) for code, name in sorted(errno.errorcode.items())]
        if field == "flags":
            return [(f.name, f.help) for f in flags.MSG_FLAGS]
        if field == "cmsg":
            return cmsg_types()
        return []

    def _key_value(self, spec: CommandSpec, partial: str) -> list[Candidate]:
        """After `key=`: socket names for to= and rights= (after the last comma)."""
        key, _, value = partial.partition("=")
        k = spec.key(key.lower())
        if k is None or k.kind not in ("addr", "socks"):
            return []
        head = key + "="
        taken: set[str] = set()
        if k.kind == "socks" and "," in value:
            listed = value.rsplit(",", 1)[0]
            head += listed + ","
            taken = set(listed.split(","))
        names = [n for n in sorted(self.socket_names()) if n not in taken]
        return _match([(head + n, "") for n in names], partial)


def _is_switch(spec: CommandSpec, word: str) -> bool:
    k = spec.key(word.lower())
    return k is not None and k.kind == "switch"


def _fits(word: str, kind: str) -> bool:
    """Could `word` be an argument of `kind`? Used to skip optional arguments left out."""
    w = word.lower()
    if kind in ("size", "int", "ms"):
        return (w[:1].isascii() and w[:1].isdigit()) or w[:1] == "-"
    if kind in ("flags", "proto", "sockflag", "family", "type", "how", "fcntlop", "field", "wireop"):
        vocab = {v.lower() for v in commands.vocabulary(kind)}
        if kind == "flags":
            vocab |= {f.name.lower() for f in flags.MSG_FLAGS}
        if kind in ("proto", "family", "type"):
            table = {"proto": flags.PROTOCOLS, "family": flags.FAMILIES, "type": flags.TYPES}[kind]
            vocab |= {x.lower() for c in table for x in (c.name, *c.words)}
        return w in vocab
    return True


def _match(pool: Iterable[Candidate], partial: str) -> list[Candidate]:
    """Case-insensitive prefix match, first occurrence of each text kept, in table order."""
    p = partial.lower()
    seen: set[str] = set()
    out: list[Candidate] = []
    for text, meta in pool:
        if text.lower().startswith(p) and text not in seen:
            seen.add(text)
            out.append((text, meta))
    if not out and p:
        # Short option names: `rcv` finds SO_RCVBUF by its short name `rcvbuf`.
        for text, meta in pool:
            short = _short(text)
            if short and short.startswith(p) and short not in seen:
                seen.add(short)
                out.append((short, f"{text} · {meta}" if meta else text))
    return out


def _short(name: str) -> str | None:
    for prefix in ("SO_", "TCP_", "IPV6_", "IP_", "MSG_"):
        if name.startswith(prefix):
            return name[len(prefix) :].lower()
    return None


# ---------------------------------------------------------------- python mode
def python_completions(code: str, namespace: dict[str, Any]) -> Iterator[Completion]:
    """Complete the last dotted name in `code` with rlcompleter (no jedi, no imports run)."""
    end = len(code)
    start = end
    while start > 0 and (code[start - 1].isalnum() or code[start - 1] in "_."):
        start -= 1
    word = code[start:end]
    if not word:
        return
    rl = rlcompleter.Completer(namespace)
    seen: set[str] = set()
    for state in range(200):
        try:
            match = rl.complete(word, state)
        except Exception:  # noqa: BLE001 - a property raising while we look must not break typing
            return
        if match is None:
            return
        match = match.rstrip("(")
        if match not in seen:
            seen.add(match)
            yield Completion(match, start_position=-len(word))


class PythonCompleter(Completer):
    """Python-mode completion over a live namespace (the playground and its sockets)."""

    def __init__(self, namespace: Callable[[], dict[str, Any]]) -> None:
        self.namespace = namespace

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        yield from python_completions(document.text_before_cursor, self.namespace())
