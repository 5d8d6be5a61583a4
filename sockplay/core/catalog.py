"""The option catalog: one row per socket option, as data.

Adding an option is adding a row. `kind` names a codec in sockplay.core.codecs.
Numbers are Linux x86-64 (many are missing from Python's socket module).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sockplay.core.errors import UsageError, did_you_mean

LEVELS: dict[str, int] = {"SOL_SOCKET": 1, "IPPROTO_IP": 0, "IPPROTO_TCP": 6, "IPPROTO_IPV6": 41}


@dataclass(frozen=True, slots=True)
class OptionRow:
    """One socket option and everything sockplay knows about it."""

    name: str  # full constant name, e.g. "SO_RCVBUF"
    level: str  # key of LEVELS
    number: int
    kind: str  # codec name
    access: str  # "rw", "ro" or "wo"
    since: str  # Linux version that brought it, e.g. "2.6.32"
    privilege: str | None  # e.g. "CAP_NET_ADMIN", or None
    families: tuple[str, ...]  # ("any",) or e.g. ("inet", "inet6")
    types: tuple[str, ...]  # ("any",) or e.g. ("stream",)
    help: str  # a few sentences in our own words
    before: str | None = None  # "bind", "listen" or "connect": only takes effect before it
    lesson: str | None = None  # the lesson that demonstrates it
    alias_of: str | None = None  # SO_GET_FILTER is SO_ATTACH_FILTER's number, and so on

    @property
    def short(self) -> str:
        """`rcvbuf` for SO_RCVBUF, `nodelay` for TCP_NODELAY."""
        for prefix in ("SO_", "TCP_", "IPV6_", "IP_"):
            if self.name.startswith(prefix):
                return self.name[len(prefix) :].lower()
        return self.name.lower()

    @property
    def level_number(self) -> int:
        return LEVELS[self.level]

    @property
    def readable(self) -> bool:
        return self.access in ("rw", "ro")

    @property
    def writable(self) -> bool:
        return self.access in ("rw", "wo")


def _r(*args: Any, **kw: Any) -> OptionRow:
    return OptionRow(*args, **kw)


ANY = ("any",)
INET = ("inet", "inet6")
IP4 = ("inet",)
IP6 = ("inet6",)
UNIX = ("unix",)
STREAM = ("stream",)
DGRAM = ("dgram", "raw")
S = "SOL_SOCKET"
T = "IPPROTO_TCP"
IP = "IPPROTO_IP"
IPV6 = "IPPROTO_IPV6"
ADMIN = "CAP_NET_ADMIN"

OPTIONS: tuple[OptionRow, ...] = (
    # ---- SOL_SOCKET, documented in socket(7) --------------------------------------
    _r("SO_ACCEPTCONN", S, 30, "bool", "ro", "2.4", None, ANY, ANY,
       "Reports 1 once listen() has turned the socket into a listener, 0 before. "
       "Handy when a socket arrives from elsewhere (inherited, passed by SCM_RIGHTS) and you need to know what it is."),
    _r("SO_ATTACH_FILTER", S, 26, "cbpf", "rw", "2.2", None, ANY, ANY,
       "Installs a classic BPF program that sees each incoming packet and returns how many bytes to keep: "
       "0 drops it, a smaller number cuts it short. Attaching again replaces the old program. "
       "On UDP the program sees the 8-byte UDP header too, so keeping k bytes leaves k-8 of payload. "
       "Reading this number gives the attached program back (it is also SO_GET_FILTER). On TCP this kernel refuses it without privilege (EPERM)."),
    _r("SO_ATTACH_BPF", S, 50, "bpf_fd", "wo", "3.19", None, ANY, ANY,
       "Like SO_ATTACH_FILTER, but the value is the fd of an extended BPF program of type "
       "BPF_PROG_TYPE_SOCKET_FILTER, loaded beforehand with bpf(2). Replaces any classic filter."),
    _r("SO_ATTACH_REUSEPORT_CBPF", S, 51, "reuseport_cbpf", "wo", "4.5", None, INET, ANY,
       "For a group of sockets sharing a port with SO_REUSEPORT: a classic BPF program that returns which "
       "socket (0 = first bound) gets each packet or connection. An index out of range falls back to the "
       "usual hash. The socket must have SO_REUSEPORT set, or the kernel answers EINVAL. UDP since 4.5, TCP since 4.6."),
    _r("SO_ATTACH_REUSEPORT_EBPF", S, 52, "bpf_fd", "wo", "4.5", None, INET, ANY,
       "The extended BPF version of SO_ATTACH_REUSEPORT_CBPF: the value is a loaded program's fd."),
    _r("SO_BINDTODEVICE", S, 25, "ifname", "rw", "2.0.30", "CAP_NET_RAW", ANY, ANY,
       "Ties the socket to one network interface: it only receives what arrives there and only sends through it. "
       "An empty name undoes it; an unknown name gives ENODEV. Reading it needs a 16-byte buffer and gives '' when "
       "unbound. Changing an existing binding needs CAP_NET_RAW."),
    _r("SO_BROADCAST", S, 6, "bool", "rw", "1.0", None, INET, ("dgram",),
       "Permits sending to a broadcast address. Without it such a send fails with EACCES, which guards "
       "against flooding a whole subnet by accident. Stream sockets ignore it."),
    _r("SO_BSDCOMPAT", S, 14, "bool", "rw", "2.0", None, ANY, ANY,
       "A relic: once made UDP hide ICMP errors the way old BSD did. Current kernels accept and ignore it, "
       "and it always reads 0."),
    _r("SO_DEBUG", S, 1, "bool", "rw", "1.0", ADMIN, ANY, ANY,
       "Sets the socket's debug flag, which a few protocols consult for extra kernel logging. "
       "Without CAP_NET_ADMIN the kernel answers EACCES."),
    _r("SO_DETACH_FILTER", S, 27, "ignored", "wo", "2.2", None, ANY, ANY,
       "Removes the BPF program attached to the socket, classic or extended; the value does not matter. "
       "With nothing attached it fails with ENOENT, and after SO_LOCK_FILTER with EPERM."),
    _r("SO_DETACH_BPF", S, 27, "ignored", "wo", "3.19", None, ANY, ANY,
       "Another name for SO_DETACH_FILTER, given alongside SO_ATTACH_BPF; same number, same effect.",
       alias_of="SO_DETACH_FILTER"),
    _r("SO_DOMAIN", S, 39, "family", "ro", "2.6.32", None, ANY, ANY,
       "The address family the socket was created with, such as AF_INET or AF_UNIX."),
    _r("SO_ERROR", S, 4, "errno", "ro", "1.0", None, ANY, ANY,
       "Fetches the error waiting on the socket and clears it, so a second read gives 0. This is how a "
       "nonblocking connect() reports its result once poll says the socket is writable, e.g. ECONNREFUSED."),
    _r("SO_DONTROUTE", S, 5, "bool", "rw", "1.0", None, INET, ANY,
       "Sends only to hosts on a directly attached network, never via a gateway; a send that would need "
       "one fails with ENETUNREACH. The per-call equivalent is MSG_DONTROUTE."),
    _r("SO_INCOMING_CPU", S, 49, "int", "rw", "3.19", None, INET, ANY,
       "Reading it tells which CPU handled the socket's most recent incoming packet (-1 on a fresh or "
       "unconnected UDP socket). Setting it (since 4.4) steers new connections to the listener on that CPU, "
       "for servers with one listener per receive queue."),
    _r("SO_KEEPALIVE", S, 9, "bool", "rw", "1.0", None, INET, STREAM,
       "Sends probes on a connection that has been idle for a while, so a peer that vanished without a "
       "word is eventually noticed (the socket then reports ETIMEDOUT). Timing comes from TCP_KEEPIDLE, "
       "TCP_KEEPINTVL and TCP_KEEPCNT."),
    _r("SO_LINGER", S, 13, "linger", "rw", "1.0", None, ANY, STREAM,
       "Decides what close() does with data still unsent. Off: close returns at once and the kernel "
       "finishes in the background. on,N: a blocking close waits up to N seconds. on,0: the connection is "
       "reset on close, so the peer sees ECONNRESET. Any nonzero on-value reads back as 1."),
    _r("SO_LOCK_FILTER", S, 44, "bool", "rw", "3.9", None, ANY, ANY,
       "Freezes the attached filter: afterwards attaching, detaching and unlocking all fail with EPERM. "
       "Typical use: a privileged process sets up a filtered socket, locks it and hands it to a less trusted one."),
    _r("SO_MARK", S, 36, "int", "rw", "2.6.25", ADMIN, ANY, ANY,
       "Tags every packet this socket sends with a number that routing rules and firewalls can match, "
       "for policy routing without netfilter. Needs CAP_NET_ADMIN (EPERM otherwise)."),
    _r("SO_OOBINLINE", S, 10, "bool", "rw", "1.0", None, INET, STREAM,
       "Puts TCP urgent data in the normal byte stream instead of holding it aside for recv with MSG_OOB. "
       "Once on, MSG_OOB reads fail with EINVAL."),
    _r("SO_PASSCRED", S, 16, "bool", "rw", "2.2", None, UNIX, ANY,
       "Asks for the sender's pid, uid and gid with every message, as an SCM_CREDENTIALS control message "
       "on recvmsg. Unix sockets only: TCP and UDP answer EOPNOTSUPP."),
    _r("SO_PEEK_OFF", S, 42, "int", "rw", "3.4", None, ANY, ANY,
       "A cursor for MSG_PEEK: each peek starts at this offset and moves it on, and normal reads move it back "
       "by what they consume. -1 (the default) makes every peek start at the front. The man page says "
       "unix only, but this kernel honours it on TCP and UDP as well."),
    _r("SO_PEERCRED", S, 17, "ucred", "ro", "2.2", None, UNIX, ANY,
       "The pid, uid and gid of the process at the other end, as they were when the connection was made "
       "(or the pair created). On TCP or an unconnected socket it gives pid 0 and uid/gid 4294967295 rather than an error."),
    _r("SO_PRIORITY", S, 12, "int", "rw", "2.2", ADMIN, ANY, ANY,
       "Queueing priority for this socket's packets, which the interface's queueing discipline may honour. "
       "0 to 6 is open to everyone; higher values need CAP_NET_ADMIN. Setting IP_TOS changes it too."),
    _r("SO_PROTOCOL", S, 38, "protocol", "ro", "2.6.32", None, ANY, ANY,
       "The protocol the socket was created with, such as IPPROTO_TCP; 0 on families with a single protocol."),
    _r("SO_RCVBUF", S, 8, "size", "rw", "1.0", None, ANY, ANY,
       "Size of the receive buffer. The kernel doubles the request to leave room for its bookkeeping; the "
       "floor after doubling is 2304 bytes here, not the man page's 256, and requests above rmem_max are capped. "
       "On TCP the window scale is fixed at the handshake, so set it before connect() or listen().",
       before="connect"),
    _r("SO_RCVBUFFORCE", S, 33, "size", "wo", "2.6.14", ADMIN, ANY, ANY,
       "SO_RCVBUF for privileged processes: ignores the rmem_max ceiling. EPERM without CAP_NET_ADMIN."),
    _r("SO_RCVLOWAT", S, 18, "size", "rw", "2.4", None, ANY, ANY,
       "How many bytes must be queued before a read returns or poll reports the socket readable (default 1). "
       "Only TCP honours it in poll; a timed-out or nonblocking read still returns the fewer bytes it has. "
       "A large value on TCP grows SO_RCVBUF."),
    _r("SO_SNDLOWAT", S, 19, "size", "ro", "1.0", None, ANY, ANY,
       "The send-side low-water mark. Linux fixes it at 1: it can be read but setting it fails with ENOPROTOOPT."),
    _r("SO_RCVTIMEO", S, 20, "timeval", "rw", "2.3.41", None, ANY, ANY,
       "How long a blocking receive (or accept) waits before giving up with EAGAIN; 0 waits forever. "
       "Kept in scheduler ticks, so tiny values read back rounded up (1 us becomes one tick)."),
    _r("SO_SNDTIMEO", S, 21, "timeval", "rw", "2.3.41", None, ANY, ANY,
       "How long a blocking send (or connect) waits for room before giving up with EAGAIN, or with a short "
       "count if some data went out; 0 waits forever."),
    _r("SO_REUSEADDR", S, 2, "bool", "rw", "1.0", None, INET, ANY,
       "Lets bind() take a local address that is still in use by connections in TIME_WAIT, and lets several "
       "sockets bind the same port when all of them set it (only one may listen). Set it before bind().",
       before="bind"),
    _r("SO_REUSEPORT", S, 15, "bool", "rw", "3.9", None, INET, ANY,
       "Lets several sockets of the same user bind exactly the same address and port; the kernel spreads "
       "incoming datagrams or connections across them by hash. Every socket in the group must set it before bind().",
       before="bind"),
    _r("SO_RXQ_OVFL", S, 40, "bool", "rw", "2.6.33", None, ANY, DGRAM,
       "Attaches the socket's running count of dropped packets to received datagrams (an SO_RXQ_OVFL control "
       "message). Datagrams queued before the first drop carry none; compare successive counts to see losses."),
    _r("SO_SNDBUF", S, 7, "size", "rw", "1.0", None, ANY, ANY,
       "Size of the send buffer. Doubled like SO_RCVBUF, with a floor of 4608 bytes after doubling here "
       "and a ceiling from wmem_max."),
    _r("SO_SNDBUFFORCE", S, 32, "size", "wo", "2.6.14", ADMIN, ANY, ANY,
       "SO_SNDBUF for privileged processes: ignores the wmem_max ceiling. EPERM without CAP_NET_ADMIN."),
    _r("SO_TIMESTAMP", S, 29, "bool", "rw", "2.2", None, ANY, ANY,
       "Stamps each received packet with its arrival time in microseconds, delivered as a control message "
       "on recvmsg. It and SO_TIMESTAMPNS share one setting: the last one set wins, and turning either off "
       "turns both off."),
    _r("SO_TYPE", S, 3, "sock_type", "ro", "1.0", None, ANY, ANY,
       "The socket's type, such as SOCK_STREAM; SOCK_NONBLOCK and SOCK_CLOEXEC are not part of it."),
    _r("SO_BUSY_POLL", S, 46, "int", "rw", "3.11", None, ANY, ANY,
       "Microseconds a blocking receive spins on the device queue before sleeping, trading CPU for latency "
       "on drivers that support it. The default comes from net.core.busy_read; -1 gives EINVAL. The man page "
       "says raising it needs CAP_NET_ADMIN, but this kernel allows it unprivileged."),
    # ---- SOL_SOCKET, missing from socket(7) -----------------------------------------
    _r("SO_PEERNAME", S, 28, "sockaddr", "ro", "2.4", None, ANY, ANY,
       "The peer's address, like getpeername(2) but through getsockopt; ENOTCONN when there is no peer."),
    _r("SO_TIMESTAMPNS", S, 35, "bool", "rw", "2.6.22", None, ANY, ANY,
       "SO_TIMESTAMP with nanoseconds: each received packet carries a timespec control message. Shares "
       "its setting with SO_TIMESTAMP (last set wins)."),
    _r("SO_TIMESTAMPING", S, 37, "timestamping", "rw", "2.6.30", None, ANY, ANY,
       "The full timestamping interface: a set of flags choosing which moments to stamp (software or "
       "hardware, receive or transmit) and how to report them. software,rx_software stamps received packets; "
       "transmit stamps come back on the error queue (MSG_ERRQUEUE). Newer kernels read back a struct with a "
       "PHC index too."),
    _r("SO_WIFI_STATUS", S, 41, "bool", "rw", "3.3", None, ANY, ANY,
       "Asks for a control message on the error queue telling whether each sent frame was acknowledged "
       "by the Wi-Fi peer; only wireless drivers that support it send anything."),
    _r("SO_GET_FILTER", S, 26, "cbpf", "ro", "3.8", None, ANY, ANY,
       "Reads back the classic BPF program attached with SO_ATTACH_FILTER (the same number). Its length is "
       "counted in instructions, not bytes: asking with length 0 returns the instruction count.",
       alias_of="SO_ATTACH_FILTER"),
    _r("SO_SELECT_ERR_QUEUE", S, 45, "bool", "rw", "3.10", None, ANY, ANY,
       "Makes a waiting error-queue message (a transmit timestamp, an ICMP error) show as POLLPRI as well as "
       "POLLERR, so select() users can tell it apart."),
    _r("SO_MAX_PACING_RATE", S, 47, "rate", "rw", "3.13", None, INET, ANY,
       "Caps how fast this socket may send, in bytes per second, enforced by TCP's own pacing or the fq qdisc. "
       "The default is unlimited (all bits set)."),
    _r("SO_BPF_EXTENSIONS", S, 48, "int", "ro", "3.14", None, ANY, ANY,
       "Which classic BPF extensions (ancillary loads such as the CPU number) this kernel offers, as a bit "
       "set a filter author can check."),
    _r("SO_PASSSEC", S, 34, "bool", "rw", "2.6.18", None, UNIX, ANY,
       "Asks for the sender's security label (SELinux, Smack) with each message as an SCM_SECURITY control "
       "message. Unix sockets only: TCP and UDP answer EOPNOTSUPP."),
    _r("SO_COOKIE", S, 57, "u64", "ro", "4.13", None, ANY, ANY,
       "A 64-bit number the kernel gives each socket, unique until reboot; BPF programs and ss can name the "
       "socket by it."),
    _r("SO_INCOMING_NAPI_ID", S, 56, "int", "ro", "4.12", None, INET, ANY,
       "The id of the device receive queue the last packet came from (0 when none, e.g. over loopback), "
       "for spreading busy-polling threads across queues."),
    _r("SO_ZEROCOPY", S, 60, "bool", "rw", "4.14", None, INET, ANY,
       "Allows send with MSG_ZEROCOPY, which hands pages to the device instead of copying them; completions "
       "come back on the error queue."),
    _r("SO_TXTIME", S, 61, "txtime", "rw", "4.19", ADMIN, ANY, ANY,
       "Lets each send carry a launch time (an SCM_TXTIME control message) that the etf qdisc honours. "
       "Clocks other than monotonic need CAP_NET_ADMIN."),
    # ---- TCP --------------------------------------------------------------------------
    _r("TCP_NODELAY", T, 1, "bool", "rw", "1.0", None, INET, STREAM,
       "Turns off Nagle's algorithm: small writes go out at once instead of waiting to be merged while "
       "earlier data is unacknowledged. Lowers latency for chatty request/response protocols."),
    _r("TCP_CORK", T, 3, "bool", "rw", "2.2", None, INET, STREAM,
       "Holds back partial segments while on, so a header and body written separately leave as full packets; "
       "turning it off sends what is pending. Held data goes out anyway after 200 ms."),
    _r("TCP_QUICKACK", T, 12, "bool", "rw", "2.4.4", None, INET, STREAM,
       "Acknowledges at once instead of delaying ACKs. Not sticky: TCP may fall back to delayed ACKs on its own, "
       "so programs set it again after reads."),
    _r("TCP_KEEPIDLE", T, 4, "int", "rw", "2.4", None, INET, STREAM,
       "Seconds a connection must be idle before SO_KEEPALIVE sends its first probe (default 7200)."),
    _r("TCP_KEEPINTVL", T, 5, "int", "rw", "2.4", None, INET, STREAM,
       "Seconds between keepalive probes that get no answer (default 75)."),
    _r("TCP_KEEPCNT", T, 6, "int", "rw", "2.4", None, INET, STREAM,
       "How many unanswered keepalive probes end the connection (default 9)."),
    _r("TCP_USER_TIMEOUT", T, 18, "int", "rw", "2.6.37", None, INET, STREAM,
       "Milliseconds sent data may stay unacknowledged before the connection is dropped with ETIMEDOUT; "
       "0 leaves it to the system's retry limits. Also bounds keepalive."),
    _r("TCP_MAXSEG", T, 2, "int", "rw", "2.0", None, INET, STREAM,
       "Upper bound on segment size (MSS). Announced in the SYN, so it only matters when set before connect() "
       "or listen(); reading it on a connected socket gives the MSS in use.",
       before="connect"),
    _r("TCP_CONGESTION", T, 13, "string", "rw", "2.6.13", None, INET, STREAM,
       "Chooses the congestion control algorithm for this connection by name, such as cubic, reno or bbr. "
       "Algorithms outside net.ipv4.tcp_allowed_congestion_control need CAP_NET_ADMIN; unknown names give ENOENT."),
    _r("TCP_INFO", T, 11, "tcp_info", "ro", "2.4", None, INET, STREAM,
       "A snapshot of the connection's internals: state, round-trip time, congestion window, segment sizes, "
       "retransmissions and byte counts. Newer kernels return more fields."),
    _r("TCP_DEFER_ACCEPT", T, 9, "int", "rw", "2.4", None, INET, STREAM,
       "On a listener: seconds to hold a new connection back from accept() until the client sends data, "
       "saving a wakeup for protocols where the client speaks first. Reads back rounded to retransmit steps."),
    _r("TCP_FASTOPEN", T, 23, "int", "rw", "3.7", None, INET, STREAM,
       "On a listener: the queue length for TCP Fast Open connections, whose SYN already carries data. "
       "Set before listen(); the system-wide switch is net.ipv4.tcp_fastopen.",
       before="listen"),
    _r("TCP_NOTSENT_LOWAT", T, 25, "size", "rw", "3.12", None, INET, STREAM,
       "Poll reports the socket writable only while fewer than this many bytes wait unsent, keeping the "
       "send queue short so the application can decide late what to send."),
    # ---- IPv4 -------------------------------------------------------------------------
    _r("IP_TTL", IP, 2, "int", "rw", "1.0", None, IP4, ANY,
       "Hop limit for unicast packets this socket sends (1-255); -1 returns to the system default."),
    _r("IP_TOS", IP, 1, "int", "rw", "1.0", None, IP4, ANY,
       "The type-of-service byte (DSCP and ECN bits) of outgoing packets. Some values also change "
       "SO_PRIORITY, e.g. 0x10 sets it to 6."),
    _r("IP_RECVTTL", IP, 12, "bool", "rw", "2.2", None, IP4, DGRAM,
       "Delivers each received packet's TTL as an IP_TTL control message."),
    _r("IP_RECVTOS", IP, 13, "bool", "rw", "2.2", None, IP4, DGRAM,
       "Delivers each received packet's TOS byte as an IP_TOS control message."),
    _r("IP_PKTINFO", IP, 8, "bool", "rw", "2.2", None, IP4, DGRAM,
       "Delivers, with each datagram, the interface it came in on and the address it was sent to "
       "(an IP_PKTINFO control message): how a server bound to 0.0.0.0 learns which address to answer from."),
    _r("IP_RECVERR", IP, 11, "bool", "rw", "2.2", None, IP4, ANY,
       "Queues ICMP errors and local send errors in detail on the error queue, read with MSG_ERRQUEUE. "
       "Also makes unconnected UDP report errors it would otherwise swallow."),
    _r("IP_MTU_DISCOVER", IP, 10, "pmtudisc", "rw", "2.2", None, IP4, ANY,
       "Path MTU discovery policy: IP_PMTUDISC_DO sets Don't Fragment and fails oversized sends with EMSGSIZE, "
       "DONT lets routers fragment, WANT follows the route, PROBE sets DF but ignores the learned MTU."),
    _r("IP_MTU", IP, 14, "int", "ro", "2.2", None, IP4, ANY,
       "The path MTU the kernel currently knows for the connected peer; ENOTCONN on an unconnected socket."),
    _r("IP_MULTICAST_TTL", IP, 33, "int", "rw", "1.2", None, IP4, DGRAM,
       "Hop limit for multicast packets (default 1, which keeps them on the local network)."),
    _r("IP_MULTICAST_LOOP", IP, 34, "bool", "rw", "1.2", None, IP4, DGRAM,
       "Whether multicast packets this host sends are also delivered to its own member sockets (default on)."),
    _r("IP_ADD_MEMBERSHIP", IP, 35, "mreqn", "wo", "1.2", None, IP4, DGRAM,
       "Joins a multicast group on one interface (chosen by local address or index, or by the routing table); "
       "joining the same group twice gives EADDRINUSE."),
    _r("IP_DROP_MEMBERSHIP", IP, 36, "mreqn", "wo", "1.2", None, IP4, DGRAM,
       "Leaves a multicast group joined with IP_ADD_MEMBERSHIP; EADDRNOTAVAIL if not a member."),
    _r("IP_FREEBIND", IP, 15, "bool", "rw", "2.4", None, IP4, ANY,
       "Allows binding to an IP address not (yet) configured on this host, e.g. for a service that starts "
       "before its address comes up.",
       before="bind"),
    _r("IP_TRANSPARENT", IP, 19, "bool", "rw", "2.6.28", ADMIN, IP4, ANY,
       "Lets the socket bind to and send from foreign addresses, for transparent proxies fed by TPROXY rules. "
       "Needs CAP_NET_ADMIN or CAP_NET_RAW.",
       before="bind"),
    # ---- IPv6 -------------------------------------------------------------------------
    _r("IPV6_V6ONLY", IPV6, 26, "bool", "rw", "2.4.21", None, IP6, ANY,
       "Restricts an IPv6 socket to IPv6. Off, a socket bound to :: also takes IPv4 traffic as mapped "
       "addresses (::ffff:a.b.c.d). The default comes from net.ipv6.bindv6only. Set it before bind().",
       before="bind"),
    _r("IPV6_RECVPKTINFO", IPV6, 49, "bool", "rw", "2.6.14", None, IP6, DGRAM,
       "Delivers each datagram's destination address and arrival interface as an IPV6_PKTINFO control message."),
    _r("IPV6_UNICAST_HOPS", IPV6, 16, "int", "rw", "2.2", None, IP6, ANY,
       "Hop limit for unicast packets (the IPv6 TTL); -1 returns to the route's default."),
    _r("IPV6_RECVHOPLIMIT", IPV6, 51, "bool", "rw", "2.6.14", None, IP6, DGRAM,
       "Delivers each received packet's hop limit as an IPV6_HOPLIMIT control message."),
    _r("IPV6_MULTICAST_HOPS", IPV6, 18, "int", "rw", "2.2", None, IP6, DGRAM,
       "Hop limit for multicast packets (default 1); -1 returns to the default."),
    _r("IPV6_TCLASS", IPV6, 67, "int", "rw", "2.6.14", None, IP6, ANY,
       "The traffic class byte (DSCP and ECN bits) of outgoing IPv6 packets; -1 returns to the default."),
)

# Which lesson (sockplay/lessons/NAME.sp) demonstrates each option: `help OPTION` points there.
LESSONS: dict[str, tuple[str, ...]] = {
    "calls": ("SO_ACCEPTCONN", "SO_DOMAIN", "SO_PROTOCOL", "SO_TYPE"),
    "addresses": ("SO_PEERNAME", "IPV6_V6ONLY"),
    "errors": ("SO_ERROR", "SO_SELECT_ERR_QUEUE", "IP_RECVERR", "TCP_NODELAY"),
    "buffers": ("SO_RCVBUF", "SO_SNDBUF", "SO_RCVBUFFORCE", "SO_SNDBUFFORCE"),
    "timeouts": ("SO_RCVTIMEO", "SO_SNDTIMEO"),
    "linger": ("SO_LINGER",),
    "keepalive-tcp": ("SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT"),
    "reuse": ("SO_REUSEADDR", "SO_REUSEPORT"),
    "peek-off": ("SO_PEEK_OFF",),
    "rcvlowat": ("SO_RCVLOWAT", "SO_SNDLOWAT"),
    "oob": ("SO_OOBINLINE",),
    "credentials": ("SO_PEERCRED", "SO_PASSCRED", "SO_PASSSEC"),
    "timestamps": ("SO_TIMESTAMP", "SO_TIMESTAMPNS", "SO_TIMESTAMPING"),
    "rxq-ovfl": ("SO_RXQ_OVFL",),
    "bpf": ("SO_ATTACH_FILTER", "SO_ATTACH_BPF", "SO_ATTACH_REUSEPORT_CBPF", "SO_ATTACH_REUSEPORT_EBPF",
            "SO_DETACH_FILTER", "SO_DETACH_BPF", "SO_GET_FILTER", "SO_LOCK_FILTER", "SO_BPF_EXTENSIONS"),
    "device-mark-priority": ("SO_BINDTODEVICE", "SO_BROADCAST", "SO_DEBUG", "SO_DONTROUTE", "SO_MARK",
                             "SO_PRIORITY", "IP_TOS"),
    "more-options": ("SO_BSDCOMPAT", "SO_INCOMING_CPU", "SO_BUSY_POLL", "SO_WIFI_STATUS", "SO_MAX_PACING_RATE"),
}
_LESSON_OF = {opt: lesson for lesson, opts in LESSONS.items() for opt in opts}
OPTIONS = tuple(replace(r, lesson=_LESSON_OF.get(r.name, r.lesson)) for r in OPTIONS)

def _index() -> dict[str, OptionRow]:
    idx: dict[str, OptionRow] = {}
    for row in OPTIONS:
        idx[row.name.lower()] = row
    for row in OPTIONS:
        idx.setdefault(row.short, row)
    return idx


_INDEX = _index()


def option(word: str) -> OptionRow:
    """Find an option by full name (SO_RCVBUF) or short name (rcvbuf), any case."""
    row = _INDEX.get(word.lower())
    if row is None:
        raise UsageError(
            f"unknown option {word!r}; expected a name such as SO_RCVBUF or rcvbuf ('options' lists them)",
            hint=did_you_mean(word, [r.name for r in OPTIONS]),
        )
    return row


def by_level(rows: Iterable[OptionRow] = OPTIONS) -> dict[str, list[OptionRow]]:
    """Rows grouped by level, in LEVELS order and catalog order within a level (for the options form)."""
    groups: dict[str, list[OptionRow]] = {level: [] for level in LEVELS}
    for row in rows:
        groups.setdefault(row.level, []).append(row)
    return {level: group for level, group in groups.items() if group}


_FAMILY_WORDS = {"af_inet": "inet", "ipv4": "inet", "af_inet6": "inet6", "ipv6": "inet6",
                 "af_unix": "unix", "af_local": "unix", "local": "unix"}
_TYPE_WORDS = {"tcp": "stream", "udp": "dgram"}


def applies_to(row: OptionRow, family_name: str, type_name: str) -> bool:
    """Whether the option means something on a socket of this family and type.

    Takes `inet`/`AF_INET`/`inet6`/`unix` and `stream`/`SOCK_DGRAM`/`tcp`/`udp`. TCP options need
    a TCP socket, IP options an IPv4 one; this is about meaning, not about what the kernel would accept.
    """
    fam = family_name.strip().lower()
    fam = _FAMILY_WORDS.get(fam, fam.removeprefix("af_"))
    typ = type_name.strip().lower()
    typ = _TYPE_WORDS.get(typ, typ.removeprefix("sock_"))
    fam_ok = "any" in row.families or fam in row.families
    typ_ok = "any" in row.types or typ in row.types
    return fam_ok and typ_ok


def summary(row: OptionRow) -> str:
    """The first sentence of the help, for one-line listings."""
    first = row.help.split(". ")[0].rstrip(".")
    return first + "."
