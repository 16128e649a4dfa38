#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What RDS knows about its connections, for the lab's diagnostics (runs
in a guest; Debian has no rds-tools, so no rds-info).

    rds_info.py [--counters]

Prints one line per RDS connection (IPv4), from the RDS_INFO_CONNECTIONS
socket option: local and peer address, transport, next send and receive
sequence numbers, and its state flags (connected, connecting, sending; none
of them means down or shutting down). With --counters, also the non-zero
RDS and RDS/IB counters (RDS_INFO_COUNTERS).
"""

import ctypes
import socket
import struct
import sys

SOL_RDS = 276
RDS_INFO_COUNTERS = 10000
RDS_INFO_CONNECTIONS = 10001
CONNECTION = struct.Struct("<QQ4s4s16sBB")
COUNTER = struct.Struct("<32sQ")
FLAGS = ((0x04, "connected"), (0x02, "connecting"), (0x01, "sending"))


def info(sock, which, record):
    """The records of one RDS_INFO_* table (through libc: Python's
    getsockopt() takes at most 1024 bytes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(1 << 16)
    size = ctypes.c_uint32(len(buf))
    if libc.getsockopt(sock.fileno(), SOL_RDS, which, buf, ctypes.byref(size)) < 0:
        raise OSError(ctypes.get_errno(), f"getsockopt {which}")
    raw = buf.raw[:size.value]
    return [record.unpack_from(raw, off) for off in range(0, len(raw) - record.size + 1, record.size)]


def main():
    sock = socket.socket(socket.AF_RDS, socket.SOCK_SEQPACKET, 0)
    conns = info(sock, RDS_INFO_CONNECTIONS, CONNECTION)
    for tx, rx, laddr, faddr, trans, flags, tos in conns:
        state = ",".join(n for bit, n in FLAGS if flags & bit) or "down"
        name = trans.rstrip(b"\0").decode()
        print(f"conn {socket.inet_ntoa(laddr)} -> {socket.inet_ntoa(faddr)} "
              f"{name} tos {tos} next_tx {tx} next_rx {rx} {state}")
    if not conns:
        print("no RDS connections")
    if "--counters" in sys.argv:
        for name, value in info(sock, RDS_INFO_COUNTERS, COUNTER):
            if value:
                name = name.rstrip(b"\0").decode()
                print(f"counter {name} {value}")


if __name__ == "__main__":
    main()
