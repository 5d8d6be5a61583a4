# title: The wire: Nagle, TCP_NODELAY and TCP_CORK
# summary: how many segments ten small sends become: Nagle's algorithm holds small ones back while data is unacknowledged, TCP_NODELAY sends each at once, TCP_CORK gathers them all

## Capturing needs CAP_NET_RAW: without it these steps are skipped.
require cap net_raw
wire on
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv a

## With TCP_NODELAY on, every send() leaves at once as a segment of its
## own: ten sends of one byte are ten segments on the wire.
require cap net_raw
setsockopt c TCP_NODELAY 1
send c x count=10
expect wire tcp PSH from c to a len=1 count=10

## TCP_CORK holds the data back until the cork is pulled (or 200 ms pass)
## and then sends what gathered in as few full segments as it can: ten
## sends, one segment of 10 bytes.
require cap net_raw
setsockopt c TCP_CORK 1
send c y count=10
setsockopt c TCP_CORK 0
expect wire tcp PSH from c to a len=10 count=1

## Nagle's algorithm (the default, TCP_NODELAY off) sends the first small
## segment at once and holds later ones while it is unacknowledged. On
## loopback an ACK comes back in microseconds, so here the receiver is told
## to delay its ACKs (TCP_QUICKACK 0), as it would across a real network:
## the first byte goes alone, the nine after it wait and leave together.
require cap net_raw
setsockopt c TCP_NODELAY 0
setsockopt a TCP_QUICKACK 0
send c z count=10
expect wire tcp PSH from c to a len=1 count=1
expect wire tcp PSH from c to a len=9 count=1
recv a 100
expect data "xxxxxxxxxxyyyyyyyyyyzzzzzzzzzz"
