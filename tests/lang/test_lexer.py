"""The language lexer: token types for representative lines, and no crash on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
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
    Token,
)

from sockplay.lang import commands
from sockplay.lang.lexer import TOKEN_STYLES, SockLexer, style_for, style_spans, token_spans

LEXER = SockLexer()


def toks(line: str) -> list[tuple[object, str]]:
    """Non-blank (token type, text) pairs of one line."""
    return [(t, v) for t, v in LEXER.get_tokens(line) if v.strip()]


def test_every_command_of_the_table_is_a_keyword() -> None:
    for name in commands.COMMAND_NAMES:
        assert toks(name + " x")[0] == (Keyword, name)


def test_unknown_first_word_is_an_error_and_the_rest_still_lexes() -> None:
    assert toks("frobnicate s1 SO_RCVBUF") == [
        (Error, "frobnicate"),
        (Name.Variable, "s1"),
        (Name.Constant, "SO_RCVBUF"),
    ]


def test_setsockopt_line() -> None:
    assert toks("setsockopt s1 SO_LINGER on,0  # reset on close") == [
        (Keyword, "setsockopt"),
        (Name.Variable, "s1"),
        (Name.Constant, "SO_LINGER"),
        (Name.Constant, "on"),
        (Punctuation, ","),
        (Number.Integer, "0"),
        (Comment.Single, "# reset on close"),
    ]


def test_socket_family_type_protocol_are_type_keywords() -> None:
    assert toks("socket u inet6 dgram udp")[2:] == [
        (Keyword.Type, "inet6"),
        (Keyword.Type, "dgram"),
        (Keyword.Type, "udp"),
    ]
    assert toks("socket s AF_INET SOCK_STREAM")[2:] == [
        (Keyword.Type, "AF_INET"),
        (Keyword.Type, "SOCK_STREAM"),
    ]


def test_data_strings_escapes_flags_and_extras() -> None:
    assert toks(r'send a "hi\n\x41\q" peek MSG_DONTWAIT count=3') == [
        (Keyword, "send"),
        (Name.Variable, "a"),
        (String.Double, '"'),
        (String.Double, "hi"),
        (String.Escape, r"\n"),
        (String.Escape, r"\x41"),
        (Error, r"\q"),
        (String.Double, '"'),
        (Name.Constant, "peek"),
        (Name.Constant, "MSG_DONTWAIT"),
        (Name.Attribute, "count"),
        (Operator, "="),
        (Number.Integer, "3"),
    ]


def test_single_quotes_and_hex_data() -> None:
    assert toks("sendto u @sock hex:00ffzz") == [
        (Keyword, "sendto"),
        (Name.Variable, "u"),
        (Number.Other, "@sock"),
        (Keyword.Pseudo, "hex:"),
        (Number.Hex, "00ff"),
        (Error, "zz"),
    ]
    assert toks("send a 'x y'")[2:] == [(String.Single, "'"), (String.Single, "x y"), (String.Single, "'")]


def test_addresses_in_every_form() -> None:
    for addr in ("127.0.0.1:8080", "[::1]:80", "./demo.sock", "/tmp/x.sock", "@abstract", "localhost:80"):
        assert toks(f"connect c {addr}")[2] == (Number.Other, addr), addr


def test_numbers_sizes_and_durations() -> None:
    assert toks("recv b 64k")[2] == (Number.Integer, "64k")
    assert toks("setsockopt s SO_RCVTIMEO 1.5")[3] == (Number.Float, "1.5")
    assert toks("ioctl s FIONBIO 0x1")[2:] == [(Name.Constant, "FIONBIO"), (Number.Hex, "0x1")]


def test_semicolon_starts_a_new_command_and_echo_takes_text() -> None:
    assert toks('echo peer "reads now"; recv b') == [
        (Keyword, "echo"),
        (Text, "peer"),
        (String.Double, '"'),
        (String.Double, "reads now"),
        (String.Double, '"'),
        (Punctuation, ";"),
        (Keyword, "recv"),
        (Name.Variable, "b"),
    ]


def test_expect_and_errno_and_poll_bits() -> None:
    assert toks("expect errno EAGAIN")[1:] == [(Name.Constant, "errno"), (Name.Constant, "EAGAIN")]
    assert toks("expect ready b POLLIN")[3] == (Name.Constant, "POLLIN")


def test_python_lines_use_the_python_lexer() -> None:
    got = toks('!pg.recv("b", 2)')
    assert got[0] == (Punctuation, "!")
    assert (Name, "pg") in got
    assert (Number.Integer, "2") in got
    got = toks("python print(1)")
    assert got[0] == (Keyword, "python")
    assert (Name.Builtin, "print") in got


def test_comment_line_and_lines_are_independent() -> None:
    got = [(t, v) for t, v in LEXER.get_tokens('# just a note\nfrob "open\nrecv b') if v.strip()]
    assert got[0] == (Comment.Single, "# just a note")
    assert (Error, "frob") in got
    assert got[-2:] == [(Keyword, "recv"), (Name.Variable, "b")]


def test_style_for_climbs_to_a_parent_and_every_style_parses() -> None:
    from rich.style import Style

    assert style_for(Number.Integer) == TOKEN_STYLES[Number]
    assert style_for(Token.Text) is None
    for s in TOKEN_STYLES.values():
        Style.parse(s)  # raises on a string rich cannot read


def test_spans_cover_the_text_exactly() -> None:
    line = 'send a "x\\n" peek'
    spans = list(token_spans(line))
    assert "".join(line[s:e] for s, e, _ in spans) == line
    styled = style_spans(line)
    assert (0, 4, TOKEN_STYLES[Keyword]) in styled


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_lexer_never_raises_and_keeps_every_character(text: str) -> None:
    spans = list(token_spans(text))
    assert "".join(text[s:e] for s, e, _ in spans) == text
    assert all(isinstance(t, type(Token)) for _, _, t in spans)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list(commands.COMMAND_NAMES)
            + ['"', "'", "\\", "\\x", "hex:", "=", ";", "#", "!", "[", "]", ":", "@", "/", ",", "SO_RCVBUF", "1.5", " ", "\n"]
        ),
        max_size=30,
    )
)
def test_lexer_never_raises_on_language_shaped_noise(parts: list[str]) -> None:
    text = "".join(parts)
    assert "".join(v for _, _, v in LEXER.get_tokens_unprocessed(text)) == text


def test_rich_highlighter_styles_the_spans_of_a_line() -> None:
    from rich.style import Style
    from rich.text import Text

    from sockplay.tui.highlight import rich_highlighter

    text = Text("recv b 2 peek")
    rich_highlighter().highlight(text)
    spans = {(s.start, s.end): s.style for s in text.spans}
    assert Style.parse(str(spans[(0, 4)])) == Style.parse(TOKEN_STYLES[Keyword])
    assert Style.parse(str(spans[(9, 13)])) == Style.parse(TOKEN_STYLES[Name.Constant])
    custom = rich_highlighter({Keyword: "bold red"})
    t2 = Text("recv b")
    custom.highlight(t2)
    assert [(s.start, s.end, str(s.style)) for s in t2.spans] == [(0, 4, "bold red")]
