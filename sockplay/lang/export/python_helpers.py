"""The Python programs' helper functions, as text: written into a program when a step needs them.

Why a module of their own: they are the generated program's code; python.py writes the steps that call them.
"""

from __future__ import annotations

PY_HELPERS: dict[str, str] = {
    "errname": '''
ERRNO_NAMES = {errno.EAGAIN: "EAGAIN", errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EDEADLK: "EDEADLK"}


def errname(exc: OSError) -> str:
    """The errno's name as sockplay prints it (EAGAIN rather than EWOULDBLOCK)."""
    code = exc.errno or errno.EIO
    return ERRNO_NAMES.get(code) or errno.errorcode.get(code, f"E{code}")
''',
    "show": r'''
def show(data: bytes) -> str:
    """Bytes in double quotes with C escapes, the way sockplay prints received data."""
    out = []
    for b in data:
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'
''',
    "result": '''
# What the last call returned, for the expect checks that follow it.
last: dict = {"ret": None, "errno": None, "data": None, "value": None, "flags": 0, "cmsgs": []}


def result(what: str, ret: int, data: bytes | None = None, value=None, extra: str = "", mflags: int = 0,
           cmsgs: list | None = None) -> None:
    """Print one call's result as `what -> ret ...` and keep it for expect."""
    last.update(ret=ret, errno=None, data=data, value=value, flags=mflags, cmsgs=cmsgs or [])
    line = f"{what} -> {ret}"
    if data is not None:
        line += " " + show(data)
    if extra:
        line += " " + extra
    print(line, flush=True)


def failure(what: str, exc: OSError) -> None:
    """A failing call is a result too: print its errno name and go on."""
    last.update(ret=-1, errno=errname(exc), data=None, value=None, flags=0, cmsgs=[])
    print(f"{what} -> -1 {last['errno']}", flush=True)


def expect(line: int, text: str, ok: bool, actual: str) -> None:
    """An expect line of the script: stop with status 1 when it does not hold."""
    if ok:
        print(f"  ok: {text}", flush=True)
        return
    print(f"EXPECT FAILED at line {line}: {text} (got {actual})", flush=True)
    sys.exit(1)
''',
    "closed_socket": '''
class ClosedSocket:
    """Stands in for a socket whose creation failed: every call on it fails with EBADF, making no system call."""

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass

    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        return fail


def closed_socket() -> ClosedSocket:
    return ClosedSocket()
''',
    "open_sockets": '''
# The sockets open now, in sockplay's order: when a script ends (or an expect fails) the ones still
# open are closed, one close each, in this order, as sockplay does.
OPEN: dict = {}


class Adopted:
    """A descriptor received by SCM_RIGHTS: kept as rN and closed at the end, as sockplay does."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        os.close(self.fd)


def adopt(fd: int) -> None:
    n = 1
    while f"r{n}" in OPEN:
        n += 1
    OPEN[f"r{n}"] = Adopted(fd)


def close_all() -> None:
    for sock in list(OPEN.values()):
        try:
            sock.close()
        except OSError:
            pass
    OPEN.clear()
''',
    "set_timeo": '''
def set_timeo(sock, option: int, sec: int, usec: int) -> None:
    """timeout=MS is the kernel's own: SO_RCVTIMEO/SO_SNDTIMEO set for one call, then put back (as sockplay does)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, struct.pack("ll", sec, usec))
    except OSError:
        pass
''',
    "addr_of": '''
# Each socket's local address, by name, remembered as sockplay does: naming a socket as an address costs
# a getsockname only while its address is not known, and a bind to port 0 asks the kernel once, right after.
LOCAL: dict = {}
BOUND: set = set()


def forget(name: str) -> None:
    LOCAL.pop(name, None)
    BOUND.discard(name)


def after_bind(name: str, sock, addr) -> None:
    BOUND.add(name)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and addr[1] == 0:
        try:
            LOCAL[name] = sock.getsockname()  # which port the kernel picked
        except OSError:
            pass
    else:
        LOCAL[name] = addr


def addr_of(name: str, other, family: int):
    """A socket's name used as an address means its local address (ephemeral ports included)."""
    local = LOCAL.get(name)
    if local is None:
        local = other.getsockname()
        if name in BOUND:
            LOCAL[name] = local
    if family == socket.AF_INET6 and other.family == socket.AF_INET:
        return ("::ffff:" + local[0], local[1], 0, 0)
    if family == socket.AF_INET and other.family == socket.AF_INET:
        return ("127.0.0.1" if local[0] == "0.0.0.0" else local[0], local[1])
    if family == socket.AF_INET6 and isinstance(local, tuple) and local[0] == "::":
        return ("::1", *local[1:])
    return local
''',
    "fmt_addr": '''
def fmt_addr(addr) -> str:
    """Address text as sockplay shows it: 127.0.0.1:80, [::1]:80, ./path, @abstract."""
    if isinstance(addr, tuple):
        return f"[{addr[0]}]:{addr[1]}" if len(addr) == 4 else f"{addr[0]}:{addr[1]}"
    if isinstance(addr, bytes):
        addr = addr.decode(errors="backslashreplace")
    if not addr:
        return "(unnamed)"
    return "@" + addr[1:] if addr.startswith("\\0") else addr
''',
    "pollbits": '''
POLL_NAMES = [("POLLIN", select.POLLIN), ("POLLPRI", select.POLLPRI), ("POLLOUT", select.POLLOUT),
              ("POLLERR", select.POLLERR), ("POLLHUP", select.POLLHUP), ("POLLNVAL", select.POLLNVAL),
              ("POLLRDHUP", 0x2000)]
POLL_ALL = select.POLLIN | select.POLLPRI | select.POLLOUT | select.POLLERR | select.POLLHUP | 0x2000


def pollbits(revents: int) -> str:
    """POLLIN|POLLOUT for a revents value, 0 for none."""
    return "|".join(name for name, bit in POLL_NAMES if revents & bit) or "0"
''',
    "ready": '''
def ready(sock: socket.socket, bits: int) -> tuple[bool, str]:
    """expect ready: look (a poll that does not wait) every 10 ms for up to 1 s until all the bits are there.

    sockplay's watcher thread does the looking there; a program has none, so it polls itself.
    """
    p = select.poll()
    p.register(sock, POLL_ALL)
    waited = 0
    while True:
        got = dict(p.poll(0)).get(sock.fileno(), 0)
        if got & bits == bits or waited >= 1000:
            return got & bits == bits, pollbits(got)
        time.sleep(0.01)
        waited += 10
''',
    "show_cmsgs": '''
def cmsg_list(anc: list) -> list:
    """Decode control messages into (name, value text) pairs, and print each one."""
    out = []
    for level, typ, raw in anc:
        name, how = CMSG_NAMES.get((level, typ), (f"type {typ}", ""))
        if how == "fds":
            fds = struct.unpack(f"{len(raw) // 4}i", raw[: len(raw) // 4 * 4])
            value = ",".join(str(x) for x in fds)
            for fd in fds:
                adopt(fd)
        elif how == "ucred":
            value = "pid={} uid={} gid={}".format(*struct.unpack("iII", raw[:12]))
        elif how in ("timeval", "timespec"):
            sec, frac = struct.unpack("qq", raw[:16])
            value = f"{sec}.{frac:06d}" if how == "timeval" else f"{sec}.{frac:09d}"
        elif how == "u32":
            value = str(struct.unpack("I", raw[:4])[0])
        elif how == "int":
            value = str(struct.unpack("i", raw[:4])[0])
        elif how == "u8":
            value = str(raw[0])
        else:
            value = f"{len(raw)} bytes"
        print(f"    cmsg {CMSG_LEVELS.get(level, level)} {name} {value}", flush=True)
        out.append((name, value))
    return out
''',
    "msgflags": '''
MSG_NAMES = [("MSG_OOB", 0x1), ("MSG_CTRUNC", 0x8), ("MSG_TRUNC", 0x20), ("MSG_EOR", 0x80),
             ("MSG_ERRQUEUE", 0x2000), ("MSG_CMSG_CLOEXEC", 0x40000000)]


def msgflags(bits: int) -> str:
    """The flags recvmsg returned in msg_flags, by name."""
    return "|".join(name for name, bit in MSG_NAMES if bits & bit)
''',
    "signals": '''
SIGNALS = {"SIGIO": [0, 0], "SIGURG": [0, 0]}  # per signal: [arrived, counted by an expect]


def on_signal(signum: int, frame) -> None:
    """SIGIO and SIGURG would end (or be lost to) a program that does not catch them: print them."""
    name = signal.Signals(signum).name
    SIGNALS[name][0] += 1
    print(f"signal {name}", flush=True)


def wait_signal(name: str) -> tuple[bool, str]:
    """True once a signal arrived that no earlier check counted (waits up to a second)."""
    deadline = time.monotonic() + 1.0
    while SIGNALS[name][0] <= SIGNALS[name][1] and time.monotonic() < deadline:
        time.sleep(0.01)
    ok = SIGNALS[name][0] > SIGNALS[name][1]
    SIGNALS[name][1] = SIGNALS[name][0]
    return ok, name if ok else "no signal"


signal.signal(signal.SIGIO, on_signal)
signal.signal(signal.SIGURG, on_signal)
''',
}
PY_DEPS = {"result": ["errname", "show"], "open_sockets": ["addr_of"], "ready": ["pollbits"],
           "show_cmsgs": ["open_sockets"]}
