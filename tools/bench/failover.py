#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Failover benchmark: rdmaip against Linux bonding, in one lab run.

For each setup, node A's NIC 1 is cut from the host while node B keeps
opening new RDMA CM connections (rping, one ping each) to A's address
10.1.0.1, and the benchmark prints, from the moment of the cut:

- detect: the port (rdmaip) or slave (bonding) reported down on node A;
- live:   the address usable on the surviving port (rdmaip's addr-moved
          event; for bonding, the failover is the move);
- rping:  the first new RDMA connection from B that succeeds.

Setups: rdmaip (group of rxe0 on NIC 1 and rxe1 on NIC 2), and an
active-backup bond over both NICs with rxe on the bond, with miimon=100
(the usual setting) and miimon=10. Times are taken inside the guests
(node A's and B's wall clocks, set from the same host clock at boot) and
are medians over the rounds. This is a measurement, not a test: it prints
numbers and exits 0 unless the lab itself fails. The lab runs under TCG
(software-emulated CPUs), so absolute numbers are far slower than on
hardware; compare the rows with each other.

    tools/bench/failover.py [--rounds N]
"""

import argparse
import json
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lab"))

from rdmaip_lab import Lab, guest_now, setup_nic  # noqa: E402

R = os.path.join(ROOT, "target", "debug", "rdmaipctl")
ADDR = "10.1.0.1"

# B: new connections back to back, from two loops half a second apart so
# that an attempt stuck on the dead path (each gives up after 2 s) does
# not hide the first moment a new one can succeed; each line
# "<epoch> ok|fail".
_ONE_LOOP = (f"while :; do timeout 2 rping -c -a {ADDR} -C 1 >/dev/null 2>&1 "
             "&& r=ok || r=fail; echo \"$EPOCHREALTIME $r\"; done >> /tmp/rping-loop.log 2>&1")
CLIENT_LOOP = f"({_ONE_LOOP} &) ; sleep 0.5; ({_ONE_LOOP} &)"
SERVER_LOOP = "(while :; do rping -s -a 0.0.0.0 -C 1 >/dev/null 2>&1; done &)"


def first_success_after(lab, t0, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in lab.check("b", "cat /tmp/rping-loop.log").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == "ok" and float(parts[0]) > t0:
                return float(parts[0]) - t0
        time.sleep(0.5)
    return None


def rping_ready(lab):
    """Waits until B's loop succeeds, then returns."""
    lab.exec("b", "pkill -f 'while :; do timeout [2] rping'; rm -f /tmp/rping-loop.log")
    lab.check("b", CLIENT_LOOP)
    deadline = time.monotonic() + 60
    while " ok" not in lab.check("b", "tail -4 /tmp/rping-loop.log 2>/dev/null; true"):
        assert time.monotonic() < deadline, ("no rping success before the cut:\n"
                                             + lab.check("b", "tail -20 /tmp/rping-loop.log; true"))
        time.sleep(0.5)


# pkill -f patterns are bracketed so that they do not match the shell that
# runs pkill, whose own command line contains them.
def stop_loops(lab):
    lab.exec("b", "pkill -f 'while :; do timeout [2] rping'; pkill -x rping; true")


def round_rdmaip(lab):
    print("rdmaip round", flush=True)
    rping_ready(lab)
    seen = len(lab.check("a", "cat /tmp/monitor.json").splitlines())
    t0 = guest_now(lab, "a")
    lab.link("a", 1, False)
    res = {"rping": first_success_after(lab, t0)}
    time.sleep(1)
    lines = lab.check("a", "cat /tmp/monitor.json").splitlines()[seen:]
    evs = [json.loads(l) for l in lines if l.startswith("{")]
    down = [e for e in evs if e.get("event") == "port-down"]
    moved = [e for e in evs if e.get("event") == "addr-moved" and e.get("addr") == ADDR]
    res["detect"] = down[0]["time_ns"] / 1e9 - t0 if down else None
    res["live"] = moved[0]["time_ns"] / 1e9 - t0 if moved else None
    stop_loops(lab)
    lab.link("a", 1, True)
    # Home again before the next round.
    deadline = time.monotonic() + 60
    while ADDR not in lab.check("a", "ip -br addr show dev eth0"):
        assert time.monotonic() < deadline, "no failback"
        time.sleep(0.5)
    time.sleep(1)
    return res


