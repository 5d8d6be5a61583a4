"""Classic BPF programs for SO_ATTACH_FILTER and SO_ATTACH_REUSEPORT_CBPF.

People give a program as tcpdump's `-ddd` text (a count, then `code jt jf k`
per instruction; on one line, commas stand for newlines) or by name
(`drop-all`, `accept-first-16`, `cpu`, `index-1`). The kernel wants a
struct sock_fprog holding a *pointer* to the instructions, so the program is
built in ctypes memory that must outlive the setsockopt call: `build`
returns a Program that owns that memory.
"""

from __future__ import annotations

import ctypes
import os
import re
import struct
import weakref

from sockplay.core.errors import UsageError

Insn = tuple[int, int, int, int]  # (code, jt, jf, k), as in struct sock_filter

BPF_MAXINSNS = 4096
# Ancillary loads: a load from SKF_AD_OFF + n reads a kernel value instead of packet bytes.
SKF_AD_OFF = -0x1000
SKF_AD_CPU = 36

RET_K = 0x06  # BPF_RET | BPF_K
RET_A = 0x16  # BPF_RET | BPF_A
LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS

UDP_HEADER = 8

PROGRAM_HELP = (
    "a classic BPF program: drop-all, accept-all, accept-first-N (keep the first N bytes the "
    "filter sees; on UDP that count includes the 8-byte UDP header, so N=16 keeps 8 bytes of "
    "payload and N<=8 delivers empty datagrams), or tcpdump -ddd text such as \"1,6 0 0 0\" "
    "(a count, then code jt jf k per instruction; commas or newlines between them)"
)
REUSEPORT_HELP = (
    "a classic BPF program returning the index of the socket in the SO_REUSEPORT group: "
    "cpu (the CPU that received the packet), index-N (always socket N; an index out of "
    "range falls back to the hash), or tcpdump -ddd text"
)


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class Program:
    """A program in C memory plus the struct sock_fprog bytes that point at it.

    Keep the Program alive for as long as the kernel may read `fprog`: the
    setsockopt call copies the instructions, after which it may go.
    """

    __slots__ = ("insns", "array", "fprog", "__weakref__")

    def __init__(self, insns: list[Insn]) -> None:
        self.insns = list(insns)
        self.array = (_SockFilter * len(self.insns))(*[_SockFilter(*i) for i in self.insns])
        # struct sock_fprog { unsigned short len; struct sock_filter *filter; } is 16 bytes on x86-64.
        self.fprog = struct.pack("HxxxxxxQ", len(self.insns), ctypes.addressof(self.array))
        _LIVE[ctypes.addressof(self.array)] = self


# address -> Program, so a trace of fprog bytes can name the instructions without reading freed memory
_LIVE: weakref.WeakValueDictionary[int, Program] = weakref.WeakValueDictionary()


def named(name: str) -> list[Insn] | None:
    """The instructions of a named program, or None when `name` names none."""
    n = name.strip().lower()
    if n in ("drop-all", "drop"):
        return [(RET_K, 0, 0, 0)]
    if n in ("accept-all", "accept"):
        return [(RET_K, 0, 0, 0xFFFFFFFF)]
    if n == "cpu":
        return [(LD_W_ABS, 0, 0, (SKF_AD_OFF + SKF_AD_CPU) & 0xFFFFFFFF), (RET_A, 0, 0, 0)]
    m = re.fullmatch(r"(accept-first|index)-(\d+)", n)
    if m:
        k = int(m.group(2))
        if k > 0xFFFFFFFF:
            raise UsageError(f"{name}: {k} does not fit the 32-bit return value")
        return [(RET_K, 0, 0, k)]
    return None


def name_of(insns: list[Insn]) -> str | None:
    """The name of a program that one of the named ones builds, if any (accept-first-N wins over index-N)."""
    if insns == [(RET_K, 0, 0, 0)]:
        return "drop-all"
    if insns == [(RET_K, 0, 0, 0xFFFFFFFF)]:
        return "accept-all"
    if insns == named("cpu"):
        return "cpu"
    if len(insns) == 1 and insns[0][:3] == (RET_K, 0, 0):
        return f"accept-first-{insns[0][3]}"
    return None


