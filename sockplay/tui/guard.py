"""Guards around Textual's terminal input, so hostile bytes on stdin never end the app.

Textual 8.2.8 (the newest release on the package index when this was written)
dies in its input thread on two kinds of input, and the process then exits
with status 0 as if nothing happened:

- an escape sequence with a number too big for the key tables
  (`ESC [ 99999999999999 ~` gives OverflowError, `ESC [ 1114112 u` gives
  ValueError from chr()): GuardedXTermParser drops such a sequence;
- bytes that are not UTF-8 (a paste from a binary file): the Linux driver
  decodes stdin strictly. The guard decodes with surrogateescape, turns each
  undecodable byte into U+FFFD, and tells the app how many there were.

`install()` points the Linux driver at these two replacements; the rest of
the driver is Textual's own.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from typing import Any

from textual import events
from textual._xterm_parser import XTermParser
from textual.command import CommandPalette
from textual.message import Message

REPLACEMENT = "\ufffd"
IGNORED_KEY = "ignored_sequence"  # what an impossible escape sequence becomes


class NotUTF8Input(Message):
    """Input held bytes that are not UTF-8; they were replaced by U+FFFD."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


def replace_undecodable(text: str) -> tuple[str, int]:
    """Lone surrogates (undecodable bytes) replaced by U+FFFD, and how many there were."""
    if text.isascii():
        return text, 0
    count = 0
    out: list[str] = []
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            count += 1
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return ("".join(out), count) if count else (text, 0)


class GuardedXTermParser(XTermParser):
    """Textual's parser, except that a sequence it cannot map to a key is dropped instead of raising."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dropped = 0  # sequences thrown away

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        try:
            return list(super()._sequence_to_key_events(sequence, alt))
        except (OverflowError, ValueError):
            # Textual treats "no key" as "sequence not finished" and would swallow what follows;
            # a key with no character ends the sequence and is bound to nothing.
            self.dropped += 1
            return [events.Key(IGNORED_KEY, None)]

    def feed(self, data: str) -> Iterable[Message]:
        data, bad = replace_undecodable(data)
        if bad:
            yield NotUTF8Input(bad)
        yield from super().feed(data)


def _tolerant_decoder(encoding: str) -> Callable[[], codecs.IncrementalDecoder]:
    """What the Linux driver calls as getincrementaldecoder(enc)(): a decoder that never raises."""
    cls = codecs.getincrementaldecoder(encoding)
    return lambda: cls(errors="surrogateescape")


def install() -> None:
    """Make Textual's Linux driver read stdin through the guards (idempotent)."""
    try:
        from textual.drivers import linux_driver
    except ImportError:  # not on Linux: nothing to guard
        return
    # Both names are the driver's own imports, which it does not export (mypy: attr-defined).
    linux_driver.XTermParser = GuardedXTermParser  # type: ignore[attr-defined]
    # the driver calls getincrementaldecoder(enc)() only; codecs' overloads are wider than that use
    linux_driver.getincrementaldecoder = _tolerant_decoder  # type: ignore[attr-defined,assignment]


class GuardedCommandPalette(CommandPalette):
    """Textual's command palette, minus a crash: a double click outside it dismissed it twice.

    Both clicks of a double click reach the palette; the first dismisses it, and
    the second (Textual 8.2.8) pops the screen below it too, or raises
    ScreenStackError when there is none. Clicks after the palette stopped being
    the current screen are ignored.
    """

    def _on_click(self, event: events.Click) -> None:  # type: ignore[override]
        # Textual calls each class's _on_click in turn (no super() here); prevent_default
        # keeps CommandPalette's own from running for a click that came too late.
        if not self.is_current:
            event.prevent_default()
            event.stop()
