"""Blocking calls block in the kernel: the kernel does the timing, a signal does the cancelling.

- SO_RCVTIMEO is the kernel's: one recvfrom (one accept4) that returns EAGAIN after the
  timeout, and no poll of the socket on the calling thread (checked with strace).
- Cancelling sends the cancel signal to the waiting thread: the call returns EINTR, as the
  kernel reports it, promptly (bound: 2 s on a loaded machine), and the socket still works.
- Flags whose kernel semantics never wait get the kernel's answer at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sockplay.core import Playground, blocking
from tests.fidelity import stracecmp

ROOT = Path(__file__).resolve().parents[2]
PROMPT = 2.0  # seconds: the issue asks for 100 ms; the loaded CI machine gets room (figures in the README)


@pytest.fixture
def pg() -> Iterator[Playground]:
    p = Playground()
    yield p
    p.close_all()


def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list]:
    box: list = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    return t, box


def wait_pending(pg: Playground, name: str) -> None:
    deadline = time.monotonic() + 10
    while name not in pg.pending():
        assert time.monotonic() < deadline, f"the call on {name} never waited"
        time.sleep(0.005)


def cancel_and_time(pg: Playground, name: str, t: threading.Thread) -> float:
    t0 = time.monotonic()
    assert pg.cancel(name) == 1
    t.join(PROMPT + 3)
    took = time.monotonic() - t0
    assert not t.is_alive(), f"the call on {name} did not return after the cancel signal"
    return took


def assert_eintr(pg: Playground, out, name: str, took: float) -> None:
    assert out.errno == "EINTR", out
    assert took < PROMPT, f"EINTR took {took:.3f} s"
    trace = out.trace.splitlines()
    assert any("= -1 EINTR" in line for line in trace)
    sig = [e for e in pg.journal.snapshot() if e.kind == "signal" and e.sock == name]
    assert sig and sig[-1].signal == blocking.name() and sig[-1].signal.startswith("SIGRTMIN+")


# ---------------------------------------------------------------- cancel each blocking kind
def test_cancel_recv_then_the_socket_still_works(pg: Playground) -> None:
    pg.socketpair("a", "b")
    t, box = in_thread(lambda: pg.recv("b", 10))
    wait_pending(pg, "b")
    took = cancel_and_time(pg, "b", t)
    assert_eintr(pg, box[0], "b", took)
    assert box[0].trace.startswith("recvfrom(") and "\n" not in box[0].trace  # one syscall, one line
    pg.send("a", b"after")
    assert pg.recv("b", 10).data == b"after"


def test_cancel_recvmsg_on_a_datagram_socket(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    t, box = in_thread(lambda: pg.recvmsg("u", 64))
    wait_pending(pg, "u")
    took = cancel_and_time(pg, "u", t)
    assert_eintr(pg, box[0], "u", took)
    assert box[0].trace.startswith("recvmsg(") and box[0].trace.endswith(", 0) = -1 EINTR (Interrupted system call)")
    pg.socket("v", "inet", "dgram")
    pg.sendto("v", "u", b"still here")
    assert pg.recvmsg("u", 64).data == b"still here"


def test_cancel_send_into_a_full_buffer(pg: Playground) -> None:
    pg.socketpair("a", "b")
    pg.setsockopt("a", "SO_SNDBUF", 4096)
    while pg.send("a", b"x" * 4096, flags=["dontwait"]).ok:
        pass
    t, box = in_thread(lambda: pg.send("a", b"y" * 4096))
    wait_pending(pg, "a")
    took = cancel_and_time(pg, "a", t)
    out = box[0]
    assert out.errno == "EINTR" or (out.ok and out.ret < 4096), out  # a partial send is the kernel's answer too
    if out.errno:
        assert_eintr(pg, out, "a", took)
    while pg.recv("b", 65536, flags=["dontwait"]).ok:
        pass
    assert pg.send("a", b"z").ret == 1


def test_cancel_accept_then_accept_works(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    t, box = in_thread(lambda: pg.accept("l"))
    wait_pending(pg, "l")
    took = cancel_and_time(pg, "l", t)
    assert_eintr(pg, box[0], "l", took)
    assert box[0].trace.startswith("accept4(") and "SOCK_CLOEXEC" in box[0].trace
    pg.socket("c", "inet", "stream")
    assert pg.connect("c", "l").ok
    assert pg.accept("l").ok


def test_cancel_connect_to_a_full_backlog(pg: Playground) -> None:
    # A listener with backlog 0 and one queued connection drops further SYNs: a blackhole on loopback.
    import socket

    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l", 0)
    first = socket.create_connection(pg.get("l").getsockname())
    try:
        pg.socket("c", "inet", "stream")
        t, box = in_thread(lambda: pg.connect("c", "l"))
        wait_pending(pg, "c")
        took = cancel_and_time(pg, "c", t)
        assert_eintr(pg, box[0], "c", took)
        assert "\n" not in box[0].trace and box[0].trace.startswith("connect(")
        # still usable: the attempt goes on in the background; SO_ERROR can be read, the socket closed
        assert pg.getsockopt("c", "SO_ERROR").ok
    finally:
        first.close()


def test_cancel_poll_then_poll_again(pg: Playground) -> None:
    pg.socketpair("a", "b")
    t, box = in_thread(lambda: pg.poll(["b"], timeout=-1, events=["POLLIN"]))
    wait_pending(pg, "b")
    took = cancel_and_time(pg, "b", t)
    assert_eintr(pg, box[0], "b", took)
    assert box[0].trace.startswith("poll([{fd=") and ", 1, -1) = -1 EINTR" in box[0].trace  # only the fd named
    pg.send("a", b"x")
    assert pg.poll(["b"], timeout=0, events=["POLLIN"]).value == {"b": ["POLLIN"]}


def test_close_from_another_command_interrupts_the_waiting_call(pg: Playground) -> None:
    pg.socketpair("a", "b")
    t, box = in_thread(lambda: pg.recv("b", 10))
    wait_pending(pg, "b")
    assert pg.close("b").ok
    t.join(PROMPT + 3)
    assert box[0].errno == "EINTR" and "closed" in box[0].error


# ---------------------------------------------------------------- no waits the kernel would not make
@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_recv_oob_with_nothing_urgent_answers_at_once(pg: Playground, kind: str) -> None:
    if kind == "tcp":
        pg.socket("l", "inet", "stream")
        pg.bind("l", "127.0.0.1:0")
        pg.listen("l")
        pg.socket("a", "inet", "stream")
        pg.connect("a", "l")
        pg.accept("l", "b")
    else:
        pg.socketpair("a", "b")
    for call in (lambda: pg.recv("b", 1, flags=["oob"]), lambda: pg.recvmsg("b", 1, flags=["oob"])):
        t, box = in_thread(call)
        t.join(1.0)
        if t.is_alive():
            pg.cancel("b")
            t.join(3)
            pytest.fail("MSG_OOB with nothing urgent waited")
        assert box[0].errno == "EINVAL", box[0]


def test_recv_errqueue_on_empty_queue_answers_eagain_at_once(pg: Playground) -> None:
    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l")
    pg.socket("a", "inet", "stream")
    pg.connect("a", "l")
    for call in (lambda: pg.recv("a", 10, flags=["errqueue"]), lambda: pg.recvmsg("a", 10, flags=["errqueue"])):
        t, box = in_thread(call)
        t.join(1.0)
        if t.is_alive():
            pg.cancel("a")
            t.join(3)
            pytest.fail("MSG_ERRQUEUE with an empty queue waited")
        assert box[0].errno == "EAGAIN", box[0]
        assert "MSG_ERRQUEUE" in box[0].trace and "MSG_DONTWAIT" not in box[0].trace


def test_negative_rcvtimeo_goes_to_the_kernel(pg: Playground) -> None:
    pg.socketpair("a", "b")
    out = pg.setsockopt("b", "SO_RCVTIMEO", -1)
    assert out.ok and out.value == 0  # the kernel accepts it and stores "no timeout"
    assert "{tv_sec=-1, tv_usec=0}" in out.trace_lines[0][1]
    bad = pg.setsockopt("b", "SO_RCVTIMEO", (0, 1_000_000))
    assert bad.errno == "EDOM"  # tv_usec out of range: the kernel says so


def test_timeout_argument_is_the_kernels_sndtimeo_around_connect(pg: Playground) -> None:
    import socket

    pg.socket("l", "inet", "stream")
    pg.bind("l", "127.0.0.1:0")
    pg.listen("l", 0)
    first = socket.create_connection(pg.get("l").getsockname())
    try:
        pg.socket("c", "inet", "stream")
        t0 = time.monotonic()
        out = pg.connect("c", "l", timeout=0.2)
        took = time.monotonic() - t0
        assert out.errno == "EINPROGRESS" and took >= 0.19
        lines = out.trace_lines
        assert [o for o, _ in lines] == ["engine", "user", "engine"]
        assert "SO_SNDTIMEO, {tv_sec=0, tv_usec=200000}" in lines[0][1]
        assert lines[1][1].startswith("connect(") and "SO_SNDTIMEO, {tv_sec=0, tv_usec=0}" in lines[2][1]
    finally:
        first.close()


# ---------------------------------------------------------------- the kernel does the timing (strace)
_TIMED = textwrap.dedent("""
    import json, sys, time
    from sockplay.core import Playground
    pg = Playground()
    kind = sys.argv[1]
    if kind == "recv":
        pg.socketpair("a", "b")
        name, call = "b", lambda: pg.recv("b", 10)
    else:
        pg.socket("b", "inet", "stream"); pg.bind("b", "127.0.0.1:0"); pg.listen("b")
        name, call = "b", lambda: pg.accept("b")
    pg.setsockopt(name, "SO_RCVTIMEO", 0.2)
    t0 = time.monotonic()
    out = call()
    took = time.monotonic() - t0
    print(json.dumps({"errno": out.errno, "took": took, "fd": pg.sockets[name].fileno(), "trace": out.trace}))
    pg.close_all()
