# title: SO_REUSEADDR and SO_REUSEPORT
# summary: when bind() may take an address already in use, why both sockets must agree, and how SO_REUSEPORT spreads datagrams over a group

## Without any option, a second bind to an address in use fails with
## EADDRINUSE (b binds to a's address here, by naming a).
socket a inet stream
bind a 127.0.0.1:0
socket b inet stream
bind b a
expect errno EADDRINUSE

## SO_REUSEADDR relaxes that, but Linux wants it on both sockets: the one
## already bound and the newcomer. (Some other systems only look at the
## newcomer.) With only the newcomer asking, the bind still fails.
socket b2 inet stream
setsockopt b2 SO_REUSEADDR on
bind b2 a
expect errno EADDRINUSE

## With the flag on both, two TCP sockets may bind the same address, but
## only one of them may listen there: the second listen() is refused.
socket r1 inet stream
setsockopt r1 SO_REUSEADDR on
bind r1 127.0.0.1:0
socket r2 inet stream
setsockopt r2 SO_REUSEADDR on
bind r2 r1
expect errno 0
listen r1
expect errno 0
listen r2
expect errno EADDRINUSE

## A listener bound to the wildcard address 0.0.0.0 holds its port on every
## local address: even with SO_REUSEADDR on both sides, a bind to
## 127.0.0.1 on that port is refused. (This step uses the fixed port 39817.)
socket w inet stream
setsockopt w SO_REUSEADDR on
bind w 0.0.0.0:39817
listen w
expect errno 0
socket w2 inet stream
setsockopt w2 SO_REUSEADDR on
bind w2 127.0.0.1:39817
expect errno EADDRINUSE
close w
close w2

## What SO_REUSEADDR is mostly used for: restarting a server. The side that
## closes a connection first keeps its address in TIME_WAIT for a minute
## once the other side has closed too (until then it waits in FIN_WAIT2);
## a new bind to it fails without the option and works with it.
## (Fixed port 39818.)
socket srv inet stream
setsockopt srv SO_REUSEADDR on
bind srv 127.0.0.1:39818
listen srv
socket cli inet stream
connect cli srv
accept srv conn
close conn
sleep 20
close cli
sleep 20
close srv
socket again inet stream
bind again 127.0.0.1:39818
expect errno EADDRINUSE
socket again2 inet stream
setsockopt again2 SO_REUSEADDR on
bind again2 127.0.0.1:39818
expect errno 0
close again2

## SO_REUSEPORT goes further: several sockets (of the same user) bind exactly
## the same address and all listen or receive. Every one of them must set
## it, the first included; a socket without it is refused.
socket p1 inet dgram
setsockopt p1 SO_REUSEPORT on
bind p1 127.0.0.1:0
socket p2 inet dgram
setsockopt p2 SO_REUSEPORT on
bind p2 p1
expect errno 0
socket p3 inet dgram
bind p3 p1
expect errno EADDRINUSE

## The kernel spreads incoming datagrams over the group by a hash of the
## sender's address and port, so each sender sticks to one socket and
## different senders land on different ones. Twenty senders, each on its own
## port: both p1 and p2 get a share.
socket s1 inet dgram
sendto s1 p1 "from s1"
socket s2 inet dgram
sendto s2 p1 "from s2"
socket s3 inet dgram
sendto s3 p1 "from s3"
socket s4 inet dgram
sendto s4 p1 "from s4"
socket s5 inet dgram
sendto s5 p1 "from s5"
socket s6 inet dgram
sendto s6 p1 "from s6"
socket s7 inet dgram
sendto s7 p1 "from s7"
socket s8 inet dgram
sendto s8 p1 "from s8"
socket s9 inet dgram
sendto s9 p1 "from s9"
socket s10 inet dgram
sendto s10 p1 "from s10"
socket s11 inet dgram
sendto s11 p1 "from s11"
socket s12 inet dgram
sendto s12 p1 "from s12"
socket s13 inet dgram
sendto s13 p1 "from s13"
socket s14 inet dgram
sendto s14 p1 "from s14"
socket s15 inet dgram
sendto s15 p1 "from s15"
socket s16 inet dgram
sendto s16 p1 "from s16"
socket s17 inet dgram
sendto s17 p1 "from s17"
socket s18 inet dgram
sendto s18 p1 "from s18"
socket s19 inet dgram
sendto s19 p1 "from s19"
socket s20 inet dgram
sendto s20 p1 "from s20"
sleep 20
recv p1 100 dontwait
expect errno 0
recv p2 100 dontwait
expect errno 0

## TCP listeners can share a port the same way, which SO_REUSEADDR does not
## allow: each gets its own share of the incoming connections.
socket l1 inet stream
setsockopt l1 SO_REUSEPORT on
bind l1 127.0.0.1:0
listen l1
socket l2 inet stream
setsockopt l2 SO_REUSEPORT on
bind l2 l1
listen l2
expect errno 0
