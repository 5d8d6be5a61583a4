# title: The wire: a full receive buffer advertises a zero window
# summary: TCP flow control seen on the wire: the receiver's window shrinks as unread data piles up, reaches zero, and the sender stops and probes

## Capturing needs CAP_NET_RAW: without it these steps are skipped.
## The listener gets the smallest receive buffer before listen(), so the
## accepted socket inherits it (the window is fixed by the handshake).
require cap net_raw
wire on
socket srv inet stream
setsockopt srv SO_RCVBUF 2304
bind srv 127.0.0.1:0
listen srv
socket c inet stream
setsockopt c SO_SNDBUF 4608
fcntl c nonblock on
connect c srv
accept srv a

## The sender writes until its own buffer is full too (EAGAIN). Nobody
## reads on the other side, so every ACK from the receiver offers less
## room, down to a window of 0: "stop sending".
require cap net_raw
send c "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" count=2000
expect errno EAGAIN
expect wire tcp ACK from a to c win=0

## Reading opens the window again: the receiver sends a window update
## (an ACK with a window above 0) and the data flows on.
require cap net_raw
recv a 64k
expect wire tcp ACK from a to c
