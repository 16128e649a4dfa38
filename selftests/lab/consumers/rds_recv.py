#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""AF_RDS receiver for the lab's consumer tests (runs in a guest).

    rds_recv.py LADDR PORT OUTFILE [--stop FILE] [--hello ADDR]

Binds an RDS socket (RDS over RDMA: the IB transport is forced) to
LADDR:PORT and writes one line per message to OUTFILE:
"<sequence> <epoch seconds received>". Messages are "<sequence> <padding>"
as rds_send.py sends them; anything else is written as "? <time> <repr>".
Every receive waits at most a second, so the loop notices the stop file
(default OUTFILE + ".stop") and exits; on exit it appends "END <count>".

--hello ADDR first sends one message "hello" to ADDR:PORT, so that this
node's RDS connection to ADDR is created here, in process context, and
not later by the handler of the peer's incoming connect: in 6.12 that
path (rds_ib_cm_handle_connect -> rds_conn_create -> rds_ib_laddr_check ->
rdma_destroy_id of a probe id, under the listener's handler_mutex) makes
lockdep report "possible recursive locking" (two ids, one lock class).
"""

import os
import socket
import struct
import sys
import time

SOL_RDS = 276
SO_RDS_TRANSPORT = 8
RDS_TRANS_IB = 0


def main():
    laddr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    stop = out + ".stop"
    if "--stop" in sys.argv:
        stop = sys.argv[sys.argv.index("--stop") + 1]
    s = socket.socket(socket.AF_RDS, socket.SOCK_SEQPACKET, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(SOL_RDS, SO_RDS_TRANSPORT, struct.pack("i", RDS_TRANS_IB))
    s.bind((laddr, port))
    s.settimeout(1.0)
    n = 0
    last_flush = time.monotonic()
    with open(out, "w") as f:
        if "--hello" in sys.argv:
            peer = sys.argv[sys.argv.index("--hello") + 1]
            for _ in range(100):  # a send that fails is retried, for 10 s at most
                try:
                    s.sendto(b"hello", (peer, port))
                    break
                except OSError as e:
                    f.write(f"HELLO-ERROR {e}\n")
                    f.flush()
                    time.sleep(0.1)
        f.write(f"READY {time.time():.6f}\n")
        f.flush()
        while not os.path.exists(stop):
            try:
                data, _src = s.recvfrom(65536)
            except socket.timeout:
                f.flush()
                continue
            now = time.time()
            head = data.split(b" ", 1)[0]
            if head.isdigit():
                f.write(f"{int(head)} {now:.6f}\n")
            else:
                f.write(f"? {now:.6f} {data[:40]!r}\n")
            n += 1
            if now - last_flush > 0.2:
                f.flush()
                last_flush = now
        f.write(f"END {n}\n")


if __name__ == "__main__":
    main()
