"""The readiness watcher reports changes on real sockets; blocking calls show as pending."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from sockplay.core import Event, Playground

WAIT = 5.0  # generous: only a synchronisation limit, never a speed assertion


def wait_event(pg: Playground, pred: Callable[[Event], bool], after: int = 0) -> Event:
    """The first event after seq `after` matching `pred` (waits up to WAIT seconds for it)."""
    deadline = time.monotonic() + WAIT
    while True:
        for e in pg.journal.since(after):
            if pred(e):
                return e
        if time.monotonic() > deadline:
            raise AssertionError(f"no matching event; last events: {pg.journal.since(after)[-5:]}")
        time.sleep(0.01)


def ready(name: str, *added: str) -> Callable[[Event], bool]:
    return lambda e: e.kind == "ready" and e.sock == name and all(a in e.added for a in added)


def tcp_pair(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    pg.socket("c", "inet", "stream")
    assert pg.connect("c", "l").ok
    assert pg.accept("l", "s").ok


def test_new_socket_first_state_is_reported_as_added(pg: Playground) -> None:
    pg.start_watcher()
    seq = pg.journal.last_seq
    pg.socket("u", "inet", "dgram")
    e = wait_event(pg, ready("u", "POLLOUT"), seq)
    assert e.events == ["POLLOUT"] and e.removed == []
    # The call that created it comes first in the journal.
    kinds = [(x.kind, x.sock) for x in pg.journal.since(seq)]
    assert kinds.index(("call", "u")) < kinds.index(("ready", "u"))
    assert e.to_json()["added"] == ["POLLOUT"]


def test_peer_shutdown_wr_adds_pollin_and_pollrdhup(pg: Playground) -> None:
    tcp_pair(pg)
    pg.start_watcher()
    wait_event(pg, ready("s", "POLLOUT"))
    seq = pg.journal.last_seq
    pg.shutdown("c", "wr")
    e = wait_event(pg, ready("s", "POLLIN", "POLLRDHUP"), seq)
    assert "POLLHUP" not in e.events  # a FIN alone is not a hangup


def test_linger_zero_close_gives_the_peer_err_and_hup(pg: Playground) -> None:
    tcp_pair(pg)
    pg.start_watcher()
    wait_event(pg, ready("s", "POLLOUT"))
    seq = pg.journal.last_seq
    assert pg.setsockopt("c", "SO_LINGER", "on,0").ok
    pg.close("c")
    e = wait_event(pg, ready("s", "POLLERR", "POLLHUP"), seq)
    assert "POLLIN" in e.events
    # The watcher never reads SO_ERROR: the reset is still there for the person to see.
    assert pg.recv("s", 10).errno == "ECONNRESET"


def test_urgent_data_shows_pollpri(pg: Playground) -> None:
    tcp_pair(pg)
    pg.start_watcher()
    wait_event(pg, ready("s", "POLLOUT"))
    seq = pg.journal.last_seq
    assert pg.send("c", b"!", flags=["oob"]).ok
    wait_event(pg, ready("s", "POLLPRI"), seq)


def test_removed_bits_after_draining_and_no_spinning_while_readable(pg: Playground) -> None:
    pg.socketpair("a", "b")
    w = pg.start_watcher()
    wait_event(pg, ready("b", "POLLOUT"))
    seq = pg.journal.last_seq
    pg.send("a", b"data")
    wait_event(pg, ready("b", "POLLIN"), seq)
    # b stays readable: level-triggered poll would wake the watcher without end.
    before = w.wakeups
    time.sleep(0.5)
    assert w.wakeups - before < 25
    seq = pg.journal.last_seq
    assert pg.recv("b", 10).data == b"data"
    e = wait_event(pg, lambda e: e.kind == "ready" and e.sock == "b" and "POLLIN" in e.removed, seq)
    assert e.events == ["POLLOUT"]


def test_watch_mask_limits_the_bits_reported(pg: Playground) -> None:
    pg.socketpair("a", "b")
    assert pg.watch("b", ["in"]) == ["POLLIN"]
    pg.start_watcher()
    seq = pg.journal.last_seq
    pg.send("a", b"x")
    e = wait_event(pg, ready("b", "POLLIN"), seq)
    assert e.events == ["POLLIN"]
    assert not any(x.kind == "ready" and x.sock == "b" and "POLLOUT" in x.events for x in pg.journal.snapshot())


def test_sockets_opened_and_closed_while_running(pg: Playground) -> None:
    w = pg.start_watcher()
    pg.socket("u", "inet", "dgram")
    wait_event(pg, ready("u", "POLLOUT"))
    fd = pg.sockets["u"].fileno()
    pg.close("u")
    seq = pg.journal.last_seq
    pg.socket("v", "inet", "dgram")  # very likely reuses u's fd number
    assert pg.sockets["v"].fileno() == fd
    wait_event(pg, ready("v", "POLLOUT"), seq)
    assert not [e for e in pg.journal.since(seq) if e.kind == "ready" and e.sock == "u"]
    assert w.state("u") is None and w.state("v") == ["POLLOUT"]


def test_close_all_stops_the_watcher() -> None:
    pg = Playground(watch=True)
    w = pg.watcher
    assert w is not None and w.running
    pg.socket("u", "inet", "dgram")
    pg.close_all()
    assert pg.watcher is None and not w._thread.is_alive()


# ---------------------------------------------------------------- pending calls
def run_in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list]:
    box: list = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    return t, box


def wait_pending(pg: Playground, name: str) -> None:
    deadline = time.monotonic() + WAIT
    while name not in pg.pending():
        assert time.monotonic() < deadline, "the call never became pending"
        time.sleep(0.01)


def test_blocking_accept_is_pending_then_cancelled(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    seq = pg.journal.last_seq
    t, box = run_in_thread(lambda: pg.accept("l"))
    wait_pending(pg, "l")
    assert pg.cancel("l") == 1
    t.join(WAIT)
    out = box[0]
    assert out.errno == "EINTR" and out.syscall == "accept"
    kinds = [(e.kind, e.sock) for e in pg.journal.since(seq)]
    assert kinds == [("pending", "l"), ("signal", "l"), ("call", "l")]


def test_blocking_recvmsg_is_pending_until_data_arrives(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    pg.socket("v", "inet", "dgram")
    seq = pg.journal.last_seq
    t, box = run_in_thread(lambda: pg.recvmsg("u", 64))
    wait_pending(pg, "u")
    assert pg.sendto("v", "u", b"wake up").ok
    t.join(WAIT)
    assert box[0].ok and box[0].data == b"wake up"
    evs = [e for e in pg.journal.since(seq) if e.sock == "u"]
    assert [e.kind for e in evs] == ["pending", "call"]
    assert evs[0].syscall == "recvmsg"


def test_blocking_recv_and_connect_pending_then_cancelled(pg: Playground) -> None:
    pg.socketpair("a", "b")
    t, box = run_in_thread(lambda: pg.recv("b", 10))
    wait_pending(pg, "b")
    pg.cancel("b")
    t.join(WAIT)
    assert box[0].errno == "EINTR"
    # A listener with backlog 0 and one queued connection drops the next SYN: connect waits.
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l", 0)
    first = socket.create_connection(pg.get("l").getsockname())
    try:
        pg.socket("c", "inet", "stream")
        seq = pg.journal.last_seq
        t, box = run_in_thread(lambda: pg.connect("c", "l"))
        wait_pending(pg, "c")
        pg.close("c")  # closing a socket wakes the call waiting on it
        t.join(WAIT)
        assert box[0].errno == "EINTR" and "closed" in box[0].error
        assert [e.kind for e in pg.journal.since(seq) if e.sock == "c"][:3] == ["pending", "signal", "call"]
    finally:
        first.close()


def test_close_takes_effect_at_once_while_the_watcher_polls() -> None:
    """poll() holds a reference to the file: a listener closed while the watcher polls it
    would keep its port until the poll returned. The port must be free right after close."""
    import socket as _socket

    probe = _socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    pg = Playground(watch=True)
    try:
        for i in range(10):
            name = f"l{i}"
            assert pg.socket(name, "inet", "stream").ok
            out = pg.bind(name, f"127.0.0.1:{port}")
            assert out.ok, f"round {i}: {out.errno}: the previous listener still held the port"
            assert pg.listen(name).ok
            time.sleep(0.05)  # the watcher is now inside poll() with the listener in its set
            assert pg.close(name).ok
    finally:
        pg.close_all()
