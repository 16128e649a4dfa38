#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rdmaip port tracking, in the two-node lab.

Node A and node B each have two virtio NICs (eth0 on switch 1, eth1 on
switch 2) with an rxe device on each. The tests load rdmaip the way an admin
would (modprobe), cut and restore links from the host through QEMU, and
check what the module reported in the kernel log; any kernel warning,
lockdep report or oops fails the run.
"""

import os
import sys
import time

from rdmaiplab.kernel_log import ADDED_RE, HEALTH_RE, REMOVED_RE, port_health, wait_match
from rdmaiplab.monitor import load_rdmaip, monitor_paused
from rdmaiplab.nodes import add_rxe, guest_now, setup_nic
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import ADDR, NETDEV, NODES, RDMA_PORT, RXE

# What the issue asks: a port change is reported within this long of the cut.
REPORT_LIMIT_S = 1.0
# Each cycle checks the same leaks (ib_core references, netdev and device
# references, kmemleak); a leak shows after one. `make soak` runs 100.
LOAD_CYCLES = int(os.environ.get("RDMAIP_LOAD_CYCLES", "10"))


def test_debug_kernel(lab):
    for node in NODES:
        assert lab.check(node, "cat /proc/sys/kernel/panic_on_warn").strip() == "1"
        assert "lock-classes" in lab.check(node, "cat /proc/lockdep_stats")


def test_load(lab):
    for node in NODES:
        setup_nic(lab, node, 1, rxe=True)       # rxe0 exists before the module
        setup_nic(lab, node, 2, rxe=False)      # rxe1 comes after it
        load_rdmaip(lab, node)
        lab.check(node, "dmesg | grep -q 'rdmaip: loaded'")


def test_existing_device_found(lab):
    for node in NODES:
        m = wait_match(lab, node, ADDED_RE, port=RDMA_PORT[1])
        assert (m.group("ll"), m.group("netdev")) == ("Ethernet", NETDEV[1]), m.group(0)
        wait_match(lab, node, HEALTH_RE, port=RDMA_PORT[1], new="UP")


def test_new_device_followed(lab):
    for node in NODES:
        t0 = guest_now(lab, node)
        add_rxe(lab, node, 2)
        m = wait_match(lab, node, ADDED_RE, port=RDMA_PORT[2], after=t0)
        assert (m.group("ll"), m.group("netdev")) == ("Ethernet", NETDEV[2]), m.group(0)
        wait_match(lab, node, HEALTH_RE, port=RDMA_PORT[2], new="UP", after=t0)
        assert "ACTIVE" in lab.check(node, f"rdma link show {RDMA_PORT[2]}")


def rping(lab, server_addr):
    """One RDMA CM connection from B to A's ``server_addr``, 3 pings."""
    lab.check("a", f"(timeout 60 rping -s -a {server_addr} -C 3 >/tmp/rping-s.log 2>&1 &)")
    time.sleep(1)
    rc, out = lab.exec("b", f"timeout 60 rping -c -a {server_addr} -C 3 -v", timeout=90)
    assert rc == 0, f"rping to {server_addr} failed (rc {rc}):\n{out}"
    assert out.count("ping data") == 3, out


def test_rping_per_switch(lab):
    # With the trunk cut, each subnet is reachable over its own switch only,
    # so each rping proves one switch's path.
    lab.trunk(False)
    try:
        rping(lab, ADDR["a", 1])
        rping(lab, ADDR["a", 2])
    finally:
        lab.trunk(True)


def cut_and_measure(lab, up, tap):
    t0 = guest_now(lab, "a")
    lab.link("a", 1, up)
    want = "UP" if up else "DOWN (no-carrier)"
    m = wait_match(lab, "a", HEALTH_RE, port=RDMA_PORT[1], new=want, after=t0)
    delay = float(m.group("at")) - t0
    tap.diag(f"node A NIC1 {'restored' if up else 'cut'}: rdmaip reported {want} "
             f"after {delay * 1000:.0f} ms")
    assert delay < REPORT_LIMIT_S, f"reported after {delay:.3f}s"
    assert port_health(lab, "a", RDMA_PORT[2]) == "UP", "the other port must stay up"


def test_delete_and_readd(lab):
    t0 = guest_now(lab, "a")
    lab.check("a", f"rdma link del {RXE[2]}")
    wait_match(lab, "a", REMOVED_RE, port=RDMA_PORT[2], after=t0)
    add_rxe(lab, "a", 2)
    m = wait_match(lab, "a", ADDED_RE, port=RDMA_PORT[2], after=t0)
    assert m.group("netdev") == NETDEV[2]
    wait_match(lab, "a", HEALTH_RE, port=RDMA_PORT[2], new="UP", after=t0)


