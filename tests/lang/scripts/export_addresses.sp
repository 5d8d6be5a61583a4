# Abstract unix and IPv6 addresses, socket names as addresses, count=, waitall and a timeout that expires.
socket srv unix stream
bind srv @sockplay-export-test
listen srv
socket c unix stream
connect c srv                 # srv's own address, looked up at run time
accept srv                    # no name given: the new socket is a1
getsockname a1
send c "ab" count=3
recv a1 6 waitall
expect data "ababab"
recv a1 4 timeout=50          # nothing comes: EAGAIN after 50 ms
expect errno EAGAIN
socket v inet6 dgram
bind v [::1]:0
socket w inet6 dgram
sendto w v "six"
recvfrom v 10 timeout=1000
expect data "six"
setsockopt v IPV6_UNICAST_HOPS 7
expect value 7
