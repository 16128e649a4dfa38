#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""AF_RDS sender for the lab's consumer tests (runs in a guest).

    rds_send.py LADDR DADDR PORT OUTFILE [--interval S] [--size N]

Sends "<sequence> <padding>" messages (sequence from 0, N bytes each) from
LADDR to DADDR:PORT over RDS (IB transport forced), one every S seconds,
until OUTFILE + ".stop" exists. A send that fails (ENOBUFS, EAGAIN,
ECONNRESET, ...) is retried with the same sequence number after 10 ms, so
every number is handed to RDS exactly once. Progress goes to OUTFILE:
"SENT <next sequence> <epoch>" every second and at exit, plus
"ERR <errno name> <count>" lines at exit.
"""

import errno
import os
import socket
import struct
import sys
import time

SOL_RDS = 276
SO_RDS_TRANSPORT = 8
RDS_TRANS_IB = 0


def arg(name, default):
    if name in sys.argv:
        return type(default)(sys.argv[sys.argv.index(name) + 1])
    return default


def main():
    laddr, daddr, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    interval, size = arg("--interval", 0.005), arg("--size", 256)
    stop = out + ".stop"
    s = socket.socket(socket.AF_RDS, socket.SOCK_SEQPACKET, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    s.setsockopt(SOL_RDS, SO_RDS_TRANSPORT, struct.pack("i", RDS_TRANS_IB))
    s.bind((laddr, port))
    # A blocked send (send buffer full, peer congested) gives up after a
    # second and is retried: the loop never waits unboundedly.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 1, 0))
    errs = {}
    seq = 0
    last_report = 0.0
    with open(out, "w") as f:
        while not os.path.exists(stop):
            msg = f"{seq} ".encode().ljust(size, b"x")
            try:
                s.sendto(msg, (daddr, port))
            except OSError as e:
                name = errno.errorcode.get(e.errno, str(e.errno))
                errs[name] = errs.get(name, 0) + 1
                time.sleep(0.01)
                continue
            seq += 1
            now = time.time()
            if now - last_report >= 1.0:
                f.write(f"SENT {seq} {now:.6f}\n")
                f.flush()
                last_report = now
            time.sleep(interval)
        f.write(f"SENT {seq} {time.time():.6f}\n")
        for name, count in sorted(errs.items()):
            f.write(f"ERR {name} {count}\n")
        f.write("END\n")


if __name__ == "__main__":
    main()
