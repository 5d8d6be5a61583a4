"""Hostile scripts through `sockplay export`: a clear ScriptError or a program that compiles, nothing else.

Lines of the example scripts and lessons are mutated the way an attacker would
(NUL bytes, quotes, backslashes, comment closers, huge integers, invalid UTF-8
carried as surrogate escapes, lone surrogates, code where a number belongs)
and exported to Python and C. Each program must compile (Python with the
interpreter's own compiler, which is what `python -m py_compile` runs; C with
`cc -fsyntax-only -Wall -Werror`), and the marker word INJECTED may appear in a
Python program only inside a string literal or a comment.

Bounded for the normal suite (150 Python examples, 30 C
ones: 20 to 30 s on a loaded machine). `HYPOTHESIS_PROFILE=long` (as
`make fuzz` sets it) multiplies the examples by 20 (about ten minutes; each run draws new ones).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import _current_build_context

from sockplay.lang.export import export_text
from sockplay.lang.grammar import ScriptError

ROOT = Path(__file__).resolve().parents[2]
CC = shutil.which("cc") or shutil.which("gcc")
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
PY_EXAMPLES = 150 * (20 if LONG else 1)
C_EXAMPLES = 30 * (20 if LONG else 1)
# The work is bounded by the number of examples, not by time: on a loaded machine the normal run may take
# longer than the usual 60 s per test, and the long run takes many minutes.
fuzz_time = pytest.mark.timeout(0 if LONG else 300)

SCRIPT_FILES = sorted([*(ROOT / "tests/lang/scripts").glob("*.sp"), *(ROOT / "sockplay/lessons").glob("*.sp")])
# Every line of the example scripts and lessons: what gets mutated.
CORPUS = sorted(
    {
        line.strip()
        for path in SCRIPT_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
)


def _exports(text: str) -> bool:
    try:
        export_text(text, "python")
        return True
    except ScriptError:
        return False


# Whole scripts that export as they are: a hostile line goes into one of them, so the rest of it is realistic.
BASES = [lines for lines in (p.read_text(encoding="utf-8").splitlines() for p in SCRIPT_FILES)
         if _exports("\n".join(lines))]
# Sockets of every kind under the usual names, for the seeded single lines.
PRELUDE = "\n".join([
    "socketpair a b", "socketpair p q dgram", "socket s inet dgram", "socket srv inet stream",
    "socket c inet stream", "socket u inet dgram", "socket v inet6 dgram", "socket x unix dgram",
    "socket t inet stream", "socket f unix stream", "",
])
HOSTILE = [
    "\x00", '"\x00"', '"a\x00b"', '"\\x00"', '"\\0"', "hex:00", '"\'"', "'\"'", '"\\\\"', "\\", '"\\"',
    "*/", "/*", '"*/"', '"""', "'''", "??/", '"??/"', "%s%n", "\r", "\x0b", "\x0c", "\u2028", "\x85",
    "9" * 40, "-" + "9" * 30, "2147483648", "-2147483649", "0xffffffffffffffff", "4294967296", "1e999", "nan",
    "inf", "-inf", "print('INJECTED') or 1", "__import__('os').system('echo INJECTED')", '");system("INJECTED");("',
    "\udcff", "\udc80\udcfe", "\ud800", "\U0001f600", "é", "127.0.0.1\x00:0", '"./p\x00q"', "./p\\0q",
    "@\x00INJECTED", "[::1\x00]:0", "timeout=99999999999", "count=99999999999", "anc=-1", "to=a\x00",
]
HOSTILE_CHAR = st.sampled_from(["\x00", '"', "'", "\\", "*", "/", "?", "\udcff", "\ud800", "\n", "#", ";", "$"])


@st.composite
def mutated_line(draw: st.DrawFn) -> str:
    words = draw(st.sampled_from(CORPUS)).split(" ")
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.integers(0, 3))
        i = draw(st.integers(min(2, len(words)), len(words)))  # mostly values: past the command and socket
        if how == 0 and i < len(words):
            words[i] = draw(st.sampled_from(HOSTILE))
        elif how == 1:
            words.insert(i, draw(st.sampled_from(HOSTILE)))
        elif how == 2 and i < len(words):
            w = words[i]
            j = draw(st.integers(0, len(w)))
            words[i] = w[:j] + draw(HOSTILE_CHAR) + w[j:]
        else:
            words.insert(i, draw(st.text(max_size=6)))
    return " ".join(words)


@st.composite
def hostile_script(draw: st.DrawFn) -> str:
    """An exportable script with one word of one line made hostile, or a mutated corpus line put in anywhere."""
    lines = list(draw(st.sampled_from(BASES)))
    at = draw(st.integers(0, len(lines)))
    if draw(st.booleans()) and at < len(lines) and lines[at].strip():
        words = lines[at].split(" ")
        k = draw(st.integers(min(2, len(words) - 1), len(words) - 1))  # a value: not the command or its socket
        hostile = draw(st.one_of(st.sampled_from(HOSTILE), HOSTILE_CHAR))
        quoted = '"' + hostile.replace("\\", "\\\\").replace('"', '\\"') + '"'  # reaches data and values
        words[k] = draw(st.sampled_from([hostile, quoted, quoted, words[k] + hostile, hostile + words[k]]))
        lines[at] = " ".join(words)
    else:
        lines.insert(at, draw(mutated_line()))
    return "\n".join(lines) + "\n"


