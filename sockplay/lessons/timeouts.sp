# title: Timeouts: SO_RCVTIMEO and SO_SNDTIMEO
# summary: a blocking call that gives up with EAGAIN after a set time, and how the kernel rounds the time you ask for

## Both timeouts start at 0, which means "wait forever".
socketpair a b
getsockopt b SO_RCVTIMEO
expect value 0
getsockopt a SO_SNDTIMEO
expect value 0

## With SO_RCVTIMEO set, a blocking recv on an empty socket waits that long
## and then fails with EAGAIN, just as a nonblocking one would have at once.
setsockopt b SO_RCVTIMEO 0.2
expect value 0.2
recv b 100
expect errno EAGAIN

## The kernel, not sockplay, does the waiting: the trace shows one
## recvfrom that returned EAGAIN after 0.2 s, and no poll before it.
## A negative timeout is not refused either: the kernel takes it and
## stores 0, which means "wait forever" again.
setsockopt b SO_RCVTIMEO -1
expect value 0
setsockopt b SO_RCVTIMEO 0.2
expect value 0.2

## If some data arrived before the time ran out, the call returns what it
## got instead of an error: here a TCP read asking for 10 bytes with
## MSG_WAITALL, of which only 4 ever come.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
setsockopt c SO_RCVTIMEO 0.2
send s "four"
recv c 10 waitall
expect data "four"

## SO_SNDTIMEO does the same for sending: fill the peer's queue and a
## blocking send gives up with EAGAIN after the timeout.
setsockopt a SO_SNDBUF 4096
setsockopt a SO_SNDTIMEO 0.02
send a hex:00 count=40
expect errno EAGAIN

## The kernel keeps timeouts in clock ticks (jiffies), so what you read
## back is rounded up to a whole tick: 1 microsecond reads back as one tick
## (4 ms with HZ=250; the tick length depends on how the kernel was built).
setsockopt b SO_RCVTIMEO 0.000001
expect errno 0
getsockopt b SO_RCVTIMEO

## A timeout also bounds accept() on a blocking listener and connect().
setsockopt srv SO_RCVTIMEO 0.1
accept srv
expect errno EAGAIN
