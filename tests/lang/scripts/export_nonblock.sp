# A nonblocking receive on an empty queue: EAGAIN is a result, not a crash.
socketpair a b
fcntl b nonblock on
recv b 10
expect errno EAGAIN
send a "late"
recv b 10
expect data "late"
recv b 10 dontwait
expect errno EAGAIN
ioctl b SIOCINQ
expect value 0
send a "xyz"
ioctl b SIOCINQ
expect value 3
expect ready b POLLIN
setsockopt a SO_LINGER on,0
expect value on,0
setsockopt a SO_RCVTIMEO 1.5
expect value 1.5
echo "the end"
