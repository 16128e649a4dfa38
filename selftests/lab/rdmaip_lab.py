# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by rdmaip's lab tests: node setup and reading what the
module reported in the kernel log."""

import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lib"))

from lab import Lab  # noqa: E402,F401  (re-exported for the tests)
from ktap import Tap  # noqa: E402

# Addressing of the lab: one subnet per switch, both switches one L2 segment.
ADDR = {
    ("a", 1): "10.1.0.1", ("a", 2): "10.2.0.1",
    ("b", 1): "10.1.0.2", ("b", 2): "10.2.0.2",
}
NETDEV = {1: "eth0", 2: "eth1"}
RXE = {1: "rxe0", 2: "rxe1"}

# "rdmaip: port rxe0/1 netdev eth0: UP -> DOWN (no-carrier) [rdma ...] at 1.2"
HEALTH_RE = re.compile(
    r"rdmaip: port (?P<port>\S+/\d+) netdev (?P<netdev>\S*): (?P<old>UP|DOWN \([a-z-]+\)) -> "
    r"(?P<new>UP|DOWN \([a-z-]+\)) \[(?P<detail>[^\]]*)\] at (?P<at>\d+\.\d+)")
ADDED_RE = re.compile(
    r"rdmaip: port (?P<port>\S+/\d+) added: link-layer (?P<ll>\S+) netdev (?P<netdev>\S*) "
    r"at (?P<at>\d+\.\d+)")
REMOVED_RE = re.compile(r"rdmaip: port (?P<port>\S+/\d+) removed at (?P<at>\d+\.\d+)")


def setup_nic(lab, node, nic, rxe=True):
    """Addresses NIC ``nic`` of ``node`` and (optionally) puts an rxe on it."""
    dev = NETDEV[nic]
    lab.check(node, f"ip link set {dev} up && ip addr replace {ADDR[node, nic]}/24 dev {dev}")
    if rxe:
        add_rxe(lab, node, nic)


def add_rxe(lab, node, nic):
    lab.check(node, f"rdma link add {RXE[nic]} type rxe netdev {NETDEV[nic]}")


def guest_now(lab, node):
    """The node's wall clock, as the module's timestamps use it."""
    return float(lab.check(node, "date +%s.%N").strip())


def dmesg(lab, node):
    return lab.check(node, "dmesg")


def matches(lab, node, regex, **want):
    """Every match of ``regex`` in the node's kernel log whose named groups
    equal ``want``, oldest first."""
    out = []
    for m in regex.finditer(dmesg(lab, node)):
        if all(m.group(k) == v for k, v in want.items()):
            out.append(m)
    return out


def wait_match(lab, node, regex, timeout=20.0, after=0.0, **want):
    """Waits until a matching line with ``at`` later than ``after`` (when
    the regex has a timestamp) appears; returns it, or raises."""
    deadline = time.monotonic() + timeout
    while True:
        for m in matches(lab, node, regex, **want):
            if "at" not in regex.groupindex or float(m.group("at")) >= after:
                return m
        if time.monotonic() > deadline:
            raise AssertionError(f"node {node}: no log line like {regex.pattern} with {want} "
                                 f"after {after} within {timeout}s\n"
                                 + "\n".join(line for line in dmesg(lab, node).splitlines()
                                             if "rdmaip" in line)[-3000:])
        time.sleep(0.2)


def port_health(lab, node, port):
    """The last health rdmaip logged for ``port`` ("UP", "DOWN (...)")."""
    found = matches(lab, node, HEALTH_RE, port=port)
    return found[-1].group("new") if found else None


def run_in_lab(steps):
    """Boots the lab, runs ``steps(tap, lab)``, then fails if either node's
    kernel warned, oopsed or reported a lockdep problem. Prints KTAP and
    returns the exit code."""
    tap = Tap()
    try:
        with Lab() as lab:
            tap.ok(True, "lab: both nodes booted")
            steps(tap, lab)
            problems = {node: lab.kernel_problems(node) for node in ("a", "b")}
            tap.ok(not any(problems.values()), "kernel: no WARN, lockdep report or oops on either node",
                   problems)
    except Exception as e:  # the lab itself failed: report, do not hide it
        tap.ok(False, "lab: both nodes booted", f"{type(e).__name__}: {e}")
    return tap.finish()

