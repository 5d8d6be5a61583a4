"""The batch path: recv/recvfrom/recvmsg and send/sendto with count=N on datagram sockets.

One recvmmsg(2) takes up to 1,024 datagrams, one sendmmsg(2) sends up to 1,024.
The trace shows each of those real calls once, on the event of the first
datagram it moved; every datagram is still an event of its own, with its data,
sender and control messages decoded when read (sockplay.core.records).

Receiving takes this path only when the call could not block anyway (the socket
is nonblocking or MSG_DONTWAIT is given), with no MSG_PEEK, MSG_OOB or
MSG_ERRQUEUE: then N recvmsg calls and a few recvmmsg calls see the same queue
and end the same way (at the first error, EAGAIN once the queue is empty).
Sending takes it under the same condition, so a full send buffer gives EAGAIN
at once instead of a wait in the kernel. SCM_RIGHTS descriptors in a batch are
adopted at once, as recvmsg does.
"""

from __future__ import annotations

import socket
import struct
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from sockplay.core import addresses, cmsg, codecs, errnos, flags, mmsg, records, trace
from sockplay.core.errors import UsageError
from sockplay.core.outcome import Outcome
from sockplay.core.sockets import PlaySocket

if TYPE_CHECKING:
    from sockplay.core.playground import Playground

_MSG_OOB, _MSG_PEEK, _MSG_DONTWAIT, _MSG_ERRQUEUE = 0x1, 0x2, 0x40, 0x2000
ARENA = 4 << 20  # bytes of receive buffers one socket's batch may hold: vlen shrinks for big sizes
_now = time.time


class OutcomeRun(Sequence[Outcome]):
    """The Outcomes of a batched count=N, made one by one when read (N can be millions)."""

    def __init__(self) -> None:
        self._parts: list[tuple[tuple, int]] = []  # (record, datagrams) per syscall
        self._len = 0
        self.tail: Outcome | None = None  # the error that ended the run

    def _add(self, rec: tuple, n: int) -> None:
        self._parts.append((rec, n))
        self._len += n

    def extend(self, other: OutcomeRun) -> None:
        """Append another run (a long count=N is taken in slices); its error ends this one too."""
        if self.tail is not None:
            raise ValueError("this run already ended with an error")
        self._parts.extend(other._parts)
        self._len += other._len
        self.tail = other.tail

    @property
    def syscalls(self) -> int:
        """Real recvmmsg/sendmmsg calls made (the one that failed included)."""
        return len(self._parts) + (self.tail is not None)

    @property
    def syscall(self) -> str:
        rec = self._parts[0][0] if self._parts else None
        if rec is not None:
            return "recvmmsg" if rec[1] == records.RECVMMSG else "sendmmsg"
        return self.tail.trace.split("(", 1)[0] if self.tail is not None else "recvmmsg"

    @property
    def last_trace(self) -> str:
        """The trace line of the last real call."""
        if self.tail is not None:
            return self.tail.trace
        return Outcome.lazy(self._parts[-1][0], 0).trace if self._parts else ""

    @property
    def datagrams(self) -> int:
        """Datagrams moved (the Outcomes but the error that ended the run)."""
        return self._len

    def __len__(self) -> int:
        return self._len + (self.tail is not None)

    @overload
    def __getitem__(self, k: int) -> Outcome: ...
    @overload
    def __getitem__(self, k: slice) -> list[Outcome]: ...
    def __getitem__(self, k: int | slice) -> Outcome | list[Outcome]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        n = len(self)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(k)
        if k == self._len:
            return self.tail  # type: ignore[return-value]
        for rec, count in self._parts:
            if k < count:
                return Outcome.lazy(rec, k)
            k -= count
        raise IndexError(k)

    def stats(self) -> tuple[int, Counter[int], int, Counter[str], Counter[str]]:
        """(ok, Counter of ret values, bytes moved, Counter of errnos, Counter of cmsg names) without
        decoding each datagram: a summary of a million datagrams is read off the packed records."""
        rets: Counter[int] = Counter()
        cms: Counter[str] = Counter()
        for rec, n in self._parts:
            if rec[1] == records.SENDMMSG:
                rets[len(rec[3][5])] += n
                continue
            packed = rec[4]
            data, ends, truncated, _names, ctl, ctl_ends = packed[:6]
            if truncated is not None:
                rets.update(memoryview(truncated).cast("I").tolist())
            elif type(ends) is int:
                rets[ends] += n
            else:
                e = memoryview(ends).cast("I").tolist()
                rets.update(b - a for a, b in zip([0, *e[:-1]], e, strict=True))
            _count_cmsgs(cms, packed, n, rec[3][9])
        errs: Counter[str] = Counter()
        if self.tail is not None and self.tail.errno:
            errs[self.tail.errno] += 1
        return self._len, rets, sum(r * c for r, c in rets.items()), errs, cms

    def __iter__(self) -> Iterator[Outcome]:
        for rec, count in self._parts:
            for i in range(count):
                yield Outcome.lazy(rec, i)
        if self.tail is not None:
            yield self.tail


