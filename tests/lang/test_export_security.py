"""Export writes code from typed values only: script text never becomes code, and any byte compiles.

Issue 10: `ioctl a FIONBIO "print('INJECTED') or 1"` was refused by `sockplay
run` but pasted into the exported program, which then ran it; NUL bytes went
into Python source that would not compile. Here every value `run` refuses is
refused by export with the same message and exit status 2, and data, addresses
and paths holding any byte value give programs that compile (`python -m
py_compile`, `cc -fsyntax-only -Wall -Werror`) and carry those exact bytes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sockplay.core.errors import UsageError
from sockplay.lang.export import export_text
from sockplay.lang.export.literals import c_double, c_int, c_string, py_bytes, py_str, py_value
from sockplay.lang.grammar import ScriptError

ROOT = Path(__file__).resolve().parents[2]
CC = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc or gcc) on this machine; CI installs gcc")

ALL_BYTES = bytes(range(256))


def sockplay(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sockplay", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd)


def located_error(stderr: str) -> list[str]:
    """The `file:line:col: error: message` line with the source line and caret under it."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if ": error: " in line:
            return lines[i:i + 3]
    raise AssertionError(f"no located error in:\n{stderr}")


# Lines `sockplay run` refuses (exit 2); the first socketpair makes `a` exist.
REFUSED = [
    "ioctl a FIONBIO \"print('INJECTED') or 1\"",
    "ioctl a SIOCSPGRP \"__import__('os').system('echo INJECTED')\"",
    "ioctl a FIONBIO 2147483648",
    "ioctl a FIONBIO 0xffffffffffffffff",
    "fcntl a setown \"os.system('echo INJECTED')\"",
    "fcntl a setsig \"1); print('INJECTED'\"",
    "fcntl a nonblock \"print('INJECTED')\"",
    "setsockopt a SO_RCVBUF \"1); print('INJECTED'\"",
    "setsockopt a SO_LINGER \"on,0); print('INJECTED'\"",
    "setsockopt a SO_RCVTIMEO \"1 or print('INJECTED')\"",
    "sysctl ../../../etc/passwd",
    'bind a "./sp-p\\x00q"',  # the kernel would cut the path at the NUL and create ./sp-p
    "fcntl a setown 99999999999",
]


