"""`expect wire`: does a captured packet match PROTO FLAG... [from NAME] [to NAME] [count= win= len=]?"""

from __future__ import annotations

from typing import Any

from sockplay.core.wire.decode import tcpdump_flags


def _end_is(pg: Any, name: str, sock: str | None, addr: str, other: str) -> bool:
    """The packet end named by the capture, or at the socket's (last known) address."""
    if sock == name:
        return True
    cap = getattr(pg, "wire", None)
    return cap is not None and ":" in addr and cap.table.matches(name, addr, other)


def matches(pg: Any, ev: Any, want: dict[str, Any]) -> bool:
    f = ev.fields
    if f.get("proto") != want["proto"]:
        return False
    if any(x not in f.get("flags", ()) for x in want["flags"]):
        return False
    for key in ("win", "len"):
        if want.get(key) is not None and f.get(key) != want[key]:
            return False
    if want.get("from") and not _end_is(pg, want["from"], f.get("src_sock"), f.get("src", ""), f.get("dst", "")):
        return False
    return not (want.get("to") and not _end_is(pg, want["to"], f.get("dst_sock"), f.get("dst", ""), f.get("src", "")))


def line(ev: Any) -> str:
    """A packet in a few words for messages: c → s tcp [S.] seq 0 ack 1 win 65483 len 0."""
    f = ev.fields
    who = f"{f.get('src_sock') or f.get('src')} → {f.get('dst_sock') or f.get('dst')}"
    if f.get("proto") == "tcp":
        ack = f" ack {f['ack']}" if f.get("ack") is not None else ""
        return f"{who} tcp [{tcpdump_flags(f.get('flags', []))}] seq {f.get('seq')}{ack} win {f.get('win')} len {f.get('len')}"
    extra = f" {'|'.join(f.get('flags', []))}" if f.get("flags") else ""
    return f"{who} {f.get('proto')}{extra} len {f.get('len')}"


def verdict(want: dict[str, Any], shown: str, found: list[Any], seen: list[Any], wait: float) -> Any:
    from sockplay.lang.executor import ExpectResult

    count = want.get("count")
    if count is None:
        if found:
            return ExpectResult(True, "wire", shown, line(found[0]), f"on the wire: {line(found[0])}")
        tail = "; ".join(line(ev) for ev in seen[-4:]) or "no packet at all"
        return ExpectResult(False, "wire", shown, "no such packet",
                            f"no {shown} packet within {wait:g} s of the previous call; the wire showed: {tail}")
    ok = len(found) == count
    actual = f"{len(found)} packets"
    msg = f"{len(found)} {shown.split(' count=')[0]} packets on the wire" + ("" if ok else f", but expected {count}")
    if found and not ok:
        msg += ": " + "; ".join(line(ev) for ev in found[:6])
    return ExpectResult(ok, "wire", shown, actual, msg)