def _count_cmsgs(cms: Counter[str], packed: tuple, n: int, namelen: int) -> None:
    ctl, ctl_ends = packed[4], packed[5]
    if not ctl:
        return
    if type(ctl_ends) is int and ctl_ends % 8 == 0:
        clen, level, typ = _CMSG_HDR.unpack_from(ctl, 0)
        if (clen + 7) & ~7 == ctl_ends:  # one message per datagram: are they all the same kind?
            words = memoryview(ctl).cast("Q")
            step = ctl_ends // 8
            kinds = words[1::step].tolist()
            if len(kinds) == n and kinds.count(kinds[0]) == n:
                cms[_cmsg_name(level, typ)] += n
                return
    for i in range(n):
        for level, typ, _ in mmsg.split_control(mmsg.datagram(packed, i, namelen)[3]):
            cms[_cmsg_name(level, typ)] += 1


def _cmsg_name(level: int, typ: int) -> str:
    row = cmsg.BY_KEY.get((level, typ))
    return row.name if row is not None else f"type {typ}"


_CMSG_HDR = struct.Struct("@Nii")
_OVFL_HEAD = struct.pack("@ii", 1, 40)  # cmsg_level SOL_SOCKET, cmsg_type SO_RXQ_OVFL


def can_batch_recv(s: Any, bits: int, count: int) -> bool:
    if count < 2 or type(s) is not PlaySocket or bits & (_MSG_PEEK | _MSG_OOB | _MSG_ERRQUEUE):
        return False
    d = s.__dict__
    stype = d.get("_sp_type")
    if stype is None:
        stype = d["_sp_type"] = int(s.type)
    return stype == socket.SOCK_DGRAM and bool(bits & _MSG_DONTWAIT or s.nonblocking())


