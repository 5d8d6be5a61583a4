# title: Urgent data and SO_OOBINLINE
# summary: TCP's one urgent byte: POLLPRI, SIOCATMARK, reads that stop at the mark, MSG_OOB, and SO_OOBINLINE putting it back in line

## TCP can flag one byte as urgent. Linux keeps that byte apart from the
## stream: the receiver sees POLLPRI, and a read stops just before the mark
## so the program can notice it.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
getsockopt s SO_OOBINLINE
expect value 0
send c "before"
send c "!" oob
send c "after"
expect ready s POLLPRI

## SIOCATMARK answers "is the next byte the mark?". Not yet: "before" comes
## first, and the read returns only that, even with room for more.
ioctl s SIOCATMARK
expect value 0
recv s 100
expect data "before"
ioctl s SIOCATMARK
expect value 1

## MSG_OOB fetches the urgent byte itself. There is only ever one: a second
## MSG_OOB read fails with EINVAL. The normal stream continues after it.
recv s 1 oob
expect data "!"
recv s 1 oob
expect errno EINVAL
recv s 100
expect data "after"

## With SO_OOBINLINE on, the urgent byte stays in the stream where it was
## sent. Reads still stop at the mark, POLLPRI still announces it, but
## MSG_OOB has nothing to give (EINVAL).
setsockopt s SO_OOBINLINE on
expect value 1
send c "x"
send c "!" oob
send c "y"
expect ready s POLLPRI
recv s 100
expect data "x"
recv s 1 oob
expect errno EINVAL
recv s 100
expect data "!y"

## Unix stream sockets support MSG_OOB too (since Linux 5.15); UDP and unix
## datagram sockets refuse it with EOPNOTSUPP.
socketpair a b
send a "!" oob
expect errno 0
recv b 1 oob
expect data "!"
socket u inet dgram
bind u 127.0.0.1:0
sendto u u "!" oob
expect errno EOPNOTSUPP
