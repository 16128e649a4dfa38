#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Active-active NVMe-oF with native NVMe multipath, in the two-node lab.

The way storage admins run it: one nvmet subsystem on node A reached
through both of A's ports (10.1.0.1 on NIC 1, 10.2.0.1 on NIC 2, one nvmet
port each), node B connected to both (one controller per path, from
B's own address on the same switch, --host-traddr), the kernel's native
multipath (CONFIG_NVME_MULTIPATH) joining them into one namespace head,
I/O policy round-robin so both paths carry I/O. rdmaip groups both ports
on both nodes. fio writes and verifies on the head device without a break
while every port of both nodes is cut and restored in turn: A's NIC 1 and
NIC 2, B's NIC 1 and NIC 2 (RDMAIP_NVME_MP_ROUNDS rounds, default 1).

While a port is cut, I/O goes on over the other path (multipath requeues
what the cut path had in flight), and the cut path's controller
reconnects through its moved address (ADDR_CHANGE from rdmaip on both
ends), then once more when the address comes home.

Checks: fio reports no I/O and no verify error, the kernel logs no I/O
error, I/O flows steadily again after every cycle, and both controllers
are live at the end. The stall each cut and restore causes (the longest
pause in the namespace's completions) is printed, never asserted.
"""

import os
import sys
import time

from rdmaiplab.cutter import Cutter
from rdmaiplab.group import setup_group, setup_nodes
from rdmaiplab.nvme_multipath import connect_paths, controllers, host_ready, target_up, wait_both_live
from rdmaiplab.nvmeof import io_count, io_errors, log_stuck_io, start_io, stop_io
from rdmaiplab.runner import run_in_lab
from rdmaiplab.stalls import stall_report
from rdmaiplab.topology import ADDR, NICS

FAILBACK_S = 2
HOLD_S = float(os.environ.get("RDMAIP_NVME_HOLD", "15"))
TAG = "multipath"


def setup(lab):
    setup_nodes(lab)
    setup_group(lab, "a", failback_s=FAILBACK_S)
    setup_group(lab, "b", failback_s=FAILBACK_S)
    target_up(lab)
    host_ready(lab)
    return True


def connect_and_start(lab, tap):
    head, paths = connect_paths(lab)
    tap.diag(f"namespace head {head}, paths {' '.join(paths)}; controllers: "
             + "; ".join(" ".join(c) for c in controllers(lab)))
    start_io(lab, head, TAG, sampled=paths, trace=True)
    return head


class Cycles:
    """The events and notes of every cut (several Cutters), for the stall report."""

    def __init__(self):
        self.events, self.notes = [], []


def cut_every_port(lab, tap, rounds):
    t0 = time.monotonic()
    cycles = Cycles()
    stuck = []

    def on_stuck(label):
        if not stuck:
            stuck.append(label)
            tap.diag(f"{label}: I/O did not go on while cut; state:")
            log_stuck_io(lab, tap.diag)
    i = 0
    for _ in range(rounds):
        for node in ("a", "b"):
            for nic in NICS:
                cutter = Cutter(lab, node, ADDR[node, nic], "b", lambda: io_count(lab), dwell=3,
                                failback_s=FAILBACK_S, log=tap.diag, resume_wait=HOLD_S)
                cutter.on_stuck = on_stuck
                cutter.cut_home(i, nic)
                ok = cutter.after_cycle(i, timeout=60)
                cycles.events += [(t, f"{node.upper()}.{label}") for t, label in cutter.events]
                cycles.notes += cutter.notes
                if not ok:
                    log_stuck_io(lab, tap.diag)
                    raise AssertionError(f"cut {i} ({node.upper()}'s NIC {nic}): I/O did not flow "
                                         "steadily again within 60s")
                i += 1
    tap.diag(f"{i} cut/restore cycles in {time.monotonic() - t0:.0f}s")
    return cycles


def steps(tap, lab):
    rounds = int(os.environ.get("RDMAIP_NVME_MP_ROUNDS", "1"))
    if tap.run(f"setup: groups on A and B; one nvmet subsystem on {ADDR['a', 1]} and {ADDR['a', 2]}; "
               "native multipath on B", setup, lab) is None:
        return
    if tap.run("connect: one controller per path, one namespace head, round-robin; fio writing "
               "and verifying", connect_and_start, lab, tap) is None:
        return
    cycles = tap.run(f"cuts: each port of A and B cut and restored ({rounds} round(s)); I/O goes on "
                     "and flows steadily after each", cut_every_port, lab, tap, rounds)
    tap.run("both controllers live again", wait_both_live, lab)
    res = tap.run("fio stopped", stop_io, lab, tap, TAG)
    if res is None:
        return
    job, times = res
    tap.ok(job.get("error", 0) == 0 and job["write"]["total_ios"] > 0,
           "fio reports no I/O or verify error",
           f"fio error {job.get('error')}: {job.get('error_string', '')}")
    errs = io_errors(lab)
    tap.ok(not errs, "no I/O error in B's kernel log", errs)
    if cycles is not None:
        for line in stall_report(times, cycles):
            tap.diag(line)
    # No target teardown (see test_nvmeof.py): the VMs end with the test.


def main():
    t0 = time.monotonic()
    rc = run_in_lab(steps)
    print(f"# test_nvme_multipath.py: {time.monotonic() - t0:.0f}s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
