"""SIGIO and SIGURG become signal events naming the sockets they are about."""

from __future__ import annotations

import signal
import threading
import time

from sockplay.core import Event, Playground, signals

WAIT = 5.0  # a synchronisation limit, not a speed assertion


def wait_signal(pg: Playground, name: str, after: int) -> Event:
    deadline = time.monotonic() + WAIT
    while True:
        for e in pg.journal.since(after):
            if e.kind == "signal" and e.signal == name:
                return e
        assert time.monotonic() < deadline, f"no {name} event; got {pg.journal.since(after)[-5:]}"
        time.sleep(0.01)


def test_sigio_arrives_for_a_socket_with_o_async(pg: Playground) -> None:
    assert signals.caught("SIGIO")
    pg.socketpair("a", "b")
    pg.socketpair("x", "y")  # not async: must not be named
    assert pg.fcntl("b", "setown").ok
    out = pg.fcntl("b", "async", True)
    assert out.ok and not out.notes  # the signal is caught: no warning
    assert "O_ASYNC" in pg.fcntl("b", "getfl").value
    seq = pg.journal.last_seq
    pg.send("a", b"ping")
    pg.send("x", b"other")
    e = wait_signal(pg, "SIGIO", seq)
    assert e.socks == ["b"] and e.sock == "b"
    assert "POLLIN" in e.states["b"]
    assert e.to_json()["socks"] == ["b"]


def test_fioasync_and_siocspgrp_then_sigurg_for_urgent_data(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    pg.socket("c", "inet", "stream")
    pg.connect("c", "l")
    pg.accept("l", "s")
    assert pg.ioctl("s", "SIOCSPGRP").ok
    assert pg.ioctl("s", "SIOCGPGRP").value == pg.pid
    assert pg.ioctl("s", "FIOASYNC", 1).ok
    seq = pg.journal.last_seq
    pg.send("c", b"!", flags=["oob"])
    e = wait_signal(pg, "SIGURG", seq)
    assert e.socks == ["s"] and "POLLPRI" in e.states["s"]
    wait_signal(pg, "SIGIO", seq)


def test_sigio_while_the_main_thread_waits_and_a_worker_drives_the_playground(pg: Playground) -> None:
    """The shape of the TUI: the main thread sits in its event loop; calls run in a worker."""
    done = threading.Event()
    found: list[Event] = []

    def worker() -> None:
        pg.socketpair("a", "b")
        pg.fcntl("b", "setown")
        pg.fcntl("b", "async", "on")
        seq = pg.journal.last_seq
        pg.send("a", b"from a worker")
        try:
            found.append(wait_signal(pg, "SIGIO", seq))
        finally:
            done.set()

    threading.Thread(target=worker, daemon=True).start()
    assert done.wait(WAIT + 1)  # the handler runs in this (main) thread while it waits here
    assert found and found[0].socks == ["b"]


def test_host_signal_handling_is_left_alone() -> None:
    """The host's SIGINT handler, whatever it is, survives a playground's life (an earlier
    asyncio test may have left its own there, so the test sets one of its own first)."""

    def host_handler(signum: int, frame: object) -> None:
        pass

    old = signal.signal(signal.SIGINT, host_handler)
    pg = Playground()
    try:
        pg.socketpair("a", "b")
        pg.send("a", b"x")
        pg.recv("b", 1)
        assert signal.getsignal(signal.SIGINT) is host_handler
        assert not signal.pthread_sigmask(signal.SIG_BLOCK, []) & {signal.SIGIO, signal.SIGURG, signal.SIGINT}
        assert signals.status()["SIGIO"] == "caught"
    finally:
        pg.close_all()
        signal.signal(signal.SIGINT, old)
