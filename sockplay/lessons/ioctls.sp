# title: Socket ioctls
# summary: FIONREAD/SIOCINQ and SIOCOUTQ for queue sizes, SIOCGSTAMP, FIOASYNC, SIOCSPGRP/SIOCGPGRP, FIONBIO and SIOCATMARK

## SIOCINQ (also spelled FIONREAD) counts what waits to be read. On UDP it
## is the size of the first datagram only, since one read returns one
## datagram; the second one does not count.
socket u inet dgram
bind u 127.0.0.1:0
socket s inet dgram
ioctl u SIOCINQ
expect value 0
sendto s u "12345"
sendto s u "1234567890"
sleep 10
ioctl u FIONREAD
expect value 5

## On TCP it is every byte queued, whatever the sends were.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv a
send c "12345"
send c "1234567890"
sleep 20
ioctl a SIOCINQ
expect value 15

## A listener has no byte queue: SIOCINQ on it fails with EINVAL.
ioctl srv SIOCINQ
expect errno EINVAL

## SIOCOUTQ counts what sits in the send queue. On TCP that is data not yet
## acknowledged, which on loopback is gone almost at once. On a unix stream
## socket the count is the kernel's memory for the queued messages, which
## is much more than the bytes themselves.
ioctl c SIOCOUTQ
expect value 0
socketpair x y
send x "12345"
ioctl x SIOCOUTQ
expect errno 0

## SIOCGSTAMP returns when the last packet read had arrived. ENOENT until
## something has been received; unix sockets do not support it (ENOTTY).
socket t inet dgram
bind t 127.0.0.1:0
ioctl t SIOCGSTAMP
expect errno ENOENT
sendto s t "now"
recv t 100
ioctl t SIOCGSTAMP
expect errno 0
ioctl x SIOCGSTAMP
expect errno ENOTTY

## FIOASYNC turns signal-driven I/O on and off (the O_ASYNC bit);
## SIOCSPGRP chooses who gets the signals (this process unless a number is
## given) and SIOCGPGRP reads it back. FIOSETOWN and FIOGETOWN are the same
## requests under older names.
ioctl y SIOCGPGRP
expect value 0
ioctl y SIOCSPGRP
expect errno 0
ioctl y FIOASYNC 1
expect value 1
send x "signal me"
sleep 20
ioctl y FIOASYNC 0
ioctl y FIOSETOWN 0
ioctl y FIOGETOWN
expect value 0

## FIONBIO sets nonblocking mode, like fcntl O_NONBLOCK.
ioctl y FIONBIO 1
expect errno 0
recv y 100
expect data "12345signal me"
recv y 100
expect errno EAGAIN

## SIOCATMARK tells whether the next byte to read is TCP's urgent mark (see
## the oob lesson): 0 while ordinary data comes first.
send c "ab"
send c "!" oob
sleep 20
ioctl a SIOCATMARK
expect value 0
