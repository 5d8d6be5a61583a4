# SIGIO for an O_ASYNC socket and SIGURG for urgent data, checked with expect signal.
socketpair a b
fcntl b setown
fcntl b async on
send a "x"
expect signal SIGIO b
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket cli inet stream
connect cli srv
accept srv conn
fcntl conn setown
send cli "U" oob
expect signal SIGURG conn