def parse_text(text: str) -> list[Insn]:
    """Parse tcpdump -ddd (or -dd, with braces and 0x numbers) text into instructions."""
    lines = [ln.strip() for ln in re.split(r"[\n;]", text.replace("},", "}\n")) if ln.strip()]
    if len(lines) == 1 and "," in lines[0] and "{" not in lines[0]:
        lines = [p.strip() for p in lines[0].split(",") if p.strip()]
    if not lines:
        raise UsageError(f"empty BPF program; expected {PROGRAM_HELP}")
    count: int | None = None
    head = lines[0].split()
    if len(head) == 1 and "{" not in lines[0]:
        count = _num(head[0], "instruction count")
        lines = lines[1:]
    insns: list[Insn] = []
    for i, line in enumerate(lines, 1):
        words = line.strip("{}, ").replace(",", " ").split()
        if len(words) != 4:
            raise UsageError(f"BPF instruction {i} {line!r}: expected four numbers: code jt jf k")
        code, jt, jf, k = (_num(w, "BPF field") for w in words)
        if not 0 <= code <= 0xFFFF or not 0 <= jt <= 255 or not 0 <= jf <= 255:
            raise UsageError(f"BPF instruction {i} {line!r}: code must fit 16 bits, jt and jf 8 bits")
        if not -(2**31) <= k <= 0xFFFFFFFF:
            raise UsageError(f"BPF instruction {i} {line!r}: k must fit 32 bits")
        insns.append((code, jt, jf, k & 0xFFFFFFFF))
    if count is not None and count != len(insns):
        raise UsageError(f"BPF program says {count} instructions but has {len(insns)}")
    check(insns)
    return insns


def _num(word: str, what: str) -> int:
    try:
        return int(word, 0)
    except ValueError:
        raise UsageError(f"{what} {word!r} is not a number") from None


def check(insns: list[Insn]) -> None:
    """Only the sizes the kernel rejects outright; the kernel's verifier judges the rest (EINVAL)."""
    if not insns:
        raise UsageError("a BPF program needs at least one instruction")
    if len(insns) > BPF_MAXINSNS:
        raise UsageError(f"a BPF program has at most {BPF_MAXINSNS} instructions, not {len(insns)}")


def to_insns(value: object) -> list[Insn]:
    """A program from a name, -ddd text, a list of (code, jt, jf, k) or a Program."""
    if isinstance(value, Program):
        return value.insns
    if isinstance(value, list | tuple) and value and all(isinstance(i, list | tuple) for i in value):
        insns = []
        for i in value:
            if len(i) != 4:
                raise UsageError(f"BPF instruction {i!r}: expected (code, jt, jf, k)")
            insns.append((int(i[0]), int(i[1]), int(i[2]), int(i[3]) & 0xFFFFFFFF))
        check(insns)
        return insns
    if isinstance(value, str):
        found = named(value)
        return found if found is not None else parse_text(value)
    raise UsageError(f"{value!r} is not a BPF program; expected {PROGRAM_HELP}")


def build(value: object) -> Program:
    """A Program in C memory, ready for setsockopt(SO_ATTACH_FILTER, program.fprog)."""
    return Program(to_insns(value))


def unpack(raw: bytes) -> list[Insn]:
    """Instructions from the bytes SO_GET_FILTER returns (8 bytes each)."""
    return [struct.unpack_from("HBBI", raw, off) for off in range(0, len(raw) - len(raw) % 8, 8)]


def from_fprog(raw: bytes) -> list[Insn] | None:
    """The instructions behind fprog bytes that `build` made and that are still alive."""
    if len(raw) != 16:
        return None
    length, addr = struct.unpack("HxxxxxxQ", raw)
    prog = _LIVE.get(addr)
    return prog.insns if prog is not None and len(prog.insns) == length else None


