#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A live failover demo of rdmaip in the two-node lab.

Node A has two RDMA adapters (soft-RoCE on two NICs, one per switch) in
group g0. Node B reaches A's address 10.1.0.1 over RDMA (rping). The demo
cuts A's NIC 1 from the host (QEMU `set_link`: carrier loss in the guest),
shows the address move to NIC 2, B's neighbour entry follow, and B's new
RDMA connection succeed; then restores the link and shows the failback.
Exits non-zero if any step does not happen or a node's kernel complains.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "selftests", "lab"))
from rdmaiplab.kernel_log import HEALTH_RE, wait_match  # noqa: E402
from rdmaiplab.lab import Lab  # noqa: E402
from rdmaiplab.nodes import setup_nic  # noqa: E402
from rdmaiplab.paths import RDMAIPCTL as R  # noqa: E402
from rdmaiplab.topology import ADDR, NETDEV, NODES, RDMA_PORT  # noqa: E402


def say(text):
    print(f"\n=== {text}", flush=True)


def show(lab, node, cmd):
    print(f"node-{node}# {cmd}")
    print(lab.check(node, cmd).rstrip())


def rping(lab):
    lab.check("a", f"(timeout 40 rping -s -a {ADDR['a', 1]} -C 2 > /tmp/rping-s.log 2>&1 &)")
    time.sleep(1)
    rc, out = lab.exec("b", f"timeout 30 rping -c -a {ADDR['a', 1]} -C 2 -v", timeout=45)
    print(f"node-b# rping -c -a {ADDR['a', 1]} -C 2 -v\n{out.rstrip()}")
    if rc != 0:
        raise SystemExit("rping failed")


def wait_addr(lab, dev, addr, timeout=30):
    deadline = time.monotonic() + timeout
    while f" {addr}/" not in " " + lab.check("a", f"ip -br addr show dev {dev}").replace("  ", " "):
        if time.monotonic() > deadline:
            raise SystemExit(f"{addr} never showed up on {dev}")
        time.sleep(0.3)


def main():
    with Lab() as lab:
        say("two nodes booted; rxe on each NIC, rdmaip loaded on node A")
        for node in NODES:
            setup_nic(lab, node, 1)
            setup_nic(lab, node, 2)
        lab.check("a", "modprobe rdmaip")
        for port in (RDMA_PORT[1], RDMA_PORT[2]):
            wait_match(lab, "a", HEALTH_RE, port=port, new="UP")
        show(lab, "a", "rdma link show")
        show(lab, "a", f"{R} group add g0 failback-delay 3s && {R} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0")
        show(lab, "a", f"{R} group show")
        show(lab, "a", f"{R} addr show")
        lab.check("a", f"({R} monitor > /tmp/monitor.log 2>&1 &)")

        say(f"node B connects to {ADDR['a', 1]} over RDMA (via A's NIC 1)")
        rping(lab)
        show(lab, "b", f"ip neigh show {ADDR['a', 1]}")

        say("cutting node A's NIC 1 from the host")
        lab.link("a", 1, False)
        wait_addr(lab, NETDEV[2], ADDR["a", 1])
        time.sleep(1)
        show(lab, "a", "ip -br addr show")
        show(lab, "a", f"{R} addr show")
        show(lab, "b", f"ip neigh show {ADDR['a', 1]}")
        say(f"node B connects again: {ADDR['a', 1]} now lives on NIC 2")
        rping(lab)

        say("restoring NIC 1: the address goes home after the failback delay")
        lab.link("a", 1, True)
        wait_addr(lab, NETDEV[1], ADDR["a", 1])
        show(lab, "a", f"{R} addr show")
        show(lab, "a", "cat /tmp/monitor.log")

        say("unloading rdmaip")
        lab.check("a", "rmmod rdmaip")
        problems = {n: lab.kernel_problems(n) for n in NODES}
        if any(problems.values()):
            print(f"kernel problems: {problems}")
            return 1
        say("demo done: failover and failback worked; no kernel warnings on either node")
    return 0


if __name__ == "__main__":
    sys.exit(main())
