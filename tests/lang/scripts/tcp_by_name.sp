# A listener on an ephemeral port, reached by its name instead of its address.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket c inet stream
connect c srv
expect ret 0
accept srv conn timeout=2000
send c "ping\r\n"
recv conn 16 timeout=2000
expect data "ping\r\n"
recv conn dontwait
expect errno EAGAIN
shutdown c wr
recv conn timeout=2000
expect ret 0
