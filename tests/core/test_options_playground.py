"""Every catalog row through the Playground: a decoded value, or an Outcome saying precisely why not."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sockplay.core import Playground, catalog

LOOPBACK = {"inet": "127.0.0.1:0", "inet6": "[::1]:0"}


def fitting_socket(pg: Playground, row: catalog.OptionRow) -> str:
    """Open (through the engine) a connected socket of a family and type the option is for."""
    fam = row.families[0] if row.families[0] != "any" else "inet"
    typ = row.types[0] if row.types[0] != "any" else ("stream" if row.level == "IPPROTO_TCP" else "dgram")
    if fam == "unix":
        assert pg.socketpair("x", "y", family="unix", type=typ).ok
        return "x"
    if typ == "stream":
        pg.socket("l", fam, "stream")
        pg.bind("l", LOOPBACK[fam])
        pg.listen("l")
        pg.socket("x", fam, "stream")
        assert pg.connect("x", "l").ok
        pg.accept("l")
        return "x"
    pg.socket("x", fam, "dgram")
    pg.bind("x", LOOPBACK[fam])
    pg.connect("x", "x")  # connected to itself, so SO_PEERNAME and IP_MTU have answers
    return "x"


@pytest.mark.parametrize("row", catalog.OPTIONS, ids=lambda r: r.name)
def test_getsockopt_every_row(pg: Playground, row: catalog.OptionRow) -> None:
    name = fitting_socket(pg, row)
    out = pg.getsockopt(name, row.name)
    if row.access == "wo":
        assert out.errno == "ENOPROTOOPT"
        assert row.name in out.error and "set" in out.error.lower()
    else:
        assert out.ok, f"{row.name}: {out.errno} {out.error}"
        assert out.value is not None
        assert out.trace.startswith("getsockopt(") and out.trace.endswith("= 0")
    event = pg.journal.snapshot()[-1]
    assert event.kind == "call" and event.outcome is out


DROP_PRIVILEGES = textwrap.dedent(
    """
    import json, os
    from sockplay.core import Playground
    os.setgid(65534); os.setuid(65534)
    pg = Playground()
    pg.socket("s", "inet", "dgram")
    res = {}
    for opt, val in (("SO_MARK", 5), ("SO_RCVBUFFORCE", 65536), ("SO_PRIORITY", 7)):
        o = pg.setsockopt("s", opt, val)
        res[opt] = [o.errno, o.error]
    pg.socket("t", "inet", "stream")
    o = pg.bind("t", "127.0.0.1:80")
    res["bind80"] = [o.errno, o.error]
    print(json.dumps(res))
    """
)


def test_missing_privilege_is_named() -> None:
    """As an unprivileged user the kernel refuses; the explanation names what is missing."""
    import json

    done = subprocess.run([sys.executable, "-c", DROP_PRIVILEGES], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    res = json.loads(done.stdout)
    for opt in ("SO_MARK", "SO_RCVBUFFORCE", "SO_PRIORITY"):
        errno_name, error = res[opt]
        assert errno_name == "EPERM", opt
        assert "CAP_NET_ADMIN" in error or "privilege" in error.lower(), (opt, error)
    assert res["bind80"][0] == "EACCES"
    assert "1024" in res["bind80"][1]
