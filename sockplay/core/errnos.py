"""Plain-language explanations of errno values, by syscall and situation.

Like strace's constant tables, this is data: one `ErrnoRow` per (errno,
syscall-or-'*', condition) triple. `explain` picks the most specific row that
fits the call and its context and fills in names from `ctx`, so a failure reads
"Nothing is listening at 127.0.0.1:5000 ..." rather than "Connection refused".

Text templates use two small conventions, both chosen so that any ctx key may
be missing and the sentence still reads well:

* ``{key}`` is filled from ctx (after normalising it); a missing key gets a
  neutral stand-in such as "the socket" (see `_DEFAULTS`).
* ``[with {key}|otherwise]`` keeps the first alternative whose keys are all
  present, else the last one; ``[ at {address}]`` (no ``|``) simply vanishes
  when ``address`` is missing.

Every sentence here is our own wording of what Linux does (checked against a
real kernel; see tests/core/test_errnos.py), not text from the man pages.
"""

from __future__ import annotations

import errno as _errno
import os
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

# Where two names share a number, strace prints these; Python's errorcode keeps
# whichever came last (ENOTSUP for 95, EDEADLOCK for 35).
_PREFERRED = {
    _errno.EAGAIN: "EAGAIN",
    _errno.EOPNOTSUPP: "EOPNOTSUPP",
    _errno.EDEADLK: "EDEADLK",
}
# Alias names accepted by `explain`, mapped to the name the table uses.
_ALIASES = {"EWOULDBLOCK": "EAGAIN", "ENOTSUP": "EOPNOTSUPP", "EDEADLOCK": "EDEADLK"}

# Variants of a syscall share the rows written for the plain one, unless a row
# names the variant itself.
SYSCALL_GROUPS = {
    "recvfrom": "recv", "recvmsg": "recv", "recvmmsg": "recv", "read": "recv",
    "sendto": "send", "sendmsg": "send", "sendmmsg": "send", "write": "send",
    "accept4": "accept",
}

# The ctx keys the templates and conditions may use.
CTX_KEYS = (
    "sock", "family", "type", "option", "option_access", "option_privilege",
    "flags", "address", "nonblocking", "state", "request",
)
# Keys derived from ctx by `_normalise` (usable in templates too).
DERIVED_KEYS = ("Sock", "kind")

Cond = tuple[str, Any]


class ErrnoRow(NamedTuple):
    """One explanation: errno name, syscall (or '*'), template, and when it applies.

    `when` is a tuple of (ctx key, wanted) pairs, all of which must hold: wanted
    may be a single value or a tuple of acceptable values, and a list in ctx
    (flags) holds when it contains a wanted value.
    """

    errno: str
    syscall: str
    text: str
    when: tuple[Cond, ...] = ()


def _r(errno: str, syscall: str, text: str, *when: Cond) -> ErrnoRow:
    return ErrnoRow(errno, syscall, text, tuple(when))


_STREAMISH = ("SOCK_STREAM", "SOCK_SEQPACKET")
_FILTER_OPTS = ("SO_ATTACH_FILTER", "SO_ATTACH_BPF", "SO_DETACH_FILTER", "SO_DETACH_BPF", "SO_LOCK_FILTER")
_UNIX_ONLY_OPTS = ("SO_PASSCRED", "SO_PASSSEC", "SO_PASSPIDFD", "SO_PASSRIGHTS", "SO_PEERPIDFD")
_TIMEO_OPTS = ("SO_RCVTIMEO", "SO_SNDTIMEO", "SO_RCVTIMEO_NEW", "SO_SNDTIMEO_NEW", "SO_RCVTIMEO_OLD", "SO_SNDTIMEO_OLD")
_UNIX = ("family", "AF_UNIX")
_DGRAM = ("type", "SOCK_DGRAM")
_OOB = ("flags", "MSG_OOB")

