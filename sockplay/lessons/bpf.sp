# title: Socket filters: classic BPF on a socket
# summary: SO_ATTACH_FILTER to drop or trim packets, SO_GET_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER, and SO_ATTACH_REUSEPORT_CBPF steering a reuseport group

## A socket filter is a tiny program the kernel runs on every packet before
## queueing it. Its return value is how many bytes to keep: 0 drops the
## packet. sockplay names a few programs; drop-all returns 0 for everything.
socket u inet dgram
bind u 127.0.0.1:0
socket s inet dgram
setsockopt u SO_ATTACH_FILTER drop-all
expect errno 0
sendto s u "you will never see this"
recv u 100 dontwait
expect errno EAGAIN

## Attaching again replaces the filter (a socket has at most one).
## accept-first-N keeps N bytes of what the filter sees, and on UDP the
## filter sees the 8-byte UDP header first: accept-first-12 keeps 4 bytes
## of payload.
setsockopt u SO_ATTACH_FILTER accept-first-12
expect errno 0
sendto s u "trimmed to four"
recv u 100
expect data "trim"

## SO_GET_FILTER reads the program back; its length is counted in
## instructions, not bytes. SO_BPF_EXTENSIONS says which extra loads
## (packet metadata such as the CPU number) this kernel's classic BPF knows.
getsockopt u SO_GET_FILTER
expect errno 0
getsockopt u SO_BPF_EXTENSIONS
expect errno 0

## SO_DETACH_FILTER removes it (the value is ignored). Detaching when no
## filter is attached fails with ENOENT. SO_DETACH_BPF is another name for
## the same option.
setsockopt u SO_DETACH_FILTER 0
expect errno 0
sendto s u "whole again"
recv u 100
expect data "whole again"
setsockopt u SO_DETACH_BPF 0
expect errno ENOENT

## SO_LOCK_FILTER freezes the filter: once set, attaching, detaching and
## unlocking all fail with EPERM, even for root. A privileged process can
## set up a filtered socket this way and hand it to a less trusted one.
socket k inet dgram
bind k 127.0.0.1:0
setsockopt k SO_ATTACH_FILTER accept-first-13
setsockopt k SO_LOCK_FILTER on
expect value 1
setsockopt k SO_DETACH_FILTER 0
expect errno EPERM
setsockopt k SO_ATTACH_FILTER accept-all
expect errno EPERM
setsockopt k SO_LOCK_FILTER off
expect errno EPERM

## SO_ATTACH_BPF takes an extended BPF program instead, given as the file
## descriptor of a program loaded with bpf(2); SO_ATTACH_REUSEPORT_EBPF
## likewise. sockplay cannot load eBPF programs, so here a bad descriptor
## is refused (EBADF).
setsockopt u SO_ATTACH_BPF -1
expect errno EBADF
socket e inet dgram
setsockopt e SO_REUSEPORT on
bind e 127.0.0.1:0
setsockopt e SO_ATTACH_REUSEPORT_EBPF -1
expect errno EBADF

## For a group of sockets sharing a port with SO_REUSEPORT, a classic
## program can choose which member gets each packet: it returns the
## member's index, in the order they joined. index-1 sends everything to
## the second socket.
socket g0 inet dgram
setsockopt g0 SO_REUSEPORT on
bind g0 127.0.0.1:0
socket g1 inet dgram
setsockopt g1 SO_REUSEPORT on
bind g1 g0
setsockopt g0 SO_ATTACH_REUSEPORT_CBPF index-1
expect errno 0
sendto s g0 "one" count=4
socket s2 inet dgram
sendto s2 g0 "two" count=4
socket s3 inet dgram
sendto s3 g0 "three" count=4
recv g1 100 dontwait count=12
expect data "three"
recv g0 100 dontwait
expect errno EAGAIN

## An index outside the group is ignored: the kernel falls back to its
## usual hash. And the option only makes sense on a socket with
## SO_REUSEPORT: elsewhere it is EINVAL.
setsockopt g0 SO_ATTACH_REUSEPORT_CBPF index-7
expect errno 0
setsockopt u SO_ATTACH_REUSEPORT_CBPF index-0
expect errno EINVAL
