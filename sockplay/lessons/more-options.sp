# title: The remaining socket options
# summary: SO_INCOMING_CPU, SO_BUSY_POLL, SO_MAX_PACING_RATE, SO_WIFI_STATUS and the relic SO_BSDCOMPAT

## SO_INCOMING_CPU tells which CPU handled the socket's latest incoming
## packet. A fresh (or unconnected UDP) socket has none yet and reads -1;
## a TCP connection that has received something reads a CPU number.
socket u inet dgram
getsockopt u SO_INCOMING_CPU
expect value -1
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv s
send c "hi"
recv s 100
getsockopt s SO_INCOMING_CPU
expect errno 0

## It can also be set, as a hint for SO_REUSEPORT groups that pick a
## socket per CPU.
setsockopt u SO_INCOMING_CPU 0
expect value 0

## SO_BUSY_POLL: microseconds a blocking receive may spin on the device
## queue before sleeping. It starts from /proc/sys/net/core/busy_read.
## socket(7) says raising it needs CAP_NET_ADMIN; Linux lets anyone raise
## it, and refuses only negative values (EINVAL).
getsockopt u SO_BUSY_POLL
expect errno 0
setsockopt u SO_BUSY_POLL 50
expect value 50
setsockopt u SO_BUSY_POLL -1
expect errno EINVAL

## SO_MAX_PACING_RATE caps how fast the socket sends, in bytes per second,
## enforced by TCP's own pacing or the fq queueing discipline. The default
## is "unlimited" (all bits set).
setsockopt c SO_MAX_PACING_RATE 125000
expect value 125000

## SO_WIFI_STATUS asks for a report, on the error queue, of whether each
## sent packet was acknowledged over Wi-Fi. Any socket may switch it on;
## only wireless drivers ever answer.
setsockopt u SO_WIFI_STATUS on
expect value 1

## SO_BSDCOMPAT once made UDP hide ICMP errors the way old BSD did. Linux
## still accepts it and ignores it: it reads back 0 right after being set.
setsockopt u SO_BSDCOMPAT on
expect errno 0
getsockopt u SO_BSDCOMPAT
expect value 0
