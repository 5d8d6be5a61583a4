# Odds and ends: poll, names, sysctl, fcntl and signals, commands with no export.
socket s inet dgram
bind s 127.0.0.1:0
getsockname s
socket t inet dgram
connect t s
getpeername t
poll s t timeout=10
sendto t s "x"
expect ready s POLLIN
poll timeout=100
getsockopt s SO_RCVBUF
getsockopt s SO_ERROR
expect value 0
getsockopt s SO_LINGER
sysctl rmem_max
fcntl s setown
fcntl s async on
expect ret 0
fcntl s getfl
sleep 20
sockets
help recv
options s
recvfrom s 8
expect data "x"
socket f unix dgram
bind f ./export-misc.sock     # a file the programs remove when they end
socketpair p q
fcntl q setown
fcntl q async on
send p "sig"                  # SIGIO for q's owner
sleep 50
