#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""test_rds.py's cut/restore cycles without RDS traffic (a debugging aid,
not part of `make check`).

Node A's ports form group g0 (failback delay 2 s, hold-down max 4 s), as
in test_rds.py; A's NIC 1 is cut and restored RDMAIP_CYCLES times (default
30), every fifth cycle (the third first) NIC 2 too while it carries the
address, with the same spacing between cuts as there. Each cycle is one
test: 10.1.0.1 must come home within 90 s of NIC 1's restore. The first
cycle that fails leaves its evidence; the script then waits (at most
RDMAIP_LATE_WAIT s, default 180) to see whether and when the address comes
home after all, leaves the evidence again, and stops.

    RDMAIP_CYCLES=50 python3 selftests/lab/failback_cycles.py
"""

import os
import sys
import time

from rdmaiplab.cutter import Cutter
from rdmaiplab.evidence import collect_evidence
from rdmaiplab.group import addr_nic, setup_group, setup_nodes, wait_addr
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import ADDR

A_ADDR = ADDR["a", 1]
FAILBACK_S = 2
DWELL_S = float(os.environ.get("RDMAIP_RDS_DWELL", "2"))


def setup(lab):
    setup_nodes(lab)
    setup_group(lab, "a", failback_s=FAILBACK_S)
    return True


def cycle(cutter, i):
    if i % 5 == 2:
        cutter.cut_nic2_hosting(i)
    else:
        cutter.cut_nic1(i)
    # In place of test_rds.py's wait for steady traffic.
    time.sleep(3)
    return True


def late(lab, tap):
    """After a failed cycle: when (if at all) the address comes home."""
    wait = float(os.environ.get("RDMAIP_LATE_WAIT", "180"))
    t0 = time.monotonic()
    try:
        took = wait_addr(lab, "a", 1, A_ADDR, timeout=wait)
        tap.diag(f"{A_ADDR} came home after all, {took:.1f}s after the failed wait ended")
    except Exception:
        tap.diag(f"{A_ADDR} still not home {time.monotonic() - t0:.0f}s after the failed wait "
                 f"ended (on NIC {addr_nic(lab, 'a', A_ADDR)})")
    collect_evidence(lab, tap.diag, "after the late wait")


def steps(tap, lab):
    n = int(os.environ.get("RDMAIP_CYCLES", "30"))
    if tap.run("setup: group g0 on A (failback delay 2s, hold-down max 4s)", setup, lab) is None:
        return
    cutter = Cutter(lab, "a", A_ADDR, "a", lambda: None, dwell=DWELL_S, failback_s=FAILBACK_S,
                    log=tap.diag)
    t0 = time.monotonic()
    for i in range(n):
        what = "NIC 1, then NIC 2 while hosting" if i % 5 == 2 else "NIC 1"
        if tap.run(f"cycle {i}: cut {what}, restore; {A_ADDR} home within 90s",
                   cycle, cutter, i) is None:
            late(lab, tap)
            break
    tap.diag(f"{i + 1} cycles in {time.monotonic() - t0:.0f}s")


if __name__ == "__main__":
    sys.exit(run_in_lab(steps))
