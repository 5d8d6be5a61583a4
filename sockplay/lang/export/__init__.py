"""`sockplay export`: a script as a standalone Python or C program making the same calls.

Why: a learner takes what they tried in sockplay into their own code. The
program spells out every constant (with its number where Python's socket
module or libc may lack it), quotes each script line in a comment, prints one
line per call (`recv b -> 2 "cc"`, `recv b -> -1 EAGAIN`) and turns `expect`
lines into checks that exit 1. A failing call is a result: the program prints
the errno name and goes on, as `sockplay run` does.

Layout: plan.py turns the parsed Commands into typed values with the engine's
own parsing and walks them; python.py and c.py are the back ends; literals.py
is the only way a value reaches a program.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from sockplay.lang.export.c import CGen
from sockplay.lang.export.plan import EXIT_OK, EXIT_SCRIPT, Generator, typed_args, typed_command
from sockplay.lang.export.python import PythonGen
from sockplay.lang.grammar import ScriptError
from sockplay.lang.parser import check_script

GENERATORS: dict[str, type[Generator]] = {"python": PythonGen, "c": CGen}

__all__ = ["GENERATORS", "CGen", "PythonGen", "export_cli", "export_text", "typed_args", "typed_command"]


def _check_text(text: str) -> None:
    """A lone surrogate (bytes that were not UTF-8, carried by surrogateescape) is refused where it stands.

    Files are read as strict UTF-8, so only text handed to export_text directly can hold one.
    """
    for lineno, line in enumerate(text.splitlines(), 1):
        for col, ch in enumerate(line, 1):
            if 0xD800 <= ord(ch) <= 0xDFFF:
                raise ScriptError(lineno, col, f"character U+{ord(ch):04X} is not text (a lone surrogate, as left by "
                                  "bytes that are not UTF-8); save the script as UTF-8 and write bytes as \\xHH")


def export_text(text: str, to: str, filename: str = "script.sp") -> str:
    """The program for a script's text; raises ScriptError (line and column) when it cannot be written."""
    _check_text(text)
    commands, errors = check_script(text)
    if errors:
        raise errors[0]
    gen = GENERATORS[to](filename, text.splitlines())
    return gen.run(commands)


def export_cli(args: Any) -> int:
    """`sockplay export FILE --to python|c [-o OUT]`: 0 written, 2 the script cannot be exported.

    Errors are printed exactly as `sockplay run` prints them (file:line:col: error: message, the line, a caret).
    """
    from sockplay.lang.script import _located
    from sockplay.lang.transcript import Style

    path = args.file
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"sockplay export: cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_SCRIPT
    lines = text.splitlines()
    _, errors = check_script(text)  # every line that does not parse, as `sockplay run` lists them
    try:
        if errors:
            raise errors[0]
        program = export_text(text, args.to, path)
    except ScriptError as exc:
        style = Style(False)
        msg = "".join(_located(path, lines, e.line, e.col, e.message, style) for e in errors or [exc])
        print(msg + f"sockplay export: {path} cannot be exported to {args.to}\n", file=sys.stderr, end="")
        return EXIT_SCRIPT
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(program)
        if args.to == "python":
            os.chmod(args.output, 0o755)
    else:
        sys.stdout.write(program)
    return EXIT_OK
