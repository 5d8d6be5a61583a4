"""The gist of a help text: its first sentence, cut to fit beside a name.

Kept apart from the completer so that the app's palette and help screen can
use it without loading prompt_toolkit (the completer's base classes) at start.
"""

from __future__ import annotations


def first_sentence(text: str, limit: int = 70) -> str:
    """The first sentence of a help text, cut to fit beside a completion."""
    cut = text.split(". ")[0].rstrip(".")
    if len(cut) <= limit:
        return cut
    head = cut[: limit - 1]
    if " " in head and not cut[limit - 1].isspace():
        head = head.rsplit(" ", 1)[0]  # never a cut word: elide at the last word boundary
    return head.rstrip(" ,;:") + "…"
