# count=N: a flood of datagrams, then a drain that stops at the first error.
socketpair a b dgram
send a hex:00ff count=20
recv b 10 dontwait count=100
expect errno EAGAIN