@pytest.mark.parametrize("line", REFUSED)
def test_export_refuses_what_run_refuses_with_the_same_message(line: str, tmp_path: Path) -> None:
    script = tmp_path / "x.sp"
    script.write_text(f"socketpair a b\n{line}\n")
    run = sockplay("run", str(script), cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    want = located_error(run.stderr)
    for to in ("python", "c"):
        out = tmp_path / f"prog.{to}"
        exp = sockplay("export", str(script), "--to", to, "-o", str(out), cwd=tmp_path)
        assert exp.returncode == 2, exp.stderr
        assert located_error(exp.stderr) == want
        assert not out.exists(), "a refused script must not leave a program behind"
        assert "INJECTED" not in exp.stdout


def test_a_pid_beyond_32_bits_is_refused_by_run_and_export_alike(tmp_path: Path) -> None:
    """fcntl's argument is a C int: 99999999999 cannot reach the kernel, so both refuse it the same way."""
    text = "socketpair a b\nfcntl a setown 99999999999\n"
    script = tmp_path / "own.sp"
    script.write_text(text)
    run = sockplay("run", str(script), cwd=tmp_path)
    assert run.returncode == 2
    for to in ("python", "c"):
        exp = sockplay("export", str(script), "--to", to, cwd=tmp_path)
        assert exp.returncode == 2
        assert located_error(exp.stderr) == located_error(run.stderr)
    assert "does not fit" in run.stderr and ":2:" in run.stderr


def test_injection_case_of_issue_10_names_what_a_number_looks_like(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as exc:
        export_text("socketpair a b\nioctl a FIONBIO \"print('INJECTED') or 1\"\n", "python")
    assert exc.value.line == 2
    assert "is not a number" in exc.value.message and "4096" in exc.value.message


# Scripts whose values hold NUL and every other byte value, in data, addresses, paths and comments.
NUL_SCRIPT = "\n".join([
    "# a comment with */ /* \\ \" ' and ??/ in it",
    "socketpair a b",
    f"send a hex:{ALL_BYTES.hex()}",
    "recv b 256",
    f"expect data hex:{ALL_BYTES.hex()}",
    'send a "\\x00\\x001\\0\\"\\\\*/?"',
    "recv b 64",
    'expect data "\\x00\\x001\\0\\"\\\\*/?"',
    'echo "*/ \\x00 \\\\ \\" done"',
    "socket y unix dgram",
    'bind y "@sp-abs\\x00tract\\xff"',
    "socket z unix dgram",
    'sendto z y "to abstract"',
    "recv y 64",
    'expect data "to abstract"',
    "socketpair p q dgram",
    'send p "\\xff\\xfe\\x80 \\xc3\\x28"',
    "recvmsg q 64",
    'expect data "\\xff\\xfe\\x80 \\xc3\\x28"',
    "",
])


def test_nul_bytes_give_a_python_program_that_compiles_and_carries_them(tmp_path: Path) -> None:
    prog = tmp_path / "nul.py"
    prog.write_text(export_text(NUL_SCRIPT, "python", "nul.sp"), encoding="utf-8")
    comp = subprocess.run([sys.executable, "-m", "py_compile", str(prog)], capture_output=True, text=True, timeout=60)
    assert comp.returncode == 0, comp.stderr
    run = subprocess.run([sys.executable, str(prog)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("  ok: ") == 4


@needs_cc
def test_nul_bytes_give_a_c_program_that_compiles_and_carries_them(tmp_path: Path) -> None:
    src = tmp_path / "nul.c"
    src.write_text(export_text(NUL_SCRIPT, "c", "nul.sp"), encoding="utf-8")
    syntax = subprocess.run([CC, "-fsyntax-only", "-Wall", "-Werror", str(src)], capture_output=True, text=True,
                            timeout=120)
    assert syntax.returncode == 0, syntax.stderr
    exe = tmp_path / "nul"
    subprocess.run([CC, "-Wall", "-Werror", "-o", str(exe), str(src)], check=True, capture_output=True, timeout=120)
    run = subprocess.run([str(exe)], capture_output=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(b"  ok: ") == 4


def test_python_literals_read_back_as_the_same_value() -> None:
    values = [ALL_BYTES, "\x00\udcff\ud800\u2028\x85'\"\\", 2**200, -(2**70), 1.5, float("inf"), float("-inf"),
              ("::1", 0, 0, 3), [b"\x00", "a"], None, True]
    for v in values:
        text = py_value(v)
        assert "\n" not in text and "\r" not in text and "\x00" not in text
        assert eval(text, {}) == v  # noqa: S307 - reading back our own literal is the point
    assert eval(py_bytes(ALL_BYTES), {}) == ALL_BYTES  # noqa: S307
    assert py_str("\udcff").isascii()


@needs_cc
def test_c_string_literals_are_exact_even_before_hex_digits(tmp_path: Path) -> None:
    """Every byte value, each followed by characters an escape could swallow (digits, hex letters, '?')."""
    cases = [bytes([b]) + tail for b in range(256) for tail in (b"0", b"7", b"a", b"F", b"?", b"??/")]
    lines = ["#include <stdio.h>", "int main(void)", "{"]
    for i, data in enumerate(cases):
        lines.append(f"    {{ static const char s{i}[] = {c_string(data)};")
        lines.append(f"      fwrite(s{i}, 1, sizeof s{i} - 1, stdout); putchar(0xa5); }}")
    lines += ["    return 0;", "}"]
    src = tmp_path / "lit.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "lit"
    build = subprocess.run([CC, "-Wall", "-Werror", "-o", str(exe), str(src)], capture_output=True, text=True,
                           timeout=120)
    assert build.returncode == 0, build.stderr
    out = subprocess.run([str(exe)], capture_output=True, timeout=60).stdout
    assert out == b"".join(c + b"\xa5" for c in cases)


@needs_cc
def test_c_integers_are_range_checked_and_extremes_compile(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not fit a C int"):
        c_int(2**31)
    with pytest.raises(UsageError, match="does not fit a C unsigned long long"):
        c_int(-1, "unsigned long long")
    body = [
        f"int a = {c_int(-(2**31))}, b = {c_int(2**31 - 1)};",
        f"long long c = {c_int(-(2**63), 'long long')};",
        f"unsigned long long d = {c_int(2**64 - 1, 'unsigned long long')};",
        f"double e = {c_double(float('inf'))}, f = {c_double(1e300)}, g = {c_double(2.0)};",
        'printf("%d %d %lld %llu %g %g %g\\n", a, b, c, d, e, f, g);',
    ]
    src = tmp_path / "ints.c"
    src.write_text("#include <stdio.h>\nint main(void)\n{\n" + "\n".join(body) + "\nreturn 0;\n}\n")
    exe = tmp_path / "ints"
    build = subprocess.run([CC, "-Wall", "-Werror", "-o", str(exe), str(src)], capture_output=True, text=True,
                           timeout=120)
    assert build.returncode == 0, build.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["-2147483648", "2147483647", "-9223372036854775808", "18446744073709551615", "inf", "1e+300",
                   "2"]


@needs_cc
def test_an_expect_beyond_every_c_type_compiles_and_cannot_hold(tmp_path: Path) -> None:
    text = "socketpair a b\nsend a \"x\"\nexpect ret 99999999999999999999999\n"
    src = tmp_path / "big.c"
    src.write_text(export_text(text, "c", "big.sp"))
    exe = tmp_path / "big"
    build = subprocess.run([CC, "-Wall", "-Werror", "-o", str(exe), str(src)], capture_output=True, text=True,
                           timeout=120)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 1 and "EXPECT FAILED at line 3" in run.stdout
    py = tmp_path / "big.py"
    py.write_text(export_text(text, "python", "big.sp"))
    run = subprocess.run([sys.executable, str(py)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 1 and "EXPECT FAILED at line 3" in run.stdout


@pytest.mark.parametrize(("line", "says"), [
    ('recv b until "\\r\\n"', "recv ... until cannot be exported"),
    ("connect a localhost:80", "host name cannot be exported"),
    ("expect data ~ /h.llo/", "expect data ~ /REGEX/ cannot be exported"),
])
@pytest.mark.parametrize("to", ["python", "c"])
def test_protocol_forms_are_refused_by_name_not_exported_as_less(line: str, says: str, to: str) -> None:
    script = f"socketpair a b\nsend a hello\nrecv b 5\n{line}\n"
    with pytest.raises(ScriptError) as err:
        export_text(script, to)
    assert says in str(err.value) and to in str(err.value).lower()
    assert str(err.value).startswith("line 4, column ")