def test_load_unload_cycles(lab, tap):
    node = "a"
    kmemleak = "/sys/kernel/debug/kmemleak"
    # Forget what the kernel leaked before we start (boot-time noise).
    lab.check(node, f"echo scan > {kmemleak}; echo clear > {kmemleak}")
    # ib_core's references that are not module dependencies (a module that
    # was autoloaded meanwhile, e.g. by the rdma tool's netlink requests,
    # adds a holder and a reference of its own: not a leak).
    refs = ("echo $(( $(awk '$1==\"ib_core\" {print $3}' /proc/modules) - "
            "$(ls /sys/module/ib_core/holders | wc -l) ))")
    holders_before = lab.check(node, "ls /sys/module/ib_core/holders").split()
    users_before = lab.check(node, refs).strip()
    # A veth-backed rxe: deleting the veth afterwards blocks if any netdev
    # reference was leaked (and the refcount tracker names the taker).
    lab.check(node, "ip link add vleak0 type veth peer name vleak1 && ip link set vleak0 up "
                    "&& ip link set vleak1 up && rdma link add rxe9 type rxe netdev vleak0")
    with monitor_paused(lab, node):
        lab.check(node, "rmmod rdmaip")
        lab.check(node, f"for i in $(seq {LOAD_CYCLES}); do modprobe rdmaip && rmmod rdmaip || exit 1; done",
                  timeout=900)
        users_after = lab.check(node, refs).strip()
        holders_after = lab.check(node, "ls /sys/module/ib_core/holders").split()
    # rdmaip itself was loaded before: it is no holder now, and no other
    # reference was left behind by the cycles.
    assert "rdmaip" in holders_before and "rdmaip" not in holders_after, (holders_before, holders_after)
    assert int(users_after) == int(users_before), (users_before, users_after, holders_before, holders_after)
    # Unregistering a netdev must not wait for rdmaip: a reference leaked
    # by any of the cycles, or not dropped on NETDEV_UNREGISTER by the
    # loaded module, makes this block.
    t0 = guest_now(lab, node)
    load_rdmaip(lab, node)
    wait_match(lab, node, HEALTH_RE, port="rxe9/1", new="UP", after=t0)
    lab.check(node, "timeout 30 ip link del vleak0", timeout=60)
    wait_match(lab, node, REMOVED_RE, port="rxe9/1", after=t0)
    for port in (RDMA_PORT[1], RDMA_PORT[2]):
        wait_match(lab, node, HEALTH_RE, port=port, new="UP", after=t0)
    # Likewise `rdma link del` waits for every ib_device reference.
    t1 = guest_now(lab, node)
    lab.check(node, f"timeout 30 rdma link del {RXE[2]}", timeout=60)
    add_rxe(lab, node, 2)
    wait_match(lab, node, HEALTH_RE, port=RDMA_PORT[2], new="UP", after=t1)
    # kmemleak reports objects unreferenced for a while; scan twice.
    time.sleep(6)
    leaks = lab.check(node, f"echo scan > {kmemleak}; sleep 1; echo scan > {kmemleak}; cat {kmemleak}")
    assert leaks.strip() == "", f"kmemleak:\n{leaks[:4000]}"
    tap.diag(f"{LOAD_CYCLES} load/unload cycles done")


def steps(tap, lab):
    tap.run("kernel: lockdep and panic_on_warn are on", test_debug_kernel, lab)
    tap.run("module: loads with modprobe on both nodes", test_load, lab)
    tap.run("ports: existing rxe0 found with netdev eth0, UP", test_existing_device_found, lab)
    tap.run("ports: rxe1 added at runtime is followed, UP", test_new_device_followed, lab)
    tap.run("rping: B to A over switch 1 and over switch 2", test_rping_per_switch, lab)
    tap.run("ports: cut of node A NIC1 reported DOWN within 1s", cut_and_measure, lab, False, tap)
    tap.run("ports: restore of node A NIC1 reported UP within 1s", cut_and_measure, lab, True, tap)
    tap.run("ports: rxe device deleted and re-added is followed", test_delete_and_readd, lab)
    tap.run(f"module: {LOAD_CYCLES} load/unload cycles leak nothing", test_load_unload_cycles,
            lab, tap)


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
