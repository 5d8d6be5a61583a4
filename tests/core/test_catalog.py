"""The option catalog: complete, numbered like the kernel's headers, and readable on real sockets."""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path

import pytest

from sockplay.core import catalog, codecs
from sockplay.core.errors import UsageError

SOCKET_7 = """SO_ACCEPTCONN SO_ATTACH_FILTER SO_ATTACH_BPF SO_ATTACH_REUSEPORT_CBPF SO_ATTACH_REUSEPORT_EBPF
SO_BINDTODEVICE SO_BROADCAST SO_BSDCOMPAT SO_DEBUG SO_DETACH_FILTER SO_DETACH_BPF SO_DOMAIN SO_ERROR
SO_DONTROUTE SO_INCOMING_CPU SO_KEEPALIVE SO_LINGER SO_LOCK_FILTER SO_MARK SO_OOBINLINE SO_PASSCRED
SO_PEEK_OFF SO_PEERCRED SO_PRIORITY SO_PROTOCOL SO_RCVBUF SO_RCVBUFFORCE SO_RCVLOWAT SO_SNDLOWAT
SO_RCVTIMEO SO_SNDTIMEO SO_REUSEADDR SO_REUSEPORT SO_RXQ_OVFL SO_SNDBUF SO_SNDBUFFORCE SO_TIMESTAMP
SO_TYPE SO_BUSY_POLL""".split()
UNDOCUMENTED = """SO_PEERNAME SO_TIMESTAMPNS SO_TIMESTAMPING SO_WIFI_STATUS SO_GET_FILTER SO_SELECT_ERR_QUEUE
SO_MAX_PACING_RATE SO_BPF_EXTENSIONS SO_PASSSEC SO_COOKIE SO_INCOMING_NAPI_ID SO_ZEROCOPY SO_TXTIME""".split()
INET = """TCP_NODELAY TCP_CORK TCP_QUICKACK TCP_KEEPIDLE TCP_KEEPINTVL TCP_KEEPCNT TCP_USER_TIMEOUT
TCP_MAXSEG TCP_CONGESTION TCP_INFO TCP_DEFER_ACCEPT TCP_FASTOPEN TCP_NOTSENT_LOWAT IP_TTL IP_TOS
IP_RECVTTL IP_RECVTOS IP_PKTINFO IP_RECVERR IP_MTU_DISCOVER IP_MTU IP_MULTICAST_TTL IP_MULTICAST_LOOP
IP_ADD_MEMBERSHIP IP_DROP_MEMBERSHIP IP_FREEBIND IP_TRANSPARENT IPV6_V6ONLY IPV6_RECVPKTINFO
IPV6_UNICAST_HOPS IPV6_RECVHOPLIMIT IPV6_MULTICAST_HOPS IPV6_TCLASS""".split()
REQUIRED = SOCKET_7 + UNDOCUMENTED + INET

ROWS = {r.name: r for r in catalog.OPTIONS}


@pytest.mark.parametrize("name", REQUIRED)
def test_required_option_is_catalogued(name: str) -> None:
    assert name in ROWS
    assert catalog.option(name) is ROWS[name]


def test_names_are_unique_and_short_names_too() -> None:
    names = [r.name for r in catalog.OPTIONS]
    shorts = [r.short for r in catalog.OPTIONS]
    assert len(names) == len(set(names))
    assert len(shorts) == len(set(shorts))


# Numbers not in Python's socket module, from the kernel-facts table (x86-64).
MISSING_FROM_PYTHON = {
    "SO_BSDCOMPAT": 14, "SO_ATTACH_FILTER": 26, "SO_GET_FILTER": 26, "SO_DETACH_FILTER": 27,
    "SO_DETACH_BPF": 27, "SO_PEERNAME": 28, "SO_TIMESTAMP": 29, "SO_SNDBUFFORCE": 32,
    "SO_RCVBUFFORCE": 33, "SO_TIMESTAMPNS": 35, "SO_TIMESTAMPING": 37, "SO_RXQ_OVFL": 40,
    "SO_WIFI_STATUS": 41, "SO_PEEK_OFF": 42, "SO_LOCK_FILTER": 44, "SO_SELECT_ERR_QUEUE": 45,
    "SO_BUSY_POLL": 46, "SO_MAX_PACING_RATE": 47, "SO_BPF_EXTENSIONS": 48, "SO_ATTACH_BPF": 50,
    "SO_ATTACH_REUSEPORT_CBPF": 51, "SO_ATTACH_REUSEPORT_EBPF": 52, "SO_COOKIE": 57,
}


