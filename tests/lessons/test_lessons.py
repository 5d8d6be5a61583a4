"""Every lesson runs through the real `sockplay run` and passes; together they show all of socket(7).

The lists below are what socket(7) documents (and what its source comments
name as not yet documented), written here so the suite needs nothing outside
the project. A name counts as demonstrated when some lesson's command lines
use it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sockplay import lessons, lessons_cli

ROOT = Path(__file__).resolve().parents[2]
NAMES = lessons.names()

# SOL_SOCKET options socket(7) describes, plus those its comments list as undocumented.
SOCKET7_OPTIONS = (
    "SO_ACCEPTCONN", "SO_ATTACH_FILTER", "SO_ATTACH_BPF", "SO_ATTACH_REUSEPORT_CBPF",
    "SO_ATTACH_REUSEPORT_EBPF", "SO_BINDTODEVICE", "SO_BROADCAST", "SO_BSDCOMPAT", "SO_DEBUG",
    "SO_DETACH_FILTER", "SO_DETACH_BPF", "SO_DOMAIN", "SO_ERROR", "SO_DONTROUTE", "SO_INCOMING_CPU",
    "SO_KEEPALIVE", "SO_LINGER", "SO_LOCK_FILTER", "SO_MARK", "SO_OOBINLINE", "SO_PASSCRED",
    "SO_PASSSEC", "SO_PEEK_OFF", "SO_PEERCRED", "SO_PRIORITY", "SO_PROTOCOL", "SO_RCVBUF",
    "SO_RCVBUFFORCE", "SO_RCVLOWAT", "SO_SNDLOWAT", "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_REUSEADDR",
    "SO_REUSEPORT", "SO_RXQ_OVFL", "SO_SNDBUF", "SO_SNDBUFFORCE", "SO_TIMESTAMP", "SO_TYPE",
    "SO_BUSY_POLL",
    # named in the page's source as not yet documented
    "SO_PEERNAME", "SO_TIMESTAMPNS", "SO_TIMESTAMPING", "SO_WIFI_STATUS", "SO_GET_FILTER",
    "SO_SELECT_ERR_QUEUE", "SO_MAX_PACING_RATE", "SO_BPF_EXTENSIONS",
)
# The poll events of the page's table (POLLIN covers both "read" rows, POLLOUT the write row).
SOCKET7_POLL_EVENTS = ("POLLIN", "POLLPRI", "POLLOUT", "POLLRDHUP", "POLLERR", "POLLHUP")
# Its ioctls, with FIONREAD/SIOCINQ and SIOCOUTQ, which every socket answers too.
SOCKET7_IOCTLS = ("SIOCGSTAMP", "SIOCSPGRP", "FIOASYNC", "SIOCGPGRP", "SIOCINQ", "FIONREAD", "SIOCOUTQ")
# Its /proc/sys/net/core files (busy_read and busy_poll appear under SO_BUSY_POLL).
SOCKET7_PROC_FILES = (
    "rmem_default", "rmem_max", "wmem_default", "wmem_max", "message_cost", "message_burst",
    "netdev_max_backlog", "optmem_max", "busy_read", "busy_poll",
)
# Signals and flags its sections are about.
SOCKET7_SIGNALS_AND_FLAGS = ("async", "setown", "nosignal", "EPIPE", "EAGAIN", "EINPROGRESS")


def run_lesson(name: str, *extra: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockplay", "run", *extra, str(lessons.path_of(name))],
        capture_output=True, text=True, timeout=60, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def command_words() -> set[str]:
    """Every word of every command line of every lesson (prose and comments left out)."""
    words: set[str] = set()
    for le in lessons.all_lessons():
        for line in le.commands:
            code = line.split(" #", 1)[0]
            words |= set(re.split(r"[\s,=|]+", code))
    return words


def test_there_are_lessons() -> None:
    assert len(NAMES) >= 20, NAMES


@pytest.mark.parametrize(
    "name", NAMES)
def test_lesson_runs_and_every_expect_holds(name: str, tmp_path: Path) -> None:
    proc = run_lesson(name, cwd=tmp_path)
    assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{proc.stderr}\n{proc.stdout[-3000:]}"
    assert "ok:" in proc.stdout  # at least one expect ran and held
    assert list(tmp_path.iterdir()) == []  # unix socket files were cleaned up


@pytest.mark.parametrize("name", NAMES)
def test_lesson_shape(name: str) -> None:
    le = lessons.load(name)
    assert le.title and le.title != name
    assert le.summary
    assert len(le.steps) >= 2
    for step in le.steps:
        assert step.prose, f"{name}: step at line {step.lineno} has no prose"
    assert any(c.startswith("expect ") for c in le.commands), f"{name} checks nothing"


@pytest.mark.parametrize(
    "group",
    [SOCKET7_OPTIONS, SOCKET7_POLL_EVENTS, SOCKET7_IOCTLS, SOCKET7_PROC_FILES, SOCKET7_SIGNALS_AND_FLAGS],
    ids=["options", "poll-events", "ioctls", "proc-files", "signals-and-flags"],
)
def test_socket7_is_covered(group: tuple[str, ...]) -> None:
    words = command_words()
    missing = [n for n in group if n not in words]
    assert not missing, f"no lesson demonstrates {missing}"


def test_every_socket7_option_is_in_the_catalog() -> None:
    from sockplay.core import catalog

    known = {r.name for r in catalog.OPTIONS}
    assert set(SOCKET7_OPTIONS) <= known


def test_lessons_cli_lists_every_lesson_with_its_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert lessons_cli.lessons_cli(None) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        le = lessons.load(name)
        assert re.search(rf"^{re.escape(name)}\s+{re.escape(le.summary)}$", out, re.M), name


def test_sockplay_lessons_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "sockplay", "lessons"], capture_output=True, text=True,
                          timeout=30, cwd=ROOT)
    assert proc.returncode == 0
    assert all(n in proc.stdout for n in NAMES)


def test_load_unknown_lesson_suggests_the_nearest() -> None:
    with pytest.raises(ValueError, match="did you mean linger"):
        lessons.load("lingr")


def test_parse_steps_prose_and_header() -> None:
    le = lessons.parse(
        "# title: T\n# summary: S\n# a note\n\n## first\n## more\nsocketpair a b\n\n"
        "## second\nsend a x  # trailing\n# inner comment\nexpect ret 1\n",
        "t",
    )
    assert (le.title, le.summary) == ("T", "S")
    assert [s.prose for s in le.steps] == ["first\nmore", "second"]
    assert le.steps[0].lines == ("socketpair a b",)
    assert le.steps[1].commands == ("send a x  # trailing", "expect ret 1")
    assert le.steps[1].lineno == 9


NEEDS_PRIVILEGE = [n for n in NAMES if re.search(r"^require ", lessons.path_of(n).read_text(), re.M)]


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]


# Third-party modules a lesson loads at run time (trustme for selfsigned certificates, and what
# it imports); copied beside the package so nobody's interpreter finds them too.
LESSON_DEPENDENCIES = ("trustme", "cryptography", "idna", "cffi", "_cffi_backend", "pycparser")


def _copy_lesson_dependencies(root: Path) -> None:
    import importlib.util

    for mod in LESSON_DEPENDENCIES:
        spec = importlib.util.find_spec(mod)
        if spec is None or spec.origin is None:
            continue  # not installed: the lesson then says what it needs, and this test shows it
        origin = Path(spec.origin)
        if spec.submodule_search_locations:
            shutil.copytree(origin.parent, root / origin.parent.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, root / origin.name)


@pytest.fixture(scope="session")
def nobody_tree() -> Iterator[tuple[Path, str]]:
    """A copy of the sockplay package that user nobody can read, and an interpreter nobody can run.

    The checkout (and its .venv) may sit in a directory only root can enter, such
    as a fresh clone under `mktemp -d` (mode 0700). `sockplay run` needs nothing
    outside the standard library, so a copy of the package in a world-readable
    directory under /tmp is enough.
    """
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to drop privileges")
    root = Path(tempfile.mkdtemp(prefix="sockplay-nobody-", dir="/tmp"))
    try:
        root.chmod(0o755)
        shutil.copytree(ROOT / "sockplay", root / "sockplay", ignore=shutil.ignore_patterns("__pycache__"))
        _copy_lesson_dependencies(root)  # `tls ... selfsigned` (tls-handshake) needs trustme
        for p in root.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        tried = []
        for py in dict.fromkeys([sys.executable, getattr(sys, "_base_executable", ""), "/usr/bin/python3"]):
            if not py:
                continue
            probe = subprocess.run([*NOBODY, py, "-c", "import sys, sockplay.lang.script; assert sys.version_info >= (3, 11)"],
                                   capture_output=True, text=True, timeout=30, cwd=root, env=env)
            if probe.returncode == 0:
                yield root, py
                return
            tried.append(f"{py}: {(probe.stderr.strip().splitlines() or ['exit ' + str(probe.returncode)])[-1]}")
        pytest.skip("user nobody can run no Python 3.11 interpreter here (" + "; ".join(tried) + ")")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(
    "name", NEEDS_PRIVILEGE)
def test_lesson_without_privilege_skips_and_still_passes(name: str, nobody_tree: tuple[Path, str]) -> None:
    """As nobody with no capabilities, `require` skips the privileged steps; the lesson still exits 0."""
    root, py = nobody_tree
    work = root / f"work-{name}"
    work.mkdir()
    work.chmod(0o777)
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [*NOBODY, py, "-m", "sockplay", "run", str(root / "sockplay" / "lessons" / f"{name}.sp")],
        capture_output=True, text=True, timeout=60, cwd=work, env=env,
    )
    assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{proc.stderr}\n{proc.stdout[-3000:]}"
    assert "skipped: needs" in proc.stdout


def _events(name: str, tmp_path: Path) -> list[dict]:
    proc = run_lesson(name, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _calls(events: list[dict], syscall: str, text: str) -> list[dict]:
    return [e for e in events if e.get("kind") == "call" and e.get("syscall") == syscall
            and text in (e.get("command") or "")]


def test_buffers_follow_the_sysctls_the_lesson_read(tmp_path: Path) -> None:
    """Values that depend on the build or the sysctls are checked against what the lesson read."""
    ev = _events("buffers", tmp_path)
    sysctl = {e["command"].split()[1]: e["value"] for e in ev
              if e.get("kind") == "call" and e.get("syscall") == "sysctl"}
    assert _calls(ev, "getsockopt", "getsockopt u SO_RCVBUF")[0]["value"] == sysctl["rmem_default"]
    assert _calls(ev, "getsockopt", "getsockopt u SO_SNDBUF")[0]["value"] == sysctl["wmem_default"]
    assert _calls(ev, "setsockopt", "SO_RCVBUF 2000000000")[0]["value"] == 2 * sysctl["rmem_max"]
    assert _calls(ev, "setsockopt", "SO_SNDBUF 2000000000")[0]["value"] == 2 * sysctl["wmem_max"]


def test_proc_sys_values_match_what_sockets_report(tmp_path: Path) -> None:
    ev = _events("proc-sys", tmp_path)
    sysctl = {e["command"].split()[1]: e["value"] for e in ev
              if e.get("kind") == "call" and e.get("syscall") == "sysctl" and len(e["command"].split()) == 2}
    assert _calls(ev, "getsockopt", "getsockopt u SO_RCVBUF")[0]["value"] == sysctl["rmem_default"]
    assert _calls(ev, "setsockopt", "SO_RCVBUF 1g")[0]["value"] == 2 * sysctl["rmem_max"]
    assert _calls(ev, "getsockopt", "getsockopt u SO_BUSY_POLL")[0]["value"] == sysctl["busy_read"]


def test_rcvlowat_grows_an_unlocked_tcp_buffer(tmp_path: Path) -> None:
    ev = _events("rcvlowat", tmp_path)
    before, after = (e["value"] for e in _calls(ev, "getsockopt", "getsockopt c3 SO_RCVBUF"))
    assert after > before
    assert after >= 2 * 200000
