# title: An HTTP exchange by hand
# summary: both ends of HTTP/1.1 typed as commands, reading by message (recv until) instead of by byte count

## A server socket listens on a port the kernel picks, and a client
## connects to it by name. The server takes the connection as conn.
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket web inet stream
connect web srv
accept srv conn
expect errno 0

## The client sends a request in two writes, the way a program that builds
## its headers line by line would. TCP keeps no boundaries: the server sees
## one stream of bytes.
send web "GET /hello HTTP/1.1\r\nHost: localhost\r\n"
send web "Accept: */*\r\n\r\n"
expect ret 15

## recv until reads one message: the header ends at the blank line. Look at
## the System calls pane: a peek (MSG_PEEK) to find the end, then a read of
## exactly that many bytes. Nothing past the message is taken.
recv conn until "\r\n\r\n"
expect data ~ /^GET \/hello HTTP\/1\.1\r\n/

## The server answers with a header and a body whose length the header
## gives. Header and body leave in one write.
send conn "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\nhello\n"

## The client reads the header up to the blank line, then the body by the
## length the header announced (len=6). Regular expressions work too, as in
## expect data ~ /Content-Length: 6/.
recv web until "\r\n\r\n"
expect data ~ /Content-Length: 6\r\n/
recv web until len=6
expect data "hello\n"

## Connection closing: the client says it is done sending (shutdown wr),
## the server reads end of file (a recv that returns 0) and closes.
shutdown web wr
recv conn 100
expect ret 0
close conn
recv web 100
expect ret 0
