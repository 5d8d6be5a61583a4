"""The REPL loop driven headless: prompt_toolkit pipe input, real sockets, collected output."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from sockplay.core import Playground
from sockplay.lang.repl import PROMPT, Repl, history_path, make_session


class Harness:
    """A running Repl: type into it, wait for its output."""

    def __init__(self, repl: Repl, session, inp, out: list[str]) -> None:
        self.repl = repl
        self.session = session
        self.inp = inp
        self.out = out
        self.task: asyncio.Task[int] | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.out)

    async def type(self, *chunks: str) -> None:
        """Send keys in chunks, letting completion and redraw tasks run between them."""
        for chunk in chunks:
            self.inp.send_text(chunk)
            await asyncio.sleep(0.03)

    async def wait_for(self, cond: Callable[[], bool] | str, timeout: float = 5.0) -> None:
        pred = (lambda: cond in self.text) if isinstance(cond, str) else cond
        deadline = time.monotonic() + timeout
        while not pred():
            if self.task is not None and self.task.done():
                self.task.result()
                raise AssertionError(f"the REPL ended early; output:\n{self.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {cond!r}; output:\n{self.text}")
            await asyncio.sleep(0.02)

    async def run_line(self, line: str, expect: str) -> None:
        await self.type(line + "\r")
        await self.wait_for(expect)

    async def quit(self) -> int:
        await self.type("\x04")
        assert self.task is not None
        return await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def repl(pg: Playground) -> AsyncIterator[Harness]:
    out: list[str] = []
    with create_pipe_input() as inp:
        r = Repl(pg, out.append)
        session = make_session(r, InMemoryHistory(), input=inp, output=DummyOutput())
        h = Harness(r, session, inp, out)
        h.task = asyncio.create_task(r.run(session))
        await asyncio.sleep(0.05)
        try:
            yield h
        finally:
            if not h.task.done():
                pg.cancel()
                inp.send_text("\x04")
                try:
                    await asyncio.wait_for(h.task, 3)
                except (TimeoutError, asyncio.CancelledError):
                    h.task.cancel()


async def test_typed_session_shows_the_peeked_bytes_and_ctrl_d_closes_everything(
    repl: Harness, pg: Playground
) -> None:
    await repl.run_line("socketpair a b", "new socket a, b")
    fds = [pg.sockets["a"].fileno(), pg.sockets["b"].fileno()]
    await repl.run_line('send a "hello"', "= 5")
    await repl.run_line("recv b 2 peek", 'data "he"')
    assert "MSG_PEEK" in repl.text
    await repl.run_line("recv b 5", 'data "hello"')  # the peek left the bytes queued
    assert await repl.quit() == 0
    assert pg.sockets == {}
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)
    assert "closed 2 sockets" in repl.text
    # leaving is a close() on each socket: the REPL shows them, it does not tear down silently
    for fd in fds:
        assert f"close({fd}) = 0" in repl.text, repl.text


async def test_options_shows_every_getsockopt_it_made(repl: Harness, pg: Playground) -> None:
    """`options` reads one value per row: each read is a real call, and its line is shown."""
    await repl.run_line("socketpair a b", "new socket a, b")
    fd = pg.sockets["a"].fileno()
    await repl.run_line("options a", "SO_TXTIME")  # the table's last row: every read was made
    calls = [line for e in pg.journal.snapshot() if e.kind == "call" and e.command == "options a"
             for _o, line in e.outcome.trace_lines]
    assert len(calls) > 20  # one per readable SOL_SOCKET option, and any size probes
    for line in calls:
        assert line in repl.text, f"{line!r} is a call `options` made, not shown:\n{repl.text}"
    assert f"getsockopt({fd}, SOL_SOCKET, SO_TYPE, [SOCK_STREAM], [4]) = 0" in repl.text


async def test_two_commands_on_one_line(repl: Harness) -> None:
    await repl.run_line('socketpair a b; send a "xy"; recv b', 'data "xy"')


async def test_tab_completes_an_option_in_the_live_buffer(repl: Harness, pg: Playground) -> None:
    await repl.run_line("socket s1 inet stream", "= ")
    await repl.type("setsockopt s1 SO_RCVB", "\t")
    assert repl.session.default_buffer.text == "setsockopt s1 SO_RCVBUF"
    await repl.type(" 4096\r")
    await repl.wait_for("SO_RCVBUF")
    assert pg.getsockopt("s1", "SO_RCVBUF").value >= 4096


async def test_ctrl_c_cancels_a_blocking_recv_and_the_repl_goes_on(repl: Harness, pg: Playground) -> None:
    await repl.run_line("socketpair a b", "new socket a, b")
    await repl.type("recv b\r")
    await repl.wait_for(lambda: pg.pending() == ["b"])
    await repl.wait_for("waits (Ctrl-C cancels)")
    await repl.type("\x03")
    await repl.wait_for("EINTR")
    assert pg.pending() == []
    assert not repl.task.done()
    await repl.run_line('send a "x"', "= 1")
    await repl.run_line("recv b 1", 'data "x"')


async def test_ctrl_c_stops_a_sleep_and_keeps_the_keys_typed_meanwhile(repl: Harness) -> None:
    start = time.monotonic()
    await repl.type("sleep 20000\r")
    await asyncio.sleep(0.2)
    await repl.type("echo typed ahead\r")  # typed while the sleep runs: kept for the next prompt
    await repl.type("\x03")
    await repl.wait_for("(interrupted)")
    await repl.wait_for("typed ahead")
    assert time.monotonic() - start < 5


async def test_ctrl_c_at_the_prompt_drops_the_line_only(repl: Harness) -> None:
    await repl.type("socketpair x y", "\x03")
    await repl.run_line("socketpair a b", "new socket a, b")
    assert "new socket x" not in repl.text


async def test_errors_point_at_the_column_and_the_repl_survives(repl: Harness) -> None:
    await repl.run_line("frobnicate a", "unknown command")
    await repl.run_line("recv nosuch", "no socket named 'nosuch'")
    caret = [line for line in "\n".join(repl.out).splitlines() if line.strip() == "^"][-1]
    assert caret.index("^") == len(PROMPT) + len("recv ")
    await repl.run_line("socketpair a b", "new socket a, b")


async def test_help_topics(repl: Harness) -> None:
    await repl.run_line("help", "Ctrl-C cancels")
    assert "setsockopt" in repl.text
    await repl.run_line("help recv", "usage: recv")
    await repl.run_line("help SO_LINGER", "SO_LINGER")
    await repl.run_line("help python", "python [CODE]")


async def test_python_sees_pg_and_sockets_and_survives_a_traceback(repl: Harness, pg: Playground) -> None:
    await repl.run_line("socketpair a b", "new socket a, b")
    await repl.run_line("!a.fileno()", str(pg.sockets["a"].fileno()))
    await repl.run_line("!1/0", "ZeroDivisionError")
    await repl.run_line('!pg.send("a", b"zz")', "Outcome")
    await repl.run_line("recv b", 'data "zz"')
    await repl.run_line("python print(sorted(pg.sockets))", "['a', 'b']")
    await repl.run_line("!for i in range(3): print('n', i)", "n 2")


async def test_python_mode_multiline_and_back(repl: Harness, pg: Playground) -> None:
    await repl.run_line("socketpair a b", "new socket a, b")
    await repl.run_line("python", "Python mode")
    assert repl.repl.python_mode
    await repl.type("total = 0\r", "for n in (1, 2, 3):\r", "    total += n\r", "\r")
    await repl.run_line("print('total', total)", "total 6")
    await repl.run_line("b.getsockname()", "''")  # an unnamed unix socket's address
    await repl.type("\x04")  # Ctrl-D leaves Python mode, not the REPL
    await repl.wait_for("back to sockplay commands")
    assert not repl.task.done()
    await repl.run_line("sockets", "AF_UNIX")


async def test_python_infinite_loop_is_interrupted(repl: Harness) -> None:
    await repl.type("!while True: pass\r")
    await asyncio.sleep(0.3)
    await repl.type("\x03")
    await repl.wait_for("KeyboardInterrupt")
    await repl.run_line("!print('alive')", "alive")


async def test_events_print_above_the_prompt_without_touching_the_typed_line(
    repl: Harness, pg: Playground
) -> None:
    pg.start_watcher()
    await repl.run_line("socketpair a b", "new socket a, b")
    await repl.wait_for("b +POLLOUT")  # the watcher reports a new socket's first state
    await repl.type("recv b 2 pe")
    pg.send("a", b"hi")  # a call made outside the REPL, from another thread
    await repl.wait_for("b +POLLIN")
    assert repl.session.default_buffer.text == "recv b 2 pe"
    await repl.type("ek\r")  # the line goes on to run as typed
    await repl.wait_for('data "hi"')
    assert "MSG_PEEK" in repl.text


async def test_ancillary_data_from_a_call_outside_the_language_is_shown(repl: Harness, pg: Playground) -> None:
    await repl.run_line("socketpair a b dgram; setsockopt b SO_TIMESTAMP on", "SO_TIMESTAMP")
    await repl.run_line('send a "t"', "= 1")
    await repl.run_line('!out = pg.recvmsg("b", 100)', "anc SOL_SOCKET SO_TIMESTAMP")
    await repl.run_line("!out.data", "b't'")


async def test_own_calls_are_not_echoed_as_events(repl: Harness, pg: Playground) -> None:
    await repl.run_line("socketpair a b", "new socket a, b")
    await repl.run_line('send a "q"', "= 1")
    await asyncio.sleep(0.2)
    assert repl.text.count("sendto(") == 1


async def test_script_runs_first_and_stops_at_an_error(tmp_path: Path, pg: Playground) -> None:
    script = tmp_path / "first.sp"
    script.write_text('socketpair a b\nsend a "hi"\nexpect ret 3\nrecv b\n', encoding="utf-8")
    out: list[str] = []
    r = Repl(pg, out.append)
    r.loop = asyncio.get_running_loop()
    await r.run_script(str(script))
    text = "\n".join(out)
    assert "EXPECT FAILED" in text
    assert "first.sp:3: stopped here" in text
    assert "recvfrom" not in text


async def test_history_goes_to_the_file(tmp_path: Path, pg: Playground) -> None:
    path = tmp_path / "history"
    out: list[str] = []
    with create_pipe_input() as inp:
        r = Repl(pg, out.append)
        session = make_session(r, FileHistory(str(path)), input=inp, output=DummyOutput())
        task = asyncio.create_task(r.run(session))
        inp.send_text("socketpair a b\r")
        await asyncio.sleep(0.3)
        inp.send_text("\x04")
        await asyncio.wait_for(task, 5)
    assert "+socketpair a b" in path.read_text()


def test_history_path_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert history_path() == tmp_path / "sockplay" / "history"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert history_path() == tmp_path / ".local" / "state" / "sockplay" / "history"


def test_piped_input_runs_without_a_terminal(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = tmp_path / "first.sp"
    script.write_text("socketpair a b\n", encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run(
        [sys.executable, "-m", "sockplay", "repl", str(script)],
        input='send a "hi"\nrecv b 2 peek\n!print(sorted(pg.sockets))\nfrob\n',
        capture_output=True, text=True, timeout=30, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'data "hi"' in proc.stdout
    assert "['a', 'b']" in proc.stdout
    assert "unknown command 'frob'" in proc.stdout
    assert "not a terminal" not in proc.stderr


async def test_relay_runs_in_the_background_and_speaks_up(repl: Harness) -> None:
    """The prompt comes back at once; a held chunk and the relay's end are printed as they happen."""
    await repl.run_line("socketpair c cli; socketpair up s", "new socket up, s")
    await repl.run_line("relay cli up hold", "running in the background")
    await repl.run_line("send c ping", "= 4")
    await repl.wait_for("held 4 bytes cli -> up", timeout=10)
    await repl.run_line("forward", "forwarded 4 bytes cli -> up")
    await repl.run_line("recv s", 'data "ping"')
    await repl.run_line("relay cli up stop", "relay 1 ended")
