"""pcap files (the classic format tcpdump -r and Wireshark read), written a packet at a time."""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterable
from typing import IO

MAGIC_NS = 0xA1B23C4D  # nanosecond timestamps
LINKTYPE_ETHERNET = 1  # what loopback frames carry (tcpdump -i lo says EN10MB)
SNAPLEN = 262144


def header(snaplen: int = SNAPLEN, linktype: int = LINKTYPE_ETHERNET) -> bytes:
    return struct.pack("<IHHiIII", MAGIC_NS, 2, 4, 0, 0, snaplen, linktype)


def record(sec: int, nsec: int, frame: bytes, wire_len: int | None = None) -> bytes:
    return struct.pack("<IIII", sec, nsec, len(frame), wire_len if wire_len is not None else len(frame)) + frame


class Writer:
    """Appends packets to an open pcap file; safe to call from the capture thread and others."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._f: IO[bytes] | None = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._f.write(header())
        self._f.flush()
        self._lock = threading.Lock()
        self.count = 0

    def write(self, sec: int, nsec: int, frame: bytes, wire_len: int | None = None) -> None:
        with self._lock:
            if self._f is None:
                return
            self._f.write(record(sec, nsec, frame, wire_len))
            self.count += 1

    def flush(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.flush()

    def close(self) -> None:
        with self._lock:
            f, self._f = self._f, None
        if f is not None:
            f.close()


def write_file(path: str, packets: Iterable[tuple[int, int, bytes, int]]) -> int:
    """Write (sec, nsec, frame, wire_len) packets to a new pcap file; returns how many."""
    w = Writer(path)
    try:
        for sec, nsec, frame, wlen in packets:
            w.write(sec, nsec, frame, wlen)
        return w.count
    finally:
        w.close()


def read_file(path: str) -> list[tuple[float, bytes]]:
    """(time, frame) pairs from a pcap file (microsecond or nanosecond, either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: too short for a pcap file")
    magic = struct.unpack_from("<I", data)[0]
    for endian in ("<", ">"):
        magic = struct.unpack_from(endian + "I", data)[0]
        if magic in (MAGIC_NS, 0xA1B2C3D4):
            break
    else:
        raise ValueError(f"{path}: not a pcap file (magic {data[:4].hex()})")
    scale = 1e-9 if magic == MAGIC_NS else 1e-6
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        out.append((sec + frac * scale, data[off:off + incl]))
        off += incl
    return out
