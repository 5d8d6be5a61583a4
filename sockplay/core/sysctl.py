"""The /proc/sys/net/core settings that shape every socket, as data, with what each one means.

Values depend on the kernel build and on the machine's sysctl settings, so they
are always read at run time, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sockplay.core.errors import UsageError, did_you_mean

BASE = "/proc/sys/net/core"


@dataclass(frozen=True, slots=True)
class SysctlRow:
    """One net.core key: its file name, unit and an explanation."""

    key: str
    unit: str
    help: str

    @property
    def path(self) -> str:
        return f"{BASE}/{self.key}"


SYSCTLS: tuple[SysctlRow, ...] = (
    SysctlRow("rmem_default", "bytes",
              "The receive buffer a new non-TCP socket starts with (TCP uses tcp_rmem instead). "
              "SO_RCVBUF reads back this value until you change it."),
    SysctlRow("rmem_max", "bytes",
              "The most an unprivileged SO_RCVBUF may ask for; larger requests are cut down to it "
              "(then doubled). SO_RCVBUFFORCE, for root, ignores it."),
    SysctlRow("wmem_default", "bytes",
              "The send buffer a new non-TCP socket starts with (TCP uses tcp_wmem)."),
    SysctlRow("wmem_max", "bytes",
              "The ceiling for SO_SNDBUF requests without privilege; SO_SNDBUFFORCE bypasses it."),
    SysctlRow("optmem_max", "bytes",
              "Per-socket memory for extras: control messages being built, socket filters, multicast "
              "lists. A big BPF program or many SCM_RIGHTS fds can hit it (ENOBUFS)."),
    SysctlRow("netdev_max_backlog", "packets",
              "How many received packets may wait per CPU before the network stack processes them; "
              "beyond that they are dropped before any socket sees them."),
    SysctlRow("message_cost", "seconds",
              "Rate limit for the kernel's network warnings in the log: one message costs this much "
              "of the budget (0 turns the limit off)."),
    SysctlRow("message_burst", "messages",
              "How many network warnings may be logged in a burst before message_cost throttles them."),
    SysctlRow("busy_read", "microseconds",
              "The default SO_BUSY_POLL for new sockets: how long a blocking read spins on the device "
              "queue before sleeping (0: never spin)."),
    SysctlRow("busy_poll", "microseconds",
              "How long poll() and select() spin on device queues of busy-polling sockets before "
              "sleeping (0: never)."),
)

BY_KEY = {r.key: r for r in SYSCTLS}


def row(key: str) -> SysctlRow:
    """Find a key as `rmem_max`, `net.core.rmem_max` or `/proc/sys/net/core/rmem_max`."""
    k = key.strip().removeprefix(BASE + "/").removeprefix("net.core.").lower()
    r = BY_KEY.get(k)
    if r is None:
        raise UsageError(f"unknown sysctl {key!r}; expected one of {', '.join(BY_KEY)}",
                         hint=did_you_mean(k, BY_KEY))
    return r


def parse(raw: str) -> int | str:
    """A file's text as its value (an int when it is one)."""
    text = raw.strip()
    try:
        return int(text)
    except ValueError:
        return text


def read(r: SysctlRow) -> tuple[str, int | str]:
    """The raw text of the file and its value (an int when it is one)."""
    with open(r.path, encoding="ascii") as f:
        raw = f.read()
    text = raw.strip()
    try:
        return raw, int(text)
    except ValueError:
        return raw, text
