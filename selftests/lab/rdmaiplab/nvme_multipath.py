# SPDX-License-Identifier: GPL-2.0
"""Active-active NVMe-oF: one nvmet subsystem on node A reached through both
of A's ports (one nvmet port per address), node B connected to both with
native NVMe multipath (CONFIG_NVME_MULTIPATH), I/O policy round-robin."""

import re

from .nvmeof import HEAD_RE, NQN, SIZE_MB, namespace_head, subsystem_dir
from .paths import CONSUMERS
from .topology import ADDR, NICS

# The controllers of the subsystem on B, one line each: "name state address".
CTRLS = (f"for c in /sys/class/nvme/nvme*; do grep -qx {NQN} $c/subsysnqn 2>/dev/null && "
         "echo ${c##*/} $(cat $c/state) $(cat $c/address); done")


def target_up(lab):
    """The subsystem on A, listening on both of A's addresses."""
    lab.check("a", f"bash {CONSUMERS}/nvmet.sh up {NQN} {ADDR['a', 1]},{ADDR['a', 2]} {SIZE_MB}")


def host_ready(lab):
    """nvme-rdma on B, whose nvme_core must do native multipath."""
    lab.check("b", "modprobe nvme-rdma")
    mp = lab.check("b", "cat /sys/module/nvme_core/parameters/multipath").strip()
    if mp != "Y":
        raise AssertionError(f"native NVMe multipath is off on B (nvme_core multipath={mp})")


def controllers(lab):
    return [line.split() for line in lab.check("b", CTRLS).splitlines() if line.strip()]


def connect_paths(lab):
    """One controller per path; returns (head device, its path devices)."""
    for nic in NICS:
        lab.check("b", f"nvme connect -t rdma -a {ADDR['a', nic]} -s 4420 -n {NQN} "
                       f"--host-traddr {ADDR['b', nic]} --reconnect-delay 1 --ctrl-loss-tmo 600",
                  timeout=120)
    wait_both_live(lab)
    subsys = subsystem_dir(lab)
    lab.wait_for("b", f"ls {subsys} | grep -qE '{HEAD_RE}'", timeout=30)
    head = namespace_head(lab, subsys)
    lab.wait_for("b", f"test -b /dev/{head}", timeout=30)
    # Both paths carry I/O, as in production active-active setups.
    lab.check("b", f"echo round-robin > {subsys}/iopolicy")
    # The paths' own disks (nvmeXcYnZ, hidden): their completions are the
    # I/O that reached the target, whichever path took it.
    subsys_name = re.match(r"nvme[0-9]+", head).group(0)
    paths = lab.check("b", f"ls /sys/block | grep -E '^{subsys_name}c[0-9]+n'").split()
    if len(paths) != 2:
        raise AssertionError(f"{head}: expected two paths, found {paths}")
    return head, paths


def wait_both_live(lab, timeout=60):
    try:
        lab.wait_for("b", f"[ $({CTRLS} | grep -c ' live ') = 2 ]", timeout=timeout)
    except Exception:
        raise AssertionError(f"controllers: {controllers(lab)}")
    return True