def bond_active(lab):
    out = lab.check("a", "cat /proc/net/bonding/bond0")
    return re.search(r"Currently Active Slave: (\S+)", out).group(1)


def round_bond(lab):
    print("bonding round", flush=True)
    rping_ready(lab)
    t0 = guest_now(lab, "a")
    lab.link("a", 1, False)
    res = {"rping": first_success_after(lab, t0)}
    # The bond's own log line of the failover, with the guest's time.
    deadline = time.monotonic() + 20
    res["detect"] = None
    while time.monotonic() < deadline and res["detect"] is None:
        out = lab.check("a", "dmesg --time-format iso | grep -E 'eth1.*new active one|new active one.*eth1' | tail -1; true")
        m = re.match(r"(\S+)", out.strip())
        if m and out.strip():
            ts = lab.check("a", f"date -d '{m.group(1)}' +%s.%N").strip()
            if float(ts) > t0 - 1:
                res["detect"] = max(0.0, float(ts) - t0)
        time.sleep(0.5)
    res["live"] = res["detect"]
    stop_loops(lab)
    lab.link("a", 1, True)
    time.sleep(2)
    # Back to NIC 1 as the active slave for the next round.
    lab.exec("a", "echo eth0 > /sys/class/net/bond0/bonding/active_slave")
    deadline = time.monotonic() + 20
    while bond_active(lab) != "eth0":
        assert time.monotonic() < deadline, "bond did not return to eth0"
        time.sleep(0.5)
    return res


def setup_rdmaip(lab):
    for node in ("a", "b"):
        setup_nic(lab, node, 1)
        setup_nic(lab, node, 2)
    lab.check("a", "modprobe rdmaip")
    time.sleep(2)
    lab.check("a", f"{R} group add g0 failback-delay 1s && {R} port add rxe0/1 rxe1/1 group g0")
    lab.check("a", f"({R} -j monitor > /tmp/monitor.json 2>&1 &)")
    lab.check("a", SERVER_LOOP)
    time.sleep(3)


def setup_bond(lab, miimon):
    lab.exec("a", f"pkill -x rdmaipctl; {R} group del g0; rmmod rdmaip; "
                  "pkill -f 'while :; do rping [-]s'; pkill -x rping; "
                  "rdma link del rxe0; rdma link del rxe1; rdma link del rxe2; ip link del bond0; true")
    lab.check("a", "modprobe bonding max_bonds=0 && ip addr flush dev eth0 && ip addr flush dev eth1 && "
                   f"ip link add bond0 type bond mode active-backup miimon {miimon} && "
                   "ip link set eth0 down && ip link set eth1 down && "
                   "ip link set eth0 master bond0 && ip link set eth1 master bond0 && "
                   "ip link set bond0 up && echo eth0 > /sys/class/net/bond0/bonding/active_slave && "
                   f"ip addr add {ADDR}/24 dev bond0 && rdma link add rxe2 type rxe netdev bond0")
    lab.check("a", SERVER_LOOP)
    time.sleep(3)


def fmt(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return "     -   "
    missing = len(values) - len(vals)
    return f"{statistics.median(vals) * 1000:7.0f} ms" + (f" ({missing} missed)" if missing else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results = {}
    with Lab() as lab:
        setup_rdmaip(lab)
        results["rdmaip (group of 2 adapters)"] = [round_rdmaip(lab) for _ in range(args.rounds)]
        for miimon in (100, 10):
            setup_bond(lab, miimon)
            results[f"bonding active-backup miimon={miimon}"] = [round_bond(lab) for _ in range(args.rounds)]
        problems = {n: lab.kernel_problems(n) for n in ("a", "b")}
    print(f"\nFailover after a cut of node A's NIC 1, median of {args.rounds} rounds "
          "(QEMU TCG lab; times from the cut):\n")
    print(f"{'setup':38} {'detect':>12} {'address live':>14} {'first rping':>14}")
    for name, rounds in results.items():
        print(f"{name:38} {fmt([r['detect'] for r in rounds]):>12} {fmt([r['live'] for r in rounds]):>14} "
              f"{fmt([r['rping'] for r in rounds]):>14}")
    if any(problems.values()):
        print(f"kernel problems: {problems}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
