# The SO_PEEK_OFF example of socket(7), as a self-checking script.
# Each peek moves the peek offset forward; a normal read takes bytes from the
# front of the queue and pulls the offset back by as many bytes.
socketpair a b
send a "aabbccddeeff"
expect ret 12
setsockopt b SO_PEEK_OFF 4
expect value 4
recv b 2 peek      # peek from offset 4: cc, offset becomes 6
expect data "cc"
recv b 2 peek      # dd, offset 8
expect data "dd"
recv b 2           # an ordinary read takes aa from the front; offset 6
expect data "aa"
recv b 2 peek      # the offset now points at ee
expect data "ee"
