#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""RDS over RDMA across failovers and failbacks, in the two-node lab.

Node A's ports form group g0 (rxe0 on NIC 1, rxe1 on NIC 2). Node B sends
numbered messages over an AF_RDS socket (RDS over RDMA, IB transport) from
10.1.0.2 to 10.1.0.1, A's address homed on NIC 1, where a receiver records
them, while A's NICs are cut and restored (RDMAIP_RDS_CUTS times, default
5, `make soak` 20): mostly NIC 1 (failover to NIC 2, failback), and every
fifth cycle (the third first) NIC 2 as well, while it carries the address
(it moves to NIC 1, restored just before, with failback off meanwhile).
Each cut lasts until messages
flow again (at least RDMAIP_RDS_DWELL seconds, default 2), so that the
stall of the failover and that of the failback are measured apart. RDS
promises reliable, in-order delivery per connection; the test checks that
this holds across the moves (every message exactly once, in order), that
traffic resumes after every cycle, and reports the pause each cut and
restore caused. Timing is measured, never asserted (except a
generous bound for "resumed at all").
"""

import os
import sys
import time

from rdmaiplab.cutter import Cutter
from rdmaiplab.group import load_peer, setup_group, setup_nodes
from rdmaiplab.node_state import RDMA_STATE, log_node_state
from rdmaiplab.paths import CONSUMERS
from rdmaiplab.rds import A_ADDR, B_ADDR, RECV_LOG, SEND_LOG, received, start_rds
from rdmaiplab.runner import run_in_lab
from rdmaiplab.stalls import longest_gap, stall_report
from rdmaiplab.topology import NODES

FAILBACK_S = 2
DWELL_S = float(os.environ.get("RDMAIP_RDS_DWELL", "2"))
# "Resumed at all" bound. Not 60 s: an RDS connect whose CM REQ went out
# on the path that just died (or to the MAC the address had before the
# move) is retried by ib_cm for about 70 s (CMA_CM_RESPONSE_TIMEOUT 20,
# CMA_MAX_CM_RETRIES 15) while the peer's own attempts are rejected as
# "connect raced"; seen in the lab: more than 60 s without a message.
RESUME_MAX_S = float(os.environ.get("RDMAIP_RDS_RESUME_MAX", "240"))


# Where RDS stands when traffic does not resume: its connections and
# counters, every task with RDS in its kernel stack, then the RDMA stack.
RDS_STATE = rf"""
/usr/bin/python3 {CONSUMERS}/rds_info.py --counters
for t in /proc/[0-9]*/task/*; do
  grep -q rds $t/stack 2>/dev/null || continue
  echo "task ${{t##*/}} $(cat $t/comm) $(awk '/^State/ {{print $2}}' $t/status)"
  timeout 5 cat $t/stack | sed 's/^/    /'
done
""" + RDMA_STATE


def setup(lab):
    setup_nodes(lab)
    setup_group(lab, "a", failback_s=FAILBACK_S)
    # Both ends run rdmaip: B's rdma_cm ids hear of A's moves.
    load_peer(lab, "b")
    start_rds(lab)


def cuts(lab, tap, n):
    t0 = time.monotonic()
    cutter = Cutter(lab, "a", A_ADDR, "a", lambda: received(lab), dwell=DWELL_S,
                    failback_s=FAILBACK_S, log=tap.diag, resume_wait=60)

    def why():
        for node in NODES:
            log_node_state(lab, node, RDS_STATE, tap.diag)
    cutter.cycles(n, RESUME_MAX_S, why)
    tap.diag(f"{n} cut/restore cycles in {time.monotonic() - t0:.0f}s")
    return cutter


def finish(lab, tap, cutter):
    """Stops the sender, waits for the receiver to have everything, and
    returns (sequence numbers in arrival order, their times, sent count)."""
    lab.check("b", f"touch {SEND_LOG}.stop")
    lab.wait_for("b", f"grep -q END {SEND_LOG}", timeout=30)
    out = lab.check("b", f"cat {SEND_LOG}")
    sent = int([l for l in out.splitlines() if l.startswith("SENT")][-1].split()[1])
    errs = [l for l in out.splitlines() if l.startswith("ERR")]
    tap.diag(f"sender: {sent} messages; send errors retried: {', '.join(errs) or 'none'}")
    end = time.monotonic() + RESUME_MAX_S
    while (received(lab) or 0) < sent and time.monotonic() < end:
        time.sleep(0.5)
    lab.check("a", f"touch {RECV_LOG}.stop")
    lab.wait_for("a", f"grep -q '^END' {RECV_LOG}", timeout=30)
    seqs, times, other = [], [], []
    for line in lab.check("a", f"cat {RECV_LOG}", timeout=120).splitlines():
        f = line.split()
        if f[0].isdigit():
            seqs.append(int(f[0]))
            times.append(float(f[1]))
        elif f[0] not in ("READY", "END"):
            other.append(line)
    return seqs, times, sent, other


def check_order(seqs, sent):
    """What is wrong with the arrival order, if anything."""
    problems = []
    seen = set()
    dups = [s for s in seqs if s in seen or seen.add(s)]
    missing = sorted(set(range(sent)) - seen)
    back = sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
    if dups:
        problems.append(f"{len(dups)} duplicates, e.g. {dups[:10]}")
    if missing:
        problems.append(f"{len(missing)} missing of {sent}, e.g. {missing[:10]}")
    if back:
        problems.append(f"{back} out of order")
    if seqs != list(range(sent)) and not problems:
        problems.append(f"unexpected sequence numbers beyond {sent}: {sorted(seen - set(range(sent)))[:10]}")
    return problems


def steps(tap, lab):
    n = int(os.environ.get("RDMAIP_RDS_CUTS", "5"))
    if tap.run(f"setup: group g0 on A, rdmaip on B too; RDS over RDMA from B ({B_ADDR}) to A ({A_ADDR}, NIC 1) "
               "flowing", setup, lab) is None and received(lab) is None:
        return
    cutter = tap.run(f"cuts: {n} cut/restore cycles of A's ports (NIC 1, and NIC 2 while it "
                     "carries the address); RDS traffic resumes after each", cuts, lab, tap, n)
    res = tap.run("drain: the sender stops, the receiver gets the rest", finish, lab, tap, cutter)
    if res is None:
        return
    seqs, times, sent, other = res
    problems = check_order(seqs, sent) + [f"unexpected messages: {other[:5]}"] * bool(other)
    tap.ok(not problems and sent > 0,
           f"delivery: all {sent} messages arrived exactly once and in order across the moves",
           "\n".join(problems))
    g, at = longest_gap(times)
    tap.diag(f"{len(seqs)} messages received; longest gap between two messages {g:.2f}s")
    if cutter is not None:
        for line in stall_report(times, cutter):
            tap.diag(line)
    for node in NODES:
        rc, out = lab.exec(node, "dmesg | grep -cE 'RDS/RDMA: conn .* rejected'")
        tap.diag(f"node {node}: {out.strip()} RDS connection attempts rejected by the peer")


def main():
    t0 = time.monotonic()
    rc = run_in_lab(steps)
    print(f"# test_rds.py: {time.monotonic() - t0:.0f}s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
