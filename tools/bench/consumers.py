#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Consumer benchmark: how long RDS and NVMe-oF traffic stalls when node
A's NIC 1 is cut, with rdmaip, without it, and with Linux bonding, in one
lab run.

Both consumers run at once, towards A's address 10.1.0.1 (homed on NIC 1):
RDS over RDMA (numbered messages from B to a receiver on A, rds_send.py /
rds_recv.py) and NVMe over RDMA (nvmet-rdma target on A, null_blk; host on
B running fio with crc32c verification). Each round cuts A's NIC 1 for
--hold seconds (default 15), restores it, and waits (at most 60 s) until
both consumers make progress again. The stall of a cut is the longest
pause in the consumer's progress that began with it (RDS: messages
received on A; NVMe: I/O completions in /sys/block/<dev>/stat on B).

Setups:
- none:    rdmaip not loaded; the address stays on the dead port, so
           traffic can only resume after the restore (stall >= hold);
- rdmaip on node A only: group g0 of rxe0 (NIC 1) and rxe1 (NIC 2),
           failback delay 2 s; its failback is a second move, reported
           separately; B learns of the move only from its own timeouts
           (and, for RDS's active ids, rdma_cm's UNREACHABLE);
- rdmaip on both nodes: the same, and rdmaip loaded on B, whose peer
           notification tells B's rdma_cm ids (RDS, nvme-rdma) at once;
- bonding: active-backup, miimon=100, over both NICs, rxe on the bond.

Then the host's side, NVMe-oF only: B connects from its own NIC 1 address
10.1.0.2 (--host-traddr) and B's NIC 1 is cut, the same way, with
- none (no rdmaip): B's address stays on the dead port;
- rdmaip on both nodes: group g0 on B too; the address moves to B's
  NIC 2, nvme-rdma's ids get ADDR_CHANGE from B's own rdmaip;
- bonding on node B: active-backup, miimon=100, as above.

Times are measured inside the guests (QEMU TCG: software CPUs, far slower
than hardware; compare the rows with each other). A measurement, not a
test: it prints a table and exits 0 unless the lab breaks.

    tools/bench/consumers.py [--rounds N] [--hold S]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "selftests", "lab"))
from rdmaiplab import nvmeof as nv, rds  # noqa: E402
from rdmaiplab.cutter import Cutter, wait_progress  # noqa: E402
from rdmaiplab.evidence import collect_evidence  # noqa: E402
from rdmaiplab.group import load_peer, setup_group, setup_nodes  # noqa: E402
from rdmaiplab.lab import Lab, exit_status  # noqa: E402
from rdmaiplab.paths import CONSUMERS, RDMAIPCTL as R  # noqa: E402
from rdmaiplab.stalls import attribute_stalls  # noqa: E402
from rdmaiplab.topology import ADDR, NETDEV, NODES, PREFIX, RDMA_PORT, RXE  # noqa: E402

A_ADDR = ADDR["a", 1]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def evidence(lab, why):
    """A failed round: both nodes' state and logs, the run directory kept."""
    try:
        collect_evidence(lab, why=why)
    except Exception as e:
        log(f"collecting evidence failed: {type(e).__name__}: {e}")


# The target stays up from one setup to the next: removing an nvmet port
# whose listener is alive (configfs unlink: nvmet_config_sem, then
# rdma_destroy_id's handler_mutex) makes lockdep report 6.12's inversion
# with an I/O queue's connect run inside nvmet-rdma's CM handler
# (handler_mutex, then nvmet_config_sem). See setup_bond for the one place
# it is removed.
TARGET_UP = f"test -d /sys/kernel/config/nvmet/subsystems/{nv.NQN}"


def start_nvme(lab, tag, host_traddr=None):
    if lab.exec("a", TARGET_UP)[0] != 0:
        nv.target_up(lab)
    lab.check("b", "modprobe nvme-rdma")
    # B's NIC 1 port active again (start_rds cuts it for a moment), unless
    # it is gone (B bonded: rxe2 on the bond instead).
    lab.wait_for("b", f"! rdma link show {RDMA_PORT[1]} 2>/dev/null | grep -v 'state ACTIVE'", timeout=30)
    dev, disk = nv.connect(lab, host_traddr)
    nv.start_io(lab, dev, tag, sampled=[disk])


def start_consumers(lab, tag):
    lab.exec("a", f"rm -f {rds.RECV_LOG}*")
    lab.exec("b", f"rm -f {rds.SEND_LOG}*")
    rds.start_rds(lab)
    if wait_progress(lab, lambda: rds.received(lab), 20, timeout=120) is None:
        raise RuntimeError(f"{tag}: no RDS messages arrive")
    # nvme-cli does not load the transport; start_rds() cut B's NIC 1 for
    # a moment: start_nvme connects once its port is back.
    start_nvme(lab, tag)


