# title: A TLS handshake, flight by flight
# summary: TLS 1.3 between two sockets of one socketpair: the records are real sends and recvs, OpenSSL's part shows as library calls

## A socketpair gives two connected stream sockets: c will be the TLS
## client, s the server. TLS needs nothing more than a byte stream.
socketpair c s
expect errno 0

## The client starts: OpenSSL writes a ClientHello into memory, and sockplay
## sends it with a real sendto (the System calls pane shows it; the lib lines
## are OpenSSL, marked as library calls). The server has not answered, so
## after 100 ms the client's handshake waits (EAGAIN).
tls c client verify=off timeout=100
expect errno EAGAIN

## What arrived at s is a TLS record: type 22 (0x16, handshake), version
## bytes 3,1. A peek shows it without taking it.
recv s 5 peek
expect data ~ /^\x16\x03\x01/

## The server reads the ClientHello and answers with its whole flight:
## ServerHello, then (encrypted from here on) its certificate, proof that it
## holds the key, and Finished. selfsigned makes a throwaway CA and says
## where its file is. The server now waits for the client's Finished.
tls s server selfsigned timeout=100
expect errno EAGAIN

## The client checks the flight and sends its own Finished: its handshake is
## done. The result shows version, cipher, and the server certificate
## (subject, issuer, validity, SHA-256 fingerprint).
tls c client verify=off
expect errno 0

## The server reads Finished: done on both sides. From now on send and recv
## on c and s carry plaintext; the wire carries encrypted records (type 23,
## application data), as the traces show.
tls s server selfsigned
expect errno 0
send c "GET / HTTP/1.0\r\n\r\n"
recv s until "\r\n\r\n"
expect data "GET / HTTP/1.0\r\n\r\n"
send s "HTTP/1.0 200 OK\r\n\r\nsecret"
recv c until /secret/
expect data ~ /200 OK/

## close_notify tells the peer the TLS stream ended on purpose (a bare close
## would look like a truncation attack).
tls c close
recv s
expect ret 0

## What the wire sees: the same handshake over TCP with the wire on (it needs
## CAP_NET_RAW). The ClientHello is one 517-byte segment from c; after the
## handshake, 6 bytes of plaintext travel as 28: a 5-byte record header, the
## data, one byte of record type and a 16-byte authentication tag. The Wire
## pane (F4) shows each segment under the call that sent it.
require cap CAP_NET_RAW
socket srv inet stream
bind srv 127.0.0.1:0
listen srv
socket tc inet stream
wire on tc
connect tc srv
accept srv ta
tls tc client verify=off timeout=100
expect wire tcp PSH from tc len=517
tls ta server selfsigned timeout=100
tls tc client verify=off
tls ta server selfsigned
send tc "secret"
expect wire tcp PSH from tc len=28
recv ta
expect data "secret"
