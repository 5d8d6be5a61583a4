"""recv until on split and merged writes, expect data ~, file: data, connect by host name."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sockplay.core import Playground
from sockplay.lang.executor import Executor
from sockplay.lang.grammar import ScriptError


def user_lines(o) -> list[str]:
    return [ln for ln in o.trace.splitlines() if not ln.startswith("[")]


def test_split_writes_make_one_message(pg: Playground) -> None:
    """The delimiter itself arrives split across two writes; the reader waits for the rest."""
    ex = Executor(pg)
    pg.socketpair("a", "b")

    def writer() -> None:
        for part in (b"HEAD", b"ER: 1\r", b"\n\r", b"\nBODY"):
            time.sleep(0.05)
            pg.send("a", part)

    t = threading.Thread(target=writer)
    t.start()
    res = ex.run_line('recv b until "\\r\\n\\r\\n" timeout=20000')[-1]
    t.join()
    assert res.ok and res.final.data == b"HEADER: 1\r\n\r\n"
    # (a line in [brackets] is one the engine made for its own needs, such as setting a timeout)
    peeks = [o for o in res.steps if any(ln.startswith("recvfrom(") and "MSG_PEEK" in ln for ln in user_lines(o))]
    reads = [o for o in res.steps if any(ln.startswith("recvfrom(") and "MSG_PEEK" not in ln for ln in user_lines(o))]
    assert peeks and reads
    assert sum(o.ret for o in reads) == len(b"HEADER: 1\r\n\r\n")  # only the message was taken
    assert pg.recv("b", 100).data == b"BODY"  # the rest stayed in the kernel's queue
    assert ex.run_line("expect data ~ /^HEADER:\\s1/")[-1].expect.ok


def test_merged_writes_give_one_message_each(pg: Playground) -> None:
    ex = Executor(pg)
    pg.socketpair("a", "b")
    pg.send("a", b"one\ntwo\nthree")
    assert ex.run_line('recv b until "\\n"')[-1].final.data == b"one\n"
    assert ex.run_line("recv b until /t.o\\n/")[-1].final.data == b"two\n"
    assert ex.run_line("recv b until len=3")[-1].final.data == b"thr"
    res = ex.run_line('recv b until "\\n" timeout=200')[-1]
    assert not res.ok and ex.last.errno == "EAGAIN"
    assert "timed out" in res.lines[0] and '"ee"' in res.lines[0]  # what was taken is said
    assert not ex.run_line('expect data "xx"')[-1].expect.ok


def test_until_errors(pg: Playground) -> None:
    ex = Executor(pg)
    pg.socket("u", "inet", "dgram")
    with pytest.raises(ScriptError, match="keeps message boundaries"):
        ex.run_line('recv u until "\\n"')
    with pytest.raises(ScriptError, match="until needs"):
        ex.run_line("recv u until")
    with pytest.raises(ScriptError, match="not a regular expression"):
        ex.run_line("recv u until /(/")
    with pytest.raises(ScriptError, match="only timeout=MS"):
        ex.run_line('recv u until "x" peek')


def test_send_file(pg: Playground, tmp_path: Path) -> None:
    ex = Executor(pg)
    f = tmp_path / "req.bin"
    f.write_bytes(b"GET / HTTP/1.0\r\n\r\n\x00\xff")
    pg.socketpair("a", "b")
    assert ex.run_line(f"send a file:{f}")[-1].outcomes[0].ret == 20
    assert pg.recv("b", 100).data == f.read_bytes()
    with pytest.raises(ScriptError, match="cannot read .*No such file"):
        ex.run_line(f"send a file:{tmp_path}/missing")


def test_connect_by_name_tries_each_address(pg: Playground) -> None:
    ex = Executor(pg)
    pg.socket("s", "inet", "stream")
    pg.bind("s", "127.0.0.1:0")
    pg.listen("s")
    port = pg.getsockname("s").value.rsplit(":", 1)[1]
    pg.socket("c", "inet6", "stream")
    res = ex.run_line(f"connect c localhost:{port}")[-1]
    lib = [s for s in res.steps if isinstance(s, str)]
    assert lib and lib[0].startswith(f'getaddrinfo("localhost", "{port}"')
    tries = [s for s in res.steps if not isinstance(s, str)]
    assert all(t.trace.startswith("connect(") for t in tries)
    assert res.ok and tries[-1].errno is None  # [::ffff:127.0.0.1] answers, after any [::1] that refused
    assert all(t.errno == "ECONNREFUSED" for t in tries[:-1])
    assert "::ffff:127.0.0.1" in lib[0]
    with pytest.raises(ScriptError, match="cannot resolve"):
        ex.run_line("connect c no-such-host.invalid:80")