@pytest.mark.parametrize("row", catalog.OPTIONS, ids=lambda r: r.name)
def test_number_matches_python_or_kernel_facts(row: catalog.OptionRow) -> None:
    if row.name in MISSING_FROM_PYTHON:
        assert row.number == MISSING_FROM_PYTHON[row.name]
    if hasattr(socket, row.name):
        assert row.number == getattr(socket, row.name)
    assert row.level_number == {"SOL_SOCKET": socket.SOL_SOCKET, "IPPROTO_TCP": socket.IPPROTO_TCP,
                                "IPPROTO_IP": socket.IPPROTO_IP, "IPPROTO_IPV6": socket.IPPROTO_IPV6}[row.level]


HEADERS = ["/usr/include/asm-generic/socket.h", "/usr/include/linux/tcp.h", "/usr/include/linux/in.h",
           "/usr/include/linux/in6.h"]


def _header_numbers() -> dict[str, int]:
    raw: dict[str, str] = {}
    for path in HEADERS:
        p = Path(path)
        if not p.exists():
            continue
        for m in re.finditer(r"^#define\s+([A-Z0-9_]+)\s+([A-Za-z0-9_]+)\b", p.read_text(), re.M):
            raw.setdefault(m.group(1), m.group(2))
    out: dict[str, int] = {}
    for name, val in raw.items():
        for _ in range(4):  # follow SO_GET_FILTER -> SO_ATTACH_FILTER -> 26
            if val in raw and not val[0].isdigit():
                val = raw[val]
        if val.isdigit():
            out[name] = int(val)
    return out


@pytest.mark.skipif(not Path(HEADERS[0]).exists(), reason="kernel headers not installed")
def test_numbers_match_the_kernel_headers() -> None:
    numbers = _header_numbers()
    checked = 0
    for row in catalog.OPTIONS:
        if row.name in numbers:
            assert row.number == numbers[row.name], row.name
            checked += 1
    assert checked >= 70


def test_aliases_share_their_number() -> None:
    aliases = {r.name: r.alias_of for r in catalog.OPTIONS if r.alias_of}
    assert aliases == {"SO_GET_FILTER": "SO_ATTACH_FILTER", "SO_DETACH_BPF": "SO_DETACH_FILTER"}
    for name, target in aliases.items():
        assert ROWS[name].number == ROWS[target].number and ROWS[name].level == ROWS[target].level


@pytest.mark.parametrize("row", catalog.OPTIONS, ids=lambda r: r.name)
def test_row_fields_are_well_formed(row: catalog.OptionRow) -> None:
    assert row.kind in codecs.CODECS
    assert row.level in catalog.LEVELS
    assert row.access in ("rw", "ro", "wo")
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", row.since)
    assert row.before in (None, "bind", "listen", "connect")
    assert row.privilege in (None, "CAP_NET_ADMIN", "CAP_NET_RAW")
    assert set(row.families) <= {"any", "inet", "inet6", "unix"}
    assert set(row.types) <= {"any", "stream", "dgram", "raw", "seqpacket"}
    assert len(row.help) > 40 and row.help.endswith((".", ")"))
    if row.lesson is not None:  # `help OPTION` points there, so the lesson must exist
        from sockplay import lessons

        assert row.lesson in lessons.names()
    assert catalog.summary(row).endswith(".")


