"""Send a crafted TCP SYN to 127.0.0.1:PORT at a neighbour's MAC address; say if it answers.

Run on the peer (as root): python3 syn_probe.py IFACE NEIGHBOUR_MAC PORT. It prints
"answered" when a SYN-ACK comes back from 127.0.0.1:PORT within 3 s of any of three SYNs,
else "silent". This is how a host on the same L2 segment reaches a port that Docker (before
28) published on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn(src_ip: bytes, dst_ip: bytes, sport: int, dport: int) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), os.getpid() & 0xFFFF, 0, 64, socket.IPPROTO_TCP, 0, src_ip, dst_ip
    )
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def main(iface: str, neighbour_mac: str, port: int) -> str:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sock.bind((iface, 0))
    own_mac = sock.getsockname()[4]
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(("192.0.2.1", 9))  # picks the interface's address; nothing is sent
    src_ip = socket.inet_aton(probe.getsockname()[0])
    loopback = socket.inet_aton("127.0.0.1")
    sport = 40000 + os.getpid() % 20000
    frame = bytes.fromhex(neighbour_mac.replace(":", "")) + own_mac + struct.pack("!H", ETH_P_IP)
    for _ in range(3):
        sock.send(frame + syn(src_ip, loopback, sport, port))
        deadline = time.monotonic() + 1
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            packet = sock.recv(2048)
            ip = packet[14:]
            if len(ip) < 40 or ip[9] != socket.IPPROTO_TCP or ip[12:16] != loopback:
                continue
            header = (ip[0] & 0x0F) * 4
            got_sport, got_dport = struct.unpack("!HH", ip[header : header + 4])
            flags = ip[header + 13]
            if got_sport == port and got_dport == sport and flags & 0x12 == 0x12:
                return "answered"
    return "silent"


if __name__ == "__main__":
    print(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
