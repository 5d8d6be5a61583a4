# title: EINTR: a signal ends a waiting call
# summary: a blocking recv interrupted by a signal returns EINTR; SA_RESTART and why socket timeouts are never restarted

## A blocking recv on an empty socket waits in the kernel. When a signal
## arrives for that thread and its handler was installed without
## SA_RESTART, the kernel ends the call: -1 EINTR, and nothing was read.
## `cancel b after=200` makes sockplay send its cancel signal (SIGRTMIN+3)
## to the thread waiting on b in 200 ms. The trace shows the one recvfrom
## and its EINTR; the signal event names the signal (strace calls it SIGRT_5).
socketpair a b
cancel b after=200
recv b 10
expect errno EINTR

## Nothing was lost: the socket works as before.
send a "still here"
recv b 20
expect data "still here"

## With SA_RESTART, most calls would be started over after the handler and
## the program would never see EINTR. Not socket calls with a timeout:
## with SO_RCVTIMEO set, starting over would begin the time again, so the
## kernel always returns EINTR and leaves the choice to the program.
setsockopt b SO_RCVTIMEO 5
expect value 5
cancel b after=100
recv b 10
expect errno EINTR

## The same goes for accept, connect, a send into a full buffer and poll:
## each is one real call that a signal can end. An idle listener has nothing
## to accept and shows no poll bits, so both wait until the signal.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
cancel srv after=100
accept srv
expect errno EINTR
cancel after=100
poll srv timeout=5000
expect errno EINTR
