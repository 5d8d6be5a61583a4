"""How fast the app answers keys while a `count=` drain runs under a full-speed UDP flood.

The app runs headless (Textual's test driver: the whole app, its compositor and
threads, without a terminal). A separate process floods a UDP socket of the
app's as fast as it can; the REPL drains it with `recvmsg fu count=N`. Keys are
then posted the way the terminal driver posts them, one every 100 ms, and the
latency of each is the time until the command line shows it. The figure is the
median and the worst of those latencies.

`ui_latency_tmux()` does the same with the real program in a real terminal
(tmux, 120x40): keys go in by `tmux send-keys`, and a key's latency is the time
until `tmux capture-pane` shows it, so it includes the terminal's side (tmux
reading the app's output, our polling of the screen). The same figure with no
flood is its floor on this machine.

Entry point for `make bench`: `ui_latency()` returns the figures as a dict;
`main()` prints them as `ui key latency median N ms (p90 N ms, max N ms, ...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

FLOODER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
payload = b"x" * 64
send = s.send
while True:
    try:
        send(payload)
    except OSError:
        pass
"""


async def _wait(pred: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def _measure(keys: int, drain: int, warmup: float, key_timeout: float, progress: bool) -> dict[str, Any]:
    from textual import events

    from sockplay.tui.app import AppOptions, SockplayApp

    app = SockplayApp(AppOptions(empty=True, history_file=""))
    flooder: subprocess.Popen[bytes] | None = None
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)):
        for line in ("socket fu inet dgram", "bind fu 127.0.0.1:0"):
            app.run_command(line)
        await _wait(lambda: "fu" in app.pg.sockets and app.pg.get("fu").getsockname()[1] != 0, 30)
        if progress:
            print("socket ready", file=sys.stderr)
        port = app.pg.get("fu").getsockname()[1]
        flooder = subprocess.Popen([sys.executable, "-c", FLOODER, str(port)])
        try:
            start_seq = app.pg.journal.last_seq
            app.run_command(f"recvmsg fu count={drain}")
            drain_start = time.monotonic()
            await asyncio.sleep(warmup)
            cmdline = app.repl.command_line
            cmdline.focus()
            await asyncio.sleep(0.05)
            for _ in range(keys):
                before = len(cmdline.value)
                t0 = time.perf_counter()
                app.post_message(events.Key("x", "x"))
                answered = await _wait(lambda b=before: len(cmdline.value) > b, key_timeout)
                latencies.append(time.perf_counter() - t0 if answered else float("inf"))
                if progress:
                    print(f"key {len(latencies)}: {latencies[-1] * 1000:.0f} ms", file=sys.stderr)
                await asyncio.sleep(0.1)
            drained = app.pg.journal.last_seq - start_seq
            drain_secs = time.monotonic() - drain_start
        finally:
            flooder.kill()
            flooder.wait()
            app.pg.cancel()
            with contextlib.suppress(Exception):
                app.pg.close("fu")
    return {**_figures(latencies), "keys": keys, "events_during": drained,
            "events_per_s": drained / drain_secs if drain_secs > 0 else 0.0}


def _figures(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "median_ms": statistics.median(ms),
        "p90_ms": ms[int(len(ms) * 0.9) - 1] if len(ms) >= 10 else ms[-1],
        "max_ms": ms[-1],
    }


def ui_latency(keys: int = 30, drain: int = 10_000_000, warmup: float = 1.0, key_timeout: float = 20.0,
               progress: bool = False) -> dict[str, Any]:
    """Key latency figures (milliseconds) while a count= drain runs under a full-speed UDP flood.

    A key not answered within `key_timeout` seconds counts as infinitely late.
    """
    return asyncio.run(_measure(keys, drain, warmup, key_timeout, progress))