ERRNO_ROWS: tuple[ErrnoRow, ...] = (
    # --- EAGAIN: the call would have had to wait -------------------------------------------
    _r("EAGAIN", "recv",
       "Nothing is queued to read on {sock} and the call may not wait (nonblocking socket, "
       "MSG_DONTWAIT, or SO_RCVTIMEO ran out). Wait for POLLIN, then read again."),
    _r("EAGAIN", "recv",
       "The error queue of {sock} is empty: no transmit timestamp or ICMP error is waiting. "
       "POLLERR tells you when one arrives.", ("flags", "MSG_ERRQUEUE")),
    _r("EAGAIN", "send",
       "The send buffer of {sock} is full and the call may not wait (nonblocking socket, "
       "MSG_DONTWAIT, or SO_SNDTIMEO ran out). Wait for POLLOUT, then send the rest."),
    _r("EAGAIN", "send",
       "The receiving socket's queue is full, so the datagram cannot be handed over without "
       "waiting (nonblocking socket, MSG_DONTWAIT, or SO_SNDTIMEO ran out). Let the receiver "
       "read, wait for POLLOUT, then send again.", _UNIX, _DGRAM),
    _r("EAGAIN", "accept",
       "No connection is waiting in the backlog of {sock} and the call may not wait "
       "(nonblocking listener or SO_RCVTIMEO ran out). Wait for POLLIN on it, then accept again."),
    _r("EAGAIN", "connect",
       "The listener's backlog[ at {address}] is full and this nonblocking connect may not wait "
       "for room. Let the listener accept, then connect again.", _UNIX),
    _r("EAGAIN", "connect",
       "No local port was free to connect from: the ephemeral range (net.ipv4.ip_local_port_range) "
       "is used up. Close some connections, or bind a source port yourself."),
    _r("EAGAIN", "*",
       "The call would have had to wait and may not (nonblocking socket, or a timeout ran out). "
       "Try again once poll says [{sock}|the socket] is ready."),

    # --- EINPROGRESS / EALREADY / EISCONN: connect's life cycle ---------------------------
    _r("EINPROGRESS", "connect",
       "{Sock} is nonblocking, so the connection was started but has not finished yet. This is "
       "normal: wait for POLLOUT, then read SO_ERROR to learn whether it worked (0) or why not."),
    _r("EINPROGRESS", "*",
       "The operation has started and goes on in the background. Wait for POLLOUT, then read "
       "SO_ERROR for its result."),
    _r("EALREADY", "connect",
       "An earlier nonblocking connect on {sock} is still under way. Do not call connect again: "
       "wait for POLLOUT, then read SO_ERROR."),
    _r("EALREADY", "*", "An earlier request of the same kind is still in progress on {sock}."),
    _r("EISCONN", "connect",
       "{Sock} is already connected. A stream socket connects once; to talk to another peer, "
       "close it and make a new socket."),
    _r("EISCONN", "connect",
       "{Sock} is listening, so it cannot also connect out (Linux reports a listener as "
       "already connected). Use a separate socket for the outgoing connection.",
       ("state", "listening")),
    _r("EISCONN", "send",
       "{Sock} is connected, so the send may not name another destination. Use send without an "
       "address, or a separate unconnected socket."),
    _r("EISCONN", "*", "{Sock} is already connected; this call needs a socket that is not."),

    # --- Connection refused, reset, aborted, broken ------------------------------------------
    _r("ECONNREFUSED", "connect",
       "[Nothing is listening at {address}|Nothing is listening at that address and port]: the "
       "peer answered the connection request with a reset. Start a listener there, or check "
       "the port."),
    _r("ECONNREFUSED", "connect",
       "[The path {address}|The path] exists, but no socket is listening on it: it may be a "
       "leftover socket file whose owner has gone, or not a socket at all. Start a listener "
       "that binds it (after removing the old file).", _UNIX),
    _r("ECONNREFUSED", "recv",
       "An earlier datagram from {sock} reached a port where nothing listens, and the ICMP "
       "\"port unreachable\" that came back is reported here, once. Start a listener at the "
       "peer's address, or treat it as a lost datagram.", _DGRAM),
    _r("ECONNREFUSED", "send",
       "An earlier datagram from {sock} reached a port where nothing listens, and the ICMP "
       "\"port unreachable\" that came back is reported here, once. Start a listener at the "
       "peer's address, or treat it as a lost datagram.", _DGRAM),
    _r("ECONNREFUSED", "*",
       "The peer refused: nothing is listening at that address and port (a reset or an ICMP "
       "\"port unreachable\" came back)."),
    _r("ECONNRESET", "recv",
       "The peer reset the connection (it closed with unread data, or with SO_LINGER on,0). "
       "Whatever was still queued for {sock} is lost; later reads return end-of-file and sends "
       "get EPIPE."),
    _r("ECONNRESET", "send",
       "The peer reset the connection, so {sock} can send nothing more. Close it; reconnect if "
       "you still need to talk."),
    _r("ECONNRESET", "*",
       "The peer reset the connection: it closed abruptly (unread data, or SO_LINGER on,0) and "
       "the connection is gone."),
    _r("ECONNABORTED", "accept",
       "A connection in the backlog of {sock} was reset by its peer before accept took it. "
       "Nothing is lost here: call accept again for the next one."),
    _r("ECONNABORTED", "connect",
       "The previous connection attempt on {sock} already failed and its error has been "
       "collected (by SO_ERROR or a read). A failed TCP socket cannot connect again: close it "
       "and make a new one."),
    _r("ECONNABORTED", "*", "The connection was aborted on this side before the call could finish."),
    _r("EPIPE", "send",
       "{Sock} has no working connection to send on: the peer closed or reset it, this side "
       "shut down writing, or it was never connected. Without MSG_NOSIGNAL the kernel also raises SIGPIPE; Python "
       "ignores that signal, so only this error shows here."),
    _r("EPIPE", "send",
       "{Sock} was never connected, so there is nowhere to send. Connect it first.",
       ("state", ("unconnected", "not connected"))),
    _r("EPIPE", "*",
       "The other end is gone (closed, reset or shut down), so nothing more can be written. "
       "A SIGPIPE may accompany it unless MSG_NOSIGNAL is given; Python ignores that signal."),
    _r("ESHUTDOWN", "*",
       "{Sock} has been shut down for writing (shutdown wr or rdwr), so it cannot send. It can "
       "still read what the peer sends."),

    # --- Not connected / no destination -----------------------------------------------------
    _r("ENOTCONN", "recv",
       "{Sock} is not connected, so there is no peer to read from. Connect it first (or accept "
       "a connection and read from the new socket)."),
    _r("ENOTCONN", "send",
       "{Sock} has no peer: connect it first, or use sendto with a destination address."),
    _r("ENOTCONN", "getpeername",
       "{Sock} has no peer yet, so it has no peer name. It must be connected (or be a socket "
       "returned by accept)."),
    _r("ENOTCONN", "shutdown",
       "{Sock} is not connected, so there is no connection to shut down."),
    _r("ENOTCONN", "shutdown",
       "{Sock} is not connected, so the call reports ENOTCONN, but Linux applies the shutdown "
       "anyway: poll now shows POLLHUP and reads return end-of-file.", _DGRAM),
    _r("ENOTCONN", "*", "{Sock} is not connected, and this call needs a connected socket."),
    _r("EDESTADDRREQ", "send",
       "{Sock} is not connected and the call named no destination. Use sendto with an address, "
       "or connect the socket first."),
    _r("EDESTADDRREQ", "*",
       "The call needs a destination address: {sock} is not connected and none was given."),

    # --- Addresses ---------------------------------------------------------------------------
    _r("EADDRINUSE", "bind",
       "Another socket already holds [{address}|that address and port]. Two sockets may share "
       "it only if both set SO_REUSEADDR before bind (and then only one may listen), or if both "
       "set SO_REUSEPORT under the same user. Pick another port, or port 0 for any free one."),
    _r("EADDRINUSE", "bind",
       "A file already exists at [{address}|that path]. A unix socket's bind creates the file, "
       "so remove the old one first (it may be left over from an earlier run), or use an "
       "abstract name such as @name.", _UNIX),
    _r("EADDRINUSE", "listen",
       "Another socket is already listening on the address {sock} is bound to. SO_REUSEADDR lets "
       "several sockets bind the same address but only one listen; set SO_REUSEPORT on all of "
       "them to let each listen."),
    _r("EADDRINUSE", "connect",
       "The local address and port [{sock} would use|chosen] already carry a connection to "
       "[{address}|that destination]. Bind a different source port (or port 0)."),
    _r("EADDRINUSE", "*", "That address is already in use by another socket."),
    _r("EADDRNOTAVAIL", "bind",
       "[{address} is not|That is not] an address of this host, so nothing can be bound there. "
       "Use one it has (127.0.0.1, or 0.0.0.0 for all; `ip addr` lists them), or set "
       "IP_FREEBIND first."),
    _r("EADDRNOTAVAIL", "connect",
       "No usable local address and port could be found for this connection[ to {address}]: "
       "the ephemeral ports may be used up, or the destination cannot be connected to (port 0, "
       "for example)."),
    _r("EADDRNOTAVAIL", "*", "The address asked for is not available on this host."),
    _r("EAFNOSUPPORT", "socket",
       "This kernel offers no sockets of [{family}|that address family] (its module may not be "
       "loaded, or it is not built in)."),
    _r("EAFNOSUPPORT", "*",
       "The address[ {address}] is of a different family than {sock}[ ({family})]: an IPv4 "
       "socket needs an IPv4 address, an IPv6 socket an IPv6 one (or ::ffff:a.b.c.d)."),
    _r("EPROTONOSUPPORT", "socket",
       "The protocol asked for does not exist for [{family} {type}|this family and type] "
       "sockets (UDP on a stream socket, for example). Leave the protocol out to get the "
       "default one."),
    _r("EPROTONOSUPPORT", "*", "That protocol is not supported here."),
    _r("ESOCKTNOSUPPORT", "socket",
       "[{family}|This address family] has no sockets of [{type}|that type] (SOCK_SEQPACKET on "
       "AF_INET needs SCTP, for example). Pick a type the family offers."),
    _r("ESOCKTNOSUPPORT", "*", "That socket type is not supported in this address family."),
    _r("EPROTOTYPE", "socket",
       "The protocol does not fit [{type}|the socket type] (a datagram protocol on a stream "
       "socket, for example). Leave the protocol out to get the default."),
    _r("EPROTOTYPE", "connect",
       "The socket at [{address}|that path] is of another type than {sock}: a unix stream socket "
       "can only reach a stream listener, a datagram socket only a datagram one."),
    _r("EPROTOTYPE", "*", "The peer socket is of a different type than {sock}."),

    # --- Unsupported operations and options ---------------------------------------------------
    _r("EOPNOTSUPP", "listen",
       "Only stream and seqpacket sockets can listen; {sock} is a [{type}|connectionless] socket "
       "that exchanges datagrams without connections. Read from it with recvfrom instead."),
    _r("EOPNOTSUPP", "accept",
       "Only listening stream and seqpacket sockets have connections to accept; {sock} is a "
       "[{type}|connectionless] socket. Read from it with recvfrom instead."),
    _r("EOPNOTSUPP", "send",
       "Out-of-band data exists only on stream sockets (TCP and unix stream); {sock} cannot "
       "send with MSG_OOB. Drop the flag.", _OOB),
    _r("EOPNOTSUPP", "recv",
       "Out-of-band data exists only on stream sockets (TCP and unix stream); {sock} cannot "
       "read with MSG_OOB. Drop the flag.", _OOB),
    _r("EOPNOTSUPP", "send",
       "A flag in [{flags}|the call] is not supported by {sock}[ ({kind})]. Drop it."),
    _r("EOPNOTSUPP", "recv",
       "A flag in [{flags}|the call] is not supported by {sock}[ ({kind})]. Drop it."),
    _r("EOPNOTSUPP", "setsockopt",
       "[{option}|This option] is a unix-socket option: TCP and UDP sockets refuse it, for setting and for "
       "reading alike.", ("option", _UNIX_ONLY_OPTS)),
    _r("EOPNOTSUPP", "getsockopt",
       "[{option}|This option] is a unix-socket option: TCP and UDP sockets refuse it, for setting and for "
       "reading alike.", ("option", _UNIX_ONLY_OPTS)),
    _r("EOPNOTSUPP", "setsockopt", "{Sock}[ ({kind})] does not support {option}."),
    _r("EOPNOTSUPP", "getsockopt", "{Sock}[ ({kind})] does not support {option}."),
    _r("EOPNOTSUPP", "*", "{Sock}[ ({kind})] does not support this operation."),
    _r("ENOPROTOOPT", "setsockopt",
       "[{option}|This option] can only be read: the kernel reports it but offers no way to set it. Use "
       "getsockopt to see its value.", ("option_access", "ro")),
    _r("ENOPROTOOPT", "getsockopt",
       "[{option}|This option] can only be set: it triggers an action rather than storing a value, so there "
       "is nothing to read back.", ("option_access", "wo")),
    _r("ENOPROTOOPT", "setsockopt",
       "The kernel does not know {option} at this level for {sock}[ ({kind})], or does not let "
       "it be set. Check the option's name and its level (SOL_SOCKET, IPPROTO_TCP, ...)."),
    _r("ENOPROTOOPT", "getsockopt",
       "The kernel does not know {option} at this level for {sock}[ ({kind})]. Check the "
       "option's name and its level (SOL_SOCKET, IPPROTO_TCP, ...)."),
    _r("ENOPROTOOPT", "*", "That option or protocol feature is not available on {sock}."),
    _r("ENOTTY", "ioctl",
       "[{request}|This ioctl] does not apply to [{kind} sockets|this kind of socket] (SIOCGSTAMP on "
       "a unix socket, for example, which keeps no receive timestamps)."),
    _r("ENOTTY", "*", "That control request does not apply to this kind of file."),

    # --- Invalid arguments, per call ---------------------------------------------------------
    _r("EINVAL", "listen",
       "{Sock} cannot listen in its current state: it is already connected or connecting. Only "
       "a fresh or bound socket can become a listener."),
    _r("EINVAL", "accept",
       "{Sock} is not listening, so there are no connections to accept. Call listen on it first."),
    _r("EINVAL", "recv",
       "There is no urgent byte to read: none has arrived, an earlier MSG_OOB read already took "
       "it, or SO_OOBINLINE delivers it with the normal data. Read without MSG_OOB.", _OOB),
    _r("EINVAL", "recv",
       "The read's arguments do not fit {sock}: a flag it does not accept[ ({flags})], or a "
       "state it is not in (a listener cannot be read, for example)."),
    _r("EINVAL", "send",
       "The message does not fit {sock}: a bad flag[ in {flags}], a malformed control message, "
       "or more than 253 descriptors in one SCM_RIGHTS."),
    _r("EINVAL", "setsockopt",
       "{Sock} would not take that value for {option}: it is out of range or the wrong size "
       "(a negative SO_BUSY_POLL, or a SO_LINGER that is not on/off plus seconds, for example)."),
    _r("EINVAL", "setsockopt",
       "The filter was refused: the program is malformed, or an instruction is not allowed. "
       "Check its jumps and that it ends with a return.", ("option", ("SO_ATTACH_FILTER", "SO_ATTACH_BPF"))),
    _r("EINVAL", "setsockopt",
       "SO_ATTACH_REUSEPORT_CBPF needs SO_REUSEPORT set on {sock} first.",
       ("option", ("SO_ATTACH_REUSEPORT_CBPF", "SO_ATTACH_REUSEPORT_EBPF"))),
    _r("EINVAL", "getsockopt",
       "[{option}|This option] cannot be read this way from {sock}: the buffer is too small for it, or the "
       "socket is not in a state where it has a value."),
    _r("EINVAL", "bind",
       "{Sock} cannot bind [{address}|there]: it is already bound (a socket binds once), or the "
       "address is malformed or of another family."),
    _r("EINVAL", "connect",
       "The address[ {address}] is not valid for {sock}: wrong length or family, or the socket "
       "is in a state that cannot connect (a listener, for example)."),
    _r("EINVAL", "shutdown", "The direction must be rd, wr or rdwr."),
    _r("EINVAL", "socket",
       "The combination asked for is invalid[: {family} {type}] (an unknown type or type flag)."),
    _r("EINVAL", "ioctl",
       "[{request}|This request] makes no sense on {sock} in its current state (SIOCINQ on a "
       "listener, for example)."),
    _r("EINVAL", "*", "An argument is not valid for {sock} in its current state."),
    _r("EDOM", "setsockopt",
       "The microseconds part of [{option}|the timeout] must be below 1,000,000: a whole second "
       "belongs in the seconds field. Give the time as seconds, such as 1.5.", ("option", _TIMEO_OPTS)),
    _r("EDOM", "*",
       "A value is out of its allowed range (a timeout's microseconds must be below 1,000,000)."),

    # --- Privilege -------------------------------------------------------------------------------
    _r("EACCES", "bind",
       "Binding [{address}|that address] needs privilege: ports below 1024 are reserved for "
       "root (or CAP_NET_BIND_SERVICE, or a lower net.ipv4.ip_unprivileged_port_start). Use a "
       "port of 1024 or above."),
    _r("EACCES", "bind",
       "You may not create a socket file at [{address}|that path]: its directory is not writable "
       "for you, or a directory on the way cannot be searched.", _UNIX),
    _r("EACCES", "connect",
       "You may not connect to the socket file at [{address}|that path]: it (or a directory on "
       "the way) lacks write or search permission for you.", _UNIX),
    _r("EACCES", "connect",
       "The connection[ to {address}] is not allowed: a broadcast destination needs SO_BROADCAST "
       "on {sock}, or a firewall rule refused it."),
    _r("EACCES", "send",
       "Sending to a broadcast address needs SO_BROADCAST on {sock}: set it to 1 and send "
       "again. (A firewall rule that rejects the packet gives this too.)"),
    _r("EACCES", "setsockopt",
       "Setting {option} needs [{option_privilege}|privilege this process lacks] (SO_DEBUG, for "
       "example, needs CAP_NET_ADMIN)."),
    _r("EACCES", "*", "Permission denied: the call needs privilege or access this process lacks."),
    _r("EPERM", "setsockopt",
       "Setting {option}[ to that value] needs [{option_privilege}|privilege this process "
       "lacks]. Run as root or grant the capability."),
    _r("EPERM", "setsockopt",
       "The socket filter on {sock} cannot be changed: SO_LOCK_FILTER has locked it (until the "
       "socket closes), or attaching it here needs CAP_NET_ADMIN.", ("option", _FILTER_OPTS)),
    _r("EPERM", "socket",
       "[{type}|Raw] sockets need CAP_NET_RAW, which this process lacks. Run as root.",
       ("type", ("SOCK_RAW", "SOCK_PACKET"))),
    _r("EPERM", "socket",
       "[{family}|AF_PACKET] sockets need CAP_NET_RAW, which this process lacks. Run as root.",
       ("family", "AF_PACKET")),
    _r("EPERM", "send",
       "The packet was refused by a local rule (a firewall or a socket filter), or the "
       "credentials given in SCM_CREDENTIALS are not yours to claim."),
    _r("EPERM", "*",
       "Not permitted: this needs [{option_privilege}|a privilege this process lacks], or a "
       "lock (such as SO_LOCK_FILTER) forbids it."),

    # --- Descriptors and resources ---------------------------------------------------------------
    _r("EBADF", "*",
       "The descriptor behind {sock} is not open: it was closed (or never existed). Make a new "
       "socket."),
    _r("ENOTSOCK", "*",
       "The descriptor is open but is not a socket (a file or a pipe, for example), so socket "
       "calls do not apply to it."),
    _r("EMFILE", "accept",
       "This process has as many descriptors open as it may (RLIMIT_NOFILE, `ulimit -n`), so "
       "accept cannot create one; the connection stays queued. Close some sockets, or raise "
       "the limit."),
    _r("EMFILE", "*",
       "This process has as many descriptors open as it may (RLIMIT_NOFILE, `ulimit -n`). Close "
       "some sockets, or raise the limit."),
    _r("ENFILE", "*",
       "The whole system has run out of open-file slots (fs.file-max). Close some sockets, here "
       "or in other programs."),
    _r("ENOBUFS", "send",
       "The kernel had no buffer space for this send (a full device queue, or memory "
       "pressure). Wait a moment and send again, or send less at once."),
    _r("ENOBUFS", "setsockopt",
       "The kernel had no room for {option}'s data: per-socket option memory (net.core.optmem_max) "
       "or general memory ran out. Use a smaller value or filter."),
    _r("ENOBUFS", "*",
       "The kernel had no buffer space for this request. Wait a moment and retry, or ask for "
       "less at once."),
    _r("ENOMEM", "setsockopt",
       "The kernel could not allocate memory for {option} (per-socket option memory is capped "
       "by net.core.optmem_max). Use a smaller value or filter."),
    _r("ENOMEM", "*",
       "The kernel could not allocate memory for this request. Close something, or ask for less."),
    _r("EMSGSIZE", "send",
       "The datagram is too big to send in one piece: it exceeds {sock}'s send buffer "
       "(SO_SNDBUF), the largest UDP payload (65,507 bytes over IPv4), or the path MTU when "
       "fragmenting is forbidden. Send less per call."),
    _r("EMSGSIZE", "*", "The message is too long to go in one piece. Send less per call."),

    # --- Routes and reachability -----------------------------------------------------------------
    _r("ENETUNREACH", "*",
       "There is no route to [{address}|the destination's network]. With SO_DONTROUTE set on "
       "{sock}, only hosts on a directly attached network can be reached; otherwise check "
       "`ip route`."),
    _r("ENETDOWN", "*", "The network interface this traffic would use is down (see `ip link`)."),
    _r("EHOSTUNREACH", "*",
       "[{address}|The host] cannot be reached: no neighbour answered on the local link, or an "
       "ICMP \"host unreachable\" came back (a router or firewall said no)."),
    _r("ETIMEDOUT", "connect",
       "The peer[ {address}] never answered the connection request: the SYNs went unanswered "
       "until the kernel gave up (net.ipv4.tcp_syn_retries). The host may be down, or a "
       "firewall drops the packets."),
    _r("ETIMEDOUT", "*",
       "The connection died: retransmissions or keepalive probes went unanswered for too long "
       "(TCP_USER_TIMEOUT, keepalive settings). Its data is lost; make a new connection."),

    # --- Files, devices, timestamps ----------------------------------------------------------------
    _r("ENOENT", "ioctl",
       "No packet has been received on {sock} yet, so there is no timestamp to report "
       "(TCP sockets never keep one). Receive a datagram first.",
       ("request", ("SIOCGSTAMP", "SIOCGSTAMPNS"))),
    _r("ENOENT", "connect",
       "No socket file exists at [{address}|that path]. Start a listener that binds it, or check "
       "the spelling (abstract names start with @).", _UNIX),
    _r("ENOENT", "sendto",
       "No socket file exists at [{address}|that path]. Bind a receiver there first, or check "
       "the spelling (abstract names start with @).", _UNIX),
    _r("ENOENT", "sendmsg",
       "No socket file exists at [{address}|that path]. Bind a receiver there first, or check "
       "the spelling (abstract names start with @).", _UNIX),
    _r("ENOENT", "bind",
       "A directory on the path [{address}|given] does not exist, so the socket file cannot be "
       "created. Create the directory, or use another path.", _UNIX),
    _r("ENOENT", "setsockopt",
       "No filter is attached to {sock}, so there is nothing to detach.",
       ("option", ("SO_DETACH_FILTER", "SO_DETACH_BPF"))),
    _r("ENOENT", "*", "The thing asked for does not exist (a path, a timestamp, a filter)."),
    _r("ENOTDIR", "*", "A part of the socket path[ {address}] is a file where a directory should be."),
    _r("ENAMETOOLONG", "*", "The socket path is too long: a unix socket path has room for 107 bytes."),
    _r("EROFS", "*", "The socket file cannot be created there: the file system is read-only."),
    _r("ENODEV", "setsockopt",
       "There is no network interface by that name, so [{option}|SO_BINDTODEVICE] cannot bind "
       "{sock} to it. `ip link` lists the names; an empty name removes the binding."),
    _r("ENODEV", "*", "No such network device exists."),

    # --- Interruptions and odd ones ------------------------------------------------------------------
    _r("EINTR", "connect",
       "The wait was interrupted (a signal, or you cancelled it), but the connection attempt "
       "carries on in the background. Wait for POLLOUT, then read SO_ERROR for its result."),
    _r("EINTR", "*",
       "The call was interrupted before it finished: a signal arrived, or you cancelled it. "
       "Nothing was transferred; run it again if you still want it."),
    _r("ENOMSG", "*",
       "No message of the wanted kind. On an error queue this code is not a failure: entries "
       "marked ENOMSG carry transmit timestamps (SO_TIMESTAMPING)."),
    _r("EFAULT", "*", "A buffer address given to the kernel was invalid (a bug in the caller)."),
    _r("ENOSYS", "*", "This kernel does not implement that call."),
    _r("EIO", "*", "A low-level input/output error; the socket may no longer be usable."),
    _r("EBUSY", "*", "The resource is busy; try again later."),
)

