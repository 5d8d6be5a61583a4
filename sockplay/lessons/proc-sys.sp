# title: The /proc/sys/net/core settings
# summary: the system-wide defaults and ceilings every socket starts from, read and compared with what sockets report

## The sysctl command with no name reads every setting under
## /proc/sys/net/core that socket(7) talks about, in one go.
sysctl
expect errno 0

## rmem_default and wmem_default are the buffer sizes a new non-TCP socket
## starts with; a fresh UDP socket reports exactly these numbers (no
## doubling here: the defaults are already in the doubled unit).
sysctl rmem_default
expect errno 0
sysctl wmem_default
expect errno 0
socket u inet dgram
getsockopt u SO_RCVBUF
getsockopt u SO_SNDBUF

## rmem_max and wmem_max are the ceilings for SO_RCVBUF and SO_SNDBUF
## requests from unprivileged code. Asking for more gives twice the ceiling.
sysctl rmem_max
expect errno 0
sysctl wmem_max
expect errno 0
setsockopt u SO_RCVBUF 1g
expect errno 0

## optmem_max bounds each socket's memory for extras: control messages,
## filters, multicast memberships. netdev_max_backlog is how many received
## packets may wait on each CPU before the stack drops them, before any
## socket sees them.
sysctl optmem_max
expect errno 0
sysctl netdev_max_backlog
expect errno 0

## message_cost and message_burst rate-limit the kernel's network warnings
## in the log: a burst of message_burst, then one per message_cost seconds.
sysctl message_cost
expect errno 0
sysctl message_burst
expect errno 0

## busy_read is the default SO_BUSY_POLL of a new socket; busy_poll does
## the same for poll and select. Both 0 means nobody spins by default.
sysctl busy_read
expect errno 0
sysctl busy_poll
expect errno 0
getsockopt u SO_BUSY_POLL
expect errno 0
