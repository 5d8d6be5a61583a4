# title: SO_PEEK_OFF: a cursor for MSG_PEEK
# summary: the man page's aabbccddeeff example, then what socket(7) does not say: it works on UDP and TCP too

## Normally MSG_PEEK always looks at the front of the queue. SO_PEEK_OFF
## starts at -1, which means exactly that.
socketpair a b
getsockopt b SO_PEEK_OFF
expect value -1
send a "aabbccddeeff"
recv b 2 peek
expect data "aa"
recv b 2 peek
expect data "aa"

## Set the offset to 4 and each peek starts there and moves the offset on:
## first cc (offset now 6), then dd (offset 8).
setsockopt b SO_PEEK_OFF 4
expect value 4
recv b 2 peek
expect data "cc"
getsockopt b SO_PEEK_OFF
expect value 6
recv b 2 peek
expect data "dd"
getsockopt b SO_PEEK_OFF
expect value 8

## An ordinary read takes bytes from the front (aa) and pulls the offset
## back by as many bytes, so it keeps pointing at the same data: the next
## peek gives ee.
recv b 2
expect data "aa"
getsockopt b SO_PEEK_OFF
expect value 6
recv b 2 peek
expect data "ee"

## Reading past the offset clamps it to 0: the peek cursor never points
## into data that is gone.
recv b 100
expect data "bbccddeeff"
getsockopt b SO_PEEK_OFF
expect value 0

## socket(7) says only unix sockets support this. Linux also does it for
## UDP: on datagrams the offset walks through the queued payload, one
## datagram after another.
socket u inet dgram
bind u 127.0.0.1:0
socket su inet dgram
sendto su u "first"
sendto su u "second"
setsockopt u SO_PEEK_OFF 0
expect errno 0
recv u 100 peek
expect data "first"
recv u 100 peek
expect data "second"

## Peeking from the middle of a datagram returns its tail. socket(7) says
## such data comes marked MSG_TRUNC; it does not, unless the buffer is
## smaller than what is left of the datagram.
recv u 100
expect data "first"
setsockopt u SO_PEEK_OFF 2
recvmsg u 100 peek
expect data "cond"
setsockopt u SO_PEEK_OFF 2
recvmsg u 3 peek
expect data "con"
expect flags MSG_TRUNC

## And for TCP, the same cursor over the byte stream.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
send c "aabbccddeeff"
sleep 20
setsockopt s SO_PEEK_OFF 4
expect errno 0
recv s 2 peek
expect data "cc"
recv s 2
expect data "aa"
recv s 2 peek
expect data "dd"
