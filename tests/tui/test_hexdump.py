"""The hexdump renderer of the Send/Recv tab: offsets, '.' for non-printables, partial lines."""

from __future__ import annotations

import pytest

from sockplay.tui.widgets.hexdump import (
    fit_width,
    hex_rows,
    hexdump_lines,
    line_width,
    offset_digits,
    printable,
)


def test_full_and_partial_lines_line_up() -> None:
    lines = hexdump_lines(b"hello world\r\n\x00\xffabcdefghijkl", 16)
    assert lines == [
        "0000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0d 0a 00 ff 61  hello world....a",
        "0010  62 63 64 65 66 67 68 69  6a 6b 6c                 bcdefghijkl",
    ]
    # the text column starts at the same place on the partial last line
    assert lines[0].index("hello") == lines[1].index("bcdef")


def test_offsets_count_bytes_in_hex() -> None:
    rows = hex_rows(bytes(range(40)), 8)
    assert [r.offset for r in rows] == ["0000", "0008", "0010", "0018", "0020"]
    assert rows[-1].hex.split() == ["20", "21", "22", "23", "24", "25", "26", "27"]
    assert [r.offset for r in hex_rows(b"abc", 16, base=0x30)] == ["0030"]


def test_non_printables_are_dots_and_printables_stay() -> None:
    assert printable(b"a\x00\x1f \x7e\x7f\x80\xff\n") == "a.. ~...."
    row = hex_rows(b"\x00A\x7f", 16)[0]
    assert row.text == ".A."
    assert row.hex.startswith("00 41 7f ")


def test_empty_data_has_no_lines() -> None:
    assert hexdump_lines(b"") == []


def test_exact_multiple_has_no_empty_last_line() -> None:
    lines = hexdump_lines(b"x" * 32, 16)
    assert len(lines) == 2 and lines[1].startswith("0010  78")


def test_offsets_widen_past_64k() -> None:
    assert offset_digits(0x10000) == 4
    assert offset_digits(0x10001) == 5
    rows = hex_rows(b"z" * 0x10010, 16)
    assert rows[0].offset == "00000" and rows[-1].offset == "10000"


def test_fit_width_picks_what_fits() -> None:
    assert line_width(16) == 72 and line_width(8) == 39
    assert fit_width(120) == 16
    assert fit_width(72) == 16
    assert fit_width(71) == 8
    assert fit_width(39) == 8
    assert fit_width(30) == 4
    assert fit_width(5) == 4  # never zero: a dump always shows something


def test_bad_width_is_refused() -> None:
    with pytest.raises(ValueError):
        hex_rows(b"abc", 0)
