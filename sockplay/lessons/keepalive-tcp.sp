# title: Keepalive
# summary: SO_KEEPALIVE and the TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT timers that decide when an idle connection is probed and given up

## An idle TCP connection sends nothing, so a peer that vanished (power cut,
## cable pulled) goes unnoticed for ever. SO_KEEPALIVE makes the kernel
## probe the peer after a quiet spell. It is off by default.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
getsockopt c SO_KEEPALIVE
expect value 0
setsockopt c SO_KEEPALIVE on
expect value 1

## Three TCP-level numbers shape the probing: how long the connection must
## be idle before the first probe (TCP_KEEPIDLE, 7200 s by default), the
## gap between unanswered probes (TCP_KEEPINTVL, 75 s) and how many may go
## unanswered before the connection is declared dead (TCP_KEEPCNT, 9).
getsockopt c TCP_KEEPIDLE
expect value 7200
getsockopt c TCP_KEEPINTVL
expect value 75
getsockopt c TCP_KEEPCNT
expect value 9

## Shorten them to see probes within a second. On loopback the peer's
## kernel answers every probe, so the connection stays up: keepalive only
## ends connections whose peer has really gone. The application sees
## nothing at all while probes are answered.
setsockopt c TCP_KEEPIDLE 1
expect value 1
setsockopt c TCP_KEEPINTVL 1
setsockopt c TCP_KEEPCNT 2
connect c srv
accept srv s
sleep 1200
poll c
expect value c=POLLOUT
send c "still here"
recv s 100
expect data "still here"

## An accepted socket inherits the listener's options, keepalive included.
setsockopt srv SO_KEEPALIVE on
socket c2 inet stream
connect c2 srv
accept srv s2
getsockopt s2 SO_KEEPALIVE
expect value 1

## TCP_USER_TIMEOUT is the companion knob: how long sent data may stay
## unacknowledged before the connection is dropped with ETIMEDOUT. It also
## bounds keepalive when set.
setsockopt c TCP_USER_TIMEOUT 5000
expect value 5000
