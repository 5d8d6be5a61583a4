"""The journal stays bounded under a flood, batches deliveries, and writes the JSONL transcript."""

from __future__ import annotations

import gc
import json
import threading
import tracemalloc

import pytest

from sockplay.core.journal import Event, Journal, _page_safe
from sockplay.core.outcome import HEAD, Outcome


def test_a_flood_of_events_stays_within_the_cap() -> None:
    cap = 20_000
    j = Journal(cap=cap)
    got: list[int] = []
    missed_total = [0]
    gate = threading.Event()
    stuck = threading.Event()

    def slow(batch: list[Event], missed: int) -> None:
        stuck.set()
        gate.wait(120)  # a view that is stuck (released below, whatever the machine's load): it must not hold the engine back
        got.append(len(batch))
        missed_total[0] += missed

    unsub = j.subscribe(slow)
    j.emit(Event("call", sock="u", i=-1))
    assert stuck.wait(5)  # the subscriber now sits on its first batch (one event)
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(99_999):
            j.emit(Event("call", sock="u", i=i))
        full, _ = tracemalloc.get_traced_memory()
        for i in range(100_000):
            j.emit(Event("call", sock="u", i=i))
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    gate.set()
    assert len(j) == cap
    assert len(j.snapshot()) == cap
    assert j.snapshot()[0].seq == 200_000 - cap + 1
    assert j.snapshot()[-1].seq == 200_000
    # Once the ring is full, 100,000 more events add nothing (no growth beyond noise).
    assert after < full * 1.1
    assert peak < full * 1.2
    # What is held is the ring (the stuck subscriber holds one event): a few hundred bytes per event.
    assert after < cap * 500
    j.flush()
    unsub()
    # The stuck subscriber was told what it missed: what it got plus missed covers everything.
    assert missed_total[0] > 0
    assert sum(got) + missed_total[0] == 200_000


def test_subscribers_get_batches_not_one_call_per_event() -> None:
    j = Journal(cap=1000, batch_interval=0.05)
    calls: list[tuple[int, int]] = []
    done = threading.Event()

    def sub(batch: list[Event], missed: int) -> None:
        calls.append((len(batch), missed))
        if sum(n for n, _ in calls) + sum(m for _, m in calls) >= 5000:
            done.set()

    j.subscribe(sub)
    for i in range(5000):
        j.emit(Event("note", text=str(i)))
    assert done.wait(5)
    assert len(calls) < 5000 // 10
    assert sum(n for n, _ in calls) + sum(m for _, m in calls) == 5000
    j.close()


def test_a_slow_subscriber_does_not_delay_a_fast_one() -> None:
    j = Journal(cap=100)
    block = threading.Event()
    fast_seen: list[int] = []
    fast_done = threading.Event()

    def slow(batch: list[Event], missed: int) -> None:
        block.wait(5)

    def fast(batch: list[Event], missed: int) -> None:
        fast_seen.extend(e.seq for e in batch)
        if fast_seen and fast_seen[-1] == 10:
            fast_done.set()

    j.subscribe(slow)
    j.subscribe(fast)
    for _ in range(10):
        j.emit(Event("note"))
    assert fast_done.wait(5)
    assert fast_seen == list(range(1, 11))
    block.set()
    j.close()


def test_unsubscribe_stops_delivery() -> None:
    j = Journal(cap=10)
    seen: list[int] = []
    unsub = j.subscribe(lambda b, m: seen.extend(e.seq for e in b))
    j.emit(Event("note"))
    j.flush()
    unsub()
    j.emit(Event("note"))
    j.flush()
    assert seen == [1]


