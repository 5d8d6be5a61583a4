"""Lessons: socket(7) taught by doing, one self-checking script per topic.

A lesson is a `.sp` file in this directory, written in the command language
(see DESIGN.md), laid out so that people can step through it:

    # title: SO_LINGER and the reset
    # summary: what close() does with unsent data, and ...
    # Any other line starting with a single '#' is an ordinary comment.

    ## Prose for the first step: one or more lines starting with '## ',
    ## shown beside the panes in the TUI.
    socket srv inet stream
    bind srv 127.0.0.1:0
    expect errno 0

    ## The next step, after a blank line.
    ...

- The first lines are `# title: ...` and `# summary: ...` (one line each).
- Steps are separated by blank lines. A step's prose lines start with `## `;
  its command lines are everything else that is not a comment. A block of
  only comments (the header) is no step.
- A `require WHAT` line (root, cap CAP_NET_ADMIN, netns, kernel 5.4, ipv6)
  skips the rest of its step when the requirement does not hold.
- Each lesson checks itself with `expect` lines, so `sockplay run` on a
  lesson file is also a test of sockplay against the kernel.

`load(name)` gives a Lesson (title, summary, steps, path) for the TUI's
stepping mode; `names()` lists the lessons. The command lines that show them
(`sockplay lessons`, `sockplay lesson NAME`) live in `sockplay.lessons_cli`,
beside the other CLIs: this package holds the lessons and their loader only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sockplay.core.errors import UsageError, nearest

HERE = Path(__file__).resolve().parent
SUFFIX = ".sp"


@dataclass(frozen=True, slots=True)
class Step:
    """One step: the prose shown beside the panes, then the command lines run on Enter.

    `lines` are the command lines as written (trailing comments kept);
    `lineno` is the file line of the step's first line, so errors can point into the file.
    """

    prose: str
    lines: tuple[str, ...]
    lineno: int

    @property
    def commands(self) -> tuple[str, ...]:
        """Command lines without blank or pure-comment lines."""
        return tuple(ln for ln in self.lines if ln.strip() and not ln.lstrip().startswith("#"))


@dataclass(frozen=True, slots=True)
class Lesson:
    """A parsed lesson file."""

    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    path: Path
    source: str = field(repr=False, default="")

    @property
    def commands(self) -> tuple[str, ...]:
        """Every command line of every step, in order."""
        return tuple(c for s in self.steps for c in s.commands)

    def script(self) -> str:
        """The whole file's text: what `sockplay run` runs."""
        return self.source


def lesson_dir() -> Path:
    return HERE


def names() -> list[str]:
    """Lesson names in the order `sockplay lessons` shows them."""
    found = {p.stem for p in HERE.glob(f"*{SUFFIX}")}
    ordered = [n for n in ORDER if n in found]
    return ordered + sorted(found - set(ordered))


def path_of(name: str) -> Path:
    """The file of a lesson; a UsageError naming the nearest lessons when there is none."""
    stem = name.removesuffix(SUFFIX)
    p = HERE / f"{stem}{SUFFIX}"
    if not p.is_file():
        near = nearest(stem, names())
        raise UsageError(
            f"no lesson named {name!r}; `sockplay lessons` lists them",
            hint=f"did you mean {near[0]}?" if near else None,
        )
    return p


def parse(text: str, name: str = "<lesson>", path: Path | None = None) -> Lesson:
    """Split a lesson's text into its header and steps."""
    title = summary = ""
    steps: list[Step] = []
    prose: list[str] = []
    lines: list[str] = []
    start = 0

    def flush() -> None:
        nonlocal prose, lines, start
        if prose or any(ln.strip() and not ln.lstrip().startswith("#") for ln in lines):
            steps.append(Step("\n".join(prose), tuple(lines), start))
        prose, lines, start = [], [], 0

    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if not steps and not prose and not lines:
            low = stripped.lower()
            if low.startswith("# title:") and not title:
                title = stripped.split(":", 1)[1].strip()
                continue
            if low.startswith("# summary:") and not summary:
                summary = stripped.split(":", 1)[1].strip()
                continue
        if stripped.startswith("##"):
            if any(not ln.lstrip().startswith("#") for ln in lines):
                flush()  # prose after commands starts a new step even without a blank line
            prose.append(stripped[2:].removeprefix(" "))
        elif stripped.startswith("#") and not (prose or lines):
            continue  # a comment outside any step (the header's notes)
        else:
            lines.append(line)
        if start == 0:
            start = i
    flush()
    return Lesson(name, title or name, summary, tuple(steps), path or Path(name), text)


def load(name: str) -> Lesson:
    """Read and parse one lesson by name (`linger`) or file name (`linger.sp`)."""
    p = path_of(name)
    return parse(p.read_text(encoding="utf-8"), p.stem, p)


def all_lessons() -> list[Lesson]:
    return [load(n) for n in names()]


# The order a learner might take; lessons not listed follow alphabetically.
ORDER: tuple[str, ...] = (
    "calls", "addresses", "nonblocking", "poll-events", "signals", "errors", "buffers", "timeouts",
    "linger", "keepalive-tcp", "reuse", "peek-off", "rcvlowat", "oob", "credentials", "passing-fds", "timestamps",
    "rxq-ovfl", "bpf", "device-mark-priority", "more-options", "ioctls", "proc-sys",
)
