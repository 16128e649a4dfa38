#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Active-active NVMe-oF under cuts: the stall of fio's I/O when a port of
either node is cut, with native NVMe multipath alone and with rdmaip on
both nodes, in one lab run.

One nvmet subsystem on node A listens on both of A's addresses (10.1.0.1
on NIC 1, 10.2.0.1 on NIC 2); node B connects to each from its address on
the same switch and joins them with native NVMe multipath (round-robin),
and fio writes and verifies on the namespace head. Each round cuts A's
NIC 1, A's NIC 2, B's NIC 1 and B's NIC 2 in turn, each for --hold seconds,
then restores it and waits until both controllers are live and I/O flows.

- "multipath, no rdmaip": the addresses stay where they are; the cut
  path's controller finds out through its keep-alive or I/O timeouts, and
  multipath sends its I/O to the other path then; it reconnects after
  the restore.
- "multipath, rdmaip on both": the cut port's address moves to the other
  port of its node, the consumers on both ends get ADDR_CHANGE, the cut
  path's controller fails its I/O over at once and reconnects through
  the moved address while the port is still cut, and once more when the
  address comes home.

The stall is the longest pause in the namespace's completions that began
with the cut (or the restore): the I/O policy sends every other I/O down
the cut path until its controller leaves the live state. This is a
measurement, not a test: the lab runs under TCG, so compare the rows with
each other.

    tools/bench/multipath.py [--rounds N] [--hold S]
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lab"))
from rdmaiplab.cutter import Cutter  # noqa: E402
from rdmaiplab.group import setup_group, setup_nodes  # noqa: E402
from rdmaiplab.lab import Lab, exit_status  # noqa: E402
from rdmaiplab.nvme_multipath import connect_paths, host_ready, target_up, wait_both_live  # noqa: E402
from rdmaiplab.nvmeof import NQN, start_io, stop_fio  # noqa: E402
from rdmaiplab.stalls import attribute_stalls, fmt_s  # noqa: E402
from rdmaiplab.topology import ADDR, NICS, NODES  # noqa: E402


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_setup(lab, name, rounds, hold, managed):
    """Cuts every port `rounds` times under fio; returns the stalls."""
    head, paths = connect_paths(lab)
    tag = "bench-" + name.split()[-1]
    start_io(lab, head, tag, sampled=paths)
    events = []
    i = 0
    for _ in range(rounds):
        for node in NODES:
            for nic in NICS:
                cutter = Cutter(lab, node, ADDR[node, nic], "b", lambda: None, dwell=hold,
                                failback_s=2, managed=managed, log=log)
                cutter.cut_home(i, nic)
                try:
                    wait_both_live(lab, timeout=120)
                except AssertionError as e:
                    log(f"{name}: cut {i}: {e}")
                time.sleep(3)
                events += [(t, f"{node.upper()}.{label}") for t, label in cutter.events]
                i += 1
    stop_fio(lab, log)
    lab.check("b", "touch /tmp/nvme-io.log.stop")
    times = [float(line.split()[0]) for line in lab.check("b", "cat /tmp/nvme-io.log", timeout=120).splitlines()
             if line.strip()]
    lab.check("b", f"nvme disconnect -n {NQN}", timeout=120)
    return attribute_stalls(times, events, times[-1] if times else 0)


def summary(rows, hold):
    print(f"\nActive-active NVMe-oF (native multipath, round-robin): fio I/O stall per cut of one "
          f"port (held {hold:g} s, then restored); QEMU TCG lab, times from inside node B:\n")
    hdr = (f"{'setup':28} {'port':10} {'cuts':>4} {'stall med':>10} {'stall max':>10} "
           f"{'restore med':>12} {'restore max':>12}")
    print(hdr)
    print("-" * len(hdr))
    for name, stalls in rows:
        for port in ("A.", "B.", ""):
            cut = [s for label, _, s, _ in stalls if label.startswith(port) and ":nic" in label and s is not None]
            back = [s for label, _, s, _ in stalls if label.startswith(port) and ":restore" in label
                    and s is not None]
            which = {"A.": "node A", "B.": "node B", "": "all"}[port]
            print(f"{name:28} {which:10} {len(cut):>4} {fmt_s(statistics.median(cut) if cut else None):>10} "
                  f"{fmt_s(max(cut) if cut else None):>10} "
                  f"{fmt_s(statistics.median(back) if back else None):>12} "
                  f"{fmt_s(max(back) if back else None):>12}")
    print("\nstall: longest pause in the namespace's completions that began with the cut;\n"
          "restore: the same for the restore (with rdmaip, the address moving home).")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--hold", type=float, default=10.0)
    args = ap.parse_args()
    t0 = time.monotonic()
    rows = []
    with Lab(boot_timeout=300) as lab:
        setup_nodes(lab)
        target_up(lab)
        host_ready(lab)
        for name, prepare, managed in (
                ("multipath, no rdmaip", lambda: None, False),
                ("multipath, rdmaip on both", lambda: [setup_group(lab, n, failback_s=2) for n in NODES], True)):
            prepare()
            try:
                rows.append((name, run_setup(lab, name, args.rounds, args.hold, managed)))
            except Exception as e:  # one setup failing must not lose the other
                log(f"{name}: failed: {type(e).__name__}: {e}")
                lab.exec("b", f"pkill -KILL -x fio; nvme disconnect -n {NQN}; true", timeout=120)
        problems = lab.problems_kept()
    summary(rows, args.hold)
    print(f"\nbench took {time.monotonic() - t0:.0f}s")
    return exit_status(problems)


if __name__ == "__main__":
    sys.exit(main())
