# title: Errors: SO_ERROR, the error queue and what errno means
# summary: asynchronous errors picked up with SO_ERROR (once), connected-UDP ICMP errors, IP_RECVERR's error queue, and the errno a bad option gives

## Some errors happen after the call that caused them has returned. A
## nonblocking connect to a port nobody listens on says EINPROGRESS; the
## refusal arrives later and waits on the socket as a pending error.
socket closed inet stream
bind closed 127.0.0.1:0
socket c inet stream nonblock
connect c closed
expect errno EINPROGRESS
expect ready c POLLERR
poll c
expect value c=POLLIN,POLLOUT,POLLERR,POLLHUP,POLLRDHUP

## SO_ERROR fetches the pending error and clears it: the first read says
## ECONNREFUSED, the second 0.
getsockopt c SO_ERROR
expect value ECONNREFUSED
getsockopt c SO_ERROR
expect value 0

## UDP reports ICMP errors only on connected sockets: a connected socket
## gets ECONNREFUSED from its next call after "port unreachable" comes
## back. The unconnected socket sending to the same place hears nothing.
socket dead inet dgram
bind dead 127.0.0.1:0
socket uc inet dgram
connect uc dead
socket un inet dgram
close dead
send uc "hello?"
sleep 20
recv uc 100 dontwait
expect errno ECONNREFUSED
sendto un 127.0.0.1:9 "hello?"
sleep 20
recv un 100 dontwait
expect errno EAGAIN

## IP_RECVERR asks for the details: each error goes on the socket's error
## queue with the offending packet and where it came from, read with
## recvmsg and MSG_ERRQUEUE. POLLERR announces it.
socket ue inet dgram
setsockopt ue IP_RECVERR on
sendto ue 127.0.0.1:9 "anyone on port 9?"
expect ready ue POLLERR
recvmsg ue 100 errqueue
expect cmsg IP_RECVERR
expect data "anyone on port 9?"

## SO_SELECT_ERR_QUEUE makes a waiting error also raise POLLPRI, so that a
## program waiting only for priority events notices it.
setsockopt ue SO_SELECT_ERR_QUEUE on
expect value 1
sendto ue 127.0.0.1:9 "again"
expect ready ue POLLERR POLLPRI

## Options have their own errors. A read-only option refuses to be set
## with ENOPROTOOPT (not EPERM, as one might guess), and so does an option
## the protocol does not know at that level: TCP_NODELAY on a UDP socket.
setsockopt c SO_TYPE SOCK_DGRAM
expect errno ENOPROTOOPT
setsockopt c SO_ACCEPTCONN 1
expect errno ENOPROTOOPT
socket u inet dgram
setsockopt u TCP_NODELAY on
expect errno ENOPROTOOPT

## A unix socket answers the same question with EOPNOTSUPP: it has no TCP
## level at all. Options that need a privilege you lack give EPERM (or
## EACCES for SO_DEBUG); the device-mark-priority lesson shows which.
socketpair a b
setsockopt a TCP_NODELAY on
expect errno EOPNOTSUPP
