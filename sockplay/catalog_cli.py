"""`sockplay options`: the option catalog as a table, as JSON, or one option in full.

Plain print only: this must start instantly and work without a terminal UI.
"""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import asdict
from typing import Any

from sockplay.core import catalog, codecs
from sockplay.core.errors import UsageError

COLUMNS = ("name", "level", "kind", "access", "since", "privilege", "summary")
SUMMARY_WIDTH = 72


def _clip(text: str, width: int = SUMMARY_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def row_dict(row: catalog.OptionRow) -> dict[str, Any]:
    """Every field of a row plus its short name and what to type, for JSON."""
    d = asdict(row)
    d["families"] = list(row.families)
    d["types"] = list(row.types)
    d["short"] = row.short
    d["level_number"] = row.level_number
    d["value_help"] = codecs.codec(row.kind).help
    return d


def table() -> str:
    """The catalog as an aligned table, one option per line."""
    rows = [
        (r.name, r.level, r.kind, r.access, r.since, r.privilege or "-", _clip(catalog.summary(r)))
        for r in catalog.OPTIONS
    ]
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) for i in range(len(COLUMNS) - 1)]
    lines = []
    for cells in (tuple(c.upper() for c in COLUMNS), *rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True)) + "  " + cells[-1])
    return "\n".join(lines)


def detail(row: catalog.OptionRow) -> str:
    """One option in full: where it lives, who may set it, when it matters, what to type."""
    c = codecs.codec(row.kind)
    fams = ", ".join(row.families)
    types = ", ".join(row.types)
    access = {"rw": "read and write", "ro": "read only", "wo": "write only"}[row.access]
    lines = [
        f"{row.name}  ({row.short})",
        f"  level      {row.level} ({row.level_number}), number {row.number}",
        f"  value      {row.kind}: {c.help}",
        f"  access     {access}",
        f"  since      Linux {row.since}",
        f"  privilege  {row.privilege or 'none'}",
        f"  sockets    families {fams}; types {types}",
    ]
    if row.before:
        lines.append(f"  timing     only takes effect if set before {row.before}()")
    if row.alias_of:
        lines.append(f"  alias of   {row.alias_of} (same number)")
    if row.lesson:
        lines.append(f"  lesson     {row.lesson}")
    lines.append("")
    lines += textwrap.wrap(row.help, width=78, initial_indent="  ", subsequent_indent="  ")
    if row.writable:
        lines += ["", f"  setsockopt NAME {row.name} VALUE    (VALUE: {c.help})"]
    if row.readable:
        lines.append(f"  getsockopt NAME {row.name}")
    return "\n".join(lines)


def options_cli(args: Any) -> int:
    """Entry point for `sockplay options [NAME] [--json]`; returns the exit status."""
    name = getattr(args, "name", None)
    as_json = bool(getattr(args, "json", False))
    if name:
        try:
            row = catalog.option(name)
        except UsageError as exc:
            print(f"sockplay options: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(row_dict(row), indent=2) if as_json else detail(row))
        return 0
    if as_json:
        print(json.dumps([row_dict(r) for r in catalog.OPTIONS], indent=2))
    else:
        print(table())
    return 0
