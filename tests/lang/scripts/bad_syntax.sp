socketpair a b
send a "fine"
setsockopt b SO_PEEK_OFF
recv b 2 peak
