"""The engine's calls on real sockets: loopback, socketpairs and unix paths."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from sockplay.core import Playground, UsageError


def tcp_pair(pg: Playground) -> None:
    """s listens on loopback, c connects, a1 is the accepted end."""
    assert pg.socket("s", "inet", "stream").ok
    assert pg.bind("s", "127.0.0.1:0").ok
    assert pg.listen("s", 16).ok
    assert pg.socket("c", "inet", "stream").ok
    assert pg.connect("c", "s").ok
    out = pg.accept("s")
    assert out.ok and out.new_sockets == ["a1"]


def test_peek_off_example_from_socket7(pg: Playground) -> None:
    pg.socketpair("a", "b", family="unix", type="stream")
    assert pg.send("a", b"aabbccddeeff").ret == 12
    assert pg.setsockopt("b", "SO_PEEK_OFF", 4).ok
    got = [pg.recv("b", 2, flags=f).data for f in (["peek"], ["peek"], [], ["peek"])]
    assert got == [b"cc", b"dd", b"aa", b"ee"]


def test_outcome_fields_and_trace(pg: Playground) -> None:
    pg.socketpair("a", "b")
    pg.send("a", b"hello")
    out = pg.recv("b", 2, flags=["MSG_PEEK"])
    assert (out.ret, out.errno, out.error, out.data, out.peeked) == (2, None, None, b"he", True)
    fd = pg.sockets["b"].fileno()
    assert out.trace == f'recvfrom({fd}, "he", 2, MSG_PEEK, NULL, NULL) = 2'


def test_rcvbuf_reads_back_doubled(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    out = pg.setsockopt("u", "SO_RCVBUF", 4096)
    assert out.ok and out.value == 8192
    assert pg.getsockopt("u", "rcvbuf").value == 8192
    assert out.trace_lines[0] == ("user", f"setsockopt({pg.sockets['u'].fileno()}, SOL_SOCKET, SO_RCVBUF, [4096], 4) = 0")
    assert out.trace_lines[1][0] == "engine" and "SO_RCVBUF, [8192], [4]) = 0" in out.trace_lines[1][1]
    assert out.trace.splitlines()[1].startswith("[engine] getsockopt(")


def test_linger_zero_close_resets_peer(pg: Playground) -> None:
    tcp_pair(pg)
    assert pg.setsockopt("c", "SO_LINGER", "on,0").ok
    assert pg.getsockopt("c", "SO_LINGER").value == (1, 0)
    assert pg.close("c").ok
    out = pg.recv("a1", 10)
    assert out.errno == "ECONNRESET" and out.ret == -1
    assert out.error and "reset" in out.error.lower()
    assert "ECONNRESET (Connection reset by peer)" in out.trace


def test_nonblocking_connect_refused(pg: Playground) -> None:
    # find a closed port: bind, learn the port, close
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    pg.socket("n", "inet", "stream", nonblock=True)
    out = pg.connect("n", f"127.0.0.1:{port}")
    assert out.errno == "EINPROGRESS"
    assert pg.poll(["n"], timeout=1000).value["n"]  # something became ready
    assert pg.getsockopt("n", "SO_ERROR").value == "ECONNREFUSED"
    assert pg.getsockopt("n", "SO_ERROR").value == 0  # reading it clears it


def test_blocking_connect_refused_is_an_outcome(pg: Playground) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    pg.socket("c", "inet", "stream")
    out = pg.connect("c", f"127.0.0.1:{port}")
    assert out.errno == "ECONNREFUSED"
    assert not pg.get("c").nonblocking()  # the temporary O_NONBLOCK was undone


def test_read_only_option_refuses_set(pg: Playground) -> None:
    pg.socket("s", "inet", "stream")
    out = pg.setsockopt("s", "SO_TYPE", 2)
    assert out.errno == "ENOPROTOOPT"
    assert out.error and "SO_TYPE" in out.error


def test_unknown_names_raise_usage_error(pg: Playground) -> None:
    pg.socket("s1", "inet", "stream")
    with pytest.raises(UsageError, match="no socket named 's2'.*s1"):
        pg.recv("s2", 1)
    with pytest.raises(UsageError, match="unknown option.*SO_RCVBUF"):
        pg.getsockopt("s1", "SO_RCVBUFF")
    with pytest.raises(UsageError, match="already exists"):
        pg.socket("s1", "inet", "stream")
    with pytest.raises(UsageError, match="unknown family"):
        pg.socket("x", "inet7", "stream")
    with pytest.raises(UsageError, match="unknown flag"):
        pg.recv("s1", 1, flags=["peak"])
    with pytest.raises(UsageError, match="not a number"):
        pg.setsockopt("s1", "SO_RCVBUF", "lots")
    with pytest.raises(UsageError, match="port"):
        pg.bind("s1", "127.0.0.1")


def test_udp_sendto_recvfrom_and_addresses(pg: Playground) -> None:
    pg.socket("u1", "inet", "dgram")
    pg.bind("u1", "127.0.0.1:0")
    pg.socket("u2", "inet", "dgram")
    pg.bind("u2", "127.0.0.1:0")
    assert pg.sendto("u2", "u1", b"ping").ret == 4
    out = pg.recvfrom("u1", 100)
    assert out.data == b"ping"
    assert out.address == pg.getsockname("u2").value
    assert out.address.startswith("127.0.0.1:")


def test_msg_trunc_on_udp_reports_real_length(pg: Playground) -> None:
    pg.socket("u1", "inet", "dgram")
    pg.bind("u1", "127.0.0.1:0")
    pg.socket("u2", "inet", "dgram")
    pg.connect("u2", "u1")
    pg.send("u2", b"0123456789")
    out = pg.recv("u1", 4, flags=["trunc"])
    assert out.ret == 10 and out.data == b"0123"


def test_ipv6_and_unix_addresses(pg: Playground, tmp_path) -> None:
    pg.socket("v6", "inet6", "stream")
    assert pg.bind("v6", "[::1]:0").ok
    assert pg.getsockname("v6").value.startswith("[::1]:")
    path = tmp_path / "demo.sock"
    pg.socket("us", "unix", "stream")
    assert pg.bind("us", str(path)).ok and path.exists()
    pg.socket("ab", "unix", "dgram")
    assert pg.bind("ab", "@sockplay-test-abstract").ok
    assert pg.getsockname("ab").value == "@sockplay-test-abstract"
    pg.close_all()
    assert not path.exists()  # the playground removes the paths it created


def test_getpeername_and_shutdown(pg: Playground) -> None:
    tcp_pair(pg)
    assert pg.getpeername("c").value == pg.getsockname("s").value
    assert pg.shutdown("c", "wr").ok
    out = pg.recv("a1", 10)
    assert out.ret == 0 and out.data == b""
    out = pg.send("c", b"x", flags=["nosignal"])
    assert out.errno == "EPIPE"
    with pytest.raises(UsageError, match="rd, wr or rdwr"):
        pg.shutdown("c", "sideways")


def test_socket_flags_nonblock_and_fcntl(pg: Playground) -> None:
    out = pg.socket("n", "inet", "dgram", nonblock=True, cloexec=True)
    assert "SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC" in out.trace
    assert pg.get("n").nonblocking()
    assert pg.recv("n", 10).errno == "EAGAIN"
    assert pg.fcntl("n", "nonblock", False).ok
    assert not pg.get("n").nonblocking()
    assert pg.fcntl("n", "setown").value == os.getpid()
    assert pg.fcntl("n", "getown").value == os.getpid()
    assert pg.fcntl("n", "async", True).ok
    assert "O_ASYNC" in pg.fcntl("n", "getfl").value
    pg.fcntl("n", "async", False)
    with pytest.raises(UsageError, match="nonblock on|off"):
        pg.fcntl("n", "bogus")


def test_poll_one_shot(pg: Playground) -> None:
    pg.socketpair("a", "b")
    assert pg.poll(["b"]).value == {"b": ["POLLOUT"]}
    pg.send("a", b"x")
    assert pg.poll(["b"]).value == {"b": ["POLLIN", "POLLOUT"]}
    assert "poll([{fd=" in pg.poll(["b"]).trace


def test_oob_data(pg: Playground) -> None:
    tcp_pair(pg)
    pg.send("c", b"ab")
    pg.send("c", b"!", flags=["oob"])
    time.sleep(0.05)
    assert "POLLPRI" in pg.poll(["a1"]).value["a1"]
    assert pg.recv("a1", 1, flags=["oob"]).data == b"!"
    assert pg.recv("a1", 10).data == b"ab"
    assert pg.recv("a1", 1, flags=["oob", "dontwait"]).errno == "EINVAL"


def test_udp_oob_send_not_supported(pg: Playground) -> None:
    # UDP has no urgent data: sending MSG_OOB fails, while a receive simply ignores the flag.
    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    pg.socket("v", "inet", "dgram")
    pg.connect("v", "u")
    assert pg.send("v", b"x", flags=["oob"]).errno == "EOPNOTSUPP"
    pg.send("v", b"y")
    assert pg.recv("u", 1, flags=["oob"]).data == b"y"


def test_listen_errors_and_accept_nonblocking(pg: Playground) -> None:
    pg.socket("u", "inet", "dgram")
    assert pg.listen("u").errno == "EOPNOTSUPP"
    pg.socket("s", "inet", "stream", nonblock=True)
    pg.bind("s", "127.0.0.1:0")
    pg.listen("s")
    assert pg.accept("s").errno == "EAGAIN"
    pg.socket("t", "inet", "stream")
    assert pg.accept("t").errno == "EINVAL"


def test_bind_twice_in_use(pg: Playground) -> None:
    pg.socket("a", "inet", "stream")
    pg.bind("a", "127.0.0.1:0")
    pg.listen("a")
    port = pg.getsockname("a").value.split(":")[1]
    pg.socket("b", "inet", "stream")
    out = pg.bind("b", f"127.0.0.1:{port}")
    assert out.errno == "EADDRINUSE"
    assert out.error


def blocked_recv(pg: Playground) -> tuple[threading.Thread, dict]:
    """A pair a-b with a blocking `recv b 10` waiting in another thread."""
    pg.socketpair("a", "b")
    result: dict = {}
    t = threading.Thread(target=lambda: result.setdefault("out", pg.recv("b", 10)))
    t.start()
    for _ in range(500):
        if pg.pending():
            break
        time.sleep(0.01)
    assert pg.pending() == ["b"]
    return t, result


def test_blocking_recv_cancelled_by_another_thread(pg: Playground) -> None:
    t, result = blocked_recv(pg)
    assert pg.cancel("b") == 1
    t.join(5)
    assert not t.is_alive()
    assert result["out"].errno == "EINTR"
    kinds = [e.kind for e in pg.journal.snapshot() if e.sock == "b"]
    assert kinds[-3:] == ["pending", "signal", "call"]  # the signal event names the cancel signal
    # nothing was consumed: data sent afterwards is still all there
    pg.send("a", b"later")
    assert pg.recv("b", 10).data == b"later"


def test_blocking_recv_woken_by_close(pg: Playground) -> None:
    t, result = blocked_recv(pg)
    pg.close("b")
    t.join(5)
    assert result["out"].errno == "EINTR" and "closed" in result["out"].error


def test_blocking_recv_returns_when_data_arrives(pg: Playground) -> None:
    t, result = blocked_recv(pg)
    pg.send("a", b"hi")
    t.join(5)
    assert result["out"].data == b"hi"


def test_blocking_accept_with_timeout_and_rcvtimeo(pg: Playground) -> None:
    pg.socket("s", "inet", "stream")
    pg.bind("s", "127.0.0.1:0")
    pg.listen("s")
    assert pg.accept("s", timeout=0.05).errno == "EAGAIN"
    pg.socketpair("a", "b")
    pg.setsockopt("b", "SO_RCVTIMEO", "0.05")
    assert pg.recv("b", 10).errno == "EAGAIN"


def test_every_call_emits_one_call_event(pg: Playground) -> None:
    before = pg.journal.last_seq
    pg.socketpair("a", "b")
    pg.send("a", b"x")
    pg.recv("b", 1)
    pg.getsockopt("a", "SO_RCVBUF")
    events = [e for e in pg.journal.snapshot() if e.seq > before and e.kind == "call"]
    assert [e.outcome.syscall for e in events] == ["socketpair", "send", "recv", "getsockopt"]
    js = events[2].to_json()
    assert js["data"] == {"text": "x", "hex": "78"} and js["sock"] == "b" and js["kind"] == "call"


def test_command_context_labels_events(pg: Playground) -> None:
    with pg.command_context("socketpair a b"):
        pg.socketpair("a", "b")
    assert pg.journal.snapshot()[-1].command == "socketpair a b"


def test_info_for_views(pg: Playground) -> None:
    tcp_pair(pg)
    info = pg.info("c")
    assert info["family"] == "AF_INET" and info["type"] == "SOCK_STREAM"
    assert info["state"] == "ESTABLISHED" and info["peer"] == pg.getsockname("s").value
    assert pg.info("s")["state"] == "LISTEN"


def test_emfile_is_an_outcome(pg: Playground) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (used + 2, hard))
    try:
        outs = [pg.socket(f"x{i}", "inet", "dgram") for i in range(5)]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    bad = [o for o in outs if not o.ok]
    assert bad and bad[0].errno == "EMFILE"
    assert "x4" not in pg.sockets


def test_socket_name_of_another_family_is_a_usage_error(pg: Playground) -> None:
    pg.socket("t", "inet", "stream")
    pg.socket("u", "unix", "dgram")
    pg.bind("u", "@sockplay-family-test")
    with pytest.raises(UsageError, match="families must match"):
        pg.connect("t", "u")
    with pytest.raises(UsageError, match="families must match"):
        pg.sendto("u", "t", b"x")


def test_calls_that_cannot_wait_fail_at_once(pg: Playground) -> None:
    """accept on UDP or recv on a listener must not wait for readiness that never comes."""
    pg.socket("u", "inet", "dgram")
    assert pg.accept("u").errno == "EOPNOTSUPP"
    pg.socket("s", "inet", "stream")
    pg.bind("s", "127.0.0.1:0")
    pg.listen("s")
    assert pg.recv("s", 10).errno == "ENOTCONN"


def test_connect_twice_is_eisconn_like_a_blocking_connect(pg: Playground) -> None:
    tcp_pair(pg)
    out = pg.connect("c", "s")
    assert out.errno == "EISCONN"


def test_seqpacket_keeps_record_boundaries(pg: Playground) -> None:
    pg.socketpair("a", "b", family="unix", type="seqpacket")
    pg.send("a", b"one")
    pg.send("a", b"two")
    assert pg.recv("b", 100).data == b"one"
    assert pg.recv("b", 100).data == b"two"


@pytest.mark.skipif(os.geteuid() != 0, reason="raw and packet sockets need CAP_NET_RAW (run as root)")
def test_raw_and_packet_sockets_as_root(pg: Playground) -> None:
    out = pg.socket("r", "inet", "raw", "icmp")
    assert out.ok and "SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP" in out.trace
    out = pg.socket("p", "packet", "dgram")
    assert out.ok and pg.getsockopt("p", "SO_DOMAIN").value == "AF_PACKET"


def test_raw_socket_without_privilege_is_eperm() -> None:
    import subprocess
    import sys

    code = (
        "import os; from sockplay.core import Playground; pg = Playground();"
        "os.setgid(65534); os.setuid(65534);"
        "o = pg.socket('r', 'inet', 'raw', 'icmp'); print(o.errno); print(o.error)"
    )
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    errno_name, error = done.stdout.splitlines()[:2]
    assert errno_name == "EPERM"
    assert error and error != "Operation not permitted"


def test_a_blocking_recvmsg_is_journaled_as_a_record_that_reads_like_the_hot_path(pg: Playground) -> None:
    """Issue 10: a flood drained from a blocking socket must not fill the journal with GC-tracked
    Events (each full collection walked them all and stopped the app's keys for up to 0.6 s)."""
    import gc

    from sockplay.core.journal import Event

    pg.socket("u", "inet", "dgram")
    pg.bind("u", "127.0.0.1:0")
    pg.socket("v", "inet", "dgram")
    pg.bind("v", "127.0.0.1:0")
    assert pg.sendto("v", "u", b"one").ok and pg.sendto("v", "u", b"two").ok
    assert not pg.get("u").nonblocking()
    waited = pg.recvmsg("u", 64, anc=64)  # a call that could wait (the datagram is already queued)
    entry = pg.journal._ring[-1]
    assert type(entry) is tuple and not isinstance(entry, Event)
    gc.collect()
    gc.collect()  # the first pass may see the record before the tuples inside it are untracked
    assert not gc.is_tracked(entry)  # a flat record: the collector stops walking it
    hot = pg.recvmsg("u", 64, flags=["MSG_DONTWAIT"], anc=64)  # the hot path, for comparison
    assert (waited.ret, waited.data, waited.address, waited.errno) == (3, b"one", hot.address, None)
    assert waited.trace == hot.trace.replace('"two"', '"one"').replace(", MSG_DONTWAIT)", ", 0)")
    fd = pg.sockets["u"].fileno()
    assert waited.trace.startswith(f"recvmsg({fd}, {{msg_name={{sa_family=AF_INET") and waited.trace.endswith(", 0) = 3")
    reads = [e for e in pg.journal.snapshot() if e.kind == "call" and e.outcome.syscall == "recvmsg"]
    assert [(e.sock, e.outcome.data) for e in reads] == [("u", b"one"), ("u", b"two")]  # as a view reads them
