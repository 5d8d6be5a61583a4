# title: The socket-layer calls
# summary: socket, bind, listen, connect, accept, send, recv, shutdown and close on one TCP connection
# The calls every socket program is made of, in the order a client and a
# server make them. Each step is one idea; the expects check the kernel agrees.

## A socket starts life as a bare descriptor. socket() picks the family
## (AF_INET), the type (SOCK_STREAM) and the protocol; the kernel can tell
## you all three back through read-only options.
socket srv inet stream
getsockopt srv SO_DOMAIN
expect value AF_INET
getsockopt srv SO_TYPE
expect value SOCK_STREAM
getsockopt srv SO_PROTOCOL
expect value IPPROTO_TCP

## bind() gives it a local address. Port 0 asks the kernel to choose a free
## port; getsockname() shows the one it chose.
bind srv 127.0.0.1:0
expect ret 0
getsockname srv
expect ret 0

## listen() turns it into a listener: it will never carry data itself, it
## only queues incoming connections. SO_ACCEPTCONN flips from 0 to 1.
getsockopt srv SO_ACCEPTCONN
expect value 0
listen srv 8
expect ret 0
getsockopt srv SO_ACCEPTCONN
expect value 1

## The client connects (here by naming the listener, which stands for its
## address). The handshake completes in the kernel before anyone calls
## accept(); accept() just takes the finished connection off the queue as a
## brand-new socket.
socket cli inet stream
connect cli srv
expect ret 0
accept srv conn
expect errno 0
getpeername conn
expect ret 0

## Data flows both ways over the connected pair. A stream has no message
## boundaries: two sends may arrive as one read.
send cli "hello, "
send cli "server"
sleep 20
recv conn 100
expect data "hello, server"
send conn "hi"
recv cli 100
expect data "hi"

## shutdown(wr) says "I am done sending" while still reading: the other side
## reads end of file (a read of 0 bytes) but can still answer.
shutdown cli wr
expect ret 0
recv conn 100
expect ret 0
send conn "bye"
recv cli 100
expect data "bye"

## close() releases the descriptor. The peer sees end of file too.
close conn
expect ret 0
recv cli 100
expect ret 0

## socketpair() skips all of the above: two unix sockets born connected, the
## handiest way to try data and flags without any addresses.
socketpair a b
send a "ping"
recv b 10
expect data "ping"
getsockopt a SO_DOMAIN
expect value AF_UNIX
