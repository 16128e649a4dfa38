#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A librdmacm consumer that reconnects when its address moves.

Runs inside a lab node, on rdma-core's librdmacm (through ctypes). The
connections carry no QP: rdma_cm lets a consumer manage its own QP and give
only its number (`qp_num` in the connection parameters), which is enough to
exercise the connection manager the way a real consumer does.

    cm_reconnect.py server ADDR PORT
        Listens on ADDR:PORT and accepts every connection.
    cm_reconnect.py client SRC DST PORT
        Connects from SRC to DST:PORT; on RDMA_CM_EVENT_ADDR_CHANGE,
        DISCONNECTED or any error it tears the connection down and connects
        again at once.

Every line of output is "<epoch seconds> <what>", flushed at once:
"event NAME", "connected", "connect-failed NAME", "listening".
"""

import ctypes
import os
import select
import socket
import struct
import sys
import time

EVENTS = ["ADDR_RESOLVED", "ADDR_ERROR", "ROUTE_RESOLVED", "ROUTE_ERROR", "CONNECT_REQUEST",
          "CONNECT_RESPONSE", "CONNECT_ERROR", "UNREACHABLE", "REJECTED", "ESTABLISHED",
          "DISCONNECTED", "DEVICE_REMOVAL", "MULTICAST_JOIN", "MULTICAST_ERROR", "ADDR_CHANGE",
          "TIMEWAIT_EXIT"]
RDMA_PS_TCP = 0x0106
TIMEOUT_MS = 2000

cm = ctypes.CDLL("librdmacm.so.1", use_errno=True)
for name in ("rdma_create_id", "rdma_resolve_addr", "rdma_resolve_route", "rdma_connect",
             "rdma_accept", "rdma_establish", "rdma_disconnect", "rdma_destroy_id",
             "rdma_bind_addr", "rdma_listen", "rdma_get_cm_event", "rdma_ack_cm_event"):
    getattr(cm, name).restype = ctypes.c_int
cm.rdma_create_event_channel.restype = ctypes.c_void_p
for name, args in (("rdma_create_id", [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_int]),
                   ("rdma_resolve_addr", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]),
                   ("rdma_resolve_route", [ctypes.c_void_p, ctypes.c_int]),
                   ("rdma_connect", [ctypes.c_void_p, ctypes.c_void_p]),
                   ("rdma_accept", [ctypes.c_void_p, ctypes.c_void_p]),
                   ("rdma_establish", [ctypes.c_void_p]),
                   ("rdma_disconnect", [ctypes.c_void_p]),
                   ("rdma_destroy_id", [ctypes.c_void_p]),
                   ("rdma_bind_addr", [ctypes.c_void_p, ctypes.c_void_p]),
                   ("rdma_listen", [ctypes.c_void_p, ctypes.c_int]),
                   ("rdma_get_cm_event", [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
                   ("rdma_ack_cm_event", [ctypes.c_void_p])):
    getattr(cm, name).argtypes = args


class ConnParam(ctypes.Structure):
    """struct rdma_conn_param (rdma/rdma_cma.h)."""
    _fields_ = [("private_data", ctypes.c_void_p), ("private_data_len", ctypes.c_uint8),
                ("responder_resources", ctypes.c_uint8), ("initiator_depth", ctypes.c_uint8),
                ("flow_control", ctypes.c_uint8), ("retry_count", ctypes.c_uint8),
                ("rnr_retry_count", ctypes.c_uint8), ("srq", ctypes.c_uint8),
                ("qp_num", ctypes.c_uint32)]


class Event(ctypes.Structure):
    """The head of struct rdma_cm_event."""
    _fields_ = [("id", ctypes.c_void_p), ("listen_id", ctypes.c_void_p),
                ("event", ctypes.c_int), ("status", ctypes.c_int)]


def say(what):
    print(f"{time.time():.6f} {what}", flush=True)


def sockaddr_in(addr, port):
    raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)
    return ctypes.create_string_buffer(raw, len(raw))


def conn_param(qp_num):
    return ConnParam(None, 0, 1, 1, 0, 7, 7, 0, qp_num)


class Channel:
    def __init__(self):
        self.ch = cm.rdma_create_event_channel()
        if not self.ch:
            sys.exit(f"rdma_create_event_channel: {os.strerror(ctypes.get_errno())}")
        self.fd = ctypes.c_int.from_address(self.ch).value  # struct rdma_event_channel { int fd; }
        os.set_blocking(self.fd, False)

    def new_id(self):
        cid = ctypes.c_void_p()
        if cm.rdma_create_id(self.ch, ctypes.byref(cid), None, RDMA_PS_TCP):
            sys.exit(f"rdma_create_id: {os.strerror(ctypes.get_errno())}")
        return cid.value

    def get(self, timeout):
        """(id, listen_id, name, status) of the next event, or None."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        if not poller.poll(timeout * 1000):
            return None
        ev = ctypes.c_void_p()
        if cm.rdma_get_cm_event(self.ch, ctypes.byref(ev)):
            return None
        e = Event.from_address(ev.value)
        out = (e.id, e.listen_id, EVENTS[e.event] if 0 <= e.event < len(EVENTS) else str(e.event), e.status)
        cm.rdma_ack_cm_event(ev)
        return out


