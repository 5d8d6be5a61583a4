# title: Credentials: SO_PEERCRED, SO_PASSCRED and SCM_CREDENTIALS
# summary: who is at the other end of a unix socket, asked once (SO_PEERCRED) or carried with each message (SCM_CREDENTIALS)

## On a unix socket the kernel knows the process at the other end.
## SO_PEERCRED reads its pid, uid and gid as they were when the connection
## was made (for a socketpair: when the pair was created).
socketpair a b
getsockopt b SO_PEERCRED
expect errno 0
require root
getsockopt b SO_PEERCRED
expect value uid=0

## The same through a named unix socket: the listener's accepted socket
## knows the client, and the client knows the listener.
socket srv unix stream
bind srv @sockplay-lesson-credentials
listen srv
socket cli unix stream
connect cli srv
accept srv conn
getsockopt conn SO_PEERCRED
expect errno 0
getsockopt cli SO_PEERCRED
expect errno 0

## Where there is no unix peer, Linux does not fail: it answers with pid 0
## and uid and gid -1 (4294967295 as unsigned numbers). A TCP connection
## over loopback is one such case.
socket t inet stream
bind t 127.0.0.1:0
listen t
socket tc inet stream
connect tc t
getsockopt tc SO_PEERCRED
expect value pid=0
getsockopt tc SO_PEERCRED
expect value uid=4294967295

## SO_PASSCRED asks for the sender's credentials with every message, as an
## SCM_CREDENTIALS control message. The sender may attach them itself
## (creds); if it does not, the kernel fills them in anyway.
socketpair c d dgram
setsockopt d SO_PASSCRED on
expect value 1
sendmsg c "who am I?" creds
expect errno 0
recvmsg d 100
expect data "who am I?"
expect cmsg SCM_CREDENTIALS
send c "no creds attached"
recvmsg d 100
expect cmsg SCM_CREDENTIALS

## Without SO_PASSCRED on the receiver, credentials a sender attaches are
## simply not delivered.
socketpair e f dgram
sendmsg e "quiet" creds
recvmsg f 100
expect data "quiet"

## SO_PASSCRED and SO_PASSSEC (the same for security labels such as
## SELinux contexts) belong to unix sockets; on TCP or UDP Linux refuses
## them with EOPNOTSUPP.
setsockopt tc SO_PASSCRED on
expect errno EOPNOTSUPP
setsockopt d SO_PASSSEC on
expect errno 0
getsockopt d SO_PASSSEC
expect value 1
setsockopt tc SO_PASSSEC on
expect errno EOPNOTSUPP
