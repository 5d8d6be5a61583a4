# title: Signals: SIGIO, SIGURG, SIGPIPE and MSG_NOSIGNAL
# summary: signal-driven I/O with O_ASYNC and an owner, SIGURG for urgent data, EPIPE with and without MSG_NOSIGNAL

## Instead of polling, a process can ask to be told by a signal. Two things
## are needed: an owner (fcntl F_SETOWN: which process gets the signal) and
## the O_ASYNC flag. An owner alone delivers nothing.
socketpair a b
fcntl b setown
expect errno 0
fcntl b getown
expect errno 0
send a "quiet"
sleep 50
recv b 100
expect data "quiet"

## Now switch O_ASYNC on: the next arrival raises SIGIO for the owner (watch
## the signal show up in the event list). Which socket it is about is up to
## the handler to find out, with poll or by trying each one.
fcntl b async on
expect errno 0
send a "wake up"
expect signal SIGIO b
recv b 100
expect data "wake up"
fcntl b async off
expect errno 0

## The same switch exists as an ioctl: FIOASYNC on, with SIOCSPGRP naming
## the owner (left out, it means this process; a negative number would
## mean a process group). SIOCGPGRP reads the owner back.
socketpair c d
ioctl d SIOCGPGRP
expect value 0
ioctl d SIOCSPGRP
expect errno 0
ioctl d FIOASYNC 1
expect errno 0
send c "again"
expect signal SIGIO d
recv d 100
expect data "again"

## Urgent TCP data raises SIGURG for the owner, no O_ASYNC needed.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket cli inet stream
connect cli srv
accept srv conn
socket cli2 inet stream
connect cli2 srv
fcntl conn setown
send cli "U" oob
expect signal SIGURG conn
recv conn 1 oob
expect data "U"

## Writing to a connection the peer has closed: the first send still
## succeeds (the peer answers it with RST), the next fails with EPIPE, and
## by default the kernel also sends SIGPIPE, whose default action kills the
## process. Python ignores SIGPIPE, so here only EPIPE is seen.
accept srv conn2
close conn2
sleep 20
send cli2 "one"
expect errno 0
sleep 20
send cli2 "two"
expect errno EPIPE

## MSG_NOSIGNAL asks for the error without the signal: the call still fails
## with EPIPE, but no SIGPIPE is raised. Servers use it so a vanished client
## cannot kill them.
send cli2 "three" nosignal
expect errno EPIPE
