#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""NVMe over Fabrics (RDMA) across failovers and failbacks, in the two-node lab.

Target on node A: nvmet + nvmet-rdma, one namespace on a memory-backed
null_blk device, port 10.1.0.1:4420 (A's address homed on NIC 1). Host on
node B: nvme-rdma (`nvme connect --reconnect-delay 1 --ctrl-loss-tmo
600`), with fio writing and verifying (crc32c, direct I/O, libaio)
without a break while:

1. target side: A's ports (group g0) are cut and restored
   RDMAIP_NVME_CUTS times (default 3, `make soak` 10): NIC 1, and every
   fifth cycle NIC 2 while it carries the address (the third);
2. host side: B's ports form a group too, the host connects from
   10.1.0.2 (B's NIC 1, --host-traddr), and B's NIC 1 is cut and restored
   RDMAIP_NVME_HOST_CUTS times (default 1, `make soak` 3).

Checks: fio reports no I/O error and no verify error (its JSON), the
kernel logs no I/O error, and I/O resumes after every cycle (the
namespace's completion counters in /sys/block/<dev>/stat advance
without a pause for 3 s, so that the stall the failback itself causes is
over too; a generous 60 s bound). The stall each cut and restore caused is measured
and printed, never asserted: each cut lasts until I/O resumes or
RDMAIP_NVME_HOLD seconds (default 15) pass. Without RDMA CM ADDR_CHANGE
events the target's listener, bound to 10.1.0.1 on NIC 1's RDMA device,
does not follow the address to NIC 2, so I/O can resume only when the
address is home again; with them, nvmet-rdma re-listens and the host
reconnects while NIC 1 is still cut.

Both nodes' connection manager tracepoints are traced meanwhile
(rdmaiplab.cm_trace); a cut or restore that stalls I/O SLOW_S (3 s) or
more gets both traces over its stall printed, and the traces are kept in
the run directory.
"""

import os
import sys
import time

from rdmaiplab import cm_trace
from rdmaiplab.cutter import Cutter
from rdmaiplab.group import load_peer, setup_group, setup_nodes
from rdmaiplab.nvmeof import (A_ADDR, B_ADDR, NQN, connect, io_count, io_errors, log_stuck_io, start_io,
                              stop_io, target_up)
from rdmaiplab.runner import run_in_lab
from rdmaiplab.stalls import attribute_stalls, longest_gap, stall_report

FAILBACK_S = 2
HOLD_S = float(os.environ.get("RDMAIP_NVME_HOLD", "15"))
# A stall this long (the 1 s reconnect delay and a reconnect that took
# seconds) gets both nodes' connection manager traces printed.
SLOW_S = 3.0


def setup(lab):
    setup_nodes(lab)
    setup_group(lab, "a", failback_s=FAILBACK_S)
    # Both ends run rdmaip: B's rdma_cm ids hear of A's moves.
    load_peer(lab, "b")
    target_up(lab)
    lab.check("b", "modprobe nvme-rdma")
    return True


def connect_and_start(lab, tag, host_traddr):
    for node in ("a", "b"):
        cm_trace.start(lab, node)
    dev, disk = connect(lab, host_traddr)
    start_io(lab, dev, tag, sampled=[disk], trace=True)
    return dev


def cuts(lab, tap, node, addr, n, tag):
    t0 = time.monotonic()
    cutter = Cutter(lab, node, addr, "b", lambda: io_count(lab), dwell=3, failback_s=FAILBACK_S,
                    log=tap.diag, resume_wait=HOLD_S)
    cutter.mark_on = ("a",)  # node A's clock too, for its trace
    # I/O that does not resume while the port is cut is a failover that
    # did not help: say why, once per phase (the log is long).
    stuck = []

    def on_stuck(label):
        if not stuck:
            stuck.append(label)
            tap.diag(f"{tag} {label}: I/O did not resume while cut; state:")
            log_stuck_io(lab, tap.diag)
    cutter.on_stuck = on_stuck
    cutter.cycles(n, 60, lambda: log_stuck_io(lab, tap.diag))
    tap.diag(f"{tag}: {n} cut/restore cycles in {time.monotonic() - t0:.0f}s")
    return cutter


def report(lab, tap, tag, cutter, times):
    g, _ = longest_gap(times)
    tap.diag(f"{tag}: longest pause in I/O completions {g:.2f}s")
    for line in stall_report(times, cutter):
        tap.diag(f"{tag}: {line}")
    # nvmet-rdma re-creates its listener when told ADDR_CHANGE; a bind
    # that fails (the address's GID not yet in its new port's table) is
    # retried only 5 s later, and the host's reconnects are refused until
    # then. rdmaip tells the ids once the GIDs are there.
    _, out = lab.exec("a", "dmesg | grep -c 'nvmet_rdma: binding CM ID to .* failed'")
    tap.diag(f"{tag}: failed re-binds of the target's listener so far: {out.strip()}")
    slow_cm_traces(lab, tap, tag, cutter, times)


def slow_cm_traces(lab, tap, tag, cutter, times):
    """Both nodes' connection manager traces over each slow stall (where
    its time went), and the whole traces kept in the run directory."""
    traces = {node: cm_trace.lines(lab, node) for node in ("a", "b")}
    for node, trace in traces.items():
        cm_trace.keep(lab, node, trace, tag)
    on_a = dict((label, t) for t, label in cutter.events_on.get("a", []))
    for label, t_b, stall, _ in attribute_stalls(times, cutter.events, times[-1] if times else 0):
        if stall is None or stall < SLOW_S:
            continue
        for node, t0 in (("b", t_b), ("a", on_a.get(label))):
            if t0 is None:
                continue
            tap.diag(f"{tag}: {label} stalled {stall:.2f}s; node {node.upper()}'s CM trace from the "
                     f"event ({t0:.3f}) to {stall + 0.5:.1f}s after it:")
            for line in cm_trace.window(traces[node], t0 - 0.1, t0 + stall + 0.5):
                tap.diag("  " + line.strip())


def phase(tap, lab, tag, node, addr, n, host_traddr=None):
    dev = tap.run(f"{tag}: connect B to the target{' from ' + host_traddr if host_traddr else ''}, "
                  "fio writing and verifying", connect_and_start, lab, tag, host_traddr)
    if dev is None:
        return
    cutter = tap.run(f"{tag}: {n} cut/restore cycles of {node.upper()}'s ports; I/O resumes after "
                     "each", cuts, lab, tap, node, addr, n, tag)
    res = tap.run(f"{tag}: fio stopped", stop_io, lab, tap, tag)
    if res is None:
        # fio was killed; the next phase needs a fresh controller.
        lab.exec("b", f"nvme disconnect -n {NQN}", timeout=120)
        return
    job, times = res
    verify_err = job.get("error", 0)
    tap.ok(job.get("error", 0) == 0 and job["write"]["total_ios"] > 0,
           f"{tag}: fio reports no I/O or verify error",
           f"fio error {verify_err}: {job.get('error_string', '')}")
    errs = io_errors(lab)
    tap.ok(not errs, f"{tag}: no I/O error in B's kernel log", errs)
    if cutter is not None:
        report(lab, tap, tag, cutter, times)
    tap.run(f"{tag}: nvme disconnect", lambda: lab.check("b", f"nvme disconnect -n {NQN}", timeout=120))


def steps(tap, lab):
    n = int(os.environ.get("RDMAIP_NVME_CUTS", "3"))
    n_host = int(os.environ.get("RDMAIP_NVME_HOST_CUTS", "1"))
    if tap.run(f"setup: group g0 on A, rdmaip on B too; nvmet-rdma target on {A_ADDR}:4420 (null_blk, memory "
               "backed)", setup, lab) is None:
        return
    phase(tap, lab, "target-side", "a", A_ADDR, n)
    if tap.run("setup: group g0 on B", lambda: setup_group(lab, "b", FAILBACK_S) or True) is None:
        return
    phase(tap, lab, "host-side", "b", B_ADDR, n_host, host_traddr=B_ADDR)
    # No target teardown: the VMs end with the test. Removing the nvmet port
    # (configfs unlink: nvmet_config_sem, then rdma_destroy_id's
    # handler_mutex) makes lockdep report a circular dependency whenever an
    # I/O queue's connect was executed inside nvmet_rdma's CM handler
    # (handler_mutex, then nvmet_config_sem), which reconnects make likely.
    # That inversion is in 6.12's nvmet and rdma_cm, not in rdmaip; seen in
    # a soak run of this test, it would fail the suite by chance.


def main():
    t0 = time.monotonic()
    rc = run_in_lab(steps)
    print(f"# test_nvmeof.py: {time.monotonic() - t0:.0f}s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
