"""Compare the app's journal with what strace saw on the user's sockets.

`sockplay run` runs every command on its main thread; the app does not: each command
runs on a thread of its own, the option form's and the socket list's reads on the
command thread, and the UI, the watcher and asyncio's self-pipe live beside them. So
the user's sockets are told apart by what they are, not by thread: a socket is the
user's when a socket/socketpair/accept line of the journal created it (strace's `-y`
gives each fd its inode, so a number reused after close is not confused). Every
syscall strace saw on those inodes must be a journal line, and every journal line
must be such a syscall (stracecmp.Call.same: name, fd, flag words, result).

Polls: a thread that only ever polls the user's sockets is the watcher (or the cancel
signal's thread); its polls are never required. A `poll` command's line may match a
poll from any thread (each command has a thread of its own, and a poll command's
thread makes only that poll), out of order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.fidelity import stracecmp as sc

_INODE = re.compile(r"(\d+)<socket:\[(\d+)\]>")
CREATE = ("socket", "socketpair", "accept", "accept4")


@dataclass
class AppReport:
    compared: int = 0
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)  # journal lines strace did not see
    unreported: list[str] = field(default_factory=list)  # user-socket syscalls not in the journal
    user_sockets: int = 0

    def detail(self) -> str:
        return "\n".join([f"{self.matched}/{self.compared} journal lines matched, {len(self.unreported)} "
                          f"unreported calls on {self.user_sockets} user sockets"]
                         + [f"  not seen by strace: {t}" for t in self.unmatched]
                         + [f"  not in the journal: {t}" for t in self.unreported])


def _created(c: sc.Call) -> list[tuple[str, str]]:
    """(fd, inode) of the sockets a creation call made (strace side)."""
    if c.name == "socketpair":
        return _INODE.findall(c.text)[-2:]
    m = re.search(r"=\s*(\d+)<socket:\[(\d+)\]>", c.text)
    return [(m.group(1), m.group(2))] if m else []


def _journal_fds(t: sc.Call) -> list[str]:
    if t.name == "socketpair":
        m = re.search(r"\[(\d+), (\d+)\]", t.text)
        return list(m.groups()) if m else []
    return [t.result] if t.result.isascii() and t.result.isdigit() else []


def _inode_of(c: sc.Call) -> str | None:
    head = c.text.split("(", 1)[1] if "(" in c.text else ""
    m = _INODE.match(head)
    return m.group(2) if m else None


def user_inodes(ours: list[sc.Call], seen: list[sc.Call]) -> set[str]:
    """The inodes of the sockets the journal says were created, matched in order."""
    creations = [c for c in seen if c.name in CREATE]
    found: set[str] = set()
    k = 0
    for t in ours:
        if t.name not in CREATE:
            continue
        want = _journal_fds(t)
        if not want:
            continue
        for i in range(k, len(creations)):
            got = _created(creations[i])
            if got and [fd for fd, _ in got] == want:
                found |= {ino for _, ino in got}
                k = i + 1
                break
    return found


def compare(jsonl: str, strace_text: str, window: int = 40) -> AppReport:
    ours = sc.trace_calls(jsonl)
    seen = sc.parse_strace(strace_text)
    user = user_inodes(ours, seen)
    rep = AppReport(user_sockets=len(user))
    does_more: set[int] = set()  # threads that make calls other than polls on the user's sockets
    for c in seen:
        if c.name not in sc.POLLS and (_inode_of(c) in user or any(i in user for _, i in _created(c))):
            does_more.add(c.tid)
    stream: list[sc.Call] = []
    polls: list[sc.Call] = []  # poll-only threads' polls: matched in any order, never required
    for c in seen:
        if c.name in sc.POLLS:
            if any(i in user for _, i in _INODE.findall(c.text)):
                (stream if c.tid in does_more else polls).append(c)
        elif c.name in CREATE and any(i in user for _, i in _created(c)):
            stream.append(c)
        elif _inode_of(c) in user:
            stream.append(c)
    taken = [False] * len(stream)
    poll_taken = [False] * len(polls)
    j = 0
    for t in ours:
        rep.compared += 1
        for k in range(j, min(j + window, len(stream))):
            if not taken[k] and t.same(stream[k]):
                taken[k] = True
                break
        else:
            k = next((i for i, p in enumerate(polls) if not poll_taken[i] and t.same(p)), -1)
            if t.name not in sc.POLLS or k < 0:
                rep.unmatched.append(t.text)
                continue
            poll_taken[k] = True
        rep.matched += 1
        while j < len(stream) and taken[j]:
            j += 1
    rep.unreported = [c.text for i, c in enumerate(stream) if not taken[i]]
    return rep
