"""The one table of commands: each row says its arguments, their kinds, help and an example.

The parser, the executor, `help`, the REPL completer and the lexer all read this
table, so adding a command starts with adding a row. Nothing here imports
prompt_toolkit or pygments: front-ends import the table, not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sockplay.core import catalog, flags

# Argument kinds: what a word in that position means, for messages and completers.
KINDS: dict[str, str] = {
    "sock": "the name of an open socket",
    "newsock": "a new socket name (letters, digits, _ . -)",
    "family": "an address family: unix, inet or inet6",
    "type": "a socket type: stream, dgram, seqpacket or raw",
    "proto": "a protocol: tcp, udp, 0, ...",
    "sockflag": "nonblock or cloexec, set at creation",
    "addr": "an address (127.0.0.1:8080, [::1]:80, ./x.sock, @name) or a socket's name",
    "data": 'bytes: "text\\n" with C escapes, a bare word, or hex:48656c6c6f',
    "flags": "MSG_ flags such as peek, dontwait, waitall (MSG_PEEK works too)",
    "size": "a byte count such as 2, 4096 or 64k",
    "int": "a whole number",
    "option": "a socket option such as SO_RCVBUF or rcvbuf",
    "value": "an option value such as 4096, on, on,0 or 1.5",
    "how": "rd, wr or rdwr",
    "request": "an ioctl request such as SIOCINQ or FIONREAD",
    "fcntlop": "nonblock, async, setown, getown, getfl or setsig",
    "key": "a /proc/sys/net/core setting such as rmem_max",
    "ms": "milliseconds, such as 100 (or 1.5s)",
    "field": "what to check: ret, errno, data, cmsg, value, flags, ready, signal or wire",
    "wireop": "on, off or save (nothing: say what is being captured)",
    "wirearg": "socket names (wire on/off) or a file (wire save FILE)",
    "topic": "a command, an option, a flag or a word such as data or addr",
    "requirement": "root, cap, kernel, ipv6, netns or program",
    "text": "any text",
    "relaymode": "hold (queue each chunk for forward/drop/replace), stop, or wait (until it ends)",
    "tlstarget": "the name of a connected stream socket, or keylog",
    "tlsrole": "client, server or close (after keylog: the FILE to write)",
}

# Words some kinds accept, for completion and 'did you mean' hints.
HOW_WORDS: tuple[str, ...] = ("rd", "wr", "rdwr")
SOCK_FLAGS: tuple[str, ...] = ("nonblock", "cloexec")
FCNTL_OPS: tuple[str, ...] = ("nonblock", "async", "setown", "getown", "getfl", "setsig")
ONOFF: tuple[str, ...] = ("on", "off")
EXPECT_FIELDS: tuple[str, ...] = ("ret", "errno", "data", "cmsg", "value", "flags", "ready", "signal", "wire")
WIRE_OPS: tuple[str, ...] = ("on", "off", "save")
WIRE_PROTOS: tuple[str, ...] = ("tcp", "udp", "icmp", "icmp6")
TCP_FLAG_WORDS: tuple[str, ...] = ("SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR")
ICMP_WORDS: tuple[str, ...] = ("DEST_UNREACH", "PORT_UNREACH", "FRAG_NEEDED", "HOST_UNREACH", "NET_UNREACH",
                               "PROT_UNREACH", "TIME_EXCEEDED", "ECHO", "ECHOREPLY", "PKT_TOOBIG", "TIME_EXCEED",
                               "ECHO_REQUEST", "ECHO_REPLY")
WIRE_KEYS: tuple[str, ...] = ("count", "win", "len")  # expect wire ... count=N win=N len=N
WIRE_WORDS: tuple[str, ...] = WIRE_OPS + ("icmp", "icmp6", "from", "to") + TCP_FLAG_WORDS + ICMP_WORDS
RELAY_MODES: tuple[str, ...] = ("hold", "stop", "wait")
TLS_ROLES: tuple[str, ...] = ("client", "server", "close")
_FALLBACK_IOCTLS: tuple[str, ...] = (
    "SIOCINQ", "FIONREAD", "SIOCOUTQ", "SIOCOUTQNSD", "SIOCATMARK", "SIOCGSTAMP", "SIOCGSTAMPNS",
    "FIONBIO", "FIOASYNC", "FIOSETOWN", "FIOGETOWN", "SIOCSPGRP", "SIOCGPGRP",
)


def ioctl_requests() -> tuple[str, ...]:
    """Request names the engine knows, with their aliases (FIONREAD for SIOCINQ)."""
    try:
        from sockplay.core import ioctls
    except ImportError:  # an engine without the ioctl table
        return _FALLBACK_IOCTLS
    return tuple(r.name for r in ioctls.IOCTLS) + tuple(a for r in ioctls.IOCTLS for a in r.aliases if a.isupper())


@dataclass(frozen=True, slots=True)
class ArgSpec:
    """One positional argument: its placeholder, kind, and whether it may be left out or repeat."""

    name: str  # placeholder shown in usage, e.g. NAME, SIZE
    kind: str  # a key of KINDS
    dest: str  # key in Command.args
    optional: bool = False
    repeat: bool = False  # takes every remaining word of its kind


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A key=value setting such as count=5, or a bare switch word such as creds."""

    key: str
    kind: str  # "int", "size", "ms", "addr", "socks", "text" or "switch"
    help: str
    placeholder: str = "TEXT"  # shown for kind "text"

    @property
    def usage(self) -> str:
        if self.kind == "switch":
            return f"[{self.key}]"
        placeholder = {"int": "N", "size": "BYTES", "ms": "MS", "addr": "ADDR", "socks": "NAME,..."}.get(
            self.kind, self.placeholder)
        return f"[{self.key}={placeholder}]"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command of the language."""

    name: str
    args: tuple[ArgSpec, ...]
    help: str
    example: str
    keys: tuple[KeySpec, ...] = ()
    group: str = "sockets"  # sockets, data, options, info, script
    calls: bool = True  # makes a syscall whose Outcome `expect` can check

    @property
    def usage(self) -> str:
        words = [self.name]
        for a in self.args:
            shown = a.name + ("..." if a.repeat else "")
            words.append(f"[{shown}]" if a.optional else shown)
        words += [k.usage for k in self.keys]
        return " ".join(words)

    @property
    def required(self) -> tuple[ArgSpec, ...]:
        return tuple(a for a in self.args if not a.optional)

    def key(self, name: str) -> KeySpec | None:
        for k in self.keys:
            if k.key == name:
                return k
        return None


def _a(name: str, kind: str, dest: str | None = None, optional: bool = False, repeat: bool = False) -> ArgSpec:
    return ArgSpec(name, kind, dest or name.lower(), optional, repeat)


NAME = _a("NAME", "sock", "sock")
COUNT_SEND = KeySpec("count", "int", "send the same data N times in a row (a flood, for demos)")
COUNT_RECV = KeySpec("count", "int", "try up to N times, stopping at the first error (drains a queue)")
TIMEOUT = KeySpec("timeout", "ms", "give up waiting after this many milliseconds")

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "socket",
        (_a("NAME", "newsock", "name"), _a("FAMILY", "family"), _a("TYPE", "type"),
         _a("PROTO", "proto", optional=True), _a("FLAG", "sockflag", "sockflags", optional=True, repeat=True)),
        "Open a new socket and give it a name you use in later commands. Add nonblock "
        "or cloexec to set those bits in the same call.",
        "socket s inet stream",
    ),
    CommandSpec(
        "socketpair",
        (_a("NAME", "newsock", "name"), _a("NAME2", "newsock", "name2"), _a("TYPE", "type", optional=True)),
        "Make two unix sockets already joined to each other: what one sends, the other "
        "receives. The quickest way to try data and flags with no addresses at all.",
        "socketpair a b dgram",
    ),
    CommandSpec(
        "bind",
        (NAME, _a("ADDR", "addr")),
        "Give a socket its local address. Port 0 lets the kernel pick a free port; "
        "getsockname shows which one it chose.",
        "bind srv 127.0.0.1:0",
    ),
    CommandSpec(
        "listen",
        (NAME, _a("BACKLOG", "int", optional=True)),
        "Turn a bound stream socket into one that waits for connections. BACKLOG "
        "caps how many finished handshakes may queue before accept takes them.",
        "listen srv 16",
    ),
    CommandSpec(
        "accept",
        (NAME, _a("NEWNAME", "newsock", "newname", optional=True)),
        "Take the next connection off a listener's queue as a new socket (named "
        "NEWNAME, or a1, a2, ...). Waits while the queue is empty unless the "
        "listener is nonblocking.",
        "accept srv conn",
        keys=(TIMEOUT,),
    ),
    CommandSpec(
        "connect",
        (NAME, _a("ADDR", "addr")),
        "Connect to an address, or to another socket by its name. On a datagram "
        "socket this only fixes the default destination and filters who may reply.",
        "connect c srv",
        keys=(TIMEOUT,),
    ),
    CommandSpec(
        "send",
        (NAME, _a("DATA", "data"), _a("FLAG", "flags", "flags", optional=True, repeat=True)),
        "Send bytes on a connected socket. The return value is how many bytes the "
        "kernel took, which may be fewer than you gave on a nonblocking socket.",
        'send a "hello\\n" count=3',
        keys=(COUNT_SEND, TIMEOUT),
        group="data",
    ),
    CommandSpec(
        "sendto",
        (NAME, _a("ADDR", "addr"), _a("DATA", "data"), _a("FLAG", "flags", "flags", optional=True, repeat=True)),
        "Send one message to the address given with it, the usual way to talk over "
        "an unconnected datagram socket.",
        "sendto u 127.0.0.1:9000 hex:00ff",
        keys=(COUNT_SEND, TIMEOUT),
        group="data",
    ),
    CommandSpec(
        "sendmsg",
        (NAME, _a("DATA", "data"), _a("FLAG", "flags", "flags", optional=True, repeat=True)),
        "The general send: it can also carry ancillary data, such as open sockets "
        "handed to the peer (rights=) or your process credentials (creds).",
        "sendmsg a x rights=c",
        keys=(
            KeySpec("to", "addr", "where to send on an unconnected socket"),
            KeySpec("rights", "socks", "pass these sockets to the peer (SCM_RIGHTS)"),
            KeySpec("creds", "switch", "attach pid, uid and gid (SCM_CREDENTIALS)"),
            COUNT_SEND,
        ),
        group="data",
    ),
    CommandSpec(
        "recv",
        (NAME, _a("SIZE", "size", optional=True), _a("FLAG", "flags", "flags", optional=True, repeat=True)),
        "Read up to SIZE bytes (64k unless given). With peek the bytes stay queued "
        "for the next read; with dontwait an empty queue gives EAGAIN instead of a wait. "
        "recv NAME until DATA|len=N|/REGEX/ reads one message instead: it peeks, then takes "
        "exactly the message's bytes with a sized read, leaving the rest queued in the kernel "
        "(timeout= defaults to 10 s here).",
        "recv b 2 peek",
        keys=(COUNT_RECV, TIMEOUT),
        group="data",
    ),
    CommandSpec(
        "recvfrom",
        (NAME, _a("SIZE", "size", optional=True), _a("FLAG", "flags", "flags", optional=True, repeat=True)),
        "Like recv, and also reports the sender's address: what a datagram server "
        "needs in order to reply.",
        "recvfrom u 1500 dontwait",
        keys=(COUNT_RECV, TIMEOUT),
        group="data",
    ),
    CommandSpec(
        "recvmsg",
        (NAME, _a("SIZE", "size", optional=True), _a("FLAG", "flags", "flags", optional=True, repeat=True)),
        "The general receive: besides the data it returns ancillary messages such as "
        "timestamps, drop counters and passed sockets. anc= sizes the control buffer "
        "(256 bytes unless given); too small a buffer sets MSG_CTRUNC.",
        "recvmsg r 100 dontwait count=5000",
        keys=(KeySpec("anc", "size", "control buffer size in bytes (0: none)"), COUNT_RECV, TIMEOUT),
        group="data",
    ),
    CommandSpec(
        "relay",
        (_a("A", "sock", "a"), _a("B", "sock", "b"), _a("MODE", "relaymode", "mode", optional=True)),
        "Pump bytes both ways between two connected sockets in the background: each chunk is a "
        "real recv on one and a real send on the other. End of file on one side is passed on as "
        "shutdown wr; the relay ends when both sides have ended, or with relay A B stop. hold "
        "queues each chunk until forward, drop or replace DATA decides; wait blocks until the "
        "relay ends (timeout= to give up).",
        "relay cli up hold",
        keys=(TIMEOUT,),
        group="data",
        calls=False,
    ),
    CommandSpec(
        "forward",
        (),
        "Send the oldest chunk an intercepting relay (relay A B hold) is holding, unchanged.",
        "forward",
        group="data",
    ),
    CommandSpec(
        "drop",
        (),
        "Throw away the oldest chunk an intercepting relay is holding; the other side never sees it.",
        "drop",
        group="data",
        calls=False,
    ),
    CommandSpec(
        "replace",
        (_a("DATA", "data"),),
        "Send DATA instead of the oldest chunk an intercepting relay is holding (file:PATH works).",
        'replace "GET /other HTTP/1.0\\r\\n\\r\\n"',
        group="data",
    ),
    CommandSpec(
        "proxy",
        (_a("LISTEN", "addr", "listen"), _a("UPSTREAM", "addr", "upstream")),
        "Listen on LISTEN; for each client accepted as cliN, connect upN to UPSTREAM and relay "
        "them (udp: one upN per sender address). Runs in the background; close the listener "
        "(proxy1) to stop taking clients.",
        "proxy 127.0.0.1:8080 127.0.0.1:8000",
        keys=(KeySpec("udp", "switch", "relay datagrams, one upstream socket per sender"),
              KeySpec("hold", "switch", "hold every chunk for forward, drop or replace")),
        calls=False,
    ),
    CommandSpec(
        "tls",
        (_a("NAME", "tlstarget", "target"), _a("ROLE", "tlsrole", "role")),
        "Speak TLS on a connected stream socket, then send and recv carry plaintext. The engine "
        "still makes every syscall: records go out and come in by real send/recv, and OpenSSL's "
        "work shows as library calls. client takes sni=, alpn=, verify=on|off|CAFILE; server "
        "takes cert= key= or selfsigned (a throwaway CA; the result names its file). close "
        "sends close_notify. tls keylog FILE writes SSLKEYLOGFILE lines for Wireshark.",
        "tls c client sni=example.com alpn=http/1.1 verify=off",
        keys=(
            KeySpec("sni", "text", "the server name sent in the handshake (and checked)", "HOST"),
            KeySpec("alpn", "text", "protocols to offer, comma separated", "LIST"),
            KeySpec("verify", "text", "on (system CAs), off, or a CA file", "on|off|CAFILE"),
            KeySpec("cert", "text", "server certificate chain (PEM)", "FILE"),
            KeySpec("key", "text", "server private key (PEM)", "FILE"),
            KeySpec("selfsigned", "switch", "a throwaway CA and a certificate for localhost"),
            TIMEOUT,
        ),
        group="data",
        calls=False,  # its calls are listed in order on the Result; expect checks the handshake's result
    ),
    CommandSpec(
        "setsockopt",
        (NAME, _a("OPTION", "option"), _a("VALUE", "value")),
        "Change an option. The result shows what the kernel kept, which is not always "
        "what you asked for (SO_RCVBUF comes back doubled).",
        "setsockopt b SO_PEEK_OFF 4",
        group="options",
    ),
    CommandSpec(
        "getsockopt",
        (NAME, _a("OPTION", "option")),
        "Read an option's current value, decoded (names for constants, seconds for timeouts).",
        "getsockopt s SO_TYPE",
        group="options",
    ),
    CommandSpec(
        "getsockname",
        (NAME,),
        "Show the socket's own address, including a port the kernel picked for you.",
        "getsockname srv",
        group="info",
    ),
    CommandSpec(
        "getpeername",
        (NAME,),
        "Show the address of the other end of a connected socket.",
        "getpeername c",
        group="info",
    ),
    CommandSpec(
        "shutdown",
        (NAME, _a("HOW", "how")),
        "Close one direction of a connection without closing the socket: wr tells the "
        "peer you are done sending (it reads end of file), rd stops your reading.",
        "shutdown c wr",
    ),
    CommandSpec(
        "close",
        (NAME,),
        "Close the socket and forget its name. A call waiting on it is woken first.",
        "close c",
    ),
    CommandSpec(
        "poll",
        (_a("NAME", "sock", "socks", optional=True, repeat=True),),
        "Ask once which sockets are ready for what (POLLIN, POLLOUT, POLLHUP, ...). "
        "Every open socket unless names are given; timeout= waits for a change.",
        "poll a b timeout=100",
        keys=(KeySpec("timeout", "ms", "wait up to this many milliseconds for readiness (-1: until one, as poll(2) does)"),),
        group="info",
    ),
    CommandSpec(
        "ioctl",
        (NAME, _a("REQUEST", "request"), _a("VALUE", "value", optional=True)),
        "Ask the socket's driver a question, such as how many bytes wait to be read "
        "(SIOCINQ) or are still unsent (SIOCOUTQ).",
        "ioctl b SIOCINQ",
        group="info",
    ),
    CommandSpec(
        "fcntl",
        (NAME, _a("OP", "fcntlop"), _a("VALUE", "value", optional=True)),
        "Change file-descriptor flags: nonblock on|off, async on|off (SIGIO), setown "
        "[PID] picks who gets the signals; getown and getfl read them back.",
        "fcntl s nonblock on",
        group="options",
    ),
    CommandSpec(
        "sysctl",
        (_a("KEY", "key", optional=True),),
        "Read the system-wide socket limits under /proc/sys/net/core, such as rmem_max, "
        "that cap what setsockopt can ask for.",
        "sysctl rmem_max",
        group="info",
    ),
    CommandSpec(
        "sockets",
        (),
        "List the open sockets: name, kind, addresses and state.",
        "sockets",
        group="info",
        calls=False,
    ),
    CommandSpec(
        "options",
        (NAME,),
        "Show every option that applies to a socket, with its current value.",
        "options b",
        group="info",
        calls=False,
    ),
    CommandSpec(
        "help",
        (_a("TOPIC", "topic", optional=True),),
        "Show the commands, one command in full, or what an option or flag does.",
        "help SO_LINGER",
        group="script",
        calls=False,
    ),
    CommandSpec(
        "cancel",
        (_a("NAME", "sock", optional=True),),
        "Interrupt a call waiting in the kernel (on NAME, or any) with sockplay's cancel "
        "signal: the call returns EINTR. after=MS arms it for the next call that waits, so a "
        "script can show it: cancel b after=200, then recv b 10 returns EINTR.",
        "cancel b after=200",
        keys=(KeySpec("after", "ms", "wait this long, then interrupt the call waiting by then"),),
        group="script",
        calls=False,
    ),
    CommandSpec(
        "sleep",
        (_a("MS", "ms"),),
        "Pause the script for a while so that timers run and events arrive.",
        "sleep 100",
        group="script",
        calls=False,
    ),
    CommandSpec(
        "echo",
        (_a("TEXT", "text", optional=True, repeat=True),),
        "Print a line into the transcript, to explain what the next step shows.",
        'echo "now the peer reads"',
        group="script",
        calls=False,
    ),
    CommandSpec(
        "require",
        (_a("WHAT", "requirement", "what"), _a("ARG", "text", "arg", optional=True)),
        "Check that this process can do what the next lines need (root, cap CAP_NET_ADMIN, "
        "kernel 5.4, ipv6, netns, program NAME). When it cannot, the rest of the step, up to "
        "the next blank line, is skipped with the reason instead of failing.",
        "require cap CAP_NET_ADMIN",
        group="script",
        calls=False,
    ),
    CommandSpec(
        "wire",
        (_a("ACTION", "wireop", "action", optional=True), _a("NAME", "wirearg", "names", optional=True, repeat=True)),
        "Watch the packets your calls cause on loopback: wire on captures them (for the named "
        "sockets only when names are given), wire off stops, wire save FILE writes what was "
        "captured as a pcap file for tcpdump -r or Wireshark. Needs CAP_NET_RAW; unix sockets "
        "never reach the wire.",
        "wire on",
        group="info",
        calls=False,
    ),
    CommandSpec(
        "expect",
        (_a("FIELD", "field"), _a("VALUE", "text", "values", optional=True, repeat=True)),
        "Check the result of the previous call and fail the script when it differs: "
        "ret N, errno NAME, data DATA, cmsg TYPE [VALUE], value V, flags MSG_X. "
        "expect ready NAME FLAG... waits up to a second for those poll bits; "
        "expect signal SIGIO [NAME] waits up to a second for that signal (naming that socket); "
        "expect wire PROTO FLAG... [from NAME] [to NAME] waits up to a second for such a packet "
        "since the previous call began (count=N: exactly N of them; win=N, len=N: with that "
        "window or payload length).",
        'expect data "cc"',
        group="script",
        calls=False,
    ),
)

BY_NAME: dict[str, CommandSpec] = {c.name: c for c in COMMANDS}
COMMAND_NAMES: tuple[str, ...] = tuple(BY_NAME)


def command(name: str) -> CommandSpec | None:
    """The row for `name` (case-insensitive), or None."""
    return BY_NAME.get(name.lower())


def vocabulary(kind: str) -> tuple[str, ...]:
    """The fixed words a kind accepts (empty for open kinds such as sock or data)."""
    if kind == "command":
        return COMMAND_NAMES
    if kind == "family":
        return tuple(c.words[0] for c in flags.FAMILIES)
    if kind == "type":
        return tuple(c.words[0] for c in flags.TYPES)
    if kind == "proto":
        return tuple(c.words[0] for c in flags.PROTOCOLS)
    if kind == "sockflag":
        return SOCK_FLAGS
    if kind == "flags":
        return tuple(f.short for f in flags.MSG_FLAGS)
    if kind == "option":
        return tuple(r.name for r in catalog.OPTIONS)
    if kind == "how":
        return HOW_WORDS
    if kind == "request":
        return ioctl_requests()
    if kind == "fcntlop":
        return FCNTL_OPS
    if kind == "field":
        return EXPECT_FIELDS
    if kind == "wireop":
        return WIRE_OPS
    if kind == "relaymode":
        return RELAY_MODES
    if kind == "tlsrole":
        return TLS_ROLES
    if kind == "requirement":
        from sockplay.lang.requirements import BY_WORD

        return tuple(BY_WORD)
    if kind == "pollbit":
        return tuple(f.name for f in flags.POLL_BITS)
    if kind == "topic":
        return COMMAND_NAMES + tuple(r.name for r in catalog.OPTIONS)
    return ()


@dataclass(frozen=True, slots=True)
class Topic:
    """A help topic that is not a command: the argument forms people ask about."""

    name: str
    help: str
    examples: tuple[str, ...] = field(default_factory=tuple)


TOPICS: tuple[Topic, ...] = (
    Topic("data", "Bytes to send. A bare word is sent as is. In quotes, C escapes work: \\n \\r \\t "
          "\\0 \\\\ \\\" \\xHH (always two hex digits) and \\NNN (octal). hex: followed by pairs of "
          "hex digits gives raw bytes. file:PATH (a bare word) gives the bytes of that file.",
          ('send a "GET / HTTP/1.0\\r\\n\\r\\n"', "send a hex:00ff10", "send a file:request.bin")),
    Topic("addr", "IPv4 as 127.0.0.1:8080, IPv6 in brackets as [::1]:80, a unix path such as "
          "./demo.sock, @name for the abstract unix namespace, or the name of another socket "
          "meaning its local address (handy with port 0).", ("bind s 127.0.0.1:0", "connect c s")),
    Topic("flags", "MSG_ flags go after the other arguments, as short words (peek, dontwait, "
          "waitall, oob, trunc, nosignal, ...) or full names (MSG_PEEK).", ("recv b 2 peek dontwait",)),
    Topic("count", "count=N on a send repeats it N times; on a receive it tries up to N times and "
          "stops at the first error, so count=1000 with dontwait drains a queue.",
          ("send u x count=200", "recvmsg r 100 dontwait count=5000")),
    Topic("expect", "expect checks the previous call's result and stops the script with exit "
          "status 1 when it differs. expect data ~ /REGEX/ matches the data against a regular "
          "expression instead.", ("expect ret 2", "expect errno EAGAIN", 'expect data "cc"',
                                  "expect data ~ /^HTTP.1.[01]\\s200/",
                                  "expect cmsg SO_RXQ_OVFL", "expect ready b POLLIN",
                                  "expect wire tcp SYN from c", "expect wire tcp PSH from c count=10")),
    Topic("wire", "The packets on loopback, beside the calls that cause them: wire on, then every "
          "TCP segment, UDP datagram and ICMP error of the playground's sockets shows with its flags, "
          "relative sequence numbers (as tcpdump prints them), window and length. expect wire checks "
          "that one went by: PROTO is tcp, udp, icmp or icmp6; TCP flags are SYN ACK FIN RST PSH URG "
          "ECE CWR (all those given must be set); ICMP kinds such as PORT_UNREACH or FRAG_NEEDED.",
          ("wire on", "expect wire tcp SYN ACK from srv", "expect wire tcp ACK from a win=0",
           "expect wire icmp PORT_UNREACH to u", "wire save /tmp/demo.pcap")),
    Topic("eintr", "A call waiting in the kernel (recv, accept, connect, send into a full buffer, "
          "poll) ends early when a signal's handler runs in its thread: it returns -1 EINTR and "
          "nothing was moved. A handler installed with SA_RESTART asks the kernel to start most "
          "such calls over instead, so the program never sees EINTR; without it (sockplay's "
          "cancel signal, SIGRTMIN+3, is installed that way) the call returns EINTR. A socket "
          "call with SO_RCVTIMEO or SO_SNDTIMEO set is never started over, SA_RESTART or not: "
          "restarting would begin the timeout again, so the kernel returns EINTR and leaves the "
          "retry to the program. poll is never restarted either. Cancelling a waiting call in "
          "sockplay (Ctrl-C in the REPL, closing its socket, the cancel command) sends that "
          "signal to the waiting thread.",
          ("cancel b after=200", "recv b 10", "expect errno EINTR")),
)
TOPIC_BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}
