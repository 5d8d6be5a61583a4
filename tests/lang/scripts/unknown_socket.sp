socketpair a b
send a x
recv nosuch 1
