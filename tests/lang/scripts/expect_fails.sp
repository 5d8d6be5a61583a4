# An expect that does not hold: exit status 1, and nothing after it runs.
socketpair a b
send a "hello"
recv b 5
expect data "HELLO"
echo "not reached"
