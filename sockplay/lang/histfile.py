"""The history file in prompt_toolkit's FileHistory format, read and appended without prompt_toolkit.

The app keeps typed lines in the same format the plain REPL's FileHistory
uses (each entry a `# date` line, then its lines prefixed with `+`), but it
must not load prompt_toolkit just to show its prompt: these two functions are
all it needs. Errors (OSError) are the caller's to report.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path


def read_history(path: Path) -> list[str]:
    """Every entry in the file, newest first (as FileHistory.load_history_strings gives them)."""
    entries: list[str] = []
    lines: list[str] = []
    if not os.path.exists(path):
        return entries
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", errors="replace")
            if line.startswith("+"):
                lines.append(line[1:])
            else:
                if lines:
                    entries.append("".join(lines)[:-1])  # the last line's newline is the entry's end
                lines = []
        if lines:
            entries.append("".join(lines)[:-1])
    entries.reverse()
    return entries


def append_history(path: Path, entry: str) -> None:
    """Add one entry at the end, as FileHistory.store_string writes it."""
    text = f"\n# {datetime.datetime.now()}\n" + "".join(f"+{line}\n" for line in entry.split("\n"))
    with open(path, "ab") as f:
        f.write(text.encode("utf-8", errors="replace"))
