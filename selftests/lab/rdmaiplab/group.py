# SPDX-License-Identifier: GPL-2.0
"""rdmaip group g0 on a node (both NICs addressed, with rxe), and waiting
for its ports and addresses."""

from .monitor import load_rdmaip
from .nodes import setup_nic
from .paths import RDMAIPCTL as R
from .topology import NETDEV, NODES, RDMA_PORT


def setup_nodes(lab):
    """Both NICs of both nodes addressed, with an rxe device on each."""
    for node in NODES:
        setup_nic(lab, node, 1)
        setup_nic(lab, node, 2)


def load_peer(lab, node):
    """Loads rdmaip on ``node`` (with its monitor log) unless it is loaded:
    with no group, it still tells the node's rdma_cm ids when a peer's
    address moves (peer notification)."""
    if lab.exec(node, "test -d /sys/module/rdmaip")[0] != 0:
        load_rdmaip(lab, node)


def setup_group(lab, node, failback_s=2, hold_down_max_s=4):
    """Loads rdmaip on ``node`` (with its monitor log) unless it is loaded,
    and groups its two ports as g0."""
    load_peer(lab, node)
    for nic in (1, 2):
        wait_rdma_active(lab, node, nic)
    # The module sees the ports come up asynchronously: retry the join.
    lab.wait_for(node, f"{R} group show g0 >/dev/null 2>&1 || {R} group add g0 "
                 f"failback-delay {failback_s}s hold-down-max {hold_down_max_s}s", timeout=20)
    lab.wait_for(node, f"{R} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0", timeout=20, interval=0.5)


def wait_rdma_active(lab, node, nic, timeout=30):
    return lab.wait_for(node, f"rdma link show {RDMA_PORT[nic]} | grep -q 'state ACTIVE'", timeout=timeout)


def wait_port_up(lab, node, nic, timeout=30):
    """Waits until rdmaip reports the node's port on NIC ``nic`` up."""
    return lab.wait_for(node, f"{R} port show {RDMA_PORT[nic]} | grep -q 'state up'", timeout=timeout)


def wait_addr(lab, node, nic, addr, timeout=30):
    """Waits until ``addr`` is on the node's NIC ``nic``; returns the seconds
    that took (measured in the guest)."""
    return lab.wait_for(node, f"ip -br -4 addr show dev {NETDEV[nic]} | grep -qw '{addr}'",
                        timeout=timeout, interval=0.05)


def addr_nic(lab, node, addr):
    for nic in (1, 2):
        if lab.exec(node, f"ip -br -4 addr show dev {NETDEV[nic]} | grep -qw '{addr}'")[0] == 0:
            return nic
    return None
