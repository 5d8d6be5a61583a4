# title: Buffer sizes: doubled, floored and capped
# summary: SO_RCVBUF and SO_SNDBUF come back doubled, have minimums of 2304 and 4608 (not 256 and 2048), and stop at twice rmem_max unless forced

## A new socket's buffers come from the system defaults under
## /proc/sys/net/core (rmem_default, wmem_default). Read them here and
## compare with what a fresh UDP socket reports.
sysctl rmem_default
expect errno 0
sysctl wmem_default
expect errno 0
socket u inet dgram
getsockopt u SO_RCVBUF
getsockopt u SO_SNDBUF

## Ask for 4096 bytes of receive buffer and the kernel keeps 8192: it
## doubles every request to leave room for its own bookkeeping (each packet
## costs more memory than its payload), and getsockopt reports the doubled
## number.
setsockopt u SO_RCVBUF 4096
expect value 8192
getsockopt u SO_RCVBUF
expect value 8192
setsockopt u SO_SNDBUF 10000
expect value 20000

## There is a floor. socket(7) gives the doubled minimums as 256 and 2048;
## Linux today uses 2304 for receive and 4608 for send. Any receive request
## up to 1152 bytes reads back 2304.
setsockopt u SO_RCVBUF 1
expect value 2304
setsockopt u SO_RCVBUF 1152
expect value 2304
setsockopt u SO_SNDBUF 1
expect value 4608

## There is a ceiling too: requests above rmem_max (wmem_max for sending)
## are cut to it, and then doubled. Compare this value with rmem_max.
sysctl rmem_max
expect errno 0
setsockopt u SO_RCVBUF 2000000000
expect errno 0
sysctl wmem_max
expect errno 0
setsockopt u SO_SNDBUF 2000000000
expect errno 0

## A process with CAP_NET_ADMIN may go past the ceiling with SO_RCVBUFFORCE
## and SO_SNDBUFFORCE (they are write-only; read the result with SO_RCVBUF).
## Without the capability they fail with EPERM.
require cap CAP_NET_ADMIN
setsockopt u SO_RCVBUFFORCE 8000000
expect errno 0
getsockopt u SO_RCVBUF
expect value 16000000
setsockopt u SO_SNDBUFFORCE 8000000
getsockopt u SO_SNDBUF
expect value 16000000

## TCP sockets start from their own defaults (net.ipv4.tcp_rmem and
## tcp_wmem) rather than rmem_default, and TCP grows them on its own as a
## connection runs, unless you set a size yourself, which pins it.
socket t inet stream
getsockopt t SO_RCVBUF
expect errno 0
setsockopt t SO_RCVBUF 50000
expect value 100000
