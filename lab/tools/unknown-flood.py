#!/usr/bin/env python3
"""A flood of TCP segments of connections nobody has: ACKs from random ports with random sequence
numbers, sent from this host (SOURCE) to ADDRESS:PORT, RATE a second, for SECONDS, each from a port
of its own. Counts the resets that come back for those ports (what a kernel answers to an unknown connection). Prints one JSON line.
Used by the lab's ProtectionIT (run inside the client's namespace, as root)."""
import json
import random
import select
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def segment(src: str, dst: str, sport: int, dport: int, seq: int, ack: int) -> bytes:
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header))
    return header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]


def main() -> None:
    src, dst, dport, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    send = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)  # the kernel adds the IP header
    recv = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)  # a copy of every TCP segment in
    recv.setblocking(False)
    # Every segment its own connection: distinct ports (a repeated one would be a remembered miss).
    fresh = random.sample(range(20000, 61000), min(41000, int(rate * seconds) + 1))
    ports = set()
    resets = 0
    sent = 0
    start = time.monotonic()
    interval = 1.0 / rate
    deadline = start + seconds
    next_send = start

    def drain() -> None:
        nonlocal resets
        while select.select([recv], [], [], 0)[0]:
            packet = recv.recv(2048)
            ihl = (packet[0] & 0x0F) * 4
            sport, port = struct.unpack("!HH", packet[ihl:ihl + 4])
            flags = packet[ihl + 13]
            # From the address asked, or (NAT not undone for it) from a server behind it.
            if sport == dport and flags & 0x04 and port in ports:
                ports.discard(port)
                resets += 1

    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_send:
            if not fresh:
                break
            port = fresh.pop()
            ports.add(port)
            send.sendto(segment(src, dst, port, dport, random.getrandbits(32), random.getrandbits(32)), (dst, 0))
            sent += 1
            next_send += interval
        else:
            drain()
    end = time.monotonic() + 2.0  # late answers
    while time.monotonic() < end:
        drain()
        time.sleep(0.01)
    print(json.dumps({"sent": sent, "resets": resets, "seconds": round(time.monotonic() - start - 2.0, 3)}))


if __name__ == "__main__":
    main()
