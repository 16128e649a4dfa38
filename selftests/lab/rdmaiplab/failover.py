# SPDX-License-Identifier: GPL-2.0
"""Node A's group g0 for the failover tests: both NICs with an IPv4 and an
IPv6 address each (HOME), rdmaip's monitor in JSON; where A's addresses
are, waiting until they are where a test wants them."""

import json
import re
import time

from .kernel_log import HEALTH_RE, wait_match
from .nodes import setup_nic
from .paths import RDMAIPCTL as R
from .topology import ADDR, ADDR6, NETDEV, NODES, PREFIX6, RDMA_PORT, mac

# A's addresses per NIC: where they live when every port is up.
HOME = {nic: [ADDR["a", nic], ADDR6["a", nic]] for nic in (1, 2)}
MAC = {nic: mac("a", nic) for nic in (1, 2)}
FAILBACK_S = 2
MONITOR_JSON = "/tmp/monitor.json"


def addrs_on(lab, dev):
    out = lab.check("a", f"ip -br addr show dev {dev}")
    return set(a.split("/")[0] for a in out.split()[2:] if not a.startswith("fe80"))


def where(lab, devs=(NETDEV[1], NETDEV[2])):
    return {dev: addrs_on(lab, dev) for dev in devs}


def wait_placed(lab, want, timeout=20):
    """Waits until node A's netdevs named in `want` (dev -> set; default
    eth0 and eth1) carry exactly those addresses of the group."""
    deadline = time.monotonic() + timeout
    while True:
        got = where(lab, tuple(want))
        if all(want[d] <= got[d] and not (set().union(*want.values()) - want[d]) & got[d] for d in want):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"addresses on A: {got}, wanted {want}")
        time.sleep(0.3)


def home_layout():
    return {NETDEV[1]: set(HOME[1]), NETDEV[2]: set(HOME[2])}


def moved_layout():
    return {NETDEV[1]: set(), NETDEV[2]: set(HOME[1] + HOME[2])}


def setup(lab):
    """Both NICs of both nodes addressed (IPv4 and IPv6), with rxe; rdmaip
    on A with group g0 of both ports, its monitor's JSON in MONITOR_JSON."""
    for node in NODES:
        setup_nic(lab, node, 1)
        setup_nic(lab, node, 2)
        lab.check(node, f"ip addr add {ADDR6[node, 1]}/{PREFIX6} dev {NETDEV[1]} nodad && "
                        f"ip addr add {ADDR6[node, 2]}/{PREFIX6} dev {NETDEV[2]} nodad")
    lab.check("a", "modprobe rdmaip")
    for port in RDMA_PORT.values():
        wait_match(lab, "a", HEALTH_RE, port=port, new="UP")
    lab.check("a", f"{R} group add g0 failback-delay {FAILBACK_S}s && "
                   f"{R} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0")
    lab.check("a", f"({R} -j monitor > {MONITOR_JSON} 2>&1 &)")
    wait_placed(lab, home_layout())


def events(lab, kind):
    out = lab.check("a", f"cat {MONITOR_JSON}")
    return [e for e in (json.loads(l) for l in out.splitlines() if l.startswith("{")) if e.get("event") == kind]


def touch(lab, addr):
    """Makes node B resolve one of A's addresses (a TCP connect attempt: no
    ping in the lab)."""
    lab.exec("b", f"timeout 3 bash -c 'echo > /dev/tcp/{addr}/9' 2>/dev/null; true")


def neigh_mac(lab, addr):
    """The MAC node B's neighbour table has for `addr`."""
    out = lab.check("b", f"ip neigh show {addr}")
    m = re.search(r"lladdr (\S+)", out)
    return m.group(1) if m else None


def rping_b_to(lab, addr):
    """rping from node B to `addr` on node A: two exchanges."""
    lab.check("a", f"(timeout 40 rping -s -a {addr} -C 2 > /tmp/rping-s.log 2>&1 &)")
    time.sleep(1)
    rc, out = lab.exec("b", f"timeout 30 rping -c -a {addr} -C 2 -v", timeout=45)
    assert rc == 0 and out.count("ping data") == 2, f"rping to {addr}: rc {rc}\n{out}"
