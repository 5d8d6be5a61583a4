# title: The poll events, each made to happen
# summary: POLLIN, POLLPRI, POLLOUT, POLLRDHUP, POLLERR and POLLHUP one by one, and where POLLHUP really shows up

## poll() answers "what could I do now without waiting?". An idle connected
## pair has room to write and nothing to read: POLLOUT alone.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
poll c
expect value c=POLLOUT

## POLLIN: bytes are queued for reading. A listener says POLLIN when a
## finished connection waits for accept().
send s "data"
expect ready c POLLIN
poll c
expect value c=POLLIN,POLLOUT
recv c 100
expect data "data"
poll srv
expect value srv=
socket c2 inet stream
connect c2 srv
expect ready srv POLLIN

## POLLPRI: TCP urgent ("out-of-band") data has arrived. With only the
## urgent byte queued there is no POLLIN: that byte is not part of the
## normal stream, so an ordinary read would have nothing to return.
send s "!" oob
expect ready c POLLPRI
poll c
expect value c=POLLPRI,POLLOUT
recv c 1 oob
expect data "!"

## POLLRDHUP: the peer shut down its sending side (its FIN arrived). Note
## what is NOT there: socket(7) says POLLHUP means "the other end has shut
## down one direction", but Linux reports that case as POLLIN|POLLRDHUP.
## The POLLIN is the end of file waiting to be read.
shutdown s wr
expect ready c POLLRDHUP
poll c
expect value c=POLLIN,POLLOUT,POLLRDHUP
recv c 100
expect ret 0

## POLLHUP comes only once both directions are shut (or the connection is
## reset). Shutting our own sending side too completes the pair.
shutdown c wr
expect ready c POLLHUP
poll c
expect value c=POLLIN,POLLOUT,POLLHUP,POLLRDHUP

## A TCP socket that was never connected also reports POLLHUP (with
## POLLOUT), which surprises many: nothing has hung up, there is simply no
## connection in either direction.
socket fresh inet stream
poll fresh
expect value fresh=POLLOUT,POLLHUP

## POLLERR: an error is pending on the socket. A UDP socket connected to a
## port nobody listens on gets the ICMP "port unreachable" back as a
## pending ECONNREFUSED; poll shows POLLERR until SO_ERROR reads it.
socket u inet dgram
bind u 127.0.0.1:0
socket closed inet dgram
bind closed 127.0.0.1:0
connect u closed
close closed
send u "anyone?"
expect ready u POLLERR
getsockopt u SO_ERROR
expect value ECONNREFUSED
poll u
expect value u=POLLOUT

## poll also has POLLNVAL, for a descriptor that is not open at all; sockplay
## forgets a socket's name when it closes it, so that one cannot be shown here.
