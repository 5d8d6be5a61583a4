# title: Socket addresses, family by family
# summary: IPv4, IPv6, unix path, abstract and unnamed addresses as bind, getsockname, getpeername and SO_PEERNAME show them

## Every family has its own address structure; they all start with a family
## field, which is how generic calls such as getsockname tell them apart (a
## struct sockaddr_storage is big enough for any of them). IPv4: an address
## and a port. Port 0 means "pick one for me".
socket v4 inet dgram
bind v4 127.0.0.1:0
expect errno 0
getsockname v4
expect errno 0
getsockopt v4 SO_DOMAIN
expect value AF_INET

## IPv6: written in brackets with the port after. ::1 is the loopback.
socket v6 inet6 dgram
bind v6 [::1]:0
expect errno 0
getsockname v6
expect errno 0
getsockopt v6 SO_DOMAIN
expect value AF_INET6

## An IPv6 socket bound to [::] also accepts IPv4 traffic, which it sees
## as v4-mapped addresses (::ffff:127.0.0.1), unless IPV6_V6ONLY is on.
socket any6 inet6 dgram
getsockopt any6 IPV6_V6ONLY
expect value 0

## Unix sockets are named by a path in the filesystem. Binding creates the
## file; a second bind to the same path fails with EADDRINUSE even after the
## first socket is closed, until someone removes the file.
socket p unix dgram
bind p ./sockplay-lesson-addresses.sock
expect errno 0
getsockname p
expect value ./sockplay-lesson-addresses.sock
close p
socket p2 unix dgram
bind p2 ./sockplay-lesson-addresses.sock
expect errno EADDRINUSE

## Linux also has abstract unix names: they start with a zero byte (written
## @name here), live in the network namespace instead of the filesystem, and
## vanish with the last socket.
socket ab unix stream
bind ab @sockplay-lesson-addresses
expect errno 0
getsockname ab
expect value @sockplay-lesson-addresses
listen ab
socket abc unix stream
connect abc @sockplay-lesson-addresses
expect errno 0
getpeername abc
expect value @sockplay-lesson-addresses

## A socketpair has no names at all: both ends are "unnamed".
## SO_PEERNAME is getpeername through getsockopt, and agrees with it.
socketpair a b
getpeername a
expect errno 0
socket tc inet stream
bind tc 127.0.0.1:0
listen tc
socket tcc inet stream
connect tcc tc
getsockopt tcc SO_PEERNAME
expect errno 0
getsockopt v4 SO_PEERNAME
expect errno ENOTCONN