def test_jsonl_sink_writes_transcript_lines_in_seq_order(tmp_path) -> None:
    path = tmp_path / "t.jsonl"
    j = Journal(cap=1000)
    j.open_sink(str(path))
    out = Outcome("recvmsg", sock="u", ret=2, data=b"hi")
    out.cmsgs.append({"level": "SOL_SOCKET", "name": "SO_RXQ_OVFL", "value": 198, "rise": 198})
    out.trace = 'recvmsg(3, {...}, 0) = 2'
    threads = [threading.Thread(target=lambda: [j.emit(Event("note", text="x")) for _ in range(100)]) for _ in range(3)]
    j.emit(Event("call", sock="u", command="recvmsg u", outcome=out))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    j.emit(Event("ready", sock="u", events=["POLLIN"], added=["POLLIN"], removed=[]))
    j.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [d["seq"] for d in lines] == list(range(1, 303))
    first = lines[0]
    assert first["kind"] == "call" and first["syscall"] == "recvmsg"
    assert first["data"] == {"text": "hi", "hex": "6869"}
    assert first["cmsgs"] == [{"level": "SOL_SOCKET", "type": "SO_RXQ_OVFL", "value": 198, "rise": 198}]
    assert first["trace"].startswith("recvmsg(")
    assert lines[-1]["events"] == ["POLLIN"] and lines[-1]["added"] == ["POLLIN"]


def test_since_returns_only_newer_events() -> None:
    j = Journal(cap=5)
    for _ in range(8):
        j.emit(Event("note"))
    assert [e.seq for e in j.since(6)] == [7, 8]
    assert [e.seq for e in j.since(0)] == [4, 5, 6, 7, 8]


def test_byte_budget_keeps_the_head_and_says_what_was_dropped() -> None:
    j = Journal(cap=1000, max_bytes=10_000)
    whole = []
    for i in range(30):
        out = Outcome("recv", sock="b", ret=1000, data=bytes([65 + i % 26]) * 1000)
        j.emit(Event("call", sock="b", outcome=out))
        whole.append(out)
    # The caller's Outcomes keep every byte; the ring holds at most the budget beyond heads.
    assert all(len(o.data) == 1000 and o.dropped == 0 for o in whole)
    kept = [e.outcome for e in j.snapshot()]
    assert [len(o.data) for o in kept[:10]] == [1000] * 10
    assert all(len(o.data) == HEAD and o.dropped == 1000 - HEAD and o.ret == 1000 for o in kept[10:])
    assert kept[12].data == bytes([65 + 12]) * HEAD
    assert j.held_bytes == 10_000
    line = kept[-1]
    assert Event("call", sock="b", outcome=line).to_json()["dropped"] == 1000 - HEAD
    # Once the full ones have left the ring, new events are kept whole again.
    for _ in range(1000):
        j.emit(Event("note"))
    assert j.held_bytes == 0
    j.emit(Event("call", sock="b", outcome=Outcome("recv", sock="b", ret=500, data=b"z" * 500)))
    assert len(j.snapshot()[-1].outcome.data) == 500


def test_small_events_are_never_cut_and_the_budget_is_checked() -> None:
    j = Journal(cap=100, max_bytes=0)
    j.emit(Event("call", outcome=Outcome("recv", ret=HEAD, data=b"s" * HEAD)))
    assert j.snapshot()[-1].outcome.data == b"s" * HEAD
    with pytest.raises(ValueError, match="byte budget"):
        Journal(max_bytes=-1)
    with pytest.raises(ValueError, match="cap"):
        Journal(cap=0)


def test_page_safe_lines_never_cross_a_page() -> None:
    lines = [json.dumps({"seq": i, "pad": "x" * (i * 37 % 900)}) + "\n" for i in range(400)]
    pos = 1234
    out = _page_safe(lines, pos)
    starts = []
    p = pos
    for line in out.splitlines(keepends=True):
        starts.append(p)
        assert p // 4096 == (p + len(line) - 1) // 4096, "a line crosses a page boundary"
        p += len(line)
    assert [json.loads(x)["seq"] for x in out.splitlines()] == list(range(400))


def test_sink_writes_every_event_even_past_the_ring(tmp_path) -> None:
    path = tmp_path / "s.jsonl"
    j = Journal(cap=50)  # far smaller than the flood: the sink must keep up by itself
    j.open_sink(str(path), batch=16)
    for i in range(5000):
        j.emit(Event("note", text=str(i)))
    j.close()
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, 5001))
    assert not any(r["kind"] == "missed" for r in rows)