""")


@pytest.mark.skipif(not stracecmp.strace_available(), reason="strace is not installed (apt-get install strace)")
@pytest.mark.parametrize("kind,syscall", [("recv", "recvfrom"), ("accept", "accept4")])
def test_rcvtimeo_is_the_kernels_one_call_no_poll(kind: str, syscall: str, tmp_path: Path) -> None:
    log = tmp_path / "st"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-y", "-e", "trace=%net,%desc", "-o", str(log), sys.executable, "-c", _TIMED, kind],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["errno"] == "EAGAIN" and res["took"] >= 0.2
    seen = stracecmp.parse_strace(log.read_text())
    main = seen[0].tid
    fd = str(res["fd"])
    on_fd = [c for c in seen if c.tid == main and (c.fd == fd or (c.name in stracecmp.POLLS and f"fd={fd}<" in c.text))]
    after = on_fd[[i for i, c in enumerate(on_fd) if c.name == "setsockopt"][-1] + 1:]
    # the read-back of setsockopt, then the one blocking call, then the close at the end
    assert [c.name for c in after] == ["getsockopt", syscall, "close"], [c.text for c in after]
    assert after[1].result == "EAGAIN"
    assert not any(c.name in stracecmp.POLLS for c in on_fd)


def measure(n: int = 30) -> str:
    """How long cancel() takes to turn a waiting recv into EINTR (the README's figure)."""
    import statistics

    p = Playground()
    p.socketpair("a", "b")
    took = []
    for _ in range(n):
        t, box = in_thread(lambda: p.recv("b", 10))
        wait_pending(p, "b")
        t0 = time.monotonic()
        p.cancel("b")
        t.join(5)
        took.append(time.monotonic() - t0)
        assert box[0].errno == "EINTR"
    p.close_all()
    return (f"recv cancelled -> EINTR: median {statistics.median(took) * 1000:.2f} ms, "
            f"max {max(took) * 1000:.2f} ms over {n}")


if __name__ == "__main__":
    print(measure())


# ---------------------------------------------------------------- marks in the trace
def test_engine_and_app_lines_are_marked_in_trace_and_json(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    out = pg.bind("u", "127.0.0.1:0")
    assert [o for o, _ in out.trace_lines] == ["user", "engine"]
    first, second = out.trace.split("\n")
    assert first.startswith("bind(") and second.startswith("[engine] getsockname(")
    ev = [e for e in pg.journal.snapshot() if e.kind == "call" and e.outcome is out][0].to_json()
    assert ev["trace"] == out.trace
    assert ev["trace_lines"] == [{"origin": "user", "line": first}, {"origin": "engine", "line": second[9:]}]
    with pg.app_context():
        read = pg.getsockopt("u", "SO_RCVBUF")
    assert read.trace.startswith("[app] getsockopt(") and read.trace_lines[0][0] == "app"
    plain = pg.getsockopt("u", "SO_RCVBUF")
    assert plain.trace.startswith("getsockopt(") and "trace_lines" not in [
        e for e in pg.journal.snapshot() if e.outcome is plain][0].to_json()
