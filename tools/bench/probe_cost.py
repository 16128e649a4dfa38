#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Probing's cost: what path probing at its defaults (100 ms) costs node A,
with the largest group rdmaip allows (16 members, 8 targets), against the
same group with probing off, in one lab run.

Node A gets 14 more RDMA ports (soft-RoCE on veth pairs pvN/pqN) next to
its two NICs, all in group g0. The 8 targets are node B's four addresses
and 10.1.0.200, 10.2.0.200, fd00:1::200, fd00:2::200. The far ends of the
veth pairs (pqN, in node A: the lab kernel has no network namespaces)
hold 10.1.0.200 and fd00:1::200 and answer the probes of their member,
as another host would; node A pays for those answers too, so the rows
with answers overstate rdmaip's share. Rows:

- probing off;
- probing on, every member answered: the steady state of a healthy
  group (each member asks only the target that answers it);
- probing on, the 14 veth members unanswered (their far ends' addresses
  removed): they ask every target every round, the most a group sends;
- bonding's ARP and NS monitor (below).

For each row the benchmark samples, over --seconds:

- CPU: node A's non-idle time from /proc/stat (all CPUs; the guest is
  otherwise idle), in percent of one CPU;
- wire: bytes and frames sent by the 16 member netdevs (ip -s link), per
  second; replies received on NIC 1 and NIC 2 per second;
- rdmaip's own count of probes sent (probe show).

A third row is the like-for-like baseline: probing off, and bonding's ARP
and NS monitor (balance-xor, arp_interval 100, 4 arp_ip_target and 4
ns_ip6_target in a subnet of its own, nobody answering) on 16 dummy slaves,
which probes every target from every slave: the same frames at the same
rate, sent by the kernel's own code.

This is a measurement, not a test. The lab runs under TCG (software CPUs),
so CPU percentages are far above what real hardware pays; compare the two
rows.

    tools/bench/probe_cost.py [--seconds S]
