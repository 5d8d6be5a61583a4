"""Hexdump with the text beside it, as `hexdump -C` lays it out: pure functions, no Textual.

Received bytes are rarely all text, so the Send/Recv tab shows every byte in hex
with its printable character in a column on the right. The number of bytes per
line adapts to the room there is (16 when it fits, else 8 or 4), because the
detail pane is narrow at the design's 120 columns.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTHS = (16, 8, 4)  # bytes per line, widest first
GAP = "  "  # between the offset, the hex and the text columns


@dataclass(frozen=True, slots=True)
class HexRow:
    """One line of a dump: its offset, the hex column (padded to full width) and the text."""

    offset: str
    hex: str
    text: str

    def line(self) -> str:
        return f"{self.offset}{GAP}{self.hex}{GAP}{self.text}"


def printable(data: bytes) -> str:
    """Printable ASCII as itself, every other byte as '.' (so columns never shift)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


def offset_digits(total: int) -> int:
    """Hex digits for offsets: 4 up to 64 KiB, more only when the data needs them."""
    return max(4, len(f"{max(total - 1, 0):x}"))


def hex_column(chunk: bytes, width: int) -> str:
    """`68 65 6c` padded to `width` bytes, with an extra space after every 8 bytes."""
    cells = [f"{b:02x}" for b in chunk] + ["  "] * (width - len(chunk))
    groups = [" ".join(cells[i : i + 8]) for i in range(0, width, 8)]
    return "  ".join(groups)


def hex_rows(data: bytes, width: int = 16, base: int = 0) -> list[HexRow]:
    """The dump of `data`, `width` bytes per line; offsets start at `base`."""
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    digits = offset_digits(base + len(data))
    return [
        HexRow(f"{base + i:0{digits}x}", hex_column(data[i : i + width], width), printable(data[i : i + width]))
        for i in range(0, len(data), width)
    ]


def hexdump_lines(data: bytes, width: int = 16) -> list[str]:
    """The dump as plain lines (for tests and for copying out)."""
    return [row.line() for row in hex_rows(data, width)]


def line_width(width: int, digits: int = 4) -> int:
    """Characters one full line takes for `width` bytes per line."""
    return digits + len(GAP) + len(hex_column(b"", width)) + len(GAP) + width


def fit_width(columns: int, digits: int = 4) -> int:
    """The widest bytes-per-line that fits in `columns` characters (4 at the least)."""
    for width in WIDTHS:
        if line_width(width, digits) <= columns:
            return width
    return WIDTHS[-1]
