# title: The wire: three-way handshake and the end of a connection
# summary: the SYN, SYN-ACK and ACK a connect() causes, the FIN of shutdown(SHUT_WR), and the RST of a close with SO_LINGER on,0

## The wire pane shows the packets the playground's sockets send on
## loopback. Capturing needs CAP_NET_RAW: without it these steps are skipped.
require cap net_raw
wire on

## A listener on a port the kernel picks, and a client that connects. The
## connect() alone puts three segments on the wire: the client's SYN, the
## listener's SYN-ACK, the client's ACK. All this happens before accept():
## the kernel finishes handshakes on its own and queues them.
require cap net_raw
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
expect wire tcp SYN from c to srv
expect wire tcp SYN ACK from srv to c
expect wire tcp ACK from c to srv len=0

## Data goes as a segment with PSH and ACK; the other side acknowledges it.
## Sequence numbers are shown relative to the start, as tcpdump does: the
## 5 bytes are seq 1 to 6, and the reply says ack 6.
require cap net_raw
accept srv a
send c "hello"
expect wire tcp PSH ACK from c to a len=5
expect wire tcp ACK from a to c len=0

## shutdown(SHUT_WR) sends a FIN: "no more data from me". The peer reads
## end of file, yet may still send: the connection is half closed.
require cap net_raw
shutdown c wr
expect wire tcp FIN from c to a
recv a 100
expect data "hello"
recv a 100
expect ret 0
send a "still here"
expect wire tcp PSH from a to c len=10

## With SO_LINGER on,0, close() does not end politely with a FIN: it
## aborts the connection with an RST, and the peer's next read fails.
require cap net_raw
setsockopt a SO_LINGER on,0
close a
expect wire tcp RST from a to c
recv c 100
expect data "still here"
recv c 100
expect errno ECONNRESET
