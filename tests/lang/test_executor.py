"""The executor on real sockets: commands reach the kernel, results and events come back."""

from __future__ import annotations

import socket
import time

import pytest

from sockplay.core import Playground
from sockplay.lang.executor import Executor, Result, help_lines, value_matches
from sockplay.lang.grammar import ScriptError


@pytest.fixture
def pg():
    p = Playground()
    yield p
    p.close_all()


@pytest.fixture
def ex(pg):
    return Executor(pg, ready_wait=0.3)


def run(ex: Executor, line: str) -> Result:
    (res,) = ex.run_line(line)
    return res


def calls(pg: Playground, command: str) -> list:
    return [e for e in pg.journal.snapshot() if e.kind == "call" and e.command == command]


def test_peek_off_example_of_socket7(ex):
    run(ex, "socketpair a b")
    assert run(ex, 'send a "aabbccddeeff"').outcome.ret == 12
    assert run(ex, "setsockopt b SO_PEEK_OFF 4").outcome.value == 4
    got = [run(ex, line).outcome.data for line in ("recv b 2 peek", "recv b 2 peek", "recv b 2", "recv b 2 peek")]
    assert got == [b"cc", b"dd", b"aa", b"ee"]


def test_each_call_is_one_event_carrying_the_command_text(ex, pg):
    run(ex, "socketpair a b")
    run(ex, "send a hi")
    (ev,) = calls(pg, "send a hi")
    assert ev.sock == "a" and ev.outcome.ret == 2
    assert ev.to_json()["command"] == "send a hi"


def test_count_sends_n_times_one_event_each(ex, pg):
    run(ex, "socketpair a b dgram")
    res = run(ex, "send a xyz count=5")
    assert [o.ret for o in res.outcomes] == [3] * 5
    assert len(calls(pg, "send a xyz count=5")) == 5
    drained = run(ex, "recv b dontwait count=100")
    assert [o.data for o in drained.outcomes[:5]] == [b"xyz"] * 5
    assert len(drained.outcomes) == 6, "stops at the first error"
    assert drained.outcome.errno == "EAGAIN"
    assert len(calls(pg, "recv b dontwait count=100")) == 6
    assert drained.failed is None, "a drain ending in EAGAIN is not a failure"


def test_single_failed_call_is_reported(ex):
    run(ex, "socketpair a b")
    res = run(ex, "recv b dontwait")
    assert res.outcome.errno == "EAGAIN" and res.failed is res.outcome and not res.ok


def test_stream_count_stops_at_end_of_file(ex):
    run(ex, "socketpair a b")
    run(ex, "send a x")
    run(ex, "shutdown a wr")
    res = run(ex, "recv b count=50")
    assert [o.ret for o in res.outcomes] == [1, 0]


def test_connect_by_socket_name_and_accept(ex, pg):
    run(ex, "socket srv inet stream")
    run(ex, "bind srv 127.0.0.1:0")
    run(ex, "listen srv")
    run(ex, "socket c inet stream")
    assert run(ex, "connect c srv").outcome.ret == 0
    res = run(ex, "accept srv conn timeout=2000")
    assert res.outcome.new_sockets == ["conn"] and "conn" in pg.sockets
    run(ex, "send c ping")
    assert run(ex, "recv conn 4 timeout=2000").outcome.data == b"ping"
    port = pg.sockets["srv"].getsockname()[1]
    assert run(ex, "getpeername c").outcome.value == f"127.0.0.1:{port}"


def test_recv_timeout_does_not_block_forever(ex):
    run(ex, "socketpair a b")
    t = time.monotonic()
    res = run(ex, "recv b timeout=100")
    assert res.outcome.errno == "EAGAIN"
    assert time.monotonic() - t < 2


