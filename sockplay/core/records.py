"""Hot-path records and how each becomes an Outcome when read.

A record is a flat tuple of plain values, `(time, code, data, shape, ...)`:
`shape` is a tuple shared by every record of the same call shape (syscall,
socket name, command text, fd, family, sizes, flags), so a flood of identical
calls stores it once. Records hold no functions and no lists, so the garbage
collector untracks them at its first pass. `code` picks the decoder below.

Codes:
- RECVMMSG: one recvmmsg(2); the ring holds (record, i) for each datagram.
  rest = (packed batch from mmsg.RecvBatch.pack, ret, rights, vlen, ovfl0) where
  rights is () or ((i, names, engine lines), ...) for datagrams whose SCM_RIGHTS
  fds were adopted (the lines: the engine's questions about each fd), vlen the
  count this call asked for (shape's vlen is the buffers' size), and ovfl0 the socket's SO_RXQ_OVFL count before the batch (for the rise).
  shape = (verb, sock, command, fd, family, size, anc, bits, vlen, namelen)
- SENDMMSG: one sendmmsg(2); (record, i) for each datagram sent.
  rest = (ret, vlen); shape = (verb, sock, command, fd, family, payload, bits, vlen, dest)
"""

from __future__ import annotations

from array import array

from sockplay.core import addresses, cmsg, flags, mmsg, trace
from sockplay.core.outcome import DECODERS, HEAD, Outcome

RECVMMSG, SENDMMSG = 1, 2
SHOWN = 1  # messages strace-printed in a batch's line before "..."


class _LastOvfl:
    """Stands in for the socket in a cmsg Ctx: the previous SO_RXQ_OVFL count, for the rise."""

    __slots__ = ("last_ovfl",)

    def __init__(self, last: int | None) -> None:
        self.last_ovfl = last


def _ovfl_before(packed: tuple, i: int, namelen: int) -> int | None:
    """The SO_RXQ_OVFL count of the nearest earlier datagram in the same batch that carried one."""
    for j in range(i - 1, -1, -1):
        for level, typ, raw in mmsg.split_control(mmsg.datagram(packed, j, namelen)[3]):
            if level == cmsg.SOL_SOCKET and typ == 40:
                return int.from_bytes(raw[:4], "little")
    return None


def _fill_recvmmsg(o: Outcome, rec: tuple, i: int | None) -> None:
    t, _, _, shape, packed, ret, rights, _want, ovfl0 = rec
    verb, sock, _command, fd, fam, size, anc, bits, vlen, namelen = shape
    i = i or 0
    n, data, sender, raw_ctl, mflags = mmsg.datagram(packed, i, namelen)
    Outcome.__init__(o, verb, sock, ret=n, data=data, peeked=bool(bits & 2))
    addr = mmsg.sockaddr_text(sender, fam)
    if addr:
        o.address = addresses.format(addr, fam)
    ancl = mmsg.split_control(raw_ctl)
    if ancl:
        ctx = cmsg.Ctx(None, None, bits)
        ctx.now = t
        if any(lv == cmsg.SOL_SOCKET and ty == 40 for lv, ty, _ in ancl):
            before = _ovfl_before(packed, i, namelen)
            ctx.sock = _LastOvfl(ovfl0 if before is None else before)
        cmsg.decode_into(o.cmsgs, ancl, ctx)
        for at, names_, probes in rights:
            if at == i:
                names = list(names_)
                o.new_sockets = names
                for c in o.cmsgs:
                    if c.get("name") == "SCM_RIGHTS":
                        c["names"] = names
                for origin, line in probes:
                    o.add_line(origin, line)
    if mflags:
        o.msg_flags = flags.bits_list(mflags, flags.MSG_FLAGS)
        if mflags & mmsg.MSG_TRUNC:
            o.notes.append(f"the datagram did not fit in the {size}-byte buffer; the rest is lost (MSG_TRUNC)")
        if mflags & mmsg.MSG_CTRUNC:
            o.notes.append(f"the {anc}-byte control buffer was too small; some control data was cut (MSG_CTRUNC)")
    if i == 0:
        o.trace = recvmmsg_line(rec)
    else:
        o.trace = ""
        o.notes.append(f"datagram {i + 1} of {ret} taken by one recvmmsg call (its trace line is on datagram 1)")