# Stand-ins for ctx keys that are missing, chosen to read well mid-sentence.
_DEFAULTS: dict[str, str] = {
    "sock": "the socket",
    "Sock": "The socket",
    "family": "this address family",
    "type": "this socket type",
    "kind": "this kind of socket",
    "option": "this option",
    "option_access": "",
    "option_privilege": "extra privilege",
    "flags": "the flags given",
    "address": "that address",
    "nonblocking": "",
    "state": "its current state",
    "request": "this request",
}

_FAMILY_WORDS = {"unix": "AF_UNIX", "local": "AF_UNIX", "inet": "AF_INET", "inet6": "AF_INET6",
                 "ipv4": "AF_INET", "ipv6": "AF_INET6", "packet": "AF_PACKET", "netlink": "AF_NETLINK"}
_TYPE_WORDS = {"stream": "SOCK_STREAM", "tcp": "SOCK_STREAM", "dgram": "SOCK_DGRAM", "udp": "SOCK_DGRAM",
               "datagram": "SOCK_DGRAM", "raw": "SOCK_RAW", "seqpacket": "SOCK_SEQPACKET"}
_KINDS: dict[tuple[object, object], str] = {
    ("AF_INET", "SOCK_STREAM"): "TCP", ("AF_INET6", "SOCK_STREAM"): "TCP",
    ("AF_INET", "SOCK_DGRAM"): "UDP", ("AF_INET6", "SOCK_DGRAM"): "UDP",
    ("AF_INET", "SOCK_RAW"): "raw IP", ("AF_INET6", "SOCK_RAW"): "raw IPv6",
    ("AF_UNIX", "SOCK_STREAM"): "unix stream", ("AF_UNIX", "SOCK_DGRAM"): "unix datagram",
    ("AF_UNIX", "SOCK_SEQPACKET"): "unix seqpacket",
}


