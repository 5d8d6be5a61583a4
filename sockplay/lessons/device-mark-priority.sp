# title: Devices, marks, priorities and routing
# summary: SO_BINDTODEVICE, SO_DONTROUTE, SO_BROADCAST, SO_MARK, SO_PRIORITY and SO_DEBUG, and which of them need privilege

## SO_BINDTODEVICE ties a socket to one interface: it only receives what
## arrives there and only sends through it. An unbound socket reads back an
## empty name.
socket u inet dgram
getsockopt u SO_BINDTODEVICE
expect value ""
require cap CAP_NET_RAW
setsockopt u SO_BINDTODEVICE lo
expect errno 0
getsockopt u SO_BINDTODEVICE
expect value lo

## Bound to lo, loopback traffic still flows. A name that is no interface
## gives ENODEV; an empty name unbinds.
bind u 127.0.0.1:0
socket s inet dgram
sendto s u "via lo"
recv u 100
expect data "via lo"
setsockopt u SO_BINDTODEVICE nosuchdev0
expect errno ENODEV
setsockopt u SO_BINDTODEVICE ""
expect errno 0
getsockopt u SO_BINDTODEVICE
expect value ""

## SO_DONTROUTE (or MSG_DONTROUTE for one send) forbids the gateway: only
## hosts on a directly attached network can be reached. 198.51.100.1 is a
## documentation address with no link here, so the send fails at once with
## ENETUNREACH and no packet leaves the machine.
socket d inet dgram
setsockopt d SO_DONTROUTE on
expect value 1
sendto d 198.51.100.1:9 "no gateway for me"
expect errno ENETUNREACH
socket d2 inet dgram
sendto d2 198.51.100.1:9 "nor for me" dontroute
expect errno ENETUNREACH

## Sending to a broadcast address needs SO_BROADCAST; without it the kernel
## answers EACCES. 127.255.255.255 is loopback's broadcast address, so the
## datagram stays on this machine.
socket b inet dgram
sendto b 127.255.255.255:9 "hello everyone"
expect errno EACCES
setsockopt b SO_BROADCAST on
expect value 1
sendto b 127.255.255.255:9 "hello everyone"
expect errno 0

## SO_MARK tags each packet for routing rules and firewalls (fwmark). It
## needs CAP_NET_ADMIN; without it the answer is EPERM.
socket m inet dgram
getsockopt m SO_MARK
expect value 0
require cap CAP_NET_ADMIN
setsockopt m SO_MARK 42
expect value 42

## SO_PRIORITY orders this socket's packets in the interface queues. Values
## 0 to 6 are open to everyone; higher ones need CAP_NET_ADMIN.
setsockopt m SO_PRIORITY 6
expect value 6
require cap CAP_NET_ADMIN
setsockopt m SO_PRIORITY 7
expect value 7

## Setting the IP type-of-service byte also sets the priority: TOS 0x10
## ("low delay") maps to priority 6.
socket tos inet dgram
setsockopt tos IP_TOS 0x10
getsockopt tos SO_PRIORITY
expect value 6

## SO_DEBUG turns on a per-socket debug flag that some protocols look at.
## Setting it needs CAP_NET_ADMIN (EACCES otherwise).
getsockopt m SO_DEBUG
expect value 0
require cap CAP_NET_ADMIN
setsockopt m SO_DEBUG on
expect value 1
