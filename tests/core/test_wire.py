"""The wire against tcpdump: the same traffic captured by both, packet for packet.

tcpdump runs beside the Playground on loopback with a port filter and writes a
pcap file; `tcpdump -r -n` prints it, and each line is compared with
sockplay's "wire" events: count, flags, seq, ack, window and length.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sockplay.core import Playground
from sockplay.core.wire import filter as wfilter
from sockplay.core.wire import pcap
from sockplay.core.wire.decode import Relative, decode, tcpdump_flags

ROOT = Path(__file__).resolve().parents[2]
TCPDUMP = shutil.which("tcpdump")
needs_tcpdump = pytest.mark.skipif(TCPDUMP is None, reason="tcpdump is not installed (Debian package tcpdump)")


def _can_capture() -> str | None:
    pg = Playground()
    try:
        return pg.wire_on()
    finally:
        pg.close_all()


CAPTURE_WHY = _can_capture()
needs_capture = pytest.mark.skipif(CAPTURE_WHY is not None, reason=f"no packet capture here: {CAPTURE_WHY}")


def wire_events(pg: Playground, n: int, timeout: float = 10.0) -> list:
    """Wait until at least n wire events are in the journal (the ring hands blocks over every few ms)."""
    deadline = time.monotonic() + timeout
    while True:
        evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
        if len(evs) >= n or time.monotonic() > deadline:
            return evs
        time.sleep(0.02)


class Tcpdump:
    """tcpdump -i lo -w FILE FILTER, started and stopped around a test's traffic."""

    def __init__(self, path: Path, expr: str) -> None:
        self.path = path
        self.proc = subprocess.Popen([TCPDUMP, "-i", "lo", "--immediate-mode", "-U", "-n", "-w", str(path), expr],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()  # "listening on lo, ..." once the filter is in place
        assert "listening on" in line, line

    def stop(self) -> None:
        time.sleep(0.2)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)

    def lines(self) -> list[str]:
        return read_back(self.path)