def name_of(code: int) -> str:
    """The errno's symbolic name as strace prints it (EAGAIN, not EWOULDBLOCK)."""
    code = abs(code)
    return _PREFERRED.get(code) or _errno.errorcode.get(code, f"E{code}")


def strerror(name: str) -> str:
    """The C library's message for an errno name, as strace shows it after `= -1 NAME`."""
    code = getattr(_errno, name, None)
    if code is None and name[1:].isascii() and name[1:].isdigit():
        code = int(name[1:])
    return os.strerror(code) if isinstance(code, int) else name


def _norm_const(value: Any, words: Mapping[str, str]) -> Any:
    if not isinstance(value, str):
        return value
    base = value.split("|")[0].strip()
    return words.get(base.lower(), base.upper())


def _norm_flag(flag: str) -> str:
    f = flag.strip().upper()
    return f if f.startswith("MSG_") else "MSG_" + f


def _normalise(ctx: Mapping[str, Any] | None) -> dict[str, Any]:
    """ctx with names in canonical form and derived keys added; empty values dropped."""
    src = dict(ctx or {})
    if "request" not in src and src.get("ioctl"):
        src["request"] = src["ioctl"]
    out: dict[str, Any] = {k: v for k, v in src.items() if v is not None and v != "" and v != []}
    if "family" in out:
        out["family"] = _norm_const(out["family"], _FAMILY_WORDS)
    if "type" in out:
        out["type"] = _norm_const(out["type"], _TYPE_WORDS)
    if "flags" in out:
        raw = out["flags"]
        items: Iterable[str] = raw.split("|") if isinstance(raw, str) else raw
        out["flags"] = [_norm_flag(str(f)) for f in items if str(f).strip()]
        if not out["flags"]:
            del out["flags"]
    for key in ("option", "request"):
        if isinstance(out.get(key), str):
            out[key] = out[key].upper()
    if isinstance(out.get("state"), str):
        out["state"] = out["state"].strip().lower()
    if "sock" in out:
        out["Sock"] = str(out["sock"])
    kind = _KINDS.get((out.get("family"), out.get("type")))
    if kind:
        out["kind"] = kind
    return out


