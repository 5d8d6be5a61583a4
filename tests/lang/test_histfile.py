"""The app's history file reader and writer speak prompt_toolkit's FileHistory format exactly."""

from __future__ import annotations

from pathlib import Path

from prompt_toolkit.history import FileHistory

from sockplay.lang.histfile import append_history, read_history

ENTRIES = ["socketpair a b", "send a 'two\nlines'", "recv b 10   # trailing spaces  ", "", "tls c client"]


def test_what_we_write_prompt_toolkit_reads(tmp_path: Path) -> None:
    path = tmp_path / "h"
    for entry in ENTRIES:
        append_history(path, entry)
    assert list(FileHistory(str(path)).load_history_strings()) == ENTRIES[::-1]


def test_what_prompt_toolkit_writes_we_read(tmp_path: Path) -> None:
    path = tmp_path / "h"
    store = FileHistory(str(path))
    for entry in ENTRIES:
        store.store_string(entry)
    assert read_history(path) == ENTRIES[::-1]
    assert read_history(path) == list(FileHistory(str(path)).load_history_strings())


def test_bad_bytes_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "h"
    assert read_history(path) == []  # no file yet: no history, no error
    path.write_bytes(b"\n# 2026-01-01\n+send a \xff\xfe\n+more\n\n# 2026-01-02\n+ok\n")
    assert read_history(path) == ["ok", "send a \ufffd\ufffd\nmore"]
    assert read_history(path) == list(FileHistory(str(path)).load_history_strings())
