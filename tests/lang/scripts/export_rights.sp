# sendmsg with SCM_RIGHTS and recvmsg with its control messages and msg_flags.
socketpair a b dgram
socket x inet dgram
sendmsg a "fd" rights=x
recvmsg b 16
expect data "fd"
expect cmsg SCM_RIGHTS
sendmsg a "a long datagram"
recvmsg b 6 anc=0
expect ret 6
expect flags MSG_TRUNC
expect data "a long"