def recvmmsg_line(rec: tuple) -> str:
    """The recvmmsg call as strace prints it: the first message in full, then `...`."""
    _, _, _, shape, packed, ret, _, vlen, _ = rec
    _verb, _sock, _command, fd, fam, size, anc, bits, _vlen, namelen = shape
    msgs = []
    for i in range(min(ret, SHOWN)):
        n, data, sender, raw_ctl, mflags = mmsg.datagram(packed, i, namelen)
        addr = mmsg.sockaddr_text(sender, fam)
        if addr:
            text, length = addresses.strace_sockaddr(addr, fam)
            name = f"msg_name={text}, msg_namelen={length}"
        else:
            name = "msg_name=NULL, msg_namelen=0"
        ancl = mmsg.split_control(raw_ctl)
        ctl = (f"msg_control={cmsg.strace_control(ancl)}, msg_controllen={cmsg.space(ancl)}"
               if ancl else "msg_controllen=0")
        msgs.append(f"{{msg_hdr={{{name}, msg_iov=[{{iov_base={trace.string(data)}, iov_len={size}}}], "
                    f"msg_iovlen=1, {ctl}, msg_flags={flags.bits_names(mflags, flags.MSG_FLAGS)}}}, msg_len={n}}}")
    if ret > SHOWN:
        msgs.append("...")
    vec = "[" + ", ".join(msgs) + "]" if ret > 0 else "0x..."
    return trace.call("recvmmsg", [str(fd), vec, str(vlen), flags.bits_names(bits, flags.MSG_FLAGS), "NULL"],
                      ret, None)


def _fill_sendmmsg(o: Outcome, rec: tuple, i: int | None) -> None:
    _t, _, _, shape, ret, _want = rec
    verb, sock, _command, fd, fam, payload, bits, _vlen, dest = shape
    i = i or 0
    Outcome.__init__(o, verb, sock, ret=len(payload))
    if i == 0:
        o.trace = sendmmsg_line(rec)
    else:
        o.trace = ""
        o.notes.append(f"datagram {i + 1} of {ret} sent by one sendmmsg call (its trace line is on datagram 1)")


def sendmmsg_line(rec: tuple) -> str:
    _t, _, _, shape, ret, vlen = rec
    _verb, _sock, _command, fd, fam, payload, bits, _vlen, dest = shape
    if dest is not None:
        text, length = addresses.strace_sockaddr(dest, fam)
        name = f"msg_name={text}, msg_namelen={length}"
    else:
        name = "msg_name=NULL, msg_namelen=0"
    one = (f"{{msg_hdr={{{name}, msg_iov=[{{iov_base={trace.string(payload)}, iov_len={len(payload)}}}], "
           f"msg_iovlen=1, msg_controllen=0, msg_flags=0}}, msg_len={len(payload)}}}")
    vec = "[" + one + (", ..." if ret > 1 else "") + "]"
    return trace.call("sendmmsg", [str(fd), vec, str(vlen), flags.bits_names(bits, flags.MSG_FLAGS)], ret, None)


def trim_recvmmsg(rec: tuple) -> tuple:
    """The record with each datagram cut to its first HEAD bytes (past the journal's byte budget)."""
    t, code, data, shape, packed, ret, rights, want, ovfl0 = rec
    namelen = shape[9]
    parts = [mmsg.datagram(packed, i, namelen) for i in range(ret)]
    if max((len(p[1]) for p in parts), default=0) <= HEAD:
        return rec
    heads = [p[1][:HEAD] for p in parts]
    lens = array("I", (p[0] for p in parts)).tobytes()
    new = (b"".join(heads), mmsg.ends_of([len(h) for h in heads], ret), lens, *packed[3:])
    return (t, code, new[0], shape, new, ret, rights, want, ovfl0)


DECODERS[RECVMMSG] = _fill_recvmmsg
DECODERS[SENDMMSG] = _fill_sendmmsg


def last_ovfl(packed: tuple, count: int, namelen: int) -> int | None:
    """The SO_RXQ_OVFL count of the last datagram of a batch that carried one."""
    return _ovfl_before(packed, count, namelen)