class _Tmux:
    """A private tmux server (its own socket) with one 120x40 session running `command`."""

    def __init__(self, command: str) -> None:
        self.server = f"sockplay-bench-{uuid.uuid4().hex[:8]}"
        self.tmux("new-session", "-d", "-s", "b", "-x", "120", "-y", "40", command)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null", *args], check=True,
                              capture_output=True, text=True, timeout=20).stdout

    def send(self, text: str, enter: bool = False) -> None:
        self.tmux("send-keys", "-t", "b", "-l", text)
        if enter:
            self.tmux("send-keys", "-t", "b", "Enter")

    def wait(self, pattern: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            if rx.search(self.tmux("capture-pane", "-p", "-t", "b")):
                return True
            time.sleep(0.005)
        return False

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True, timeout=20)


def ui_latency_tmux(keys: int = 30, drain: int = 10_000_000, warmup: float = 1.0, key_timeout: float = 20.0,
                    flood: bool = True) -> dict[str, Any]:
    """Key latency figures (milliseconds) of the real app in tmux while a count= drain runs under a flood.

    `flood=False`: the same drain waits in recvmsg with nothing sent (the measuring floor).
    Returns {"skipped": why} when tmux is not installed.
    """
    if shutil.which("tmux") is None:
        return {"skipped": "tmux is not installed"}
    home = tempfile.mkdtemp(prefix="sockplay-bench-tmux-")
    env = (f"env -u SOCKPLAY_FROZEN -u COLUMNS -u LINES TERM=xterm-256color XDG_STATE_HOME={shlex.quote(home)}/state "
           f"XDG_CONFIG_HOME={shlex.quote(home)}/config")
    t = _Tmux(f"cd {shlex.quote(home)} && {env} {shlex.quote(sys.executable)} -m sockplay --empty")
    flooder: subprocess.Popen[bytes] | None = None
    latencies: list[float] = []
    try:
        if not t.wait(r"REPL", 60):
            return {"skipped": "the app did not start in tmux within 60 s"}
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        t.send(f"socket fu inet dgram; bind fu 127.0.0.1:{port}", enter=True)
        if not t.wait(rf"127\.0\.0\.1:{port}\b", 30):
            return {"skipped": "the app did not bind the socket within 30 s"}
        if flood:
            flooder = subprocess.Popen([sys.executable, "-c", FLOODER, str(port)])
        t.send(f"recvmsg fu count={drain}", enter=True)
        time.sleep(warmup)
        t.send("echo ")
        t.wait(r"echo ", key_timeout)
        for i in range(1, keys + 1):
            t0 = time.perf_counter()
            t.send("x")
            answered = t.wait(rf"echo x{{{i}}}(?!x)", key_timeout)
            latencies.append(time.perf_counter() - t0 if answered else float("inf"))
            time.sleep(0.1)
    finally:
        if flooder is not None:
            flooder.kill()
            flooder.wait()
        t.kill()
        shutil.rmtree(home, ignore_errors=True)
    return {**_figures(latencies), "keys": keys}


def report() -> list[str]:
    """The lines `make bench` prints: headless, then the real terminal with and without the flood."""
    r = ui_latency()
    lines = [f"ui key latency median {r['median_ms']:.0f} ms (p90 {r['p90_ms']:.0f} ms, max {r['max_ms']:.0f} ms, "
             f"{r['keys']} keys during a count= drain of a full-speed flood, {r['events_per_s']:,.0f} events/s "
             "drained meanwhile)"]
    t = ui_latency_tmux()
    if "skipped" in t:
        lines.append(f"  in tmux: not measured ({t['skipped']})")
    else:
        floor = ui_latency_tmux(keys=10, flood=False)
        base = f"; {floor['median_ms']:.0f} ms with no flood (the floor)" if "skipped" not in floor else ""
        lines.append(f"  in tmux (the real terminal, screen read back): median {t['median_ms']:.0f} ms "
                     f"(p90 {t['p90_ms']:.0f} ms, max {t['max_ms']:.0f} ms){base}")
    return lines


def main() -> None:
    print("\n".join(report()))


if __name__ == "__main__":
    main()
