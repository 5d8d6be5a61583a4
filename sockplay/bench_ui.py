"""How fast the app answers keys while a `count=` drain runs under a full-speed UDP flood.

The app runs headless (Textual's test driver: the whole app, its compositor and
threads, without a terminal). A separate process floods a UDP socket of the
app's as fast as it can; the REPL drains it with `recvmsg fu count=N`. Keys are
then posted the way the terminal driver posts them, one every 100 ms, and the
latency of each is the time until the command line shows it. The figure is the
median and the worst of those latencies.

Entry point for `make bench`: `ui_latency()` returns the figures as a dict;
`main()` prints them as `ui key latency median N ms (p90 N ms, max N ms, ...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
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
        finally:
            flooder.kill()
            flooder.wait()
            app.pg.cancel()
            with contextlib.suppress(Exception):
                app.pg.close("fu")
    ms = sorted(x * 1000 for x in latencies)
    return {
        "median_ms": statistics.median(ms),
        "p90_ms": ms[int(len(ms) * 0.9) - 1] if len(ms) >= 10 else ms[-1],
        "max_ms": ms[-1],
        "keys": keys,
        "events_during": drained,
    }


def ui_latency(keys: int = 30, drain: int = 10_000_000, warmup: float = 1.0, key_timeout: float = 20.0,
               progress: bool = False) -> dict[str, Any]:
    """Key latency figures (milliseconds) while a count= drain runs under a full-speed UDP flood.

    A key not answered within `key_timeout` seconds counts as infinitely late.
    """
    return asyncio.run(_measure(keys, drain, warmup, key_timeout, progress))


def main() -> None:
    r = ui_latency()
    print(f"ui key latency median {r['median_ms']:.0f} ms (p90 {r['p90_ms']:.0f} ms, max {r['max_ms']:.0f} ms, "
          f"{r['keys']} keys, {r['events_during']} events drained meanwhile)")


if __name__ == "__main__":
    main()
