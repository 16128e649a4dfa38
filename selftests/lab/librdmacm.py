# SPDX-License-Identifier: GPL-2.0
"""rdma-core's librdmacm through ctypes, for the lab's guest-side helpers
(selftests/lab/cm_reconnect.py, tools/bench/failover.py): no headers and
no compiler needed in the guests, the standard library only.

Only the calls the helpers make are declared, and of the structures only
the leading fields they read or write (struct rdma_cm_event,
ibv_qp_init_attr, rdma_conn_param, sockaddr_in)."""

import ctypes
import os
import select
import socket
import threading


class RdmaCm:
    """librdmacm through ctypes (no headers needed): the few calls and the
    leading fields of the structures the helpers use, one event channel."""

    NAMES = ["ADDR_RESOLVED", "ADDR_ERROR", "ROUTE_RESOLVED", "ROUTE_ERROR", "CONNECT_REQUEST",
             "CONNECT_RESPONSE", "CONNECT_ERROR", "UNREACHABLE", "REJECTED", "ESTABLISHED",
             "DISCONNECTED", "DEVICE_REMOVAL", "MULTICAST_JOIN", "MULTICAST_ERROR",
             "ADDR_CHANGE", "TIMEWAIT_EXIT"]
    ADDR_RESOLVED, ROUTE_RESOLVED, CONNECT_REQUEST, ESTABLISHED, DISCONNECTED = 0, 2, 4, 9, 10
    RDMA_PS_TCP, IBV_QPT_RC = 0x0106, 2

    def __init__(self):
        self.ct = ct = ctypes
        vp = ct.c_void_p

        class SockaddrIn(ct.Structure):
            _fields_ = [("family", ct.c_uint16), ("port", ct.c_uint16),
                        ("addr", ct.c_uint8 * 4), ("zero", ct.c_uint8 * 8)]

        class Event(ct.Structure):  # struct rdma_cm_event, leading fields
            _fields_ = [("id", vp), ("listen_id", vp), ("event", ct.c_int), ("status", ct.c_int)]

        class QpCap(ct.Structure):
            _fields_ = [(n, ct.c_uint32) for n in
                        ("max_send_wr", "max_recv_wr", "max_send_sge", "max_recv_sge", "max_inline_data")]

        class QpInitAttr(ct.Structure):  # struct ibv_qp_init_attr
            _fields_ = [("qp_context", vp), ("send_cq", vp), ("recv_cq", vp), ("srq", vp),
                        ("cap", QpCap), ("qp_type", ct.c_int), ("sq_sig_all", ct.c_int)]

        class ConnParam(ct.Structure):  # struct rdma_conn_param
            _fields_ = [("private_data", vp), ("private_data_len", ct.c_uint8),
                        ("responder_resources", ct.c_uint8), ("initiator_depth", ct.c_uint8),
                        ("flow_control", ct.c_uint8), ("retry_count", ct.c_uint8),
                        ("rnr_retry_count", ct.c_uint8), ("srq", ct.c_uint8),
                        ("qp_num", ct.c_uint32)]

        self.SockaddrIn, self.Event, self.QpCap = SockaddrIn, Event, QpCap
        self.QpInitAttr, self.ConnParam = QpInitAttr, ConnParam
        cm = self.lib = ct.CDLL("librdmacm.so.1", use_errno=True)
        cm.rdma_create_event_channel.restype = vp
        cm.rdma_create_id.argtypes = [vp, ct.POINTER(vp), vp, ct.c_int]
        cm.rdma_bind_addr.argtypes = [vp, ct.POINTER(SockaddrIn)]
        cm.rdma_listen.argtypes = [vp, ct.c_int]
        cm.rdma_resolve_addr.argtypes = [vp, vp, ct.POINTER(SockaddrIn), ct.c_int]
        cm.rdma_resolve_route.argtypes = [vp, ct.c_int]
        cm.rdma_create_qp.argtypes = [vp, vp, ct.POINTER(QpInitAttr)]
        cm.rdma_connect.argtypes = [vp, ct.POINTER(ConnParam)]
        cm.rdma_accept.argtypes = [vp, ct.POINTER(ConnParam)]
        cm.rdma_reject.argtypes = [vp, vp, ct.c_uint8]
        cm.rdma_get_cm_event.argtypes = [vp, ct.POINTER(ct.POINTER(Event))]
        cm.rdma_ack_cm_event.argtypes = [ct.POINTER(Event)]
        cm.rdma_disconnect.argtypes = [vp]
        cm.rdma_destroy_qp.argtypes = [vp]
        cm.rdma_destroy_qp.restype = None
        cm.rdma_destroy_id.argtypes = [vp]
        cm.rdma_destroy_event_channel.argtypes = [vp]
        cm.rdma_destroy_event_channel.restype = None
        cm.rdma_migrate_id.argtypes = [vp, vp]
        ibv = self.ibv = ct.CDLL("libibverbs.so.1", use_errno=True)
        ibv.ibv_alloc_pd.argtypes = [vp]
        ibv.ibv_alloc_pd.restype = vp
        self.pds = {}  # verbs context -> protection domain, kept for good
        self.channels = {}  # fd -> event channel; one channel per id
        self.id_fd = {}     # id -> fd of its channel

    def err(self):
        return os.strerror(self.ct.get_errno())

    def sockaddr(self, addr, port):
        return self.SockaddrIn(socket.AF_INET, socket.htons(port),
                               (self.ct.c_uint8 * 4)(*socket.inet_aton(addr)))

    def new_channel(self):
        ch = self.lib.rdma_create_event_channel()
        if not ch:
            return None
        fd = self.ct.c_int.from_address(ch).value
        os.set_blocking(fd, False)
        self.channels[fd] = ch
        return fd

    def new_id(self):
        """A new id on a channel of its own, or None."""
        fd = self.new_channel()
        if fd is None:
            return None
        cid = self.ct.c_void_p()
        if self.lib.rdma_create_id(self.channels[fd], self.ct.byref(cid), None, self.RDMA_PS_TCP):
            self.lib.rdma_destroy_event_channel(self.channels.pop(fd))
            return None
        self.id_fd[cid.value] = fd
        return cid.value

    def own_channel(self, cid):
        """Moves an id (a new connection of a listener) to a channel of its own."""
        fd = self.new_channel()
        if fd is None or self.lib.rdma_migrate_id(cid, self.channels[fd]):
            return False
        self.id_fd[cid] = fd
        return True

    def destroy(self, cid, has_qp):
        """Destroys an id (its QP, its channel) in a thread of its own: it
        can block (the kernel waits for the id's references), and the
        event loop must not. Nothing reads the id's channel any more."""
        fd = self.id_fd.pop(cid, None)
        ch = self.channels.pop(fd, None)

        def run():
            if has_qp:
                self.lib.rdma_destroy_qp(cid)
            self.lib.rdma_destroy_id(cid)
            if ch:
                self.lib.rdma_destroy_event_channel(ch)
        threading.Thread(target=run, daemon=True).start()

    def create_qp(self, cid):
        """An RC QP on the id's device, in our own PD of that device (the
        id's default PD comes and goes with the device's ids)."""
        verbs = self.ct.c_void_p.from_address(cid).value  # rdma_cm_id.verbs
        if verbs not in self.pds:
            pd = self.ibv.ibv_alloc_pd(verbs)
            if not pd:
                return False
            self.pds[verbs] = pd
        attr = self.QpInitAttr(cap=self.QpCap(1, 1, 1, 1, 0), qp_type=self.IBV_QPT_RC)
        return self.lib.rdma_create_qp(cid, self.pds[verbs], self.ct.byref(attr)) == 0

    def conn_param(self, qp_num=0):
        """Connection parameters; ``qp_num`` for an id without a QP of its
        own (rdma_cm then only carries the number)."""
        return self.ConnParam(responder_resources=1, initiator_depth=1, retry_count=7, rnr_retry_count=7,
                              qp_num=qp_num)

    def events(self, wait):
        """The events that arrive on any channel within `wait` seconds,
        acknowledged: (id, event, status, listen_id)."""
        out = []
        for fd in select.select(list(self.channels), [], [], wait)[0]:
            ch = self.channels.get(fd)
            while ch:
                ev = self.ct.POINTER(self.Event)()
                if self.lib.rdma_get_cm_event(ch, self.ct.byref(ev)):
                    break  # EAGAIN: no more
                e = ev.contents
                out.append((e.id, e.event, e.status, e.listen_id))
                self.lib.rdma_ack_cm_event(ev)
        return out

    def name(self, kind):
        return self.NAMES[kind] if 0 <= kind < len(self.NAMES) else str(kind)
