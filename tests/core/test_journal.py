"""The journal stays bounded under a flood, batches deliveries, and writes the JSONL transcript."""

from __future__ import annotations

import gc
import json
import threading
import tracemalloc

from sockplay.core.journal import Event, Journal
from sockplay.core.outcome import Outcome


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
