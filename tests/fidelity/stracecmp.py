"""Compare sockplay's trace with what strace saw, line by line.

`run(script)` runs `sockplay run --json SCRIPT` under `strace -f` and returns a
Report: every trace line of every call event matched, in order, against the
syscalls strace saw; and every syscall strace saw on a socket (the watcher's
and the signal thread's polls aside) looked for in the trace.

What counts as the same call: the same syscall name, the same fd (first
argument), the same flag words and the same result (return value or errno).
Normalizations, each one a difference in how strace *prints* the same call:

1. `-y` annotations (`4<socket:[123]>`) are dropped from fds and results.
2. An `_OLD` suffix is dropped (strace names SO_RCVTIMEO SO_RCVTIMEO_OLD,
   SIOCGSTAMP SIOCGSTAMP_OLD on this ABI).
3. Values inside brackets are not flag words: strace prints `[1]` where the
   trace decodes `[SOCK_STREAM]` (numbers vs names inside brackets); so
   `[...]` holding one value is removed before flag words are collected.
4. Quoted strings (data) are removed before flag words are collected.
5. Two names for one constant: SIOCINQ is FIONREAD, SIOCOUTQ is TIOCOUTQ,
   SO_GET_FILTER is SO_ATTACH_FILTER, SO_DETACH_BPF is SO_DETACH_FILTER,
   O_ASYNC is FASYNC.
   An option's value (setsockopt/getsockopt's fourth argument) is data, not
   flag words: strace prints SO_TIMESTAMPING as `[24]`, the trace decodes it;
   only the fd, level and option name are compared there.
   A control message's type and data likewise: strace has no name for many
   (`cmsg_type=0x28 /* SCM_??? */` is SO_RXQ_OVFL); cmsg_level is compared.
6. An interrupted call: strace prints the kernel's internal ERESTARTSYS /
   ERESTARTNOHAND / ERESTARTNOINTR / ERESTART_RESTARTBLOCK with `= ?`; with
   no SA_RESTART the process receives EINTR, which is what the trace shows.
7. strace prints F_GETFL's result in hex (`= 0x802`); compared as numbers.
9. The end of a run: `sockplay run` closes every socket left open after the
   script's last command (Playground.close_all) and prints no events for that
   teardown (a script's transcript holds the script's own calls); so `close`
   calls on sockets after the last traced line are accepted without a line.
10. `wire on` opens sockplay's own AF_PACKET socket to capture packets: it is
   not a user's socket, so its calls (and AF_PACKET socket() calls) are left out.
11. Calls from other threads (a relay's pump) count too; threads run side by
   side, so a line matches the first same call within the next few.
8. Results are compared by their first word: `= 1 ([{fd=4, revents=POLLIN}])`
   and `= 0 (Timeout)` are compared as 1 and 0 (the revents are the
   kernel's, and the trace's own are checked by the engine tests).
Flag words are tokens with these prefixes: MSG_ SOCK_ SOL_ SO_ SCM_ AF_ O_
F_ SHUT_ IPPROTO_ TCP_ IP_ IPV6_ AT_ POLL FIO SIOC TIOC, and FASYNC.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOCKPLAY = [sys.executable, "-m", "sockplay"]
STRACE_SET = "%net,%desc"
_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(.*)$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(?:\.\.\.)?')
_ONE_VALUE = re.compile(r"\[[A-Za-z0-9_|+\-]*\]")
_WORD = re.compile(r"\b(?:(?:MSG|SOCK|SOL|SO|SCM|AF|O|F|SHUT|IPPROTO|TCP|IP|IPV6|AT)_[A-Z0-9_]+"
                   r"|POLL[A-Z]+|FASYNC|FIO[A-Z]+|SIOC[A-Z_]+|TIOC[A-Z_]+)\b")
_CMSG_VALUE = re.compile(r"cmsg_(?:type|data)=(?:\[[^\]]*\]|\{[^}]*\}|[^,}]*(?:/\*.*?\*/)?)")
_ANNOT = re.compile(r"<[^<>]*>")
ALIASES = {"SIOCINQ": "FIONREAD", "SIOCOUTQ": "TIOCOUTQ", "SO_GET_FILTER": "SO_ATTACH_FILTER",
           "SO_DETACH_BPF": "SO_DETACH_FILTER", "O_ASYNC": "FASYNC"}
RESTART = {"ERESTARTSYS", "ERESTARTNOHAND", "ERESTARTNOINTR", "ERESTART_RESTARTBLOCK"}
SOCKET_CALLS = {"socket", "socketpair"}
POLLS = {"poll", "ppoll"}


def strace_available() -> bool:
    return shutil.which("strace") is not None


@dataclass
class Call:
    """One syscall, from either side, reduced to what is compared."""

    name: str
    fd: str
    words: frozenset[str]
    result: str
    text: str
    tid: int = 0
    on_socket: bool = False
    origin: str = "user"

    def same(self, other: Call) -> bool:
        return (self.name, self.fd, self.words, self.result) == (other.name, other.fd, other.words, other.result)


@dataclass
class Report:
    script: str
    compared: int = 0
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)  # trace lines strace did not see
    unreported: list[str] = field(default_factory=list)  # socket syscalls missing from the trace
    exit_code: int = 0

    def summary(self) -> str:
        return (f"{self.script}: {self.matched}/{self.compared} trace lines matched, "
                f"{len(self.unreported)} unreported socket syscalls")


def _words(args: str, name: str = "") -> frozenset[str]:
    args = _STRING.sub('""', args)
    if name in ("setsockopt", "getsockopt"):
        args = ",".join(args.split(",")[:3])
    args = _CMSG_VALUE.sub("", args)
    args = _ONE_VALUE.sub("[]", args)
    out = set()
    for w in _WORD.findall(args):
        w = w.removesuffix("_OLD")
        out.add(ALIASES.get(w, w))
    return frozenset(out)


def _result(text: str) -> str:
    text = _ANNOT.sub("", text).strip()
    first = text.split()[0] if text else "?"
    if first == "?":
        m = re.search(r"\b(ERESTART\w*)", text)
        return "EINTR" if m and m.group(1) in RESTART else "?"
    if first == "-1":
        errno = text.split()[1] if len(text.split()) > 1 else "?"
        return errno
    try:
        return str(int(first, 0))
    except ValueError:
        return first


def parse_line(line: str, origin: str = "user") -> Call | None:
    m = _CALL.match(line.strip())
    if not m:
        return None
    name, args, res = m.groups()
    first = args.split(",", 1)[0].strip()
    fd = _ANNOT.sub("", first) if re.match(r"^\d+", first) else ""
    return Call(name, fd, _words(args, name), _result(res), line.strip(), origin=origin)


def parse_strace(text: str) -> list[Call]:
    """strace -f -y output, unfinished/resumed calls joined, in the order they ended."""
    pending: dict[int, str] = {}
    calls: list[Call] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        tid, rest = int(m.group(1)), m.group(2)
        if rest.startswith(("---", "+++")):
            continue
        if rest.endswith("<unfinished ...>"):
            pending[tid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = re.match(r"^<\.\.\. (\w+) resumed>\s?(.*)$", rest)
        if r:
            rest = pending.pop(tid, r.group(1) + "(") + r.group(2)
        c = parse_line(rest)
        if c is None:
            continue
        c.tid = tid
        head = rest.split(",", 1)[0]
        c.on_socket = "<socket:" in head or c.name in SOCKET_CALLS or (
            c.name in POLLS and "<socket:" in rest)
        calls.append(c)
    return calls


def trace_calls(jsonl: str) -> list[Call]:
    """Every line of every call event's trace, in seq order, with its origin."""
    events = [json.loads(line) for line in jsonl.splitlines() if line.startswith("{")]
    out: list[Call] = []
    for ev in sorted(events, key=lambda e: e.get("seq") or 0):
        if ev.get("kind") != "call" or not ev.get("trace"):
            continue
        lines = ev.get("trace_lines") or [{"origin": "user", "line": ev["trace"]}]
        for item in lines:
            c = parse_line(item["line"], item["origin"])
            if c is not None:
                out.append(c)
    return out


