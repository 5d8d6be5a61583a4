# title: Receive timestamps
# summary: SO_TIMESTAMP, SO_TIMESTAMPNS and SO_TIMESTAMPING as control messages, SIOCGSTAMP, and the last-set-wins rule between them

## SO_TIMESTAMP asks the kernel to note when each packet arrived and hand
## that time over with it, as an SO_TIMESTAMP control message (a timeval,
## microseconds). recvmsg is needed: plain recv has nowhere to put it.
socket u inet dgram
bind u 127.0.0.1:0
socket s inet dgram
setsockopt u SO_TIMESTAMP on
expect value 1
sendto s u "stamp me"
recvmsg u 100
expect data "stamp me"
expect cmsg SO_TIMESTAMP

## SO_TIMESTAMPNS gives nanoseconds (a timespec). The two are not added
## together: whichever was set last decides, and turning either one off
## turns both off.
setsockopt u SO_TIMESTAMPNS on
sendto s u "ns"
recvmsg u 100
expect cmsg SO_TIMESTAMPNS
getsockopt u SO_TIMESTAMP
expect value 0
setsockopt u SO_TIMESTAMP on
sendto s u "us again"
recvmsg u 100
expect cmsg SO_TIMESTAMP
setsockopt u SO_TIMESTAMPNS off
getsockopt u SO_TIMESTAMP
expect value 0
sendto s u "none"
recvmsg u 100
expect data "none"

## Timestamps are not only for UDP: unix datagram sockets and TCP stamp
## what they receive as well. A unix stream socket, though, gives none.
## TCP reports only stamps taken on arrival (see the last step for why the
## pause before sending).
socketpair a b dgram
setsockopt b SO_TIMESTAMP on
send a "unix too"
recvmsg b 100
expect cmsg SO_TIMESTAMP
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv t
setsockopt t SO_TIMESTAMP on
sleep 200
send c "tcp too"
sleep 10
recvmsg t 100
expect cmsg SO_TIMESTAMP
socketpair p q
setsockopt q SO_TIMESTAMP on
send p "but not unix stream"
recvmsg q 100
expect data "but not unix stream"

## SIOCGSTAMP is the older way: an ioctl that returns the arrival time of
## the last packet read. Before any packet it fails with ENOENT; unix
## sockets do not support it at all (ENOTTY).
socket v inet dgram
bind v 127.0.0.1:0
ioctl v SIOCGSTAMP
expect errno ENOENT
sendto s v "when?"
recv v 100
ioctl v SIOCGSTAMP
expect errno 0
ioctl v SIOCGSTAMPNS
expect errno 0
ioctl b SIOCGSTAMP
expect errno ENOTTY

## SO_TIMESTAMPING is the general interface: a set of flags choosing which
## moments to stamp (software or hardware, on receive or on send) and how
## to report them. Software receive stamps need two flags: one to generate
## them (rx_software) and one to report them (software).
## Linux stamps packets on arrival only while some socket on the machine
## wants it, and the first socket to ask flips that switch through deferred
## work (the netstamp static key): packets arriving before the work has run
## carry no stamp, and on a busy machine that can take many milliseconds.
## SO_TIMESTAMP hides this by reading the clock at recvmsg instead;
## SO_TIMESTAMPING reports nothing. Sockets b and t still have stamping on,
## so the switch has been on since the first step; the pause lets the
## kernel's work run even on a loaded machine.
socket w inet dgram
bind w 127.0.0.1:0
setsockopt w SO_TIMESTAMPING rx_software,software
expect errno 0
getsockopt w SO_TIMESTAMPING
expect errno 0
sleep 200
sendto s w "precise"
recvmsg w 100
expect cmsg SO_TIMESTAMPING
