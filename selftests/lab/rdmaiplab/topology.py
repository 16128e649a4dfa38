# SPDX-License-Identifier: GPL-2.0
"""The lab's wiring and addressing, defined once.

Two nodes, "a" and "b", each with two NICs: NIC 1 (guest eth0) on switch
1, NIC 2 (guest eth1) on switch 2, both switches one L2 segment (a trunk
joins them). One subnet per switch: 10.<nic>.0.<node> (a = 1, b = 2),
fd00:<nic>::<node> for IPv6. The tests put an rxe device on each NIC:
rxe0 on eth0, rxe1 on eth1 (RDMA ports rxe0/1 and rxe1/1)."""

NODES = ("a", "b")
NICS = (1, 2)
ADDR = {
    ("a", 1): "10.1.0.1", ("a", 2): "10.2.0.1",
    ("b", 1): "10.1.0.2", ("b", 2): "10.2.0.2",
}
ADDR6 = {
    ("a", 1): "fd00:1::1", ("a", 2): "fd00:2::1",
    ("b", 1): "fd00:1::2", ("b", 2): "fd00:2::2",
}
PREFIX, PREFIX6 = 24, 64
NETDEV = {1: "eth0", 2: "eth1"}
RXE = {1: "rxe0", 2: "rxe1"}
# rdmaip's name of the RDMA port on NIC ``nic``.
RDMA_PORT = {nic: f"{RXE[nic]}/1" for nic in NICS}


def mac(node, nic):
    """Fixed MAC of a node's NIC (1 or 2); the guest checks the last byte."""
    return f"52:54:00:0{node}:01:0{nic}"


def tap(node, nic):
    """The host-side tap device of a node's NIC, in the lab's namespace."""
    return f"tap-{node}{nic}"
