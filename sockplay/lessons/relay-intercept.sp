# title: Standing in the middle: relay and intercept
# summary: relay two connections through sockplay, hold a chunk, edit it on its way, and watch the end of file pass through

## Two connections meet in sockplay: client <-> cli is the client's side,
## up <-> server the server's. socketpair makes each one in a single call.
socketpair client cli
socketpair up server
expect errno 0

## relay cli up hold pumps both ways in the background, and holds each chunk
## until you decide. Each chunk is one real recv and, when you let it go, one
## real send: look at the System calls pane.
relay cli up hold
send client "GET /admin HTTP/1.0\r\n\r\n"

## The request is held. replace sends other bytes in its place: the server
## never sees /admin. (forward sends a chunk as it is; drop throws it away.)
replace "GET /public HTTP/1.0\r\n\r\n"
recv server until "\r\n\r\n"
expect data "GET /public HTTP/1.0\r\n\r\n"

## The answer is held too; forward lets it through unchanged.
send server "HTTP/1.0 200 OK\r\n\r\nwelcome"
forward
recv client until len=26
expect data "HTTP/1.0 200 OK\r\n\r\nwelcome"

## End of file passes through as a shutdown: when the server stops sending,
## up reads end of file and the relay calls shutdown(cli, SHUT_WR), so the client reads it
## too. When both directions have ended, the relay ends and reports the
## bytes it moved each way.
shutdown server wr
recv client 100
expect ret 0
shutdown client wr
recv server 100
expect ret 0
relay cli up wait timeout=5000