def clean_up(lab):
    """Whatever a failed setup left running, gone: the next one starts clean."""
    lab.exec("b", "pkill -KILL -x fio; pkill -f '[r]ds_send.py'; pkill -f '[i]ostat.py'; true")
    lab.exec("b", f"nvme disconnect -n {nv.NQN}; true", timeout=120)
    lab.exec("a", f"pkill -f '[r]ds_recv.py'; bash {CONSUMERS}/nvmet.sh down {nv.NQN}; true")


def stop_nvme(lab):
    """Stops fio; returns the NVMe progress times."""
    nv.stop_fio(lab, log)
    lab.exec("b", f"touch {nv.IO_LOG}.stop")
    io = [float(l.split()[0]) for l in lab.check("b", f"cat {nv.IO_LOG}", timeout=120).splitlines()
          if l.strip()]
    lab.exec("b", f"nvme disconnect -n {nv.NQN}", timeout=120)
    return io


def stop_consumers(lab, tag):
    """Stops everything; returns (RDS receive times, NVMe progress times)."""
    lab.exec("b", f"touch {rds.SEND_LOG}.stop")
    lab.exec("a", f"touch {rds.RECV_LOG}.stop")
    nv.stop_fio(lab, log)
    lab.exec("b", f"touch {nv.IO_LOG}.stop")
    io = [float(l.split()[0]) for l in lab.check("b", f"cat {nv.IO_LOG}", timeout=120).splitlines()
          if l.strip()]
    lab.wait_for("a", f"grep -q '^END' {rds.RECV_LOG}", timeout=30)
    msgs = [float(l.split()[1]) for l in lab.check("a", f"cat {rds.RECV_LOG}", timeout=120).splitlines()
            if l.split()[0].isdigit()]
    lab.exec("b", f"nvme disconnect -n {nv.NQN}", timeout=120)
    lab.exec("b", "pkill -f '[r]ds_send.py'")
    lab.exec("a", "pkill -f '[r]ds_recv.py'")
    return msgs, io


def both_progressed(lab, timeout=60):
    r0, i0 = rds.received(lab) or 0, nv.io_count(lab) or 0
    ok_r = wait_progress(lab, lambda: rds.received(lab), r0, timeout) is not None
    ok_i = wait_progress(lab, lambda: nv.io_count(lab), i0, timeout) is not None
    return ok_r and ok_i


def run_setup(lab, name, rounds, hold, managed):
    log(f"{name}: starting RDS and NVMe-oF traffic")
    start_consumers(lab, name.split()[0])
    cutter = Cutter(lab, "a", A_ADDR, "a", lambda: None, dwell=hold, failback_s=2,
                    managed=managed, log=log)
    cutter.mark_on = ("b",)
    for i in range(rounds):
        cutter.cut_nic1(i)
        if not both_progressed(lab):
            log(f"{name}: round {i}: a consumer did not resume within 60 s of the restore")
            evidence(lab, f"{name}: round {i}: a consumer did not resume")
        time.sleep(2)
    msgs, io = stop_consumers(lab, name.split()[0])
    return {"RDS messages": attribute_stalls(msgs, cutter.events, msgs[-1] if msgs else 0),
            "NVMe-oF, A's port": attribute_stalls(io, cutter.events_on["b"], io[-1] if io else 0)}


def run_host_setup(lab, name, rounds, hold, managed):
    """NVMe-oF from B's NIC 1 address while B's NIC 1 is cut."""
    log(f"{name}: starting NVMe-oF from {ADDR['b', 1]}")
    start_nvme(lab, name.split()[0], host_traddr=ADDR["b", 1])
    cutter = Cutter(lab, "b", ADDR["b", 1], "b", lambda: None, dwell=hold, failback_s=2,
                    managed=managed, log=log)
    for i in range(rounds):
        cutter.cut_nic1(i)
        i0 = nv.io_count(lab) or 0
        if wait_progress(lab, lambda: nv.io_count(lab), i0, 60) is None:
            log(f"{name}: round {i}: NVMe-oF did not resume within 60 s of the restore")
            evidence(lab, f"{name}: round {i}: NVMe-oF did not resume")
        time.sleep(2)
    io = stop_nvme(lab)
    return {"NVMe-oF, B's port": attribute_stalls(io, cutter.events, io[-1] if io else 0)}