def test_lookup_by_full_or_short_name_any_case() -> None:
    assert catalog.option("rcvbuf").name == "SO_RCVBUF"
    assert catalog.option("So_RcvBuf").name == "SO_RCVBUF"
    assert catalog.option("nodelay").name == "TCP_NODELAY"
    assert catalog.option("v6only").name == "IPV6_V6ONLY"
    assert catalog.option("mtu_discover").name == "IP_MTU_DISCOVER"


def test_unknown_option_suggests_a_spelling() -> None:
    with pytest.raises(UsageError, match="did you mean SO_RCVBUF") as exc:
        catalog.option("SO_RCVBUFF")
    assert "unknown option" in str(exc.value)
    with pytest.raises(UsageError, match="unknown option"):
        catalog.option("zzzz")


def test_by_level_groups_every_row_in_order() -> None:
    groups = catalog.by_level()
    assert list(groups) == ["SOL_SOCKET", "IPPROTO_IP", "IPPROTO_TCP", "IPPROTO_IPV6"]
    assert sum(len(g) for g in groups.values()) == len(catalog.OPTIONS)
    assert all(r.level == level for level, g in groups.items() for r in g)
    assert groups["IPPROTO_TCP"][0].name == "TCP_NODELAY"


def test_applies_to() -> None:
    row = catalog.option
    assert catalog.applies_to(row("TCP_NODELAY"), "inet", "stream")
    assert catalog.applies_to(row("TCP_NODELAY"), "AF_INET6", "SOCK_STREAM")
    assert not catalog.applies_to(row("TCP_NODELAY"), "inet", "udp")
    assert not catalog.applies_to(row("TCP_NODELAY"), "unix", "stream")
    assert catalog.applies_to(row("SO_PASSCRED"), "unix", "dgram")
    assert not catalog.applies_to(row("SO_PASSCRED"), "inet", "stream")
    assert catalog.applies_to(row("SO_RCVBUF"), "unix", "seqpacket")
    assert catalog.applies_to(row("IP_TTL"), "inet", "tcp")
    assert not catalog.applies_to(row("IP_TTL"), "inet6", "dgram")
    assert catalog.applies_to(row("IPV6_V6ONLY"), "inet6", "dgram")


# ---- every row on a real socket ------------------------------------------------------

FAMILY = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}
LOOPBACK = {"inet": "127.0.0.1", "inet6": "::1"}


def _fitting_socket(row: catalog.OptionRow, stack: list[socket.socket]) -> socket.socket:
    """A connected socket of the first family and type the option is meant for."""
    fam = row.families[0] if row.families[0] != "any" else "inet"
    typ = row.types[0] if row.types[0] != "any" else ("stream" if row.level == "IPPROTO_TCP" else "dgram")
    kind = socket.SOCK_STREAM if typ == "stream" else socket.SOCK_DGRAM
    if fam == "unix":
        a, b = socket.socketpair(socket.AF_UNIX, kind)
        stack += [a, b]
        return a
    if kind == socket.SOCK_STREAM:
        lis = socket.create_server((LOOPBACK[fam], 0), family=FAMILY[fam])
        cli = socket.create_connection(lis.getsockname()[:2])
        stack += [lis, cli]
        return cli
    s = socket.socket(FAMILY[fam], socket.SOCK_DGRAM)
    s.bind((LOOPBACK[fam], 0))
    s.connect(s.getsockname())  # connected to itself: IP_MTU and SO_PEERNAME have an answer
    stack.append(s)
    return s