def compare(script: str, ours: list[Call], seen: list[Call], main_tid: int) -> Report:
    """Walk the trace in order against what strace saw.

    Calls on sockets from every thread count (a relay's pump runs on its own thread),
    polls only from the command thread (the watcher's and the signal thread's are theirs).
    Threads run side by side, so a line may match a little out of order: each trace line
    takes the first unmatched call that is the same within the next few; a call strace
    saw that no line took is reported.
    """
    rep = Report(script)
    proc_fds: set[str] = set()
    stream: list[Call] = []
    own: set[str] = set()  # 10: sockplay's own capture socket (wire on: AF_PACKET) is not a user's
    for c in seen:
        if c.name == "socket" and "AF_PACKET" in c.text:
            own.add(c.result)
            continue
        if c.fd in own:
            if c.name == "close":
                own.discard(c.fd)
            continue
        if c.tid != main_tid and c.name in POLLS:
            continue
        if c.name == "openat" and "/proc/sys/net/" in c.text:
            proc_fds.add(c.result)
            stream.append(c)
        elif c.fd in proc_fds and c.name in ("read", "close"):
            stream.append(c)
            if c.name == "close":
                proc_fds.discard(c.fd)
        elif c.on_socket:
            stream.append(c)
    taken = [False] * len(stream)
    j = 0
    for t in ours:
        rep.compared += 1
        for k in range(j, min(j + 24, len(stream))):
            if not taken[k] and t.same(stream[k]):
                taken[k] = True
                rep.matched += 1
                break
        else:
            rep.unmatched.append(t.text)
        while j < len(stream) and taken[j]:
            j += 1
        # a call left far behind was never in the trace
    last = max((i for i, x in enumerate(taken) if x), default=-1)
    for i, c in enumerate(stream):
        if taken[i] or (i > last and c.name == "close"):  # 9: the teardown
            continue
        rep.unreported.append(c.text if c.tid == main_tid else f"[thread {c.tid}] {c.text}")
    return rep


def run(script: Path, workdir: Path) -> Report:
    """One strace'd `sockplay run --json` of the script (cwd: workdir, for relative unix paths)."""
    log = workdir / (script.stem + ".strace")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-y", "-e", f"trace={STRACE_SET}", "-e", "signal=none",
         "-o", str(log), *SOCKPLAY, "run", "--json", str(script)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120,
    )
    seen = parse_strace(log.read_text())
    # strace runs the program as its child; the first line is its main thread, which runs the commands.
    main_tid = seen[0].tid if seen else 0
    rep = compare(script.name, trace_calls(proc.stdout), seen, main_tid)
    rep.exit_code = proc.returncode
    return rep


def main(argv: list[str]) -> int:
    import tempfile

    total_c = total_m = total_u = 0
    with tempfile.TemporaryDirectory() as d:
        for name in argv:
            rep = run(Path(name).resolve(), Path(d))
            total_c, total_m, total_u = total_c + rep.compared, total_m + rep.matched, total_u + len(rep.unreported)
            print(rep.summary())
            for line in rep.unmatched:
                print("   not seen by strace:", line)
            for line in rep.unreported:
                print("   not in the trace:  ", line)
    print(f"TOTAL: {total_m}/{total_c} trace lines matched strace; {total_u} socket syscalls missing from the trace")
    return 0 if total_m == total_c and not total_u else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
