"""Words of the command language: shell-like splitting with positions for error messages.

A line splits into words at spaces; quotes (double or single) keep spaces and
may join a word from pieces (`a"b c"d` is one word). Inside quotes a backslash
starts a C escape (`\\n`, `\\0`, `\\x41` with exactly two hex digits, `\\101`);
outside quotes a backslash is an ordinary character. `#` at the start of a word
begins a comment and `;` outside quotes separates two commands on one line.
Every word keeps its column so an error can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

HEX_PREFIX = "hex:"

# C escapes: the character after the backslash -> the byte it stands for.
SIMPLE_ESCAPES: dict[str, int] = {
    "a": 0x07, "b": 0x08, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B,
    "\\": 0x5C, "'": 0x27, '"': 0x22, "?": 0x3F,
}
_HEX = "0123456789abcdefABCDEF"
_OCT = "01234567"


class ScriptError(Exception):
    """A line that cannot run as written: where (line, column, 1-based) and why."""

    def __init__(self, line: int, col: int, message: str) -> None:
        self.line = line
        self.col = col
        self.message = message
        super().__init__(f"line {line}, column {col}: {message}")

    def format(self, filename: str | None = None) -> str:
        """`file:line:col: message`, the form compilers use, so editors can jump to it."""
        where = f"{filename}:" if filename else "line "
        if filename:
            return f"{where}{self.line}:{self.col}: {self.message}"
        return f"line {self.line}, column {self.col}: {self.message}"


@dataclass(frozen=True, slots=True)
class Part:
    """A run of characters inside one word: quoted (escapes decoded) or bare (literal)."""

    value: bytes
    quoted: bool
    col: int  # column of the first source character of this part (the quote, if quoted)
    source: str  # the characters as written, quotes excluded


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its pieces, where it starts and ends, and the text as written."""

    parts: tuple[Part, ...]
    col: int  # 1-based column of the first character
    end: int  # 1-based column just past the last character
    raw: str  # the word exactly as written, quotes included

    @property
    def quoted(self) -> bool:
        return any(p.quoted for p in self.parts)

    @property
    def bytes(self) -> bytes:
        """The word's bytes with quotes removed and escapes decoded."""
        return b"".join(p.value for p in self.parts)

    @property
    def text(self) -> str:
        """The word as a string (escapes decoded); bytes that are not UTF-8 show as U+FFFD."""
        return self.bytes.decode("utf-8", errors="replace")

    @property
    def bare(self) -> bool:
        """True when no part is quoted: only bare words can be keywords such as count=5."""
        return not self.quoted