"""

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lab"))
from rdmaiplab.paths import RDMAIPCTL as R  # noqa: E402
from rdmaiplab.topology import ADDR, ADDR6, NETDEV, NODES, RDMA_PORT  # noqa: E402

EXTRA = 14
TARGETS = [ADDR["b", 1], ADDR["b", 2], ADDR6["b", 1], ADDR6["b", 2],
           "10.1.0.200", "10.2.0.200", "fd00:1::200", "fd00:2::200"]


def cpu_busy(lab):
    """(busy jiffies, total jiffies) of node A: user, nice, system, irq and
    softirq; not idle, iowait or steal (the host running other vCPUs)."""
    f = [int(x) for x in lab.check("a", "head -1 /proc/stat").split()[1:]]
    return f[0] + f[1] + f[2] + f[5] + f[6], sum(f)


def members(extra=EXTRA):
    return [NETDEV[1], NETDEV[2]] + [f"pv{i}" for i in range(extra)]


def answering(lab, on):
    """The veth members' far ends answer (hold the targets' addresses) or not."""
    cmd = "add" if on else "del"
    lab.check("a", " && ".join(f"ip addr {cmd} 10.1.0.200/24 dev pq{i} && "
                               f"ip addr {cmd} fd00:1::200/64 dev pq{i}" + (" nodad" if on else "")
                               for i in range(EXTRA)))


def tx(lab, devs):
    """(bytes, packets) sent by `devs`, and packets they received."""
    out = json.loads(lab.check("a", "ip -s -j link show"))
    by = {d["ifname"]: d["stats64"] for d in out}
    txb = sum(by[d]["tx"]["bytes"] for d in devs)
    txp = sum(by[d]["tx"]["packets"] for d in devs)
    rxp = sum(by[d]["rx"]["packets"] for d in devs)
    return txb, txp, rxp


def sent(lab):
    paths = json.loads(lab.check("a", f"{R} -d -j probe show group g0"))
    return sum(p.get("sent", 0) for p in paths), len(paths)


def sample(lab, seconds, devs=None):
    """CPU and wire over `seconds`; `devs` (default: rdmaip's members) are
    the netdevs whose sending counts; with other devs, probes are the
    frames they send."""
    ours = devs is None
    devs = devs or members()
    b0, c0 = cpu_busy(lab), tx(lab, devs)
    s0 = sent(lab)[0] if ours else c0[1]
    t0 = time.monotonic()
    time.sleep(seconds)
    b1, c1 = cpu_busy(lab), tx(lab, devs)
    s1, n = sent(lab) if ours else (c1[1], 0)
    dt = time.monotonic() - t0
    hz = 100  # USER_HZ
    ncpu = int(lab.check("a", "nproc").strip())
    busy = (b1[0] - b0[0]) / hz / dt * 100
    return {
        "cpu_pct": busy,
        "cpus": ncpu,
        "tx_Bps": (c1[0] - c0[0]) / dt,
        "tx_pps": (c1[1] - c0[1]) / dt,
        "rx_pps": (c1[2] - c0[2]) / dt,
        "probes_ps": (s1 - s0) / dt,
        "paths": n,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()

    from rdmaiplab.lab import Lab, exit_status
    from rdmaiplab.monitor import load_rdmaip
    from rdmaiplab.nodes import setup_nic

    rows = {}
    with Lab() as lab:
        for node in NODES:
            for nic in (1, 2):
                setup_nic(lab, node, nic)
            lab.check(node, f"ip addr add {ADDR6[node, 1]}/64 dev {NETDEV[1]} nodad && "
                            f"ip addr add {ADDR6[node, 2]}/64 dev {NETDEV[2]} nodad")
        for i in range(EXTRA):
            lab.check("a", f"ip link add pv{i} type veth peer name pq{i} && ip link set pq{i} up && "
                           f"ip link set pv{i} up && rdma link add prxe{i} type rxe netdev pv{i}")
        answering(lab, True)
        load_rdmaip(lab, "a")
        ports = list(RDMA_PORT.values()) + [f"prxe{i}/1" for i in range(EXTRA)]
        lab.wait_for("a", f"{R} group show g0 >/dev/null 2>&1 || {R} group add g0", timeout=20)
        lab.wait_for("a", f"{R} port add {' '.join(ports)} group g0", timeout=60, interval=1)
        time.sleep(3)
        rows["probing off (16 members)"] = sample(lab, args.seconds)
        lab.check("a", f"{R} group set g0 probe-targets {','.join(TARGETS)}")
        time.sleep(3)
        rows["on, all answered: 16 members x 8 targets"] = sample(lab, args.seconds)
        answering(lab, False)
        time.sleep(3)
        rows["on, 14 members unanswered (ask all 8)"] = sample(lab, args.seconds)
        # Like for like: the kernel's own ARP and NS monitor sending the
        # same probes. Bonding in a load-balancing mode probes every
        # target from every slave; its own subnet, so that the targets
        # route through the bond (nobody answers, as for half of ours).
        lab.check("a", f"{R} group set g0 probe-targets none")
        bond_targets = ",".join(f"10.77.0.{i}" for i in range(2, 6))
        ns_targets = ",".join(f"fd77::{i}" for i in range(2, 6))
        lab.check("a", "modprobe bonding max_bonds=0 && "
                       f"ip link add bond0 type bond mode balance-xor arp_interval 100 "
                       f"arp_ip_target {bond_targets} ns_ip6_target {ns_targets} && "
                       + " && ".join(f"ip link add bd{i} type dummy && ip link set bd{i} arp on && "
                                     f"ip link set bd{i} master bond0" for i in range(16))
                       + " && ip link set bond0 up && ip addr add 10.77.0.1/24 dev bond0 && "
                       "ip addr add fd77::1/64 dev bond0 nodad")
        time.sleep(3)
        rows["bonding ARP/NS monitor, 16 slaves x 8 targets"] = sample(
            lab, args.seconds, [f"bd{i}" for i in range(16)])
        problems = lab.problems_kept()

    print(f"\nPath probing's cost on node A, {args.seconds:g} s per row (QEMU TCG lab; "
          f"{rows[next(iter(rows))]['cpus']} vCPUs)\n")
    print(f"{'state':44} {'CPU % of 1':>10} {'tx B/s':>10} {'tx frames/s':>12} "
          f"{'rx frames/s':>12} {'probes/s':>9}")
    for name, r in rows.items():
        print(f"{name:44} {r['cpu_pct']:>10.1f} {r['tx_Bps']:>10.0f} {r['tx_pps']:>12.0f} "
              f"{r['rx_pps']:>12.0f} {r['probes_ps']:>9.0f}")
    off, on, worst, bond = rows.values()
    print()
    for what, r in (("a healthy group", on), ("14 unanswered members", worst)):
        extra = r['cpu_pct'] - off['cpu_pct']
        per_probe_us = extra / 100 / r['probes_ps'] * 1e6 if r['probes_ps'] else float("nan")
        print(f"probing, {what}: {r['probes_ps']:.0f} probes/s, {extra:.1f} % of one emulated CPU "
              f"({per_probe_us:.0f} us per probe, its answer included) and "
              f"{r['tx_Bps'] - off['tx_Bps']:.0f} B/s sent ({r['paths']} paths)")
    print("CPU is busy time of the whole guest (/proc/stat); wire counts are the members' netdevs.")
    extra_b = bond['cpu_pct'] - off['cpu_pct']
    per_b = extra_b / 100 / bond['probes_ps'] * 1e6 if bond['probes_ps'] else float("nan")
    print(f"bonding's monitor, sending {bond['probes_ps']:.0f} probes/s from its 16 slaves, costs {extra_b:.1f} % "
          f"({per_b:.0f} us per probe) in the same guest: the kernel's own price of such a probe here.")
    return exit_status(problems)


if __name__ == "__main__":
    sys.exit(main())
