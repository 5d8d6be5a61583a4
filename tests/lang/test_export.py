"""`sockplay export`: the exported Python and C programs run, and receive what the script received.

Each script is run three ways on real sockets: `sockplay run --json`, the
exported Python program (same interpreter, subprocess) and the exported C
program (compiled with `cc -Wall -Werror`). The calls they make, in order, and
the data and errno names their receives return must agree.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sockplay.lang.export import export_text
from sockplay.lang.grammar import ScriptError, show_data

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]
CC = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc or gcc) on this machine; CI installs gcc")

# `recv b -> 2 "cc"`, `recv b -> -1 EAGAIN`, `setsockopt b SO_PEEK_OFF -> 0 value 4`
LINE_RE = re.compile(r'^(?P<call>\w+)(?: (?P<sock>[^ ]+))?.*? -> (?:-1 (?P<errno>E[A-Z0-9]+)|(?P<ret>\d+))'
                     r'(?: (?P<data>"(?:[^"\\]|\\.)*"))?')
RECV_CALLS = ("recv", "recvfrom", "recvmsg")

# Scripts whose exported programs must match the engine's transcript call by call.
COMPARED = ["peek_off.sp", "export_tcp.sp", "export_udp_trunc.sp", "export_nonblock.sp", "drain.sp", "tcp_by_name.sp",
            "export_addresses.sp"]


def sockplay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sockplay", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def export(script: Path, to: str, out: Path) -> Path:
    proc = sockplay("export", str(script), "--to", to, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def run_python(script: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    prog = export(script, "python", tmp_path / (script.stem + ".py"))
    return subprocess.run([sys.executable, str(prog)], capture_output=True, text=True, timeout=60, cwd=tmp_path)


def run_c(script: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    src = export(script, "c", tmp_path / (script.stem + ".c"))
    exe = tmp_path / script.stem
    build = subprocess.run([CC, "-Wall", "-Werror", "-o", str(exe), str(src)], capture_output=True, text=True,
                           timeout=120)
    assert build.returncode == 0, f"{src} does not compile cleanly:\n{build.stderr}"
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, cwd=tmp_path)


def program_calls(stdout: str) -> list[dict[str, str | None]]:
    """The call lines a program printed, parsed."""
    calls = []
    for line in stdout.splitlines():
        m = LINE_RE.match(line)
        if m:
            calls.append(m.groupdict())
    return calls


def transcript_calls(script: Path) -> list[dict]:
    proc = sockplay("run", "--json", str(script))
    assert proc.returncode == 0, proc.stderr
    return [e for e in map(json.loads, proc.stdout.splitlines()) if e["kind"] == "call"]


def calls_key(calls: list[dict]) -> list[tuple]:
    """Which call on which socket, and its errno name (None when it worked), in order."""
    return [(c["call"] if "call" in c else c["syscall"], c["sock"], c["errno"]) for c in calls]


def received(calls: list[dict], from_program: bool) -> list[tuple]:
    """What each receive returned: (call, socket, ret, data as sockplay shows it, errno)."""
    out = []
    for c in calls:
        name = c["call"] if from_program else c["syscall"]
        if name not in RECV_CALLS:
            continue
        if from_program:
            ret = -1 if c["errno"] else int(c["ret"])
            out.append((name, c["sock"], ret, c["data"], c["errno"]))
        else:
            data = None if c["data"] is None else show_data(bytes.fromhex(c["data"]["hex"]))
            out.append((name, c["sock"], c["ret"], data, c["errno"]))
    return out


@pytest.mark.parametrize("name", COMPARED)
def test_exported_python_receives_what_the_script_received(name: str, tmp_path: Path) -> None:
    script = SCRIPTS / name
    want = transcript_calls(script)
    proc = run_python(script, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = program_calls(proc.stdout)
    assert calls_key(got) == calls_key(want)
    assert received(got, True) == received(want, False)
    assert received(want, False), "the script receives nothing: the comparison would prove nothing"


@needs_cc
@pytest.mark.parametrize("name", COMPARED)
def test_exported_c_compiles_cleanly_and_receives_what_the_script_received(name: str, tmp_path: Path) -> None:
    script = SCRIPTS / name
    want = transcript_calls(script)
    proc = run_c(script, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = program_calls(proc.stdout)
    assert calls_key(got) == calls_key(want)
    assert received(got, True) == received(want, False)


def test_peek_off_example_gives_the_man_page_results(tmp_path: Path) -> None:
    proc = run_python(SCRIPTS / "peek_off.sp", tmp_path)
    datas = [c["data"] for c in program_calls(proc.stdout) if c["call"] == "recv"]
    assert datas == ['"cc"', '"dd"', '"aa"', '"ee"']


def test_constants_are_spelled_out_and_each_step_quotes_its_line() -> None:
    text = (SCRIPTS / "peek_off.sp").read_text()
    py = export_text(text, "python", "peek_off.sp")
    c = export_text(text, "c", "peek_off.sp")
    assert "SO_PEEK_OFF = 42  # missing from Python's socket module" in py
    assert "#ifndef SO_PEEK_OFF\n#define SO_PEEK_OFF 42\n#endif" in c
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            assert f"# line {lineno}: {line.strip()}" in py
            assert f"/* line {lineno}: {line.strip()} */" in c
    assert "a, b = socket.socketpair(" in py  # sockets keep their script names
    assert re.search(r"\bint a = -1, b = -1;", c)


def test_python_program_uses_only_the_standard_library() -> None:
    py = export_text((SCRIPTS / "export_misc.sp").read_text(), "python", "export_misc.sp")
    modules = set(re.findall(r"^import (\w+)", py, re.M))
    assert modules and modules <= set(sys.stdlib_module_names)
    assert "sockplay" not in py.replace("sockplay export", "").replace("sockplay does", "").replace(
        "sockplay prints", "").replace("sockplay reads", "").replace("sockplay's", "").replace(
        "and so sockplay", "").replace("as sockplay", "")


@needs_cc
@pytest.mark.parametrize("name", ["export_rights.sp", "export_misc.sp"])
def test_python_and_c_programs_agree(name: str, tmp_path: Path) -> None:
    """recvmsg (SCM_RIGHTS, MSG_TRUNC), poll, names, sysctl, fcntl: the two programs print the same calls."""
    py = run_python(SCRIPTS / name, tmp_path)
    c = run_c(SCRIPTS / name, tmp_path)
    assert py.returncode == 0, py.stdout + py.stderr
    assert c.returncode == 0, c.stdout + c.stderr
    assert calls_key(program_calls(py.stdout)) == calls_key(program_calls(c.stdout))
    assert received(program_calls(py.stdout), True) == received(program_calls(c.stdout), True)
    oks = [ln for ln in py.stdout.splitlines() if ln.startswith("  ok: ")]
    assert oks == [ln for ln in c.stdout.splitlines() if ln.startswith("  ok: ")] and oks
    if name == "export_misc.sp":  # the socket file is gone (the second program could bind it again)
        assert not (tmp_path / "export-misc.sock").exists()
        assert "signal SIGIO" in py.stdout and "signal SIGIO" in c.stdout
    if name == "export_rights.sp":
        for out in (py.stdout, c.stdout):
            assert re.search(r"^    cmsg SOL_SOCKET SCM_RIGHTS \d+$", out, re.M)
            assert 'recvmsg b -> 6 "a long" flags MSG_TRUNC' in out


def test_commands_without_a_syscall_are_left_out_with_a_comment() -> None:
    text = (SCRIPTS / "export_misc.sp").read_text()
    for to in ("python", "c"):
        prog = export_text(text, to, "export_misc.sp")
        assert prog.count("left out:") == 3  # sockets, help, options


def test_a_failing_expect_makes_both_programs_exit_1(tmp_path: Path) -> None:
    script = SCRIPTS / "expect_fails.sp"
    results = [run_python(script, tmp_path)]
    if CC is not None:
        results.append(run_c(script, tmp_path))
    for proc in results:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert 'EXPECT FAILED at line 5: expect data "HELLO" (got "hello")' in proc.stdout
        assert "not reached" not in proc.stdout


def test_a_failing_syscall_is_a_result_not_a_crash(tmp_path: Path) -> None:
    script = tmp_path / "fail.sp"
    script.write_text('socket s inet stream\nconnect s 127.0.0.1:1\nexpect errno ECONNREFUSED\nsend s "x"\n'
                      "expect errno EPIPE\necho done\n")
    results = [run_python(script, tmp_path)]
    if CC is not None:
        results.append(run_c(script, tmp_path))
    for proc in results:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        calls = program_calls(proc.stdout)
        assert [(c["call"], c["errno"]) for c in calls] == [("socket", None), ("connect", "ECONNREFUSED"),
                                                            ("send", "EPIPE")]
        assert proc.stdout.rstrip().endswith("done")


@needs_cc
def test_awkward_socket_names_become_valid_variables(tmp_path: Path) -> None:
    script = tmp_path / "names.sp"
    script.write_text('socketpair send a.b\nsocketpair a_b if\nsend send "1"\nrecv a.b 4\nexpect data "1"\n'
                      'send a_b "2"\nrecv if 4\nexpect data "2"\n')
    for proc in (run_python(script, tmp_path), run_c(script, tmp_path)):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert [c["data"] for c in program_calls(proc.stdout) if c["data"]] == ['"1"', '"2"']


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("socketpair a b\ngetsockopt a SO_PEERNAME\n", 2, 14, "SO_PEERNAME"),
        ("socketpair a b\nrecv c 4\n", 2, 6, "no socket named 'c'"),
        ("socketpair a b\nclose a\nsend a x\n", 3, 6, "no socket named 'a'"),
        ("socketpair a b\npoll a timeout=1\nexpect value a=POLLIN\n", 3, 1, "expect value after poll"),
        ("socketpair a b\nrecv b 1 dontwait\nexpect cmsg SO_RXQ_OVFL\n", 3, 1, "only right after recvmsg"),
    ],
)
def test_unsupported_lines_are_errors_naming_the_line(text: str, line: int, col: int, words: str) -> None:
    for to in ("python", "c"):
        with pytest.raises(ScriptError) as info:
            export_text(text, to, "x.sp")
        assert (info.value.line, info.value.col) == (line, col)
        assert words in info.value.message


def test_cli_exit_2_names_the_file_line_and_column(tmp_path: Path) -> None:
    for name, where in (("export_unsupported.sp", ":3:14: "), ("bad_syntax.sp", ":3:26: "), ("bad_syntax.sp", ":4:")):
        for to in ("python", "c"):
            proc = sockplay("export", str(SCRIPTS / name), "--to", to)
            assert proc.returncode == 2
            assert f"{name}{where}" in proc.stderr
            assert proc.stdout == ""
    proc = sockplay("export", str(tmp_path / "missing.sp"), "--to", "c")
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def test_cli_writes_to_stdout_without_output_file() -> None:
    proc = sockplay("export", str(SCRIPTS / "peek_off.sp"), "--to", "python")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("#!/usr/bin/env python3\n")
    compile(proc.stdout, "peek_off.py", "exec")


@pytest.mark.parametrize("lang", ["python", "c"])
def test_expect_signal_is_checked_by_the_exported_program(lang: str, tmp_path: Path) -> None:
    if lang == "c" and CC is None:
        pytest.skip("no C compiler (cc or gcc) on this machine; CI installs gcc")
    script = SCRIPTS / "export_signals.sp"
    assert sockplay("run", str(script)).returncode == 0
    proc = (run_python if lang == "python" else run_c)(script, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok: expect signal SIGIO b" in proc.stdout and "ok: expect signal SIGURG conn" in proc.stdout
    # without O_ASYNC no SIGIO comes: the program says so and exits 1
    quiet = tmp_path / "quiet.sp"
    quiet.write_text('socketpair a b\nfcntl b setown\nsend a "x"\nexpect signal SIGIO b\n')
    proc = (run_python if lang == "python" else run_c)(quiet, tmp_path)
    assert proc.returncode == 1 and "EXPECT FAILED at line 4" in proc.stdout