SCRIPT = hostile_script()

# The cases of issue 10 (and their neighbours), tried first on every run.
SEEDS = [
    "ioctl a FIONBIO \"print('INJECTED') or 1\"",
    "ioctl a FIONBIO 2147483648",
    "ioctl a FIONBIO 0xffffffffffffffff",
    "ioctl a SIOCSPGRP \"__import__('os').system('echo INJECTED')\"",
    'bind u "127.0.0.1\\0:0"',
    'bind u "127.0.0.1\x00:0"',
    'bind x "./p\\0q"',
    'bind x "./p\x00q"',
    'send a "\\x00\\x01\\"\\\\*/"',
    'send a "\x00"',
    "fcntl a setown \"__import__('os').system('echo INJECTED')\"",
    "fcntl a setsig 99999999999",
    "fcntl a nonblock off",
    "setsockopt a SO_RCVBUF \"1); print('INJECTED'\"",
    "setsockopt a SO_BINDTODEVICE \"lo\\\"\\x00*/INJECTED\"",
    "echo \"*/ INJECTED /* \\x00 \udcff \ud800\"",
    "expect ret 99999999999999999999999",
    "expect value 1e999",
    "sysctl ../../../etc/passwd",
    "# */ \x00 \udcff comment",
]


CALLS = {"print", "system", "__import__", "eval", "exec", "open"}


def _only_in_strings(program: str) -> bool:
    """True when every INJECTED in a Python program is data: inside a string literal or a comment, and no
    string holding it is the sole argument of a call, as the hostile words make it (`print('INJECTED')`)."""
    toks = [t for t in tokenize.generate_tokens(io.StringIO(program).readline)
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
    for i, tok in enumerate(toks):
        if "INJECTED" not in tok.string:
            continue
        if tok.type not in (tokenize.STRING, tokenize.COMMENT):
            return False
        if (tok.type == tokenize.STRING and 2 <= i < len(toks) - 1 and toks[i - 2].string in CALLS
                and toks[i - 1].string == "(" and toks[i + 1].string == ")"):
            return False  # the hostile words' own call (an echo line is `print(TEXT, flush=True)`: data)
    return True


def _note(what: str) -> None:
    """Count outcomes in hypothesis's statistics (--hypothesis-show-statistics); the seeded cases run outside it."""
    if _current_build_context.value is not None:
        event(what)


def _export(text: str, to: str) -> str | None:
    """The program, or None when the script is refused with a ScriptError (any other exception fails the test)."""
    try:
        program = export_text(text, to, "fuzz.sp")
    except ScriptError as exc:
        assert exc.message and exc.line >= 1
        _note(f"{to}: refused with a ScriptError")
        return None
    _note(f"{to}: exported")
    return program


def _check_python(text: str) -> None:
    program = _export(text, "python")
    if program is not None:
        _compiles_as_python(program)


def _compiles_as_python(program: str) -> None:
    compile(program, "fuzz.py", "exec")  # raises SyntaxError / ValueError (NUL byte) when it does not compile
    program.encode("utf-8")  # the file is written as UTF-8: no lone surrogate may be in it
    assert _only_in_strings(program), "script text reached the program as code"


def _check_c(text: str) -> None:
    program = _export(text, "c")
    if program is not None:
        _compiles_as_c(program)


def _compiles_as_c(program: str) -> None:
    build = subprocess.run([CC, "-fsyntax-only", "-Wall", "-Werror", "-x", "c", "-"], input=program.encode("utf-8"),
                           capture_output=True, timeout=120)
    assert build.returncode == 0, f"does not compile:\n{build.stderr.decode(errors='replace')}\n{program}"


@pytest.mark.parametrize("line", SEEDS)
def test_issue_10_cases_give_an_error_or_a_compiling_program(line: str) -> None:
    text = PRELUDE + line + "\n"
    _check_python(text)
    if CC is not None:
        _check_c(text)


def _draw_exported(data: st.DataObject, to: str, tries: int = 25) -> str | None:
    """Hostile scripts drawn until one exports (most are refused, which _export checks on the way)."""
    for _ in range(tries):
        text = data.draw(SCRIPT, label="script")
        program = _export(text, to)
        if program is not None:
            return program
    return None


@fuzz_time
@settings(max_examples=PY_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_scripts_export_to_python_that_compiles(data: st.DataObject) -> None:
    program = _draw_exported(data, "python")
    if program is not None:
        _compiles_as_python(program)


@pytest.mark.skipif(CC is None, reason="no C compiler (cc or gcc) on this machine; CI installs gcc")
@fuzz_time
@settings(max_examples=C_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_scripts_export_to_c_that_compiles(data: st.DataObject) -> None:
    program = _draw_exported(data, "c")
    if program is not None:
        _compiles_as_c(program)
