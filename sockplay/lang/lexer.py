"""One pygments lexer for the command language, shared by every front-end.

prompt_toolkit uses it through `PygmentsLexer(SockLexer)`, the TUI through a rich
highlighter built on `style_spans` (sockplay.tui.highlight), and the README's examples through pygments
itself, so a line looks the same everywhere. The word lists come from the
command table and the engine's constant tables: a new command, option or flag
is coloured as soon as its row exists. Nothing is registered with pygments
globally (no entry point), so importing this module has no side effects.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Iterator
from typing import Any

from pygments.lexer import RegexLexer, bygroups, default, using, words
from pygments.lexers.python import PythonLexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
    _TokenType,
)

from sockplay.core import catalog, flags
from sockplay.lang import commands

# Commands that only the interactive REPL understands (not part of the script language).
REPL_COMMANDS: tuple[str, ...] = ("python",)

# A word ends at whitespace, a quote, `;`, or the start of `=`/`:` continuations.
_END = r"(?![\w.\-:=/@\[])"


def _uniq(items: Iterable[str]) -> list[str]:
    """Longest first, so `SO_RCVBUFFORCE` wins over `SO_RCVBUF` in the alternation."""
    return sorted({i for i in items if i}, key=lambda s: (-len(s), s))


def constant_words() -> list[str]:
    """Option, flag, poll-bit, ioctl, errno and fcntl words: all shown as Name.Constant."""
    out: list[str] = []
    for r in catalog.OPTIONS:
        out += [r.name, r.short]
    for f in flags.MSG_FLAGS:
        out += [f.name, f.short]
    for f in flags.POLL_BITS:
        out.append(f.name)
    out += commands.ioctl_requests()
    out += list(errno.errorcode.values())
    out += commands.HOW_WORDS + commands.FCNTL_OPS + commands.ONOFF + commands.SOCK_FLAGS
    out += commands.EXPECT_FIELDS
    out += commands.WIRE_WORDS
    out += commands.RELAY_MODES + commands.TLS_ROLES + ("keylog", "selfsigned", "udp", "until")
    return _uniq(out)


def type_words() -> list[str]:
    """Family, type and protocol words (inet, stream, udp, AF_INET, ...): Keyword.Type."""
    out: list[str] = []
    for table in (flags.FAMILIES, flags.TYPES, flags.PROTOCOLS):
        for c in table:
            out.append(c.name)
            out += [w for w in c.words if not w.isdigit()]
    return _uniq(out)


def _args_rules(word_token: _TokenType) -> list:
    """Rules for the words after a command; bare words other than known ones get `word_token`."""
    return [
        (r"[ \t]+", Whitespace),
        (r";", Punctuation, "#pop"),
        (r"#.*", Comment.Single),
        (r'"', String.Double, "dq"),
        (r"'", String.Single, "sq"),
        (r"(?i)(hex:)([0-9a-f_:\-]*)([^\s;#\"']*)", bygroups(Keyword.Pseudo, Number.Hex, Error)),
        (r"(file:)([^\s;#\"']*)", bygroups(Keyword.Pseudo, String.Other)),
        (r"(until|~)([ \t]+)(/(?:[^/\\\n]|\\.)*/)" + _END, bygroups(Name.Constant, Whitespace, String.Regex)),
        (r"~", Operator),
        (r"([A-Za-z_]\w*)(=)", bygroups(Name.Attribute, Operator)),
        (r"\[[0-9A-Fa-f:.%\w]*\](?::\d+)?" + _END, Number.Other),
        (r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?" + _END, Number.Other),
        (r"@[^\s;#\"',]*", Number.Other),
        (r"(?:\.{1,2}|~)?/[^\s;#\"',]*", Number.Other),
        (r"[A-Za-z][\w\-]*(?:\.[\w\-]+)*:\d+" + _END, Number.Other),
        (r"-?0x[0-9A-Fa-f]+" + _END, Number.Hex),
        (r"-?\d+\.\d*(?:ms|s)?" + _END, Number.Float),
        (r"-?\d+(?:[kKmMgG]|ms|s)?" + _END, Number.Integer),
        (words(type_words(), suffix=_END), Keyword.Type),
        (words(constant_words(), suffix=_END), Name.Constant),
        (r"(?-i:[A-Z][A-Z0-9]*_[A-Z0-9_]+)" + _END, Name.Constant),
        (r"[A-Za-z_][\w.\-]*", word_token),
        (r",", Punctuation),
        (r"[^\s;#\"',]+", Error),
    ]


def _string_rules(quote: str, token: _TokenType) -> list:
    """C escapes inside quotes; an unclosed quote simply ends with the line."""
    return [
        (r"\\x[0-9A-Fa-f]{2}", String.Escape),
        (r"\\[0-7]{1,3}", String.Escape),
        (r"\\[abefnrtv\\'\"?]", String.Escape),
        (r"\\x", Error),
        (r"\\.", Error),
        (quote, token, "#pop"),
        (r"[^\\\n" + quote + r"]+", token),
        (r"\\", Error),
    ]


class SockLexer(RegexLexer):
    """The sockplay command language: `recv b 2 peek`, `setsockopt s SO_LINGER on,0`."""

    name = "sockplay"
    aliases = ["sockplay", "sp"]
    filenames = ["*.sp"]
    flags = re.IGNORECASE

    tokens = {
        "root": [
            (r"[ \t]+", Whitespace),
            (r"\n", Whitespace),
            (r";", Punctuation),
            (r"#.*", Comment.Single),
            (r"(!)(.*)", bygroups(Punctuation, using(PythonLexer))),
            (r"(python)([ \t]+)(.*)", bygroups(Keyword, Whitespace, using(PythonLexer))),
            (r"(echo)" + _END, Keyword, "text"),
            (words(commands.COMMAND_NAMES + REPL_COMMANDS, suffix=_END), Keyword, "args"),
            (r"[^\s;#]+", Error, "args"),
        ],
        "args": _args_rules(Name.Variable),
        "text": [
            (r"[ \t]+", Whitespace),
            (r";", Punctuation, "#pop"),
            (r"#.*", Comment.Single),
            (r'"', String.Double, "dq"),
            (r"'", String.Single, "sq"),
            (r"[^\s;#\"']+", Text),
            default("#pop"),
        ],
        "dq": _string_rules('"', String.Double),
        "sq": _string_rules("'", String.Single),
    }


# Default colours, as plain style strings that pygments, rich and prompt_toolkit all parse.
# Themes may override entries; `style_for` climbs to the nearest parent that has one.
TOKEN_STYLES: dict[_TokenType, str] = {
    Keyword: "bold #5fafff",
    Keyword.Type: "#af87ff",
    Keyword.Pseudo: "#d7af5f",
    Name.Constant: "#5fd7af",
    Name.Variable: "#ffd75f",
    Name.Attribute: "#87afd7",
    Operator: "#87afd7",
    Number: "#ff875f",
    Number.Other: "#87d75f",
    String: "#d7d787",
    String.Escape: "bold #ff87d7",
    Comment: "italic #808080",
    Punctuation: "#a8a8a8",
    Error: "underline #ff5f5f",
    # Python mode (PythonLexer tokens that are not covered above).
    Name.Builtin: "#5fafd7",
    Name.Function: "#87d7ff",
    Name.Class: "bold #87d7ff",
    Name.Namespace: "#87d7ff",
}


def style_for(ttype: _TokenType, styles: dict[_TokenType, str] | None = None) -> str | None:
    """The style string for a token type, inherited from its nearest styled parent."""
    table = TOKEN_STYLES if styles is None else styles
    t: _TokenType | None = ttype
    while t is not None:
        s = table.get(t)
        if s is not None:
            return s
        t = t.parent
    return None


_lexers: dict[bool, Any] = {}


def lexer(python: bool = False) -> Any:
    """The shared lexer instance, made on first use: pygments compiles every rule's regex when a
    lexer is first made (tens of milliseconds), which an app or a script run should not wait for."""
    lx = _lexers.get(python)
    if lx is None:
        lx = _lexers[python] = PythonLexer() if python else SockLexer()
    return lx


def token_spans(text: str, python: bool = False) -> Iterator[tuple[int, int, _TokenType]]:
    """(start, end, token type) over `text` with exact offsets, for rich/Textual highlighters."""
    lexer_ = lexer(python)
    for index, ttype, value in lexer_.get_tokens_unprocessed(text):
        if value:
            yield index, index + len(value), ttype


def style_spans(
    text: str, styles: dict[_TokenType, str] | None = None, python: bool = False
) -> list[tuple[int, int, str]]:
    """(start, end, style string) for every styled token: what a highlighter applies."""
    out = []
    for start, end, ttype in token_spans(text, python):
        s = style_for(ttype, styles)
        if s:
            out.append((start, end, s))
    return out