def rights_of(packed: tuple, count: int, namelen: int) -> list[tuple[int, list[int]]]:
    """(i, fds) for each datagram of a batch that carried SCM_RIGHTS (adopted at once by the engine)."""
    out = []
    for i in range(count):
        for level, typ, raw in mmsg.split_control(mmsg.datagram(packed, i, namelen)[3]):
            if level == cmsg.SOL_SOCKET and typ == 1:
                out.append((i, cmsg._ints(raw)))
    return out


# ---------------------------------------------------------------- per-call records
RECVMSG = 3
# rec = (time, RECVMSG, data, shape, addr, ancl, level, type)
# shape = ("recvmsg", sock, command, fd, family, size, anc, bits)
# addr: the sender as the socket module gives it (one object shared while the sender stays the same);
# one control message is kept flat: ancl its data bytes, level and type beside it (both None when
# ancl is () or a tuple of (level, type, bytes) triples). SCM_RIGHTS and SO_RXQ_OVFL never come here.


def _fill_recvmsg(o: Outcome, rec: tuple, i: int | None) -> None:
    t, _, data, shape, addr, ancl, level, ctype = rec
    verb, sock, _command, fd, fam, size, anc, bits = shape
    Outcome.__init__(o, verb, sock, ret=len(data), data=data, peeked=bool(bits & 2))
    if addr:
        o.address = addresses.format(addr, fam)
    if level is not None:
        ancl = ((level, ctype, ancl),)
    if ancl:
        ctx = cmsg.Ctx(None, None, bits)
        ctx.now = t
        cmsg.decode_into(o.cmsgs, ancl, ctx)
    from sockplay.core.playground import _RecvmsgTrace  # the engine's own line format

    o.trace_fn = _RecvmsgTrace(fd, fam, size, anc, bits, addr, ancl or (), 0)


DECODERS[RECVMSG] = _fill_recvmsg


RECV = 4
# rec = (time, RECV, data, shape, peer); shape = (syscall, sock, command, fd, family, size, bits)
# syscall is recv or recvfrom (both are recvfrom(2) to strace); peer as the socket module gave it.


def _fill_recv(o: Outcome, rec: tuple, i: int | None) -> None:
    _t, _, data, shape, peer = rec
    verb, sock, _command, fd, fam, size, bits = shape
    Outcome.__init__(o, verb, sock, ret=len(data), data=data, peeked=bool(bits & 2))
    if verb == "recvfrom":
        from sockplay.core.libc import SOCKADDR_MAX

        if peer not in (None, ""):
            o.address = addresses.format(peer, fam)
            text, length = addresses.strace_sockaddr(peer, fam)
            tail = [text, f"[{SOCKADDR_MAX} => {length}]"]
        else:
            tail = ["0x...", f"[{SOCKADDR_MAX} => {0 if peer is None else 2}]"]
    else:
        tail = ["NULL", "NULL"]
    o.trace_fn = _RecvLine(fd, size, bits, tail)


class _RecvLine:
    __slots__ = ("fd", "size", "bits", "tail")

    def __init__(self, fd: int, size: int, bits: int, tail: list[str]) -> None:
        self.fd, self.size, self.bits, self.tail = fd, size, bits, tail

    def __call__(self, o: Outcome) -> str:
        return trace.call("recvfrom", [str(self.fd), trace.string(o.data), str(self.size),
                                       flags.bits_names(self.bits, flags.MSG_FLAGS), *self.tail], o.ret, o.errno)


DECODERS[RECV] = _fill_recv


SEND = 5
# rec = (time, SEND, None, shape, ret); shape = (syscall, sock, command, fd, family, payload, bits)
# syscall is send or sendto (strace shows sendto with no address either way).


def _fill_send(o: Outcome, rec: tuple, i: int | None) -> None:
    _t, _, _, shape, ret = rec
    verb, sock, _command, fd, _fam, payload, bits = shape
    Outcome.__init__(o, verb, sock, ret=ret)
    o.trace_fn = _SendLine(fd, payload, bits)


class _SendLine:
    __slots__ = ("fd", "payload", "bits")

    def __init__(self, fd: int, payload: bytes, bits: int) -> None:
        self.fd, self.payload, self.bits = fd, payload, bits

    def __call__(self, o: Outcome) -> str:
        return trace.call("sendto", [str(self.fd), trace.string(self.payload), str(len(self.payload)),
                                     flags.bits_names(self.bits, flags.MSG_FLAGS), "NULL", "0"], o.ret, o.errno)


DECODERS[SEND] = _fill_send
