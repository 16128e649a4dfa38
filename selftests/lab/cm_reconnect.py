#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A librdmacm consumer that reconnects when its address moves.

Runs inside a lab node, on rdma-core's librdmacm (through ctypes,
librdmacm.py). The connections carry no QP: rdma_cm lets a consumer manage
its own QP and give only its number (`qp_num` in the connection
parameters), which is enough to exercise the connection manager the way a
real consumer does.

    cm_reconnect.py server ADDR PORT
        Listens on ADDR:PORT and accepts every connection.
    cm_reconnect.py client SRC DST PORT
        Connects from SRC to DST:PORT; on RDMA_CM_EVENT_ADDR_CHANGE,
        DISCONNECTED or any error it tears the connection down and connects
        again at once. Events named in $CM_IGNORE (space-separated) are
        logged but do not end the connection (as nvme-rdma ignores
        UNREACHABLE on a live queue).

Every line of output is "<epoch seconds> <what>", flushed at once:
"event NAME", "connected", "connect-failed NAME", "listening".
"""

import os
import sys
import time

from librdmacm import RdmaCm

TIMEOUT_MS = 2000
# Events after which a connection is gone (the client connects again).
ENDED = ("ADDR_CHANGE", "DISCONNECTED", "DEVICE_REMOVAL", "UNREACHABLE", "CONNECT_ERROR")
IGNORED = os.environ.get("CM_IGNORE", "").split()


def say(what):
    print(f"{time.time():.6f} {what}", flush=True)


def next_events(cm, wait):
    """The events of ``wait`` seconds, named: (id, name, status)."""
    return [(cid, cm.name(kind), status) for cid, kind, status, _ in cm.events(wait)]


def server(addr, port):
    cm = RdmaCm()
    lid = cm.new_id()
    if lid is None or cm.lib.rdma_bind_addr(lid, cm.ct.byref(cm.sockaddr(addr, port))) \
            or cm.lib.rdma_listen(lid, 16):
        sys.exit(f"listen on {addr}:{port}: {cm.err()}")
    say("listening")
    # QP numbers must differ between the connections a CM sees from one
    # device, or the peer rejects a new one as stale.
    qpn = (os.getpid() & 0xffff) << 8
    while True:
        for cid, name, status in next_events(cm, 1.0):
            say(f"event {name} {status}")
            if name == "CONNECT_REQUEST":
                qpn += 1
                if cm.lib.rdma_accept(cid, cm.ct.byref(cm.conn_param(qpn))):
                    cm.destroy(cid, False)
            elif name in ENDED and name != "ADDR_CHANGE" and cid != lid:
                cm.destroy(cid, False)


def client(src, dst, port):
    cm = RdmaCm()
    qpn = (os.getpid() & 0xffff) << 8
    src_sa, dst_sa = cm.sockaddr(src, 0), cm.sockaddr(dst, port)

    def connect():
        """A new connection; returns its id once established, else None."""
        nonlocal qpn
        cid = cm.new_id()
        if cid is None:
            say(f"connect-failed create_id-{cm.err()}")
            return None
        if cm.lib.rdma_resolve_addr(cid, cm.ct.byref(src_sa), cm.ct.byref(dst_sa), TIMEOUT_MS):
            say(f"connect-failed resolve_addr-{cm.err()}")
            cm.destroy(cid, False)
            return None
        deadline = time.monotonic() + 3 * TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            for got, name, status in next_events(cm, 0.5):
                if got != cid:
                    continue
                if name == "ADDR_RESOLVED":
                    cm.lib.rdma_resolve_route(cid, TIMEOUT_MS)
                elif name == "ROUTE_RESOLVED":
                    qpn += 1
                    cm.lib.rdma_connect(cid, cm.ct.byref(cm.conn_param(qpn)))
                elif name == "CONNECT_RESPONSE" and cm.lib.rdma_establish(cid) == 0:
                    say("connected")
                    return cid
                else:
                    what = f"establish-{cm.err()}" if name == "CONNECT_RESPONSE" else f"{name} {status}"
                    say(f"connect-failed {what}")
                    cm.destroy(cid, False)
                    return None
        say("connect-failed timeout")
        cm.destroy(cid, False)
        return None

    cid = None
    while True:
        while cid is None:
            cid = connect()
            if cid is None:
                time.sleep(0.2)
        for got, name, status in next_events(cm, 1.0):
            if got != cid:
                continue
            say(f"event {name} {status}")
            if name in ENDED and name not in IGNORED:
                if name == "ADDR_CHANGE":
                    cm.lib.rdma_disconnect(cid)
                cm.destroy(cid, False)
                cid = None
                break


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
