"""The command history file, kept by prompt_toolkit's FileHistory format, that never stops a session.

A history file that cannot be read or written (a read-only home, a full disk,
a directory where the file should be) costs one notice, and the lines of this
session are kept in memory as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from prompt_toolkit.history import FileHistory


class TolerantFileHistory(FileHistory):
    """FileHistory that reports its first failure through `notice` and then keeps quiet."""

    def __init__(self, filename: str, notice: Callable[[str], None]) -> None:
        super().__init__(filename)
        self._notice = notice
        self.failed = False

    def _fail(self, doing: str, exc: OSError) -> None:
        if not self.failed:
            self.failed = True
            reason = exc.strerror or str(exc)
            self._notice(f"history not saved: cannot {doing} {os.fsdecode(self.filename)} ({reason}); "
                         "this session's lines are still kept in memory")

    def load_history_strings(self) -> Iterable[str]:
        try:
            return list(super().load_history_strings())
        except OSError as exc:
            self._fail("read", exc)
            return []

    def store_string(self, string: str) -> None:
        if self.failed:
            return
        try:
            super().store_string(string)
        except OSError as exc:
            self._fail("write", exc)