_KILL_CHILD = r"""
import sys, socket
from sockplay.core import Playground, batch
pg = Playground()
pg.journal.open_sink(sys.argv[1])
pg.socket("rx", "inet", "dgram"); pg.bind("rx", "127.0.0.1:0"); pg.setsockopt("rx", "SO_RCVBUF", 1 << 20)
pg.socket("tx", "inet", "dgram"); pg.connect("tx", "rx")
print("ready", flush=True)
while True:
    pg.send("tx", b"x" * 300, flags=["dontwait"])
    pg.recvmsg("rx", 2048, flags=["dontwait"])
    batch.send(pg, "tx", "send", b"y" * 100, 0x40, None, 50)
    batch.recv(pg, "rx", "recvmsg", 2048, 0x40, 256, 60)
"""


def test_sigkill_mid_flood_leaves_whole_lines_in_order(tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "k.jsonl"
    p = subprocess.Popen([sys.executable, "-c", _KILL_CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        while (not path.exists() or path.stat().st_size < 300_000) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
    raw = path.read_text()
    assert raw.endswith("\n"), "the last line was cut"
    rows = [json.loads(x) for x in raw.splitlines()]  # every line is whole JSON
    seqs = [r["seq"] for r in rows]
    assert seqs == list(range(1, len(seqs) + 1))  # contiguous from the start: nothing lost but the tail
    assert len(seqs) > 500


def test_past_the_budget_the_engine_holds_heads_not_data() -> None:
    from sockplay.core import Playground

    with Playground(journal_bytes=1 << 20) as pg:
        pg.socketpair("a", "b", type="dgram")
        payload = bytes(range(256)) * 256  # 64 KiB
        gc.collect()
        tracemalloc.start()
        try:
            for _ in range(300):  # 19 MiB through the journal
                pg.send("a", payload)
                out = pg.recv("b", 65536)
                assert out.data == payload  # the caller always gets everything
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert held < 4 << 20, f"{held} bytes held for a 1 MiB budget"
        last = pg.journal.snapshot()[-1].outcome
        assert last.ret == 65536 and last.data == payload[:HEAD] and last.dropped == 65536 - HEAD
        assert last.trace.startswith("recvfrom(") and '"\\0\\1\\2\\3' in last.trace


def test_a_sink_that_cannot_write_stops_without_breaking_the_calls(tmp_path) -> None:
    import os

    if not os.path.exists("/dev/full"):
        pytest.skip("/dev/full is not here: no file that always answers ENOSPC")
    j = Journal(cap=100)
    j.open_sink("/dev/full", batch=4)
    for i in range(50):
        j.emit(Event("note", text=str(i)))  # never raises
    assert j.sink_error is not None and j.sink_error.errno == 28  # ENOSPC
    assert j.close_sink().errno == 28


def test_pace_holds_the_next_batch_in_the_ring_not_in_a_list() -> None:
    """subscribe(pace=): called before each take; what comes meanwhile arrives as one batch."""
    j = Journal(cap=1000, batch_interval=0.0)
    open_gate = threading.Event()
    paced = threading.Event()
    batches: list[list[str]] = []
    got_first = threading.Event()
    got_second = threading.Event()

    def pace() -> None:
        if batches:  # after the first batch: hold the next until the test opens the gate
            paced.set()
            open_gate.wait(30)

    def sub(batch: list[Event], missed: int) -> None:
        batches.append([e.fields.get("text", "") for e in batch])
        (got_second if len(batches) > 1 else got_first).set()

    j.subscribe(sub, pace=pace)
    j.emit(Event("note", text="first"))
    assert got_first.wait(10) and batches[0] == ["first"]
    assert paced.wait(10)  # the reader now waits in pace(), before taking anything
    for i in range(50):
        j.emit(Event("note", text=str(i)))
    assert len(batches) == 1  # nothing taken while paced
    open_gate.set()
    assert got_second.wait(10)
    assert batches[1] == [str(i) for i in range(50)]  # all of them, taken together
    j.close()