@pytest.mark.parametrize("row", catalog.OPTIONS, ids=lambda r: r.name)
def test_every_option_reads_or_says_why_not(row: catalog.OptionRow) -> None:
    stack: list[socket.socket] = []
    try:
        s = _fitting_socket(row, stack)
        c = codecs.codec(row.kind)
        try:
            raw = c.read(s.fileno(), row.level_number, row.number) if c.read else s.getsockopt(
                row.level_number, row.number, c.size)
        except OSError as exc:
            # The only rows without a value are the write-only ones, and they fail exactly so.
            assert row.access == "wo", f"{row.name}: {exc}"
            assert exc.errno == errno.ENOPROTOOPT
            return
        assert row.access != "wo", f"{row.name} is marked write-only but read fine"
        value = c.decode(raw)
        assert isinstance(c.show(value), str) and isinstance(c.strace(raw), str)
        if row.kind in ("bool",):
            assert value in (0, 1)
        if row.name == "SO_TYPE":
            assert value in ("SOCK_STREAM", "SOCK_DGRAM")
        if row.name == "SO_PEERNAME":
            assert value.startswith(("127.0.0.1:", "[::1]:", "(unnamed)"))
        if row.name == "IP_MTU":
            # loopback's MTU, but an IPv4 packet cannot be longer than 65535 bytes
            assert value == min(int(Path("/sys/class/net/lo/mtu").read_text()), 65535)
        if row.name == "SO_PEERCRED":
            assert value["uid"] == 0 or value["pid"] > 0
    finally:
        for sock in stack:
            sock.close()


def test_write_only_rows_are_refused_with_enoprotoopt() -> None:
    wo = [r.name for r in catalog.OPTIONS if r.access == "wo"]
    assert set(wo) >= {"SO_ATTACH_BPF", "SO_DETACH_FILTER", "SO_RCVBUFFORCE", "IP_ADD_MEMBERSHIP"}


def test_read_only_rows_cannot_be_set() -> None:
    with socket.socket() as s:
        for name in ("SO_TYPE", "SO_PROTOCOL", "SO_DOMAIN", "SO_ACCEPTCONN", "SO_SNDLOWAT", "SO_ERROR"):
            row = catalog.option(name)
            with pytest.raises(OSError) as exc:
                s.setsockopt(row.level_number, row.number, codecs.codec(row.kind).encode(1))
            assert exc.value.errno == errno.ENOPROTOOPT, name


# ---- `sockplay options` -------------------------------------------------------------


def _run_cli(capsys, name: str | None = None, as_json: bool = False) -> tuple[int, str, str]:
    import argparse

    from sockplay.catalog_cli import options_cli

    status = options_cli(argparse.Namespace(name=name, json=as_json))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_table_lists_every_option_aligned(capsys) -> None:
    status, out, _ = _run_cli(capsys)
    lines = out.splitlines()
    assert status == 0 and len(lines) == len(catalog.OPTIONS) + 1
    assert lines[0].split()[:3] == ["NAME", "LEVEL", "KIND"]
    col = lines[0].index("LEVEL")
    assert all(line[col - 2 : col] == "  " for line in lines)  # the level column starts at one place
    assert any(line.startswith("SO_LINGER ") and "linger" in line for line in lines)


def test_cli_json_has_all_fields_and_short(capsys) -> None:
    import json

    status, out, _ = _run_cli(capsys, as_json=True)
    data = json.loads(out)
    assert status == 0 and [d["name"] for d in data] == [r.name for r in catalog.OPTIONS]
    first = data[0]
    for field in ("name", "level", "number", "kind", "access", "since", "privilege", "families", "types",
                  "help", "before", "lesson", "alias_of", "short"):
        assert field in first
    assert {d["name"]: d["short"] for d in data}["SO_RCVBUF"] == "rcvbuf"


def test_cli_one_option_in_full(capsys) -> None:
    status, out, _ = _run_cli(capsys, "linger")
    assert status == 0 and out.startswith("SO_LINGER")
    assert "on,SECONDS or off" in out and "number 13" in out and "setsockopt NAME SO_LINGER" in out
    status, out, _ = _run_cli(capsys, "SO_REUSEADDR")
    assert "before bind()" in out


def test_cli_unknown_option_is_exit_2_with_a_suggestion(capsys) -> None:
    status, out, err = _run_cli(capsys, "SO_RCVBUFF")
    assert status == 2 and out == ""
    assert "did you mean SO_RCVBUF?" in err


def test_cli_imports_no_ui_package() -> None:
    import subprocess
    import sys

    code = ("import sys, sockplay.catalog_cli; bad = [m for m in ('textual', 'prompt_toolkit', 'pygments', 'rich')"
            " if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