def test_expect_fields(ex, pg):
    run(ex, "socketpair a b")
    run(ex, "send a hello")
    assert run(ex, "expect ret 5").expect.ok
    bad = run(ex, "expect ret 4").expect
    assert not bad.ok and bad.actual == "5" and "but expected 4" in bad.message
    assert run(ex, "expect errno 0").expect.ok
    run(ex, "recv b 3")
    assert run(ex, 'expect data "hel"').expect.ok
    assert run(ex, "expect data hex:68656c").expect.ok
    assert not run(ex, 'expect data "he"').expect.ok
    run(ex, "recv b dontwait")
    run(ex, "recv b dontwait")
    assert run(ex, "expect errno EAGAIN").expect.ok
    assert not run(ex, "expect errno EPIPE").expect.ok
    assert run(ex, "expect ret -1").expect.ok
    run(ex, "getsockopt a SO_TYPE")
    assert run(ex, "expect value SOCK_STREAM").expect.ok
    assert run(ex, "expect value stream").expect.ok
    assert not run(ex, "expect value SOCK_DGRAM").expect.ok
    assert not run(ex, "expect cmsg SO_RXQ_OVFL").expect.ok
    assert not run(ex, "expect flags MSG_TRUNC").expect.ok
    events = [e for e in pg.journal.snapshot() if e.kind == "expect"]
    assert len(events) == 14
    j = events[1].to_json()
    assert j["ok"] is False and j["expected"] == "4" and j["actual"] == "5"


def test_expect_skips_non_calls_and_needs_a_call(ex):
    first = run(ex, "expect ret 0").expect
    assert not first.ok and "no call has run yet" in first.message
    run(ex, "socketpair a b")
    run(ex, "echo between")
    run(ex, "sockets")
    assert run(ex, "expect ret 0").expect.ok


def test_expect_ready_falls_back_to_poll(ex):
    run(ex, "socketpair a b")
    assert not run(ex, "expect ready b POLLIN").expect.ok
    run(ex, "send a x")
    res = run(ex, "expect ready b POLLIN")
    assert res.expect.ok and "POLLIN" in res.expect.actual


def test_expect_ready_uses_a_ready_event_from_the_journal(ex, pg):
    from sockplay.core.journal import Event

    run(ex, "socketpair a b")
    pg.journal.emit(Event("ready", sock="b", events=["POLLIN", "POLLOUT"], added=["POLLIN"], removed=[]))
    res = run(ex, "expect ready b POLLIN POLLOUT")
    assert res.expect.ok and res.expect.actual == "POLLIN POLLOUT"


def test_unknown_socket_names_its_column(ex):
    run(ex, "socketpair a b")
    with pytest.raises(ScriptError) as info:
        ex.run_line("recv  zz 2", 4)
    assert (info.value.line, info.value.col) == (4, 7)
    assert "no socket named 'zz'" in info.value.message and "a, b" in info.value.message
    with pytest.raises(ScriptError) as info:
        ex.run_line("sendmsg a x rights=nope")
    assert info.value.col == 13
    with pytest.raises(ScriptError) as info:
        ex.run_line("expect ready q POLLIN")
    assert "no socket named 'q'" in info.value.message


def test_engine_misuse_becomes_a_script_error_at_the_argument(ex):
    run(ex, "socket s inet stream")
    with pytest.raises(ScriptError) as info:
        ex.run_line("bind s 999.1.1.1:80")
    assert info.value.col == 8 and "IPv4" in info.value.message
    with pytest.raises(ScriptError) as info:
        ex.run_line("setsockopt s SO_LINGER maybe")
    assert info.value.col == 24 and "linger" in info.value.message
    with pytest.raises(ScriptError) as info:
        ex.run_line("socket s inet stream")
    assert "already exists" in info.value.message


def test_failing_syscall_is_a_result_not_an_error(ex):
    run(ex, "socket s inet stream")
    res = run(ex, "connect s 127.0.0.1:1")
    assert res.outcome.errno == "ECONNREFUSED" and res.outcome.error


def test_sockets_options_help_echo_sleep(ex, pg):
    assert "no sockets" in run(ex, "sockets").lines[0]
    run(ex, "socketpair a b")
    table = run(ex, "sockets")
    assert [r["name"] for r in table.rows] == ["a", "b"]
    assert table.lines[0].startswith("NAME") and table.lines[1].startswith("a ")
    opts = run(ex, "options b")
    names = {r["option"]: r for r in opts.rows}
    assert names["SO_TYPE"]["value"] == "SOCK_STREAM"
    assert "SO_KEEPALIVE" not in names, "inet-only options are left out on a unix socket"
    assert any(line.startswith("SO_RCVBUF") for line in opts.lines)
    assert run(ex, "help").lines[1].strip().startswith("socket NAME FAMILY TYPE")
    assert run(ex, "help recv").lines[0] == "usage: recv NAME [SIZE] [FLAG...] [count=N] [timeout=MS]"
    assert "SO_LINGER" in run(ex, "help linger").lines[0]
    assert "MSG_PEEK" in run(ex, "help peek").lines[0]
    assert "POLLIN" in run(ex, "help pollin").lines[0]
    assert "hex:" in run(ex, "help data").lines[0]
    with pytest.raises(ScriptError) as info:
        ex.run_line("help setsockpot")
    assert "did you mean setsockopt?" in info.value.message
    assert run(ex, 'echo "step two"').lines == ["step two"]
    assert any(e.kind == "note" and e.text == "step two" for e in pg.journal.snapshot())
    t = time.monotonic()
    run(ex, "sleep 60")
    assert time.monotonic() - t >= 0.05


