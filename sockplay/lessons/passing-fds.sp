# title: Passing sockets with SCM_RIGHTS
# summary: handing an open socket to another process over a unix socket, and what happens when the control buffer is too small

## Over a unix socket, a process can send open file descriptors: an
## SCM_RIGHTS control message. The receiver gets new descriptors for the
## same open sockets (sockplay names them r1, r2, ...). Here the socket
## handed over is one end of a fresh socketpair.
socketpair a b
socketpair x y
sendmsg a "take this" rights=x
expect errno 0
recvmsg b 100
expect data "take this"
expect cmsg SCM_RIGHTS

## The received descriptor is the very same socket: what y sends arrives
## on it.
send y "through the passed socket"
recv r1 100
expect data "through the passed socket"

## Control data needs room in the receiver's control buffer. With none at
## all the descriptors are dropped, and the message comes flagged
## MSG_CTRUNC ("control data truncated").
sendmsg a "again" rights=x
recvmsg b 100 anc=0
expect data "again"
expect flags MSG_CTRUNC

## TCP cannot carry descriptors: it silently ignores SCM_RIGHTS and sends
## only the bytes.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
sendmsg c "bytes only" rights=x
expect errno 0
recvmsg s 100
expect data "bytes only"
