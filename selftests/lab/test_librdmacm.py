#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Userspace rdma_cm consumers hear about moved addresses, in the two-node lab.

Node A's two ports form group g0 (as in test_failover.py). A librdmacm
client on A (cm_reconnect.py, through rdma-core's librdmacm) is connected
from A's NIC-1 address to a server on B; another from A's NIC-2 address is
the control. Cutting NIC 1 must give the first client exactly one
RDMA_CM_EVENT_ADDR_CHANGE, after which it reconnects from the same address,
now over NIC 2's RDMA device; the control hears nothing. Failback does the
same in the other direction. A listener on the moved address gets its
ADDR_CHANGE too. Node B runs rdmaip with no group: its client connected to
A's moving address (through a wildcard listener on A) gets exactly one
ADDR_CHANGE per move from B's peer notification, and reconnects; it
ignores rdma_cm's own UNREACHABLE, as nvme-rdma does.

(Device removal is tested with kernel ids in test_cm.py: a librdmacm process
keeps every RDMA device open through uverbs, and rxe cannot disassociate
it, so deleting an rxe device waits until such a process exits.)
"""

import os
import re
import sys
import time

from rdmaiplab import failover as fo
from rdmaiplab.kernel_log import HEALTH_RE, wait_match
from rdmaiplab.monitor import load_rdmaip
from rdmaiplab.nodes import guest_now
from rdmaiplab.paths import LAB_TESTS, RDMAIPCTL as R
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import ADDR, RDMA_PORT

CLIENT = os.path.join(LAB_TESTS, "cm_reconnect.py")
PORT = 7471
# A's wildcard listener, for B's client: unlike a listener bound to the
# moving address, it follows the address to NIC 2's device.
WILD_PORT = 7472
# Each client talks to B's address on its own subnet.
MOVING, STAYING = ADDR["a", 1], ADDR["a", 2]
PEER = {MOVING: ADDR["b", 1], STAYING: ADDR["b", 2]}


def log_lines(lab, node, name):
    out = lab.check(node, f"cat /tmp/{name}.log 2>/dev/null; true")
    return [(float(t), rest) for t, _, rest in (line.partition(" ") for line in out.splitlines())
            if re.fullmatch(r"\d+\.\d+", t)]


def wait_line(lab, node, name, what, after, timeout=30):
    """The time of the first line `what` in /tmp/<name>.log later than
    `after` (guest epoch seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        for t, rest in log_lines(lab, node, name):
            if t > after and rest.startswith(what):
                return t
        if time.monotonic() > deadline:
            raise AssertionError(f"{node}:/tmp/{name}.log has no '{what}' after {after}:\n"
                                 + lab.check(node, f"tail -20 /tmp/{name}.log; true"))
        time.sleep(0.3)


def count(lab, node, name, what, after=0.0):
    return sum(1 for t, rest in log_lines(lab, node, name) if t > after and rest.startswith(what))


def cm_id_link(lab, src):
    """The RDMA port of A's connected id with source address `src`."""
    out = lab.check("a", "rdma resource show cm_id")
    for line in out.splitlines():
        if f"src-addr {src}:" in line and "state CONNECT" in line:
            return line.split()[1]
    return None


def start(lab, node, name, *args):
    lab.check(node, f"(stdbuf -oL python3 {CLIENT} {' '.join(args)} > /tmp/{name}.log 2>&1 &)")


def setup(lab):
    fo.setup(lab)
    start(lab, "b", "server", "server", "0.0.0.0", str(PORT))
    wait_line(lab, "b", "server", "listening", 0)
    start(lab, "a", "listener", "server", MOVING, str(PORT))
    wait_line(lab, "a", "listener", "listening", 0)
    start(lab, "a", "moving", "client", MOVING, PEER[MOVING], str(PORT))
    start(lab, "a", "staying", "client", STAYING, PEER[STAYING], str(PORT))
    wait_line(lab, "a", "moving", "connected", 0)
    wait_line(lab, "a", "staying", "connected", 0)
    load_rdmaip(lab, "b")
    start(lab, "a", "wild", "server", "0.0.0.0", str(WILD_PORT))
    wait_line(lab, "a", "wild", "listening", 0)
    lab.check("b", f"(CM_IGNORE=UNREACHABLE stdbuf -oL python3 {CLIENT} client {ADDR['b', 1]} {MOVING} "
                   f"{WILD_PORT} > /tmp/peer.log 2>&1 &)")
    wait_line(lab, "b", "peer", "connected", 0)
    assert cm_id_link(lab, MOVING) == RDMA_PORT[1], lab.check("a", "rdma resource show cm_id")


def moved_and_reconnected(lab, tap, up, want_link, what, action=None):
    """Runs `action` (default: cut or restore NIC 1), then checks that the
    moving client alone heard one ADDR_CHANGE and reconnected over
    `want_link`."""
    t0, t0_b = guest_now(lab, "a"), guest_now(lab, "b")
    if action is None:
        lab.link("a", 1, up)
    else:
        action()
    fo.wait_placed(lab, fo.home_layout() if up else fo.moved_layout(), timeout=30)
    t_change = wait_line(lab, "a", "moving", "event ADDR_CHANGE", t0)
    t_conn = wait_line(lab, "a", "moving", "connected", t_change)
    tap.diag(f"{what}: ADDR_CHANGE {t_change - t0:.2f}s after the {what} began, "
             f"reconnected {t_conn - t_change:.2f}s later")
    deadline = time.monotonic() + 10
    while cm_id_link(lab, MOVING) != want_link:
        assert time.monotonic() < deadline, lab.check("a", "rdma resource show cm_id")
        time.sleep(0.3)
    time.sleep(1)  # a second event would arrive within this
    assert count(lab, "a", "moving", "event ADDR_CHANGE", t0) == 1, log_lines(lab, "a", "moving")
    assert count(lab, "a", "staying", "event", t0) == 0, log_lines(lab, "a", "staying")
    assert count(lab, "a", "listener", "event ADDR_CHANGE", t0) == 1, log_lines(lab, "a", "listener")
    # B, the peer: one ADDR_CHANGE for its connection to the moved
    # address, then a new connection.
    t_peer = wait_line(lab, "b", "peer", "event ADDR_CHANGE", t0_b)
    wait_line(lab, "b", "peer", "connected", t_peer)
    tap.diag(f"{what}: B's client told {t_peer - t0_b:.2f}s after the {what} began")
    time.sleep(1)
    assert count(lab, "b", "peer", "event ADDR_CHANGE", t0_b) == 1, log_lines(lab, "b", "peer")


def test_failover(lab, tap):
    moved_and_reconnected(lab, tap, False, RDMA_PORT[2], "failover")


def test_failback(lab, tap):
    moved_and_reconnected(lab, tap, True, RDMA_PORT[1], "failback")


def test_drain_undrain(lab, tap):
    moved_and_reconnected(lab, tap, False, RDMA_PORT[2], "drain",
                          lambda: lab.check("a", f"{R} port drain {RDMA_PORT[1]}"))
    moved_and_reconnected(lab, tap, True, RDMA_PORT[1], "undrain",
                          lambda: lab.check("a", f"{R} port undrain {RDMA_PORT[1]}"))


def test_unload(lab, tap):
    lab.check("a", f"{R} group set g0 failback off")
    lab.link("a", 1, False)
    fo.wait_placed(lab, fo.moved_layout(), timeout=30)
    wait_line(lab, "a", "moving", "connected", guest_now(lab, "a") - 60)
    deadline = time.monotonic() + 20
    while cm_id_link(lab, MOVING) != RDMA_PORT[2]:
        assert time.monotonic() < deadline, lab.check("a", "rdma resource show cm_id")
        time.sleep(0.3)
    t_restore = guest_now(lab, "a")
    lab.link("a", 1, True)
    wait_match(lab, "a", HEALTH_RE, port=RDMA_PORT[1], new="UP", after=t_restore)
    # Restored, failback off: only the unload brings the address home, and
    # tells the client.
    moved_and_reconnected(lab, tap, True, RDMA_PORT[1], "unload",
                          lambda: lab.check("a", "rmmod rdmaip"))


def test_monitor_counts(lab):
    moved = [e for e in fo.events(lab, "addr-moved") if e["addr"] == MOVING]
    assert len(moved) >= 2, moved
    # The connected client, the listener, and (on failover) nothing else.
    assert all(e.get("cm_ids_notified", 0) >= 2 for e in moved[-2:]), moved
    assert all("cm_delivery_us" in e for e in moved[-2:]), moved


def steps(tap, lab):
    tap.run("setup: group g0 on A; librdmacm clients on A's NIC-1 and NIC-2 addresses connected "
            "to B, a listener on the NIC-1 address", setup, lab)
    tap.run("failover: the client on the moved address gets one ADDR_CHANGE and reconnects over "
            "NIC 2; the control client and nothing else hears anything", test_failover, lab, tap)
    tap.run("failback: one ADDR_CHANGE again, reconnected over NIC 1", test_failback, lab, tap)
    tap.run("monitor: addr-moved events count the rdma_cm ids notified", test_monitor_counts, lab)
    tap.run("drain/undrain: one ADDR_CHANGE each, reconnected over the other device and back",
            test_drain_undrain, lab, tap)
    tap.run("unload: rmmod with a moved address brings it home with one ADDR_CHANGE",
            test_unload, lab, tap)
    lab.exec("a", "pkill -f cm_reconnect.py; true")
    lab.exec("b", "pkill -f cm_reconnect.py; true")


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
