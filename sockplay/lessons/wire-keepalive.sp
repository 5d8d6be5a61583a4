# title: The wire: keepalive probes
# summary: SO_KEEPALIVE with TCP_KEEPIDLE 1 and TCP_KEEPINTVL 1: after a second of silence the kernel sends a probe, an empty ACK re-sending the last byte's sequence, and the peer answers

## Capturing needs CAP_NET_RAW: without it these steps are skipped.
require cap net_raw
wire on
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
accept srv a

## Keepalive is off unless asked for. Turn it on, with the first probe
## after 1 s of idleness and later ones 1 s apart (the defaults are two
## hours and 75 s, set in /proc/sys/net/ipv4/tcp_keepalive_*).
require cap net_raw
setsockopt c TCP_KEEPIDLE 1
setsockopt c TCP_KEEPINTVL 1
setsockopt c SO_KEEPALIVE 1

## Wait a little more than a second. A probe is an ACK with no data whose
## sequence number is one below the next byte to send (seq 0 here: the
## peer has already acknowledged byte 1), so the peer must answer with an
## ACK of its own. Both show on the wire though no call was made.
require cap net_raw
sleep 1500
expect wire tcp ACK from c to a len=0
expect wire tcp ACK from a to c len=0
