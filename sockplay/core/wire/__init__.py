"""The wire: the packets the playground's calls cause, captured on loopback and decoded.

capture.py holds the AF_PACKET tap and its thread, filter.py the BPF program that
keeps only our ports, decode.py the header decoding, table.py the socket names of
addresses, pcap.py the files tcpdump reads.
"""
