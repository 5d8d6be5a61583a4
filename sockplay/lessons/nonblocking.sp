# title: Nonblocking I/O and EAGAIN
# summary: O_NONBLOCK turns every would-block into EAGAIN or EINPROGRESS, for recv, accept, send and connect

## A blocking recv on an empty socket would wait forever. Mark the socket
## nonblocking (fcntl F_SETFL O_NONBLOCK) and the same call returns at once
## with EAGAIN: "nothing now, try again later".
socketpair a b
fcntl b nonblock on
expect errno 0
recv b 100
expect errno EAGAIN

## The mode can also be chosen per call: MSG_DONTWAIT makes one receive
## nonblocking without touching the descriptor's flags. The descriptor flag
## is also set at creation with SOCK_NONBLOCK, and SO_TYPE does not show it.
recv a 100 dontwait
expect errno EAGAIN
socket n inet stream nonblock
getsockopt n SO_TYPE
expect value SOCK_STREAM

## Once data is there, the nonblocking read just returns it.
send a "ready"
recv b 100
expect data "ready"
recv b 100
expect errno EAGAIN

## accept() on a nonblocking listener with no pending connection: EAGAIN.
socket srv inet stream nonblock
bind srv 127.0.0.1:0
listen srv
accept srv
expect errno EAGAIN

## connect() on a nonblocking socket cannot wait for the handshake, so it
## returns EINPROGRESS. The socket turns writable (POLLOUT) when the
## connection is up; SO_ERROR then reads 0, meaning it succeeded.
connect n srv
expect errno EINPROGRESS
expect ready n POLLOUT
getsockopt n SO_ERROR
expect value 0
accept srv conn
expect errno 0

## Sending is nonblocking too: keep writing into a full send buffer and the
## kernel takes what fits, then answers EAGAIN instead of waiting for the
## reader to make room.
setsockopt a SO_SNDBUF 4096
fcntl a nonblock on
send a hex:00 count=64
expect errno EAGAIN

## Turn the mode off again and the same socket blocks as usual (here the
## queued bytes are simply read back).
fcntl b nonblock off
expect errno 0
recv b 1
expect data hex:00