def _holds(cond: Cond, ctx: Mapping[str, Any]) -> bool:
    key, wanted = cond
    if key not in ctx:
        return False
    have = ctx[key]
    options = wanted if isinstance(wanted, tuple) else (wanted,)
    if isinstance(have, list):
        return any(w in have for w in options)
    return have in options


class _Filled(dict[str, str]):
    """format_map's mapping: ctx values as text, stand-ins for anything missing."""

    def __missing__(self, key: str) -> str:
        return _DEFAULTS.get(key, "")


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    return str(value)


_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_FORMATTER = string.Formatter()


def fields_of(template: str) -> set[str]:
    """The ctx keys a template (or one alternative of a segment) refers to."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def render(template: str, ctx: Mapping[str, Any] | None = None) -> str:
    """Fill a row's template from ctx, never raising KeyError for a missing key."""
    norm = _normalise(ctx)

    def pick(m: re.Match[str]) -> str:
        alternatives = m.group(1).split("|")
        for alt in alternatives:
            if all(k in norm for k in fields_of(alt)):
                return alt
        return alternatives[-1] if len(alternatives) > 1 else ""

    chosen = _SEGMENT.sub(pick, template)
    return chosen.format_map(_Filled({k: _as_text(v) for k, v in norm.items()}))


def _candidates(syscall: str) -> list[str]:
    names = [syscall]
    group = SYSCALL_GROUPS.get(syscall)
    if group:
        names.append(group)
    names.append("*")
    return names


def find_row(name: str, syscall: str, ctx: Mapping[str, Any] | None = None) -> ErrnoRow | None:
    """The most specific row for this errno, syscall and ctx, or None if the table has none."""
    name = _ALIASES.get(name, name)
    norm = _normalise(ctx)
    for sc in _candidates(syscall):
        fitting = [r for r in _BY_KEY.get((name, sc), ()) if all(_holds(c, norm) for c in r.when)]
        if fitting:
            return max(fitting, key=lambda r: len(r.when))  # max keeps the first of equals
    return None


def explain(name: str, syscall: str, ctx: dict[str, Any] | None = None) -> str:
    """What `name` means when `syscall` returns it, in the situation `ctx` describes."""
    row = find_row(name, syscall, ctx)
    if row is None:
        return strerror(name)
    return render(row.text, ctx)


def rows_for(name: str) -> list[ErrnoRow]:
    """Every row about one errno, for help screens."""
    name = _ALIASES.get(name, name)
    return [r for r in ERRNO_ROWS if r.errno == name]


_BY_KEY: dict[tuple[str, str], list[ErrnoRow]] = {}
for _row in ERRNO_ROWS:
    _BY_KEY.setdefault((_row.errno, _row.syscall), []).append(_row)