def setup_bond(lab, node="a"):
    """Active-backup bond of ``node``'s NICs carrying its NIC 1 address,
    rxe2 on it; rdmaip unloaded on both nodes."""
    lab.exec("b", f"pkill -x rdmaipctl; {R} group del g0; rmmod rdmaip; true")
    lab.exec("a", f"pkill -x rdmaipctl; {R} group del g0; rmmod rdmaip; true")
    lab.exec(node, f"rdma link del {RXE[1]}; rdma link del {RXE[2]}; true")
    if node == "a":
        # The target's listener went with its device (DEVICE_REMOVAL), so
        # removing the port now takes no handler_mutex; the next setup
        # creates it again, on the bond.
        lab.exec("a", f"bash {CONSUMERS}/nvmet.sh down {nv.NQN}; true")
    e1, e2 = NETDEV[1], NETDEV[2]
    lab.check(node, f"modprobe bonding max_bonds=0 && ip addr flush dev {e1} && ip addr flush dev {e2} && "
                    "ip link add bond0 type bond mode active-backup miimon 100 && "
                    f"ip link set {e1} down && ip link set {e2} down && "
                    f"ip link set {e1} master bond0 && ip link set {e2} master bond0 && "
                    f"ip link set bond0 up && echo {e1} > /sys/class/net/bond0/bonding/active_slave && "
                    f"ip addr add {ADDR[node, 1]}/{PREFIX} dev bond0 && rdma link add rxe2 type rxe netdev bond0")
    lab.wait_for(node, "rdma link show rxe2/1 | grep -q 'state ACTIVE'", timeout=30)



def summary(rows, hold):
    def ms(v):
        return f"{v:6.1f} s" if v is not None else "     - "
    print(f"\nStall of consumer traffic per cut of node A's NIC 1 (B's NIC 1 for the \"B's port\" "
          f"rows; cut held {hold:g} s, then restored); QEMU TCG lab, times from inside the guests:\n")
    hdr = (f"{'consumer':18} {'setup':28} {'cuts':>4} {'stall med':>10} {'stall max':>10} "
           f"{'resumed while cut':>18} {'failback med':>13} {'failback max':>13}")
    print(hdr)
    print("-" * len(hdr))
    for (consumer, setup), stalls in rows:
        cut = [(s, r) for l, t, s, r in stalls if l.endswith(":nic1")]
        back = [s for l, t, s, r in stalls if l.endswith(":restore1") and s is not None]
        if not cut:
            continue
        vals = [s for s, _ in cut if s is not None]
        # Resumed while cut: progress came back before the restore.
        resumed = sum(1 for s, r in cut if r is not None and s is not None and s < hold)
        # Only rdmaip moves the address back: other setups have no failback.
        moves_back = back and "rdmaip" in setup and "no rdmaip" not in setup
        fb_med = ms(statistics.median(back)) if moves_back else "     - "
        fb_max = ms(max(back)) if moves_back else "     - "
        print(f"{consumer:18} {setup:28} {len(cut):>4} "
              f"{ms(statistics.median(vals) if vals else None):>10} {ms(max(vals) if vals else None):>10} "
              f"{f'{resumed}/{len(cut)}':>18} {fb_med:>13} {fb_max:>13}")
    print("\nstall: longest pause in progress that began with the cut (includes the hold when\n"
          "traffic could not resume before the restore); failback: the pause caused by\n"
          "rdmaip moving the address home after the restore, median and max.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--hold", type=float, default=15.0)
    args = ap.parse_args()
    t0 = time.monotonic()
    results = []
    # A generous boot timeout: other labs may share the machine.
    with Lab(boot_timeout=300) as lab:
        setup_nodes(lab)

        def no_rdmaip():
            for node in NODES:
                lab.exec(node, f"pkill -x rdmaipctl; {R} group del g0; rmmod rdmaip; true")

        for name, prepare, run, managed in (
                ("none (no rdmaip)", lambda: None, run_setup, False),
                ("rdmaip on node A only", lambda: setup_group(lab, "a", failback_s=2), run_setup, True),
                ("rdmaip on both nodes", lambda: load_peer(lab, "b"), run_setup, True),
                ("rdmaip on both nodes", lambda: setup_group(lab, "b", failback_s=2), run_host_setup, True),
                ("none (no rdmaip)", no_rdmaip, run_host_setup, False),
                ("bonding active-backup 100ms", lambda: setup_bond(lab, "a"), run_setup, False),
                ("bonding active-backup 100ms", lambda: setup_bond(lab, "b"), run_host_setup, False)):
            prepare()
            try:
                res = run(lab, name, args.rounds, args.hold, managed)
            except Exception as e:  # one setup failing must not lose the others
                log(f"{name}: failed: {type(e).__name__}: {e}")
                evidence(lab, f"{name}: failed: {type(e).__name__}: {e}")
                clean_up(lab)
                continue
            for consumer, stalls in res.items():
                results.append(((consumer, name), stalls))
        problems = lab.problems_kept()
    order = ["RDS messages", "NVMe-oF, A's port", "NVMe-oF, B's port"]
    results.sort(key=lambda r: order.index(r[0][0]))
    summary(results, args.hold)
    print(f"\nbench took {time.monotonic() - t0:.0f}s")
    return exit_status(problems)


if __name__ == "__main__":
    sys.exit(main())
