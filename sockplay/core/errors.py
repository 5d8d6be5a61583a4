"""The one exception type for misuse of the engine's API.

A failing syscall is never an exception (it is an Outcome with `errno`); this is
for a caller's mistake: an unknown socket name, an unknown option, a value of
the wrong kind. The message always says what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable


class UsageError(ValueError):
    """Raised when a call into the engine is malformed; the message says what would be right."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(message if not hint else f"{message} ({hint})")


def nearest(word: str, candidates: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Closest spellings among `candidates`, case-insensitive, for 'did you mean' hints."""
    import difflib  # only when a hint is wanted: it costs startup time otherwise

    pool = {c.lower(): c for c in candidates}
    return [pool[m] for m in difflib.get_close_matches(word.lower(), list(pool), n=n, cutoff=cutoff)]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint, or None when nothing is close."""
    found = nearest(word, candidates)
    return f"did you mean {found[0]}?" if found else None