def recv(pg: Playground, name: str, verb: str, size: int, bits: int, anc: int, count: int) -> OutcomeRun:
    """Up to `count` datagrams by recvmmsg, stopping at the first error (its Outcome is `tail`)."""
    s: PlaySocket = pg.sockets[name]  # type: ignore[assignment]
    fd = s.fileno()
    fam = int(s.family)
    if verb != "recvmsg":
        anc = 0
    vlen = max(1, min(count, mmsg.MAX_VLEN, ARENA // max(size, 1)))
    d = s.__dict__
    cached = d.get("_sp_mmsg")
    if cached is None or cached[0] != (vlen, size, anc):
        cached = d["_sp_mmsg"] = ((vlen, size, anc), mmsg.RecvBatch(vlen, size, anc, fam))
    rb: mmsg.RecvBatch = cached[1]
    shape = (verb, name, getattr(pg._local, "command", None), fd, fam, size, anc, bits, vlen, rb.namelen)
    journal = pg.journal
    run = OutcomeRun()
    left = count
    while left > 0:
        want = min(left, vlen)
        ret, err = rb.recv(fd, bits, want)
        if ret < 0:
            ename = errnos.name_of(err)
            out = Outcome(verb, name, ret=-1, errno=ename)
            out.error = errnos.explain(ename, verb, {"sock": name, "flags": flags.bits_list(bits, flags.MSG_FLAGS)})
            out.trace = trace.call("recvmmsg", [str(fd), "0x...", str(want), flags.bits_names(bits, flags.MSG_FLAGS),
                                                "NULL"], -1, out.errno)
            run.tail = pg._emit(out)
            break
        t = _now()
        packed = rb.pack(ret, bool(bits & 0x20))
        rights: tuple = ()
        if fam == socket.AF_UNIX and mmsg.has_rights(packed[4]):
            # Descriptors are taken now, as recvmsg takes them; the engine's questions about each
            # (SO_TYPE, SO_PROTOCOL, F_GETFL) go on the trace of the datagram that brought it.
            adopted = []
            for i, fds in records.rights_of(packed, ret, rb.namelen):
                probes = Outcome(verb, name)
                names = tuple(pg.adopt_fd(fd_, origin="scm_rights", prefix="r", out=probes) for fd_ in fds)
                adopted.append((i, names, tuple(probes._post or ())))
            rights = tuple(adopted)
        ovfl0 = None
        if _OVFL_HEAD in packed[4]:  # drop counts: the rise of each is against the one before
            ovfl0 = getattr(s, "last_ovfl", None)
            last = records.last_ovfl(packed, ret, rb.namelen)
            if last is not None:
                s.last_ovfl = last
        rec = (t, records.RECVMMSG, packed[0], shape, packed, ret, rights, want, ovfl0)
        journal.add_batch(rec, ret, len(packed[0]), records.trim_recvmmsg)
        run._add(rec, ret)
        left -= ret
        if ret == 0:
            break
    w = pg._watcher
    if w is not None:
        w.poke()
    wc = getattr(pg, "_wire", None)
    if wc is not None and len(run):
        wc.after(run[0])  # as _emit does: a first send may have bound a port the capture must follow
    return run


def can_batch_send(s: Any, bits: int, count: int) -> bool:
    return can_batch_recv(s, bits, count)


def send(pg: Playground, name: str, verb: str, payload: bytes, bits: int, sa: Any, count: int) -> OutcomeRun:
    """`count` datagrams of `payload` by sendmmsg, stopping at the first error (its Outcome is `tail`)."""
    s: PlaySocket = pg.sockets[name]  # type: ignore[assignment]
    fd = s.fileno()
    fam = int(s.family)
    dest = mmsg.pack_sockaddr(sa, fam) if sa is not None else None
    vlen = min(count, mmsg.MAX_VLEN)
    d = s.__dict__
    key = (vlen, payload, dest)
    cached = d.get("_sp_smmsg")
    if cached is None or cached[0] != key:
        cached = d["_sp_smmsg"] = (key, mmsg.SendBatch(vlen, payload, dest))
    sb: mmsg.SendBatch = cached[1]
    shape = (verb, name, getattr(pg._local, "command", None), fd, fam, payload, bits, vlen, sa)
    journal = pg.journal
    run = OutcomeRun()
    left = count
    while left > 0:
        want = min(left, vlen)
        ret, err = sb.send(fd, bits, want)
        if ret < 0:
            ename = errnos.name_of(err)
            out = Outcome(verb, name, ret=-1, errno=ename)
            out.error = errnos.explain(ename, verb, {"sock": name, "address": addresses.format(sa, fam) if sa else None})
            out.trace = trace.call("sendmmsg", [str(fd), "0x...", str(want), flags.bits_names(bits, flags.MSG_FLAGS)],
                                   -1, out.errno)
            if left > 1:
                out.notes.append(f"the other {left - 1} sends were not tried: the first error ends a batched send")
            run.tail = pg._emit(out)
            break
        rec = (_now(), records.SENDMMSG, None, shape, ret, want)
        journal.add_batch(rec, ret, 0)
        run._add(rec, ret)
        left -= ret
    w = pg._watcher
    if w is not None:
        w.poke()
    wc = getattr(pg, "_wire", None)
    if wc is not None and len(run):
        wc.after(run[0])  # as _emit does: a first send may have bound a port the capture must follow
    return run


class BatchCalls:
    """Playground's batch methods, named after the real syscalls (mixed into Playground)."""

    def recvmmsg(self, name: str, size: Any = 65536, flags: Any = None, anc: Any = 256, count: Any = 1024,
                 call: str = "recvmsg") -> OutcomeRun:
        """Up to `count` datagrams by recvmmsg(2), 1,024 a call: what `call count=N` does on a datagram socket.

        `call` is the command the person used (recv, recvfrom or recvmsg): it names
        each datagram's Outcome; recv and recvfrom use no control buffer. The socket
        must be a nonblocking datagram socket, or `flags` must hold MSG_DONTWAIT.
        Stops at the first error, which is the run's `tail`.
        """
        pg: Playground = self  # type: ignore[assignment]
        s, bits, count = _checked(pg, name, flags, count)
        size = codecs.parse_int(size, "size")
        anc = codecs.parse_int(anc, "anc")
        if size < 0 or anc < 0:
            raise UsageError(f"size and anc must be byte counts, 0 or more (got {size} and {anc})")
        if call not in ("recv", "recvfrom", "recvmsg"):
            raise UsageError(f"call {call!r}: expected recv, recvfrom or recvmsg")
        if not can_batch_recv(s, bits, count):
            raise UsageError(f"recvmmsg needs a nonblocking datagram socket or MSG_DONTWAIT, without MSG_PEEK, "
                             f"MSG_OOB or MSG_ERRQUEUE; {name!r} with these flags would have to wait or peek")
        return recv(pg, name, call, size, bits, anc, count)

    def sendmmsg(self, name: str, data: Any, flags: Any = None, to: Any = None, count: Any = 1024,
                 call: str = "send") -> OutcomeRun:
        """`count` copies of `data` by sendmmsg(2), 1,024 a call: what `send ... count=N` does on a datagram socket."""
        pg: Playground = self  # type: ignore[assignment]
        s, bits, count = _checked(pg, name, flags, count)
        payload = pg._data(data)
        if call not in ("send", "sendto"):
            raise UsageError(f"call {call!r}: expected send or sendto")
        if not can_batch_send(s, bits, count):
            raise UsageError(f"sendmmsg needs a nonblocking datagram socket or MSG_DONTWAIT; {name!r} could "
                             "wait for room in its send buffer")
        fam = int(s.family)
        sa = pg.resolve_addr(to, fam) if to not in (None, "") else None
        return send(pg, name, call, payload, bits, sa, count)


def _checked(pg: Playground, name: str, flags_: Any, count: Any) -> tuple[PlaySocket, int, int]:
    s = pg.get(name)
    bits = flags.msg_flags_value(flags_)
    n = codecs.parse_int(count, "count")
    if n < 1:
        raise UsageError(f"count {n}: expected how many datagrams, 1 or more")
    return s, bits, n
