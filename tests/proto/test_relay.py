"""relay, hold/forward/drop/replace and proxy against real programs on loopback."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

from sockplay.core import Playground, relay
from sockplay.lang.executor import Executor
from sockplay.lang.transcript import render_event
from tests.proto.conftest import PAGE, free_port, need, wait_port


def run(ex: Executor, line: str):
    res = ex.run_line(line)
    return res[-1]


def calls(pg: Playground, command_prefix: str) -> list[str]:
    return [ev.outcome.trace for ev in pg.journal.snapshot()
            if ev.kind == "call" and ev.outcome is not None and (ev.command or "").startswith(command_prefix)]


def test_relay_pumps_both_ways_and_passes_eof_on(pg: Playground) -> None:
    pg.socketpair("c", "cli")
    pg.socketpair("up", "s")
    r = relay.Relay(pg, "cli", "up").start()
    assert pg.send("c", b"ping").ret == 4
    assert pg.recv("s", 100, timeout=10).data == b"ping"
    assert pg.send("s", b"pong!").ret == 5
    assert pg.recv("c", 100, timeout=10).data == b"pong!"
    pg.shutdown("c", "wr")
    assert pg.recv("s", 100, timeout=10).ret == 0  # the end of file arrived as a shutdown
    pg.shutdown("s", "wr")
    assert pg.recv("c", 100, timeout=10).ret == 0
    assert r.wait(10)
    assert r.reason == "both sides reached end of file"
    assert r.bytes == {("cli", "up"): 4, ("up", "cli"): 5}
    traces = calls(pg, "relay cli up")
    assert any(t.startswith(f"recvfrom({pg.sockets['cli'].fileno()}, \"ping\"") for t in traces)
    assert any(t.startswith(f"sendto({pg.sockets['up'].fileno()}, \"ping\"") for t in traces)
    assert f"shutdown({pg.sockets['up'].fileno()}, SHUT_WR) = 0" in traces


def test_relay_udp_and_stop(pg: Playground) -> None:
    for n in ("a", "ra", "rb", "b"):
        pg.socket(n, "inet", "dgram")
        pg.bind(n, "127.0.0.1:0")
    pg.connect("a", "ra"), pg.connect("ra", "a"), pg.connect("rb", "b"), pg.connect("b", "rb")
    r = relay.Relay(pg, "ra", "rb").start()
    pg.send("a", b"one")
    pg.send("a", b"two")
    assert pg.recv("b", 100, timeout=10).data == b"one"
    assert pg.recv("b", 100, timeout=10).data == b"two"  # datagram boundaries kept
    pg.send("b", b"")
    assert pg.recv("a", 100, timeout=10).ret == 0  # an empty datagram is data, not an end of file
    assert not r.done.is_set()
    assert r.stop("test over")
    assert r.wait(5) and "test over" in r.reason


def test_curl_through_relay_to_http_server(http_server: int) -> None:
    curl = need("curl")
    pg = Playground(watch=False)
    ex = Executor(pg)
    try:
        for line in ("socket lis inet stream", "bind lis 127.0.0.1:0", "listen lis"):
            assert run(ex, line).ok
        port = pg.getsockname("lis").value.rsplit(":", 1)[1]
        p = subprocess.Popen([curl, "-s", "--max-time", "30", f"http://127.0.0.1:{port}/index.html"],
                             stdout=subprocess.PIPE)
        assert run(ex, "accept lis cli timeout=20000").ok
        assert run(ex, "socket up inet stream").ok
        assert run(ex, f"connect up 127.0.0.1:{http_server}").ok
        assert run(ex, "relay cli up").lines[0].startswith("relay 1: cli <-> up running")
        res = run(ex, "relay cli up wait timeout=30000")
        out, _ = p.communicate(timeout=30)
        assert out == PAGE
        assert "ended (both sides reached end of file)" in res.lines[0]
        traces = calls(pg, "relay cli up")
        cli_fd, up_fd = pg.sockets["cli"].fileno(), pg.sockets["up"].fileno()
        assert any(t.startswith(f'recvfrom({cli_fd}, "GET /index.html HTTP/1.1') for t in traces)
        assert any(t.startswith(f'sendto({up_fd}, "GET /index.html HTTP/1.1') for t in traces)
        assert any(t.startswith(f'recvfrom({up_fd}, "HTTP/1.0 200 OK') for t in traces)
        assert any(t.startswith(f'sendto({cli_fd}, "HTTP/1.0 200 OK') for t in traces)
        r = relay.latest(pg, "cli", "up")
        assert r is not None and r.bytes[("up", "cli")] > len(PAGE)
        # the text transcript shows the background calls, marked with their job
        shown = [render_event(ev) for ev in pg.journal.snapshot()]
        assert any(s and "[relay cli up] recvfrom(" in s for s in shown)
    finally:
        pg.close_all()


def test_held_request_is_edited_on_its_way(http_server: int) -> None:
    """curl asks for index.html; the held request is replaced by one for other.html."""
    curl = need("curl")
    pg = Playground()
    ex = Executor(pg)
    try:
        run(ex, "socket lis inet stream"), run(ex, "bind lis 127.0.0.1:0"), run(ex, "listen lis")
        port = pg.getsockname("lis").value.rsplit(":", 1)[1]
        p = subprocess.Popen([curl, "-s", "--max-time", "30", "-H", "Connection: close",
                              f"http://127.0.0.1:{port}/index.html"], stdout=subprocess.PIPE)
        run(ex, "accept lis cli timeout=20000"), run(ex, "socket up inet stream")
        assert run(ex, f"connect up 127.0.0.1:{http_server}").ok
        assert "held" in run(ex, "relay cli up hold").lines[0]
        deadline = time.monotonic() + 20
        while not relay.book(pg).held and time.monotonic() < deadline:
            time.sleep(0.02)
        held = relay.book(pg).held[0]
        assert held.data.startswith(b"GET /index.html HTTP/1.1")
        new = held.data.replace(b"/index.html", b"/other.html")
        res = ex.run_line(f"replace hex:{new.hex()}")[-1]
        assert res.outcomes[-1].data is None and res.outcomes[-1].ret == len(new)
        assert "replaced" in res.lines[0]
        # everything else is forwarded as it comes (the response, then the ends of file)
        forwarded = 0
        while p.poll() is None and time.monotonic() < deadline:
            if relay.book(pg).held:
                assert ex.run_line("forward")[-1].ok
                forwarded += 1
            else:
                time.sleep(0.02)
        out, _ = p.communicate(timeout=30)
        assert out == b"the other page\n"
        assert forwarded >= 1
        sent_up = [t for t in calls(pg, "replace") if t.startswith("sendto(")]
        assert sent_up and "GET /other.html" in sent_up[0]
    finally:
        pg.close_all()


def test_drop_and_forward_on_socketpairs(pg: Playground) -> None:
    ex = Executor(pg)
    pg.socketpair("c", "cli"), pg.socketpair("up", "s")
    run(ex, "relay cli up hold")
    pg.send("c", b"secret")
    deadline = time.monotonic() + 10
    while not relay.book(pg).held and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "dropped 6 bytes cli -> up" in run(ex, "drop").lines[0]
    pg.send("c", b"public")
    while not relay.book(pg).held and time.monotonic() < deadline:
        time.sleep(0.01)
    assert run(ex, "forward").ok
    assert pg.recv("s", 100, timeout=10).data == b"public"  # "secret" never arrived
    assert "no chunk is held" in str(_error(ex, "forward"))


def _error(ex: Executor, line: str) -> Exception | None:
    try:
        ex.run_line(line)
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        return exc
    return None


def test_sockplay_proxy_headless_with_curl(http_server: int) -> None:
    curl = need("curl")
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "sockplay", "proxy", f"127.0.0.1:{port}",
                          f"localhost:{http_server}", "--headless"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(port)
        for _ in range(2):
            got = subprocess.run([curl, "-s", "--max-time", "30", f"http://127.0.0.1:{port}/index.html"],
                                 capture_output=True, timeout=40)
            assert got.stdout == PAGE
        time.sleep(0.5)
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert "cli1" in out and "up1" in out and "cli2" in out
    assert 'recvfrom(' in out and '"GET /index.html HTTP/1.1' in out  # client -> upstream
    assert '"HTTP/1.0 200 OK' in out  # upstream -> client
    assert 'getaddrinfo("localhost"' in out


def test_proxy_udp_by_sender(pg: Playground) -> None:
    ex = Executor(pg)
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        echo.settimeout(0.2)
        while not stop.is_set():
            try:
                data, addr = echo.recvfrom(2048)
            except TimeoutError:
                continue
            echo.sendto(data.upper(), addr)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        port = free_port()
        res = run(ex, f"proxy 127.0.0.1:{port} 127.0.0.1:{echo.getsockname()[1]} udp")
        assert res.ok, res.lines
        clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        for i, c in enumerate(clients):
            c.settimeout(20)
            c.sendto(f"hello {i}".encode(), ("127.0.0.1", port))
            assert c.recvfrom(100)[0] == f"HELLO {i}".encode()
        assert "up1" in pg.sockets and "up2" in pg.sockets  # one upstream socket per sender
        for c in clients:
            c.close()
    finally:
        stop.set()
        t.join(5)
        echo.close()


def test_proxy_unix_stream(pg: Playground, tmp_path) -> None:
    ex = Executor(pg)
    up, front = tmp_path / "up.sock", tmp_path / "front.sock"
    for line in ("socket upsrv unix stream", f"bind upsrv {up}", "listen upsrv", f"proxy {front} {up}",
                 "socket c unix stream", f"connect c {front}", "send c hello", "accept upsrv srv timeout=20000"):
        assert ex.run_line(line)[-1].ok, line
    assert ex.run_line("recv srv until len=5 timeout=20000")[-1].final.data == b"hello"
    ex.run_line("send srv world")
    assert ex.run_line("recv c until len=5 timeout=20000")[-1].final.data == b"world"
    assert {"proxy1", "cli1", "up1"} <= set(pg.sockets)
