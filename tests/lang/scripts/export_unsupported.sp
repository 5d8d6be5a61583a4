socketpair a b
send a "x"
getsockopt a SO_PEERNAME
