"""The word splitter and DATA forms: what people type becomes exactly these words and bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockplay.lang.grammar import (
    ScriptError,
    decode_data,
    quote_data,
    quote_word,
    show_data,
    split_commands,
    tokenize,
)


def words(line: str) -> list[str]:
    return [t.text for t in tokenize(line)]


def data(word: str) -> bytes:
    (tok,) = tokenize(word)
    return decode_data(tok)


def error(line: str) -> ScriptError:
    with pytest.raises(ScriptError) as info:
        tokenize(line, lineno=7)
    assert info.value.line == 7
    return info.value


# -- splitting ---------------------------------------------------------------------------
def test_words_split_at_spaces_and_tabs():
    assert words("socket  s\tinet stream") == ["socket", "s", "inet", "stream"]


def test_columns_are_one_based_and_point_at_each_word():
    toks = tokenize('  send a "x y"')
    assert [(t.col, t.end) for t in toks] == [(3, 7), (8, 9), (10, 15)]
    assert toks[2].raw == '"x y"'


def test_quotes_keep_spaces_and_join_pieces():
    assert words('echo "two words" \'and more\' a"b c"d') == ["echo", "two words", "and more", "ab cd"]


def test_comment_starts_only_at_a_word():
    assert words("send a x # the rest is a comment") == ["send", "a", "x"]
    assert words("send a x#y") == ["send", "a", "x#y"]
    assert words('send a "#not a comment"') == ["send", "a", "#not a comment"]
    assert tokenize("# only a comment") == []
    assert tokenize("   ") == []


def test_semicolon_separates_commands_outside_quotes():
    cmds = split_commands('socket s inet stream; send s "a;b"')
    assert [[t.text for t in c] for c in cmds] == [["socket", "s", "inet", "stream"], ["send", "s", "a;b"]]
    assert cmds[1][0].col == 23


def test_backslash_is_literal_outside_quotes():
    assert data(r"a\nb") == b"a\\nb"


def test_empty_quotes_make_an_empty_word():
    (tok,) = tokenize('""')
    assert tok.bytes == b"" and tok.quoted


# -- data forms ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hello", b"hello"),
        ('"GET / HTTP/1.0\\r\\n\\r\\n"', b"GET / HTTP/1.0\r\n\r\n"),
        ('"\\t\\v\\f\\a\\b\\e\\?"', b"\t\v\f\x07\x08\x1b?"),
        ('"q\\"q"', b'q"q'),
        ("'it\\'s'", b"it's"),
        ('"back\\\\slash"', b"back\\slash"),
        ('"\\0"', b"\x00"),
        ('"\\101\\1012"', b"AA2"),  # octal takes at most three digits
        ('"\\x41\\x4a"', b"AJ"),
        ('"\\x414"', b"A4"),  # \xHH takes exactly two digits, unlike C
        ('"\\xff\\x00"', b"\xff\x00"),
        ('"héllo"', "héllo".encode()),
        ("hex:48656c6c6f", b"Hello"),
        ("HEX:00ff", b"\x00\xff"),
        ('hex:"48 65 6c"', b"Hel"),
        ("hex:de_ad-be:ef", b"\xde\xad\xbe\xef"),
        ("hex:", b""),
        ('"hex:41"', b"hex:41"),  # quoted: the text itself, not hex
    ],
)
def test_data_forms(word: str, expected: bytes):
    assert data(word) == expected


# -- every error path ----------------------------------------------------------------------
def test_unclosed_quote_points_at_the_quote():
    e = error('send a "hello')
    assert e.col == 8
    assert "never closed" in e.message


def test_unclosed_single_quote():
    e = error("echo 'x")
    assert e.col == 6 and "'" in e.message


@pytest.mark.parametrize("bad", ['"\\x4"', '"\\xg0"', '"\\x"'])
def test_hex_escape_needs_two_digits(bad: str):
    e = error("send a " + bad)
    assert e.col == 9
    assert "exactly two hex digits" in e.message


def test_unknown_escape_is_named():
    e = error('send a "a\\qb"')
    assert e.col == 10
    assert "unknown escape \\q" in e.message


def test_octal_above_one_byte():
    e = error('send a "\\777"')
    assert "above \\377" in e.message and e.col == 9


def test_escaped_quote_at_end_leaves_quote_open():
    e = error('send a "abc\\"')
    assert "never closed" in e.message


def test_hex_data_odd_digits():
    (tok,) = tokenize("hex:abc")
    with pytest.raises(ScriptError) as info:
        decode_data(tok, 3)
    assert info.value.line == 3 and info.value.col == 7
    assert "odd number of digits" in info.value.message


def test_hex_data_bad_digit_column():
    (tok,) = tokenize("x hex:4g")[1:]
    with pytest.raises(ScriptError) as info:
        decode_data(tok)
    assert info.value.col == 8
    assert "'g' is not a hex digit" in info.value.message


def test_script_error_formats_like_a_compiler():
    e = ScriptError(3, 14, "bad")
    assert e.format("x.sp") == "x.sp:3:14: bad"
    assert str(e) == "line 3, column 14: bad"


# -- quoting back --------------------------------------------------------------------------
def test_quote_data_keeps_simple_words_bare():
    assert quote_data(b"hello") == "hello"
    assert quote_data(b"a b") == '"a b"'
    assert quote_data(b"count=3") == '"count=3"'  # would read as a setting
    assert quote_data(b"hex:00") == '"hex:00"'
    assert show_data(b"cc") == '"cc"'
    assert quote_word("") == '""'


@given(st.binary(max_size=40))
def test_quote_data_round_trips(b: bytes):
    (tok,) = tokenize(quote_data(b))
    assert decode_data(tok) == b


@given(st.text(max_size=30))
def test_tokenize_never_fails_otherwise(line: str):
    try:
        toks = tokenize(line)
    except ScriptError as e:
        assert 1 <= e.col <= len(line) + 1
    else:
        for t in toks:
            assert 1 <= t.col < t.end <= len(line) + 1
