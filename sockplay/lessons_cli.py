"""`sockplay lessons` and `sockplay lesson NAME`: list the lessons, or open the app stepping through one.

Beside the other CLIs (not in the lessons package), so nothing below the app imports the app.
"""

from __future__ import annotations

import sys
from typing import Any

from sockplay.core.errors import UsageError
from sockplay.lessons import all_lessons, load, names


def lessons_cli(args: Any = None) -> int:
    """`sockplay lessons`: one line per lesson, its name and summary."""
    lessons = all_lessons()
    width = max((len(le.name) for le in lessons), default=0)
    for le in lessons:
        print(f"{le.name.ljust(width)}  {le.summary or le.title}")
    print(f"\n{len(lessons)} lessons. `sockplay lesson NAME` steps through one; "
          "`sockplay run` on its file checks it headless.")
    return 0


def lesson_cli(args: Any) -> int:
    """`sockplay lesson NAME [--auto SECONDS] [--theme NAME]`: open the app stepping through it.

    The name is checked before the app opens, so a typo prints the lessons and
    exits 2 instead of flashing a screen; `sockplay run FILE` is the headless way.
    """
    try:
        lesson = load(args.name)
    except UsageError as exc:
        print(f"sockplay lesson: {exc}\n", file=sys.stderr)
        width = max((len(n) for n in names()), default=0)
        for le in all_lessons():
            print(f"  {le.name.ljust(width)}  {le.summary or le.title}", file=sys.stderr)
        return 2
    auto = getattr(args, "auto", None)
    if auto is not None and auto < 0:
        print(f"sockplay lesson: --auto takes seconds, 0 or more; got {auto}", file=sys.stderr)
        return 2
    from sockplay.tui.lesson import run_lesson  # textual loads only when the app opens

    return run_lesson(lesson, auto=auto, theme=getattr(args, "theme", None))