def test_poll_ioctl_fcntl_getsockname(ex, pg):
    run(ex, "socketpair a b")
    run(ex, "send a abc")
    assert "POLLIN" in run(ex, "poll b").outcome.value["b"]
    assert run(ex, "fcntl b nonblock on").outcome.value is True
    assert pg.sockets["b"].nonblocking() is True
    assert "O_NONBLOCK" in run(ex, "fcntl b getfl").outcome.value
    run(ex, "socket u inet dgram")
    run(ex, "bind u 127.0.0.1:0")
    assert run(ex, "getsockname u").outcome.value.startswith("127.0.0.1:")
    if hasattr(pg, "ioctl"):
        assert run(ex, "ioctl b SIOCINQ").outcome.value == 3


def test_value_matches():
    assert value_matches(4096, "4k") and value_matches(True, "on") and value_matches(0, "off")
    assert value_matches((1, 5), "on,5") and value_matches((1, 5), "(1, 5)") and not value_matches((1, 5), "1")
    assert value_matches(1.5, "1.5s") and not value_matches(1.5, "soon")
    assert value_matches("AF_INET", "inet") and value_matches(None, "none")
    assert value_matches({"rmem_max": 10}, "rmem_max=10")


def test_help_lines_lists_every_command():
    text = "\n".join(help_lines(None))
    for name in ("socketpair", "recvmsg", "expect", "sysctl"):
        assert f"  {name} " in text


def test_udp_datagram_with_addresses(ex):
    run(ex, "socket u1 inet dgram")
    run(ex, "bind u1 127.0.0.1:0")
    run(ex, "socket u2 inet dgram")
    assert run(ex, "sendto u2 u1 hex:0001ff").outcome.ret == 3
    res = run(ex, "recvfrom u1 10 timeout=2000")
    assert res.outcome.data == b"\x00\x01\xff"
    assert res.outcome.address and res.outcome.address.startswith("127.0.0.1:")
    # a real kernel answer, checked against Python's own view
    assert isinstance(socket.AF_INET, int)


def test_socket_name_as_address_needs_the_same_family(ex):
    run(ex, "socket u unix stream")
    run(ex, "socket t inet stream")
    run(ex, "bind u @sockplay-test-family")
    with pytest.raises(ScriptError) as info:
        ex.run_line("connect t u")
    assert info.value.col == 11 and "families must match" in info.value.message


def test_expect_cmsg_on_a_real_timestamp(ex, pg):
    run(ex, "socketpair a b dgram")
    run(ex, "setsockopt b SO_TIMESTAMP on")
    run(ex, "send a x")
    res = run(ex, "recvmsg b 10 dontwait")
    assert res.outcome.data == b"x"
    assert run(ex, "expect cmsg SO_TIMESTAMP").expect.ok
    assert run(ex, "expect cmsg timestamp").expect.ok
    assert not run(ex, "expect cmsg SCM_RIGHTS").expect.ok
    from sockplay.lang.transcript import cmsg_line

    line = cmsg_line(res.outcome.cmsgs[0])
    assert line.startswith("SOL_SOCKET SO_TIMESTAMP ") and "." in line.split()[2]


def test_expect_signal_sigio() -> None:
    import io

    from sockplay.lang.script import run_text

    ok = "socketpair a b\nfcntl b setown\nfcntl b async on\nsend a \"x\"\nexpect signal SIGIO b\n"
    out, err = io.StringIO(), io.StringIO()
    assert run_text(ok, out, err) == 0, err.getvalue()
    assert "SIGIO for b arrived" in out.getvalue()
    # without O_ASYNC no signal comes, and the expect says what to check
    bad = "socketpair a b\nfcntl b setown\nsend a \"x\"\nexpect signal SIGIO b\n"
    out, err = io.StringIO(), io.StringIO()
    assert run_text(bad, out, err) == 1
    assert "O_ASYNC" in err.getvalue()
