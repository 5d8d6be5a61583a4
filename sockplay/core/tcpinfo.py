"""struct tcp_info (TCP_INFO) as a dict of named fields.

The kernel copies min(asked, its own size) bytes, and the struct grows with
each release, so fields are decoded only when the returned bytes hold them:
an older kernel simply yields fewer keys. Layout from linux/tcp.h (x86-64).
"""

from __future__ import annotations

import struct
from typing import Any

# Buffer to ask for: larger than any kernel's struct today, so nothing is cut off.
SIZE = 512

STATES = {
    1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
    7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
}
CA_STATES = {0: "Open", 1: "Disorder", 2: "CWR", 3: "Recovery", 4: "Loss"}
OPTIONS = {1: "timestamps", 2: "sack", 4: "wscale", 8: "ecn", 16: "ecn_seen", 32: "syn_data"}

# (field, struct format, offset). Units: times in microseconds (rto, ato, rtt, rttvar, min_rtt)
# or milliseconds (last_*), rates in bytes per second.
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("retransmits", "B", 2), ("probes", "B", 3), ("backoff", "B", 4),
    ("rto", "I", 8), ("ato", "I", 12), ("snd_mss", "I", 16), ("rcv_mss", "I", 20),
    ("unacked", "I", 24), ("sacked", "I", 28), ("lost", "I", 32), ("retrans", "I", 36),
    ("fackets", "I", 40), ("last_data_sent", "I", 44), ("last_ack_sent", "I", 48),
    ("last_data_recv", "I", 52), ("last_ack_recv", "I", 56), ("pmtu", "I", 60),
    ("rcv_ssthresh", "I", 64), ("rtt", "I", 68), ("rttvar", "I", 72), ("snd_ssthresh", "I", 76),
    ("snd_cwnd", "I", 80), ("advmss", "I", 84), ("reordering", "I", 88), ("rcv_rtt", "I", 92),
    ("rcv_space", "I", 96), ("total_retrans", "I", 100),
    ("pacing_rate", "Q", 104), ("max_pacing_rate", "Q", 112), ("bytes_acked", "Q", 120),
    ("bytes_received", "Q", 128), ("segs_out", "I", 136), ("segs_in", "I", 140),
    ("notsent_bytes", "I", 144), ("min_rtt", "I", 148), ("data_segs_in", "I", 152),
    ("data_segs_out", "I", 156), ("delivery_rate", "Q", 160), ("busy_time", "Q", 168),
    ("rwnd_limited", "Q", 176), ("sndbuf_limited", "Q", 184), ("delivered", "I", 192),
    ("delivered_ce", "I", 196), ("bytes_sent", "Q", 200), ("bytes_retrans", "Q", 208),
    ("dsack_dups", "I", 216), ("reord_seen", "I", 220), ("rcv_ooopack", "I", 224),
    ("snd_wnd", "I", 228), ("rcv_wnd", "I", 232), ("rehash", "I", 236),
    ("total_rto", "H", 240), ("total_rto_recoveries", "H", 242), ("total_rto_time", "I", 244),
)

# What `show` prints, in this order, when present.
SUMMARY = ("state", "ca_state", "rtt", "rttvar", "rto", "snd_cwnd", "snd_mss", "rcv_mss",
           "unacked", "lost", "retrans", "total_retrans", "bytes_acked", "bytes_received")


def decode(raw: bytes) -> dict[str, Any]:
    """Every field the returned bytes hold; `state` and `ca_state` as names."""
    info: dict[str, Any] = {}
    if len(raw) < 1:
        return info
    info["state"] = STATES.get(raw[0], str(raw[0]))
    if len(raw) >= 2:
        info["ca_state"] = CA_STATES.get(raw[1], str(raw[1]))
    if len(raw) >= 6:
        info["options"] = [name for bit, name in OPTIONS.items() if raw[5] & bit]
    if len(raw) >= 7:
        info["snd_wscale"] = raw[6] & 0x0F
        info["rcv_wscale"] = raw[6] >> 4
    for name, fmt, off in FIELDS:
        if off + struct.calcsize(fmt) <= len(raw):
            info[name] = struct.unpack_from(fmt, raw, off)[0]
    return info


def show(info: dict[str, Any]) -> str:
    """One line with the fields people look at first (rtt in microseconds)."""
    if not info:
        return "(no data)"
    return " ".join(f"{k}={info[k]}" for k in SUMMARY if k in info)


def strace(raw: bytes) -> str:
    """The struct as strace prints it, limited to the leading fields."""
    info = decode(raw)
    if not info:
        return "{}"
    parts = [f"tcpi_state=TCP_{info['state']}"]
    if "ca_state" in info:
        parts.append(f"tcpi_ca_state=TCP_CA_{info['ca_state']}")
    for k in ("retransmits", "rto", "snd_mss", "rcv_mss", "unacked", "rtt", "rttvar", "snd_cwnd"):
        if k in info:
            parts.append(f"tcpi_{k}={info[k]}")
    return "{" + ", ".join(parts) + ", ...}"
