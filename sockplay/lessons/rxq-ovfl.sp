# title: Counting drops with SO_RXQ_OVFL
# summary: a flood into a tiny receive buffer, and the drop counter each datagram carries, which is a running total and not the gap socket(7) describes

## UDP has no flow control: when the receive buffer is full, new datagrams
## are thrown away. Shrink the buffer to its minimum and switch on
## SO_RXQ_OVFL to learn about it.
socket r inet dgram
bind r 127.0.0.1:0
setsockopt r SO_RCVBUF 1
expect value 2304
setsockopt r SO_RXQ_OVFL on
expect value 1
socket s inet dgram
connect s r

## Send 200 datagrams at once. Only a couple fit in 2304 bytes (each one
## costs far more memory than its 23-byte payload); the rest are dropped.
send s "a datagram in the flood" count=200
expect ret 23

## Drain the queue. The datagrams that were queued before any drop carry no
## SO_RXQ_OVFL message at all.
recvmsg r 2048 dontwait count=10
expect errno EAGAIN

## Now send one more. It carries the counter, and the counter is the
## socket's total number of drops so far, not "how many were lost since the
## previous datagram" as socket(7) puts it: a program wanting the gap must
## subtract the previous value itself.
send s "after the flood"
recvmsg r 2048
expect data "after the flood"
expect cmsg SO_RXQ_OVFL 198

## Another flood, another drain: the counter keeps climbing from where it
## was, and never goes back to zero while the socket lives. This time even
## the first datagrams of the flood carry 198: the total when they were
## queued.
send s "a datagram in the flood" count=200
recvmsg r 2048 dontwait count=10
send s "second"
recvmsg r 2048
expect data "second"
expect cmsg SO_RXQ_OVFL 396