def read_back(path: Path) -> list[str]:
    out = subprocess.run([TCPDUMP, "-r", str(path), "-n", "-tt"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [ln for ln in out.stdout.splitlines() if ln.strip()]


_TCP = re.compile(r"IP6? (\S+) > (\S+): Flags \[([^\]]*)\](?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?, win (\d+)"
                  r"(?:, options \[([^\]]*)\])?, length (\d+)")
_UDP = re.compile(r"IP6? (\S+) > (\S+): UDP, length (\d+)")
_ICMP = re.compile(r"IP6? (\S+) > (\S+): ICMP6?.*?(unreachable).*length (\d+)")
_ICMP6 = re.compile(r"IP6 (\S+) > (\S+): ICMP6, destination unreachable, unreachable port.*, length (\d+)")


def parse(line: str) -> dict:
    """One tcpdump line as the fields a wire event has."""
    m = _TCP.search(line)
    if m:
        src, dst, fl, seq, _end, ack, win, opts, ln = m.groups()
        return {"proto": "tcp", "flags": fl, "seq": None if seq is None else int(seq),
                "ack": None if ack is None else int(ack), "win": int(win), "len": int(ln),
                "options": opts or "", "ports": (int(src.rsplit(".", 1)[1]), int(dst.rsplit(".", 1)[1]))}
    m = _UDP.search(line)
    if m:
        return {"proto": "udp", "len": int(m.group(3))}
    m = _ICMP6.search(line)
    if m:
        return {"proto": "icmp", "len": int(m.group(3))}
    m = _ICMP.search(line)
    if m:
        return {"proto": "icmp", "len": int(m.group(4))}
    raise AssertionError(f"tcpdump line not understood: {line}")


def ours(ev) -> dict:
    f = ev.fields
    if f["proto"] != "tcp":
        return {"proto": f["proto"].rstrip("6"), "len": f["len"]}
    shown_seq = f["seq"] if (f["len"] or {"SYN", "FIN", "RST"} & set(f["flags"])) else None
    return {"proto": "tcp", "flags": tcpdump_flags(f["flags"]), "seq": shown_seq, "ack": f["ack"], "win": f["win"],
            "len": f["len"], "options": ",".join(f.get("options", [])),
            "ports": (int(f["src"].rsplit(":", 1)[1]), int(f["dst"].rsplit(":", 1)[1]))}


def _tcp_story(pg: Playground, family: str = "inet") -> None:
    """Handshake, data both ways, half close, abortive close: every flag tcpdump prints."""
    pg.socket("c", family, "stream")
    assert pg.connect("c", "srv").ok
    assert pg.accept("srv", "a").ok
    pg.send("c", b"hello")
    pg.send("a", b"0123456789" * 300)
    assert pg.recv("c", 65536).ok
    pg.shutdown("c", "wr")
    pg.recv("a", 100)
    pg.setsockopt("a", "SO_LINGER", "on,0")
    pg.close("a")


@needs_tcpdump
@needs_capture
@pytest.mark.parametrize(("family", "addr"), [("inet", "127.0.0.1:0"), ("inet6", "[::1]:0")])
def test_tcp_packets_match_tcpdump_one_for_one(pg: Playground, tmp_path: Path, family: str, addr: str) -> None:
    pg.socket("srv", family, "stream")
    port = int(pg.bind("srv", addr).value.rsplit(":", 1)[1])
    pg.listen("srv")
    dump = Tcpdump(tmp_path / "ref.pcap", f"tcp port {port}")
    assert pg.wire_on() is None
    _tcp_story(pg, family)
    dump.stop()
    ref = [parse(ln) for ln in dump.lines()]
    got = [ours(e) for e in wire_events(pg, len(ref))]
    time.sleep(0.2)
    got = [ours(e) for e in wire_events(pg, len(ref))]
    assert len(ref) >= 9  # SYN, SYN-ACK, ACK, data, ACKs, FIN, RST at least
    assert got == ref
    assert {"S", "S.", ".", "P.", "F.", "R."} <= {r["flags"] for r in ref}


@needs_tcpdump
@needs_capture
@pytest.mark.parametrize(("family", "addr", "icmp"), [("inet", "127.0.0.1:0", "icmp"), ("inet6", "[::1]:0", "icmp6")])
def test_udp_and_icmp_port_unreachable_match_tcpdump(pg: Playground, tmp_path: Path, family: str, addr: str,
                                                     icmp: str) -> None:
    pg.socket("t", family, "stream")
    closed = pg.bind("t", addr).value  # a TCP port: the UDP port of that number is free
    port = int(closed.rsplit(":", 1)[1])
    dump = Tcpdump(tmp_path / "ref.pcap", f"udp port {port} or {icmp}")
    assert pg.wire_on() is None
    pg.socket("u", family, "dgram")
    pg.connect("u", closed)
    pg.send("u", b"anyone?")
    pg.send("u", b"x")
    dump.stop()
    ref = [parse(ln) for ln in dump.lines()]
    evs = wire_events(pg, len(ref))
    assert [ours(e) for e in evs] == ref
    assert [r["proto"] for r in ref][:2] == ["udp", "icmp"]
    err = [e for e in evs if e.fields["proto"] == icmp][0]
    assert list(err.fields["flags"]) == ["DEST_UNREACH", "PORT_UNREACH"]
    assert err.fields["dst_sock"] == "u"
    assert err.fields["info"] == f"udp port {port} unreachable"


@needs_tcpdump
@needs_capture
def test_each_loopback_packet_is_seen_once_and_others_are_filtered_out(pg: Playground, tmp_path: Path) -> None:
    import socket

    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    pg.socket("v", "inet", "dgram")
    pg.bind("v", "127.0.0.1:0")
    assert pg.wire_on() is None
    # traffic of sockets outside the playground: the kernel's filter must drop it
    a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.bind(("127.0.0.1", 0))
    for _ in range(20):
        a.sendto(b"not ours", b.getsockname())
    for i in range(5):
        pg.sendto("u", "v", f"d{i}")
    evs = wire_events(pg, 5)
    time.sleep(0.3)
    evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    a.close()
    b.close()
    assert len(evs) == 5  # once each (loopback hands AF_PACKET every packet twice), nothing else
    assert {(e.fields["src_sock"], e.fields["dst_sock"]) for e in evs} == {("u", "v")}
    assert pg.wire_status()["dropped"] == 0
    assert pg.wire_status()["passed"] == 5  # the kernel's own count: the others never reached the ring


@needs_tcpdump
@needs_capture
def test_wire_save_gives_a_pcap_tcpdump_reads_with_the_same_packets(pg: Playground, tmp_path: Path) -> None:
    pg.socket("srv", "inet", "stream")
    pg.bind("srv", "127.0.0.1:0")
    pg.listen("srv")
    assert pg.wire_on() is None
    _tcp_story(pg)
    evs = wire_events(pg, 9)
    time.sleep(0.3)
    evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    path = tmp_path / "saved.pcap"
    assert pg.wire_save(str(path)) == len(evs)
    lines = read_back(path)
    assert [parse(ln) for ln in lines] == [ours(e) for e in evs]
    # and the file decodes back to the same packets with our own reader
    rel = Relative()
    frames = pcap.read_file(str(path))
    again = [decode(f, t, rel) for t, f in frames]
    assert [(p.flags, p.seq, p.ack, p.len) for p in again] == [
        (list(e.fields["flags"]), e.fields["seq"], e.fields["ack"], e.fields["len"]) for e in evs]
    assert abs(frames[0][0] - evs[0].time) < 1e-6  # the kernel's time, as on the event


@needs_tcpdump
@needs_capture
def test_run_pcap_writes_the_scripts_packets_and_json_has_wire_events(tmp_path: Path) -> None:
    script = tmp_path / "s.sp"
    script.write_text("socket srv inet stream\nbind srv 127.0.0.1:0\nlisten srv\nsocket c inet stream\n"
                      "connect c srv\nexpect wire tcp SYN from c to srv\nexpect wire tcp SYN ACK from srv to c\n"
                      "accept srv a\nsend c hi\nexpect wire tcp PSH from c to a len=2\n")
    out = tmp_path / "run.pcap"
    proc = subprocess.run([sys.executable, "-m", "sockplay", "run", "--json", "--pcap", str(out), str(script)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    events = [json.loads(ln) for ln in proc.stdout.splitlines()]
    wire = [e for e in events if e["kind"] == "wire"]
    assert wire[0]["flags"] == ["SYN"] and wire[0]["src_sock"] == "c" and wire[0]["dst_sock"] == "srv"
    for key in ("time", "proto", "src", "dst", "flags", "seq", "ack", "win", "len", "src_sock", "dst_sock"):
        assert key in wire[0]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", wire[0]["src"])
    assert all(e["journal_seq"] > 0 for e in wire)
    lines = read_back(out)
    assert len(lines) >= len(wire) >= 5  # the file also holds the FINs of the sockets closed at the end
    assert [parse(ln)["flags"] for ln in lines[:3]] == ["S", "S.", "."]


def test_filter_program_is_accepted_by_the_kernel_and_sized_for_many_ports() -> None:
    import socket

    from sockplay.core import bpf

    for ports in ([5000], list(range(1000, 1100)), list(range(1000, 2000))):
        prog = bpf.build(wfilter.program(ports))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # the kernel's verifier checks jumps and returns, whatever the socket
            s.setsockopt(socket.SOL_SOCKET, 26, prog.fprog)
        finally:
            s.close()
    assert len(wfilter.program(list(range(1000, 2000)))) < len(wfilter.program(list(range(1000, 1100))))


def test_without_cap_net_raw_wire_on_says_why_and_lessons_skip(tmp_path: Path) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to drop CAP_NET_RAW")
    drop = [setpriv, "--bounding-set", "-net_raw", "--inh-caps", "-net_raw", "--"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = tmp_path / "s.sp"
    script.write_text("socket c inet stream\nwire on\nwire\n")
    proc = subprocess.run([*drop, sys.executable, "-m", "sockplay", "run", str(script)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "CAP_NET_RAW" in proc.stdout
    from sockplay import lessons

    for name in [n for n in lessons.names() if n.startswith("wire-")]:
        proc = subprocess.run([*drop, sys.executable, "-m", "sockplay", "run", str(lessons.path_of(name))],
                              capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        assert "skipped: needs CAP_NET_RAW" in proc.stdout
    proc = subprocess.run([*drop, sys.executable, "-m", "sockplay", "run", "--pcap", str(tmp_path / "x.pcap"),
                           str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2 and "CAP_NET_RAW" in proc.stderr


def test_unix_sockets_only_are_said_never_to_reach_the_wire(pg: Playground) -> None:
    pg.socketpair("a", "b")
    assert pg.wire_status()["unix_only"] is True
    pg.socket("c", "inet", "stream")
    assert pg.wire_status()["unix_only"] is False


def _ip4(proto: int, payload: bytes, src: bytes = bytes([127, 0, 0, 1]), dst: bytes = bytes([127, 0, 0, 1])) -> bytes:
    import struct

    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
    return hdr + payload


@needs_tcpdump
def test_fragmentation_needed_and_packet_too_big_decode_as_tcpdump_reads_them(tmp_path: Path) -> None:
    """Loopback never needs fragmenting, so these two come as bytes through a pcap file tcpdump reads."""
    import struct

    udp = struct.pack("!HHHH", 40001, 5000, 1408, 0)
    quoted = _ip4(17, udp + b"x" * 1400)[:28]
    icmp4 = struct.pack("!BBHHH", 3, 4, 0, 0, 1280) + quoted
    frame4 = b"\x00" * 12 + b"\x08\x00" + _ip4(1, icmp4)
    ip6 = bytes(15) + b"\x01"
    quoted6 = struct.pack("!IHBB", 0x60000000, 1408, 17, 64) + ip6 + ip6 + udp
    icmp6 = struct.pack("!BBHI", 2, 0, 0, 1280) + quoted6
    frame6 = b"\x00" * 12 + b"\x86\xdd" + struct.pack("!IHBB", 0x60000000, len(icmp6), 58, 64) + ip6 + ip6 + icmp6
    path = tmp_path / "icmp.pcap"
    pcap.write_file(str(path), [(1, 0, frame4, len(frame4)), (2, 0, frame6, len(frame6))])
    lines = read_back(path)
    assert "need to frag (mtu 1280)" in lines[0]
    assert "packet too big, mtu 1280" in lines[1]
    p4, p6 = decode(frame4, 1.0), decode(frame6, 2.0)
    assert p4.flags == ["DEST_UNREACH", "FRAG_NEEDED"] and p4.mtu == 1280 and p4.inner == ("udp", "127.0.0.1:40001", "127.0.0.1:5000")
    assert p6.flags == ["PKT_TOOBIG"] and p6.mtu == 1280 and p6.inner == ("udp", "[::1]:40001", "[::1]:5000")
    assert f"length {p4.len}" in lines[0] and f"length {p6.len}" in lines[1]


@needs_capture
def test_wire_on_names_only_those_sockets(pg: Playground) -> None:
    for n in ("u", "v", "x", "y"):
        pg.socket(n, "inet", "dgram")
        pg.bind(n, "127.0.0.1:0")
    assert pg.wire_on(["u"]) is None
    pg.sendto("u", "v", "to v")
    pg.sendto("x", "y", "not watched")
    wire_events(pg, 1)
    time.sleep(0.3)
    evs = [e for e in pg.journal.snapshot() if e.kind == "wire"]
    assert [(e.fields["src_sock"], e.fields["dst_sock"]) for e in evs] == [("u", "v")]
    pg.wire_off(["u"])
    assert pg.wire is None  # nothing left to watch: the capture stopped
