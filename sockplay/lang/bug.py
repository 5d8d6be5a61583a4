"""How an internal error is shown: never as a failed expect or a typo, always as a bug with its traceback.

`sockplay run` prints it to stderr and exits 3; the REPL and the app show the
same lines and keep running.
"""

from __future__ import annotations

import traceback

EXIT_BUG = 3
REPORT = "this is a bug in sockplay, not in your script; please report it with the traceback above"


def headline(exc: BaseException) -> str:
    """The one line that says an internal error happened and what it was."""
    return f"internal error: {type(exc).__name__}: {exc} ({REPORT.split(';')[0]})"


def traceback_lines(exc: BaseException) -> list[str]:
    """The traceback as lines (no trailing newlines)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text.rstrip("\n").splitlines()


def report_lines(exc: BaseException) -> list[str]:
    """Traceback, then the headline: the form the REPL and the app print."""
    return [*traceback_lines(exc), headline(exc)]
