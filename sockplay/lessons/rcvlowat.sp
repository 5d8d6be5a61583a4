# title: SO_RCVLOWAT and SO_SNDLOWAT
# summary: a low-water mark that poll honours on TCP only (socket(7) says never), partial reads below it, and a send mark you cannot set

## SO_RCVLOWAT says how many bytes should be queued before the socket
## counts as readable. It starts at 1.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
getsockopt c SO_RCVLOWAT
expect value 1

## socket(7) says poll ignores the mark. On TCP, Linux honours it: with the
## mark at 10 and 5 bytes queued, poll reports no POLLIN...
setsockopt c SO_RCVLOWAT 10
expect value 10
send s "12345"
sleep 20
poll c
expect value c=POLLOUT
ioctl c SIOCINQ
expect value 5

## ...and once 10 bytes are there, POLLIN appears.
send s "67890"
expect ready c POLLIN

## A read with fewer bytes than the mark does not wait for more on a
## nonblocking call: it returns the partial data, not EAGAIN.
recv c 100
expect data "1234567890"
send s "abc"
sleep 20
recv c 100 dontwait
expect data "abc"

## Unix sockets (and UDP) ignore the mark in poll: one byte is enough for
## POLLIN whatever SO_RCVLOWAT says.
socketpair a b
setsockopt b SO_RCVLOWAT 10
expect value 10
send a "x"
poll b
expect value b=POLLIN,POLLOUT
socket u inet dgram
bind u 127.0.0.1:0
setsockopt u SO_RCVLOWAT 10
socket su inet dgram
sendto su u "y"
expect ready u POLLIN

## The mark and the receive buffer are tied together on TCP. If you fixed
## the buffer size yourself, the mark is cut to half of it (8192 / 2)...
socket c2 inet stream
setsockopt c2 SO_RCVBUF 4096
expect value 8192
setsockopt c2 SO_RCVLOWAT 100000
expect value 4096

## ...and if you did not, a large mark makes the kernel grow the buffer so
## that the mark can be reached (compare SO_RCVBUF before and after).
socket c3 inet stream
getsockopt c3 SO_RCVBUF
setsockopt c3 SO_RCVLOWAT 200000
expect value 200000
getsockopt c3 SO_RCVBUF

## SO_SNDLOWAT is the sending side's mark. Linux fixes it at 1: it reads
## back 1, and setting it fails with ENOPROTOOPT, as for any option the
## kernel will not let you set.
getsockopt c SO_SNDLOWAT
expect value 1
setsockopt c SO_SNDLOWAT 2
expect errno ENOPROTOOPT
