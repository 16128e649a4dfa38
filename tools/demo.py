#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A short live demo of rdmaip in the two-node lab.

Boots node A and node B, loads rdmaip with modprobe on both, cuts node A's
NIC 1 from the host (QEMU `set_link`, seen by the guest as carrier loss),
restores it, and shows what the module saw, with how long after the cut each
change was reported. Exits non-zero if anything did not happen as expected
or a node's kernel complained.
"""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lab"))

from rdmaip_lab import HEALTH_RE, Lab, guest_now, setup_nic, wait_match  # noqa: E402


def say(text):
    print(f"\n=== {text}", flush=True)


def main():
    with Lab() as lab:
        say("both nodes booted; adding an rxe device on each NIC and loading rdmaip")
        for node in ("a", "b"):
            setup_nic(lab, node, 1)
            setup_nic(lab, node, 2)
            lab.check(node, "modprobe rdmaip")
        for node in ("a", "b"):
            for port in ("rxe0/1", "rxe1/1"):
                wait_match(lab, node, HEALTH_RE, port=port, new="UP")
            print(f"--- node {node}: rdma link show")
            print(lab.check(node, "rdma link show").rstrip())
            print(f"--- node {node}: what rdmaip saw")
            print(lab.check(node, "dmesg | grep rdmaip:").rstrip())

        for up in (False, True):
            say(f"{'restoring' if up else 'cutting'} node A NIC 1 from the host (QMP set_link)")
            t0 = guest_now(lab, "a")
            lab.link("a", 1, up)
            m = wait_match(lab, "a", HEALTH_RE, port="rxe0/1", new="UP" if up else "DOWN (no-carrier)",
                           after=t0)
            print(m.group(0))
            print(f"reported {1000 * (float(m.group('at')) - t0):.0f} ms after the "
                  f"{'restore' if up else 'cut'} was requested")
            time.sleep(1)
            print(lab.check("a", "rdma link show").rstrip())

        say("unloading rdmaip on both nodes")
        for node in ("a", "b"):
            lab.check(node, "rmmod rdmaip")
        problems = {n: lab.kernel_problems(n) for n in ("a", "b")}
        if any(problems.values()):
            print(f"kernel problems: {problems}")
            return 1
        say("demo done: no kernel warnings on either node")
    return 0


if __name__ == "__main__":
    sys.exit(main())
