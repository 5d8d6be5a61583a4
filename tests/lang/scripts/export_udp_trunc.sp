# UDP datagrams and MSG_TRUNC: the buffer is short, the real length comes back.
socket u1 inet dgram
bind u1 127.0.0.1:0
socket u2 inet dgram
bind u2 127.0.0.1:0
sendto u2 u1 "0123456789"
expect ret 10
recvfrom u1 4 trunc           # 4 bytes copied, the datagram was 10
expect ret 10
expect data "0123"
sendto u2 u1 hex:00ff41
recvfrom u1 16
expect data hex:00ff41
sendto u1 u2 "back"
recv u2 4 peek
expect data "back"
recv u2 64
expect ret 4
