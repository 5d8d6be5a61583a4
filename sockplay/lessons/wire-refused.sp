# title: The wire: refused, by RST and by ICMP
# summary: a connect to a port nobody listens on is answered by an RST; a UDP datagram to such a port brings back ICMP port unreachable, which IP_RECVERR turns into a readable message

## Capturing needs CAP_NET_RAW: without it these steps are skipped.
require cap net_raw
wire on

## A TCP socket bound to a port the kernel picks, but not listening: its
## port is taken, yet nobody accepts connections there. A connect to it
## sends a SYN and the kernel answers at once with an RST (with ACK), which
## connect() reports as ECONNREFUSED.
require cap net_raw
socket closed inet stream
bind closed 127.0.0.1:0
socket c inet stream
connect c closed
expect errno ECONNREFUSED
expect wire tcp SYN from c
expect wire tcp RST ACK to c

## UDP has no handshake: a datagram simply goes out. When nobody has that
## port, the kernel answers with an ICMP "port unreachable" quoting the
## datagram. (The TCP socket above holds the TCP port; the UDP port of the
## same number is free.) A connected UDP socket learns of it as an error.
require cap net_raw
socket u inet dgram
bind u 127.0.0.1:0
setsockopt u IP_RECVERR 1
connect u closed
send u "anyone?"
expect wire udp from u len=7
expect wire icmp DEST_UNREACH PORT_UNREACH to u

## With IP_RECVERR on, the error waits on the socket's error queue with
## the ICMP details: read it with MSG_ERRQUEUE. Its cmsg IP_RECVERR carries
## ECONNREFUSED, the origin (ICMP) and the ICMP type and code (3, 3).
require cap net_raw
recvmsg u 100 errqueue
expect cmsg IP_RECVERR