def _unescape(body: str, start_col: int, lineno: int) -> bytes:
    """Decode C escapes in a quoted part; `start_col` is the column of body[0]."""
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            j = body.find("\\", i)
            j = n if j < 0 else j
            out += body[i:j].encode("utf-8")
            i = j
            continue
        col = start_col + i
        if i + 1 >= n:
            raise ScriptError(lineno, col, "a backslash ends the quoted text; write \\\\ for a backslash")
        nxt = body[i + 1]
        if nxt in SIMPLE_ESCAPES:
            out.append(SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt == "x":
            digits = body[i + 2 : i + 4]
            if len(digits) < 2 or any(d not in _HEX for d in digits):
                found = repr(body[i : i + 4])
                raise ScriptError(
                    lineno, col, f"\\x needs exactly two hex digits, as in \\x0a; found {found}"
                )
            out.append(int(digits, 16))
            i += 4
        elif nxt in _OCT:
            j = i + 1
            while j < n and j < i + 4 and body[j] in _OCT:
                j += 1
            value = int(body[i + 1 : j], 8)
            if value > 0xFF:
                raise ScriptError(lineno, col, f"octal escape \\{body[i + 1 : j]} is above \\377 (one byte)")
            out.append(value)
            i = j
        else:
            raise ScriptError(
                lineno,
                col,
                f"unknown escape \\{nxt}; use \\n \\r \\t \\0 \\\\ \\\" \\xHH (two hex digits) or \\NNN (octal)",
            )
    return bytes(out)


def _check_text(line: str, lineno: int) -> None:
    """A pasted line may hold bytes that are not UTF-8 (lone surrogates): say where, not crash later."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        ch = line[exc.start]
        raise ScriptError(
            lineno, exc.start + 1,
            f"U+{ord(ch):04X} is not text (bytes that are not UTF-8?); "
            "write raw bytes inside quotes as \\xHH, or as hex: data",
        ) from None


def split_commands(line: str, lineno: int = 1) -> list[list[Token]]:
    """Split one line into commands (at `;`), each a list of words; comments dropped."""
    _check_text(line, lineno)
    commands: list[list[Token]] = []
    words: list[Token] = []
    parts: list[Part] = []
    word_start = -1
    i = 0
    n = len(line)

    def finish_word(end: int) -> None:
        nonlocal parts, word_start
        if word_start >= 0:
            words.append(Token(tuple(parts), word_start + 1, end + 1, line[word_start:end]))
        parts = []
        word_start = -1

    while i < n:
        ch = line[i]
        if ch in " \t\r\n\f\v":
            finish_word(i)
            i += 1
        elif ch == "#" and word_start < 0:
            break
        elif ch == ";":
            finish_word(i)
            commands.append(words)
            words = []
            i += 1
        elif ch in "\"'":
            if word_start < 0:
                word_start = i
            close = i + 1
            while close < n and line[close] != ch:
                close += 2 if line[close] == "\\" else 1
            if close >= n:
                raise ScriptError(
                    lineno, i + 1, f"the quote {ch} opened here is never closed; add a {ch} at the end of the text"
                )
            body = line[i + 1 : close]
            parts.append(Part(_unescape(body, i + 2, lineno), True, i + 1, body))
            i = close + 1
        else:
            if word_start < 0:
                word_start = i
            j = i
            while j < n and line[j] not in " \t\r\n\f\v\"';" and not (line[j] == "#" and j == word_start):
                j += 1
            j = max(j, i + 1)
            parts.append(Part(line[i:j].encode("utf-8"), False, i + 1, line[i:j]))
            i = j
    finish_word(n)
    commands.append(words)
    return [c for c in commands if c]


def tokenize(line: str, lineno: int = 1) -> list[Token]:
    """All words of a line (commands joined), for completers and highlighters."""
    return [t for cmd in split_commands(line, lineno) for t in cmd]


FILE_PREFIX = "file:"
FILE_LIMIT = 16 << 20  # bytes: what one send of a file may carry


def decode_data(token: Token, lineno: int = 1) -> bytes:
    """DATA as typed: `hex:48 65` (bare prefix) gives those bytes, `file:PATH` that file's, anything else its own."""
    first = token.parts[0]
    if not first.quoted and first.source.lower().startswith(HEX_PREFIX):
        return _decode_hex(token, lineno)
    if not first.quoted and first.source.startswith(FILE_PREFIX):
        return _read_file(token, lineno)
    return token.bytes


def _read_file(token: Token, lineno: int) -> bytes:
    import os

    path = token.text[len(FILE_PREFIX):]
    col = token.col + len(FILE_PREFIX)
    if not path:
        raise ScriptError(lineno, col, "file: needs a path, as in file:request.bin")
    full = os.path.expanduser(path)
    try:
        size = os.path.getsize(full)
        if size > FILE_LIMIT:
            raise ScriptError(lineno, col, f"{path} is {size} bytes; file: data may be at most 16 MiB")
        with open(full, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ScriptError(lineno, col, f"cannot read {path}: {exc.strerror}") from None


def _decode_hex(token: Token, lineno: int) -> bytes:
    digits: list[tuple[str, int]] = []  # (digit, column)
    for k, part in enumerate(token.parts):
        src = part.source[len(HEX_PREFIX) :] if k == 0 else part.source
        base = part.col + (len(HEX_PREFIX) if k == 0 else (1 if part.quoted else 0))
        for off, ch in enumerate(src):
            if ch in " _:-":
                continue
            if ch not in _HEX:
                raise ScriptError(
                    lineno, base + off, f"{ch!r} is not a hex digit; hex: data takes pairs such as hex:48656c6c6f"
                )
            digits.append((ch, base + off))
    if len(digits) % 2:
        raise ScriptError(
            lineno,
            digits[-1][1],
            f"hex: data has an odd number of digits ({len(digits)}); each byte takes two, as in hex:0a",
        )
    return bytes.fromhex("".join(d for d, _ in digits))


def quote_data(data: bytes) -> str:
    """DATA text that parses back to `data`: a plain word when safe, else a C-escaped quote."""
    if data and all(0x21 <= b < 0x7F for b in data) and not any(c in data for c in b"\"'#;\\"):
        if not data.lower().startswith((HEX_PREFIX.encode(), b"file:")) and b"=" not in data:
            return data.decode()
    out = []
    for b in data:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


def show_data(data: bytes) -> str:
    """Bytes for people to read: always in double quotes, C escapes for the rest."""
    q = quote_data(data)
    return q if q.startswith('"') else f'"{q}"'


def quote_word(text: str) -> str:
    """A word that splits back as one: quoted when it holds spaces or special characters."""
    if text and not any(c in text for c in " \t\"'#;\\"):
        return text
    return quote_data(text.encode("utf-8")) if text else '""'
