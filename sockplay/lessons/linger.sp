# title: SO_LINGER and the reset
# summary: what close() does with unsent data, and how SO_LINGER on,0 turns a close into an RST the peer sees as ECONNRESET

## By default close() returns at once and the kernel goes on delivering
## whatever was still queued, then ends the connection politely with a FIN.
## The peer reads the data and then end of file.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
getsockopt c SO_LINGER
expect value off,0
send c "last words"
close c
recv s 100
expect data "last words"
recv s 100
expect ret 0

## SO_LINGER holds a pair: on/off and a number of seconds. (The kernel
## stores the on/off part as 0 or 1: a C program passing 7 reads back 1.)
socket c2 inet stream
setsockopt c2 SO_LINGER on,5
expect value 1,5

## With linger on and a time of 0, close() throws the connection away: no
## FIN, but a reset (RST). The peer's poll shows everything at once, errors
## and hang-up included.
connect c2 srv
accept srv s2
setsockopt c2 SO_LINGER on,0
expect value 1,0
close c2
expect ready s2 POLLERR POLLHUP
poll s2
expect value s2=POLLIN,POLLOUT,POLLERR,POLLHUP,POLLRDHUP

## The peer's next read reports the reset once, as ECONNRESET. After that
## the connection is simply dead: reads give end of file and writes EPIPE.
recv s2 100
expect errno ECONNRESET
recv s2 100
expect ret 0
send s2 "anyone?" nosignal
expect errno EPIPE

## Unread data also turns a close into a reset: closing a socket whose
## receive queue still holds bytes tells the peer they were never read.
socket c3 inet stream
connect c3 srv
accept srv s3
send c3 "never read"
sleep 20
close s3
expect ready c3 POLLERR
recv c3 100
expect errno ECONNRESET

## With linger on and a positive time, close() on a blocking socket waits
## until the queued data is acknowledged (or the time is up). On loopback
## that is immediate.
socket c4 inet stream
connect c4 srv
accept srv s4
setsockopt c4 SO_LINGER on,2
send c4 "flushed first"
close c4
expect errno 0
recv s4 100
expect data "flushed first"
