# SPDX-License-Identifier: GPL-2.0
"""RDS over RDMA as a consumer: numbered messages from B (its NIC 1
address) to a receiver on A (A's NIC 1 address), both logging what they
did (consumers/rds_send.py, rds_recv.py)."""

from .cutter import wait_progress
from .paths import CONSUMERS
from .topology import ADDR, NODES

A_ADDR, B_ADDR = ADDR["a", 1], ADDR["b", 1]
RDS_PORT = 4000
RECV_LOG, SEND_LOG = "/tmp/rds-recv.log", "/tmp/rds-send.log"
RECONNECT_MIN_MS = 300


def received(lab):
    rc, out = lab.exec("a", f"wc -l < {RECV_LOG}")
    return int(out.strip()) - 1 if rc == 0 and out.strip().isdigit() else None


def start_rds(lab):
    """Receiver on A, sender on B. Each node's RDS connection is created by
    its own sendmsg while B's NIC 1 is cut, so that neither is first
    created by the handler of an incoming connect (see rds_recv.py --hello:
    a lockdep false positive in 6.12's RDS)."""
    for node in NODES:
        # Both ends reconnect at once after a move; RDS over IB breaks the
        # tie by random backoff from this minimum (default one jiffy),
        # which must exceed a connection attempt: 50-150 ms under TCG
        # (Documentation/rdmaip.rst, "Benchmarks").
        lab.check(node, f"modprobe rds_rdma && sysctl -qw net.rds.reconnect_min_delay_ms={RECONNECT_MIN_MS}")
    lab.link("b", 1, False)
    lab.check("a", f"(/usr/bin/python3 {CONSUMERS}/rds_recv.py {A_ADDR} {RDS_PORT} {RECV_LOG} "
                   f"--hello {B_ADDR} > /tmp/rds-recv.err 2>&1 &)")
    lab.wait_for("a", f"grep -q READY {RECV_LOG}", timeout=30)
    lab.check("b", f"(/usr/bin/python3 {CONSUMERS}/rds_send.py {B_ADDR} {A_ADDR} {RDS_PORT} {SEND_LOG} "
                   f"> /tmp/rds-send.err 2>&1 &)")
    lab.wait_for("b", f"grep -q SENT {SEND_LOG}", timeout=30)
    lab.link("b", 1, True)
    if wait_progress(lab, lambda: received(lab), 20, timeout=60) is None:
        raise AssertionError("no RDS messages arrived before the cuts:\n"
                             + lab.exec("b", f"cat {SEND_LOG} /tmp/rds-send.err")[1]
                             + lab.exec("a", f"tail {RECV_LOG}; cat /tmp/rds-recv.err")[1])
