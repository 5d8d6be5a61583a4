"""`sockplay` command line: the TUI by default, and subcommands for headless work.

Each subcommand lives in its own module and is imported only when used, so
`sockplay run` never loads Textual and `sockplay options` starts instantly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sockplay import __version__

# subcommand -> (module, function). The function takes the parsed args, returns an exit status.
HANDLERS: dict[str, tuple[str, str]] = {
    "tui": ("sockplay.tui.app", "tui_cli"),
    "repl": ("sockplay.lang.repl", "repl_cli"),
    "run": ("sockplay.lang.script", "run_cli"),
    "export": ("sockplay.lang.export", "export_cli"),
    "options": ("sockplay.catalog_cli", "options_cli"),
    "lessons": ("sockplay.lessons_cli", "lessons_cli"),
    "lesson": ("sockplay.lessons_cli", "lesson_cli"),
    "bench": ("sockplay.bench", "bench_cli"),
    "proxy": ("sockplay.proxy_cli", "proxy_cli"),
    "help": ("sockplay.cli", "help_cli"),
    "keys": ("sockplay.tui.config", "keys_cli"),
}


def _tui_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("script", nargs="?", help="a .sp script to run before the app opens")
    p.add_argument("--empty", action="store_true", help="start with no sockets instead of the demo scene")
    p.add_argument("--theme", metavar="NAME", help="theme name (dark, light, presenter, or one of yours)")
    _journal_args(p)


def _journal_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--journal", metavar="FILE",
                   help="append every event to FILE as JSON lines (nothing accepted is lost; a kill loses at "
                        "most the last batch of lines)")
    p.add_argument("--journal-bytes", metavar="BYTES", type=_byte_count,
                   help="data the in-memory journal keeps in full before keeping only each event's head "
                        "(default 64M; K, M and G suffixes)")


def _byte_count(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().removesuffix("b")
    mult = units.get(t[-1:], 1)
    num = t[:-1] if t[-1:] in units else t
    if not (num.isascii() and num.isdigit()):  # '²'.isdigit() is True, yet int('²') raises
        raise argparse.ArgumentTypeError(f"{text!r} is not a byte count; expected a whole number such as 65536, 64M or 1G")
    return int(num) * mult


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, just that subcommand's (argparse spends milliseconds per subparser)."""

    def want(name: str) -> bool:
        return only is None or only == name

    parser = argparse.ArgumentParser(
        prog="sockplay",
        description="A terminal playground for Linux sockets.",
        epilog="With no subcommand, opens the app (same as `sockplay tui`).",
    )
    parser.add_argument("--version", action="version", version=f"sockplay {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if want("tui"):
        _tui_args(sub.add_parser("tui", help="open the app (the default)"))
    if want("repl"):
        p = sub.add_parser("repl", help="a line-by-line REPL in this terminal")
        p.add_argument("script", nargs="?", help="a .sp script to run first")
    if want("run"):
        p = sub.add_parser("run", help="run a script headless and print its transcript")
        p.add_argument("file", help="script file, or - for standard input")
        p.add_argument("--json", action="store_true", help="print the JSONL transcript instead of text")
        p.add_argument("--strict", action="store_true", help="a failing syscall fails the script (exit 1)")
        p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
        p.add_argument("--pcap", metavar="FILE", help="capture the script's packets on loopback to a pcap file "
                       "(tcpdump -r reads it; needs CAP_NET_RAW)")
        _journal_args(p)
    if want("export"):
        p = sub.add_parser("export", help="write a script as a standalone Python or C program")
        p.add_argument("file", help="script file (.sp)")
        p.add_argument("--to", choices=("python", "c"), required=True)
        p.add_argument("-o", "--output", help="output file (default: standard output)")
    if want("options"):
        p = sub.add_parser("options", help="the option catalog, or one option in full")
        p.add_argument("name", nargs="?", help="an option such as SO_LINGER or linger")
        p.add_argument("--json", action="store_true", help="print as JSON")
    if want("lessons"):
        sub.add_parser("lessons", help="list the lessons")
    if want("lesson"):
        p = sub.add_parser("lesson", help="open the app stepping through a lesson")
        p.add_argument("name", help="lesson name (see `sockplay lessons`)")
        p.add_argument("--auto", type=float, metavar="SECONDS", help="run each step after this delay")
        p.add_argument("--theme", metavar="NAME")
    if want("proxy"):
        p = sub.add_parser("proxy", help="open the app on a relaying proxy (or run it headless)")
        p.add_argument("listen", help="where clients connect: 127.0.0.1:8080, [::1]:8080, ./proxy.sock")
        p.add_argument("upstream", help="where each client is relayed to: 127.0.0.1:8000, localhost:8000")
        p.add_argument("--udp", action="store_true", help="relay UDP datagrams, one upstream socket per sender")
        p.add_argument("--hold", action="store_true", help="hold every chunk for forward, drop or replace")
        p.add_argument("--headless", action="store_true", help="no app: print the transcript until Ctrl-C")
        p.add_argument("--json", action="store_true", help="with --headless: JSONL events instead of text")
        p.add_argument("--theme", metavar="NAME")
    if want("help"):
        p = sub.add_parser("help", help="help on a command, option, flag or topic (no TOPIC: every command)")
        p.add_argument("topic", nargs="*", help="such as recv, SO_LINGER, peek, data")
    if want("keys"):
        sub.add_parser("keys", help="the app's key binding ids and their keys (rebind them in config.toml)")
    if want("bench"):
        p = sub.add_parser("bench", help="measure the engine against a bare recvmsg loop")
        p.add_argument("--wire", action="store_true",
                       help="kept for old scripts: the capture (wire on) is always measured when it can be")
        p.add_argument("--count", type=int, default=200_000, help="datagrams in the flood")
    return parser


def help_cli(args: argparse.Namespace) -> int:
    """`sockplay help [TOPIC]`: the same help the REPL's `help` gives, printed here."""
    from sockplay.core.errors import UsageError
    from sockplay.lang.executor import help_lines

    topic = " ".join(getattr(args, "topic", None) or []) or None
    try:
        lines = help_lines(topic)
    except UsageError as exc:
        print(f"sockplay help: {exc}", file=sys.stderr)
        return 2
    if topic is None:
        build_parser().print_help()
        print("\nThe command language (one per line in scripts, the REPL and the app):")
    print("\n".join(lines))
    return 0


def script_word(argv: list[str]) -> str | None:
    """The app's SCRIPT argument, if given (option values such as `--theme dark` are not it)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--theme":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def not_a_command(word: str) -> str | None:
    """Why `word` can be neither a subcommand nor a script to open, or None when it can be a script."""
    if Path(word).exists():
        return None
    from sockplay.core.errors import nearest

    near = nearest(word, [c for c in HANDLERS if c != "tui"])
    if near:
        return f"sockplay: no command or file named {word!r}; did you mean `sockplay {near[0]}`?"
    if word.endswith(".sp") or os.sep in word:
        return f"sockplay: cannot open {word!r}: no such file"
    commands = ", ".join(c for c in HANDLERS if c != "tui")
    return f"sockplay: no command or file named {word!r}; commands: {commands} (sockplay --help)"


def _quiet_broken_pipe() -> int:
    """The reader went away (`sockplay options | head -5`): stop quietly, as cat does."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in HANDLERS and argv[0] not in ("-h", "--help", "--version")):
        first = script_word(argv)
        why = not_a_command(first) if first is not None else None
        if why is not None:
            print(why, file=sys.stderr)
            return 2
        argv = ["tui", *argv]
    parser = build_parser(argv[0] if argv[0] in HANDLERS else None)
    args = parser.parse_args(argv)
    module, func = HANDLERS[args.command]
    try:
        handler = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        print(f"sockplay {args.command}: not available in this build ({exc})", file=sys.stderr)
        return 2
    try:
        status = int(handler(args) or 0)
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
