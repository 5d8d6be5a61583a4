"""The starting scene: what `sockplay` opens with no arguments, so the app is alive at once.

It is a list of command lines, run through the same path as anything typed, so
the REPL pane shows exactly how to rebuild it by hand.
"""

from __future__ import annotations

SCENE: tuple[str, ...] = (
    # a connected loopback TCP pair: listener s1, client c1, accepted a1
    "socket s1 inet stream",
    "bind s1 127.0.0.1:0",
    "listen s1",
    "socket c1 inet stream",
    "connect c1 s1",
    "accept s1 a1",
    # a UDP pair: u1 reports a timestamp and the drop counter with every datagram
    "socket u1 inet dgram",
    "setsockopt u1 SO_TIMESTAMP on",
    "setsockopt u1 SO_RXQ_OVFL on",
    "bind u1 127.0.0.1:0",
    "socket u2 inet dgram",
    "connect u2 u1",
)

SELECT = "c1"  # the socket the screen focuses on once the scene is up

WELCOME: tuple[str, ...] = (
    "Welcome to sockplay: a TCP pair (c1 ⇄ a1, listener s1) and a UDP pair (u2 → u1) are open.",
    "Try: send c1 hello · recv a1 2 peek · send u2 hi · recvmsg u1 · help lists every command.",
    "sockplay --empty starts bare · sockplay FILE.sp runs a script first · ctrl+l returns here.",
)

EMPTY_WELCOME: tuple[str, ...] = (
    "sockplay: no sockets yet. Try: socketpair a b · socket s inet stream · help lists every command.",
)