def ddd(insns: list[Insn]) -> str:
    """tcpdump -ddd text on one line (commas for newlines), which `parse_text` reads back."""
    return ",".join([str(len(insns))] + [f"{c} {jt} {jf} {k}" for c, jt, jf, k in insns])


_CLASS = {0: "BPF_LD", 1: "BPF_LDX", 2: "BPF_ST", 3: "BPF_STX", 4: "BPF_ALU", 5: "BPF_JMP", 6: "BPF_RET", 7: "BPF_MISC"}
_SIZE = {0: "BPF_W", 8: "BPF_H", 0x10: "BPF_B"}
_MODE = {0: "BPF_IMM", 0x20: "BPF_ABS", 0x40: "BPF_IND", 0x60: "BPF_MEM", 0x80: "BPF_LEN", 0xA0: "BPF_MSH"}
_JMP = {0: "BPF_JA", 0x10: "BPF_JEQ", 0x20: "BPF_JGT", 0x30: "BPF_JGE", 0x40: "BPF_JSET"}
_ALU = {0: "BPF_ADD", 0x10: "BPF_SUB", 0x20: "BPF_MUL", 0x30: "BPF_DIV", 0x40: "BPF_OR", 0x50: "BPF_AND",
        0x60: "BPF_LSH", 0x70: "BPF_RSH", 0x80: "BPF_NEG", 0x90: "BPF_MOD", 0xA0: "BPF_XOR"}


def code_name(code: int) -> str:
    """strace's spelling of an opcode, e.g. BPF_RET|BPF_K."""
    cls = code & 7
    parts = [_CLASS[cls]]
    if cls in (0, 1):
        parts += [_SIZE.get(code & 0x18, hex(code & 0x18)), _MODE.get(code & 0xE0, hex(code & 0xE0))]
    elif cls == 6:
        parts.append({0: "BPF_K", 8: "BPF_X", 0x10: "BPF_A"}.get(code & 0x18, hex(code & 0x18)))
    elif cls == 5:
        parts += [_JMP.get(code & 0xF0, hex(code & 0xF0)), "BPF_X" if code & 8 else "BPF_K"]
    elif cls == 4:
        parts += [_ALU.get(code & 0xF0, hex(code & 0xF0)), "BPF_X" if code & 8 else "BPF_K"]
    elif cls == 7:
        parts.append("BPF_TXA" if code & 0xF8 else "BPF_TAX")
    return "|".join(parts)


def _hx(n: int) -> str:
    return hex(n) if n else "0"


def strace_insns(insns: list[Insn]) -> str:
    """Instructions the way strace prints a filter: BPF_STMT(...) and BPF_JUMP(...)."""
    out = []
    for code, jt, jf, k in insns:
        if code & 7 == 5 and code & 0xF0:
            out.append(f"BPF_JUMP({code_name(code)}, {_hx(k)}, {_hx(jt)}, {_hx(jf)})")
        else:
            out.append(f"BPF_STMT({code_name(code)}, {_hx(k)})")
    return "[" + ", ".join(out) + "]"


_libc = ctypes.CDLL(None, use_errno=True)  # this process's own libc: find_library would run ldconfig at import
SO_GET_FILTER = 26
SOL_SOCKET = 1


def get_filter(fd: int) -> bytes:
    """Read a socket's classic filter safely; returns 8 bytes per instruction (b'' for none).

    SO_GET_FILTER counts its length in *instructions*, not bytes, so Python's
    socket.getsockopt(fd, 1, 26, n) lets the kernel write 8*n bytes into an
    n-byte buffer. Ask for the count first (length 0), then for exactly that many.
    """
    optlen = ctypes.c_uint32(0)
    if _libc.getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, None, ctypes.byref(optlen)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    count = optlen.value
    if count == 0:
        return b""
    buf = ctypes.create_string_buffer(count * 8)
    optlen = ctypes.c_uint32(count)
    if _libc.getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, buf, ctypes.byref(optlen)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return buf.raw[: optlen.value * 8]