def server(addr, port):
    ch = Channel()
    lid = ch.new_id()
    if cm.rdma_bind_addr(lid, sockaddr_in(addr, port)) or cm.rdma_listen(lid, 16):
        sys.exit(f"listen on {addr}:{port}: {os.strerror(ctypes.get_errno())}")
    say("listening")
    qpn = (os.getpid() & 0xffff) << 8
    while True:
        got = ch.get(1.0)
        if got is None:
            continue
        cid, _, name, status = got
        say(f"event {name} {status}")
        if name == "CONNECT_REQUEST":
            qpn += 1
            if cm.rdma_accept(cid, ctypes.byref(conn_param(qpn))):
                cm.rdma_destroy_id(cid)
        elif name in ("DISCONNECTED", "DEVICE_REMOVAL", "CONNECT_ERROR", "UNREACHABLE"):
            if cid != lid:
                cm.rdma_destroy_id(cid)


def client(src, dst, port):
    ch = Channel()
    # QP numbers must differ between the connections a CM sees from one
    # device, or the peer rejects a new one as stale.
    qpn = (os.getpid() & 0xffff) << 8
    src_sa, dst_sa = sockaddr_in(src, 0), sockaddr_in(dst, port)

    def connect():
        """A new connection; returns its id once established, else None."""
        nonlocal qpn
        cid = ch.new_id()
        if cm.rdma_resolve_addr(cid, src_sa, dst_sa, TIMEOUT_MS):
            say(f"connect-failed resolve_addr-{ctypes.get_errno()}")
            cm.rdma_destroy_id(cid)
            return None
        deadline = time.monotonic() + 3 * TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            got = ch.get(0.5)
            if got is None or got[0] != cid:
                continue
            name = got[2]
            if name == "ADDR_RESOLVED":
                cm.rdma_resolve_route(cid, TIMEOUT_MS)
            elif name == "ROUTE_RESOLVED":
                qpn += 1
                cm.rdma_connect(cid, ctypes.byref(conn_param(qpn)))
            elif name == "CONNECT_RESPONSE":
                if cm.rdma_establish(cid) == 0:
                    say("connected")
                    return cid
                say(f"connect-failed establish-{ctypes.get_errno()}")
                break
            else:
                say(f"connect-failed {name} {got[3]}")
                break
        else:
            say("connect-failed timeout")
        cm.rdma_destroy_id(cid)
        return None

    cid = None
    while True:
        while cid is None:
            cid = connect()
            if cid is None:
                time.sleep(0.2)
        got = ch.get(1.0)
        if got is None or got[0] != cid:
            continue
        say(f"event {got[2]} {got[3]}")
        if got[2] in ("ADDR_CHANGE", "DISCONNECTED", "DEVICE_REMOVAL", "UNREACHABLE", "CONNECT_ERROR"):
            if got[2] == "ADDR_CHANGE":
                cm.rdma_disconnect(cid)
            cm.rdma_destroy_id(cid)
            cid = None


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
