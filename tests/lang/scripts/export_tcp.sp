# A TCP conversation on loopback, exported by the tests to Python and C.
socket srv inet stream
setsockopt srv SO_REUSEADDR on
bind srv 127.0.0.1:0          # port 0: the kernel picks one
listen srv 4
getsockopt srv SO_ACCEPTCONN
expect value 1
socket c inet stream
connect c srv                 # srv stands for its address, ephemeral port included
expect ret 0
accept srv conn timeout=2000
send c "hello, server\n"
recv conn 64 timeout=2000
expect data "hello, server\n"
send conn "hi"
recv c 1                      # only one byte fits
expect data "h"
recv c 16
expect data "i"
getsockopt c SO_TYPE
expect value SOCK_STREAM
shutdown c wr                 # the server reads end of file
recv conn 64 timeout=2000
expect ret 0
close conn
close c
close srv
