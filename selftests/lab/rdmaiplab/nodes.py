# SPDX-License-Identifier: GPL-2.0
"""Node fixtures: NICs addressed, rxe devices, the guest's clock."""

from .topology import ADDR, NETDEV, PREFIX, RXE


def setup_nic(lab, node, nic, rxe=True):
    """Addresses NIC ``nic`` of ``node`` and (optionally) puts an rxe on it."""
    dev = NETDEV[nic]
    lab.check(node, f"ip link set {dev} up && ip addr replace {ADDR[node, nic]}/{PREFIX} dev {dev}")
    if rxe:
        add_rxe(lab, node, nic)


def add_rxe(lab, node, nic):
    lab.check(node, f"rdma link add {RXE[nic]} type rxe netdev {NETDEV[nic]}")


def guest_now(lab, node):
    """The node's wall clock, as the module's timestamps use it."""
    return float(lab.check(node, "date +%s.%N").strip())
