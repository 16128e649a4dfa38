# SPDX-License-Identifier: GPL-2.0
"""Reading the nodes' kernel logs: rdmaip's port lines (health changes,
ports added and removed), its own complaints, and the kernel's bug reports."""

import re
import time

# "rdmaip: port rxe0/1 netdev eth0: UP -> DOWN (no-carrier) [rdma ...] at 1.2"
HEALTH_RE = re.compile(
    r"rdmaip: port (?P<port>\S+/\d+) netdev (?P<netdev>\S*): (?P<old>UP|DOWN \([a-z-]+\)) -> "
    r"(?P<new>UP|DOWN \([a-z-]+\)) \[(?P<detail>[^\]]*)\] at (?P<at>\d+\.\d+)")
ADDED_RE = re.compile(
    r"rdmaip: port (?P<port>\S+/\d+) added: link-layer (?P<ll>\S+) netdev (?P<netdev>\S*) "
    r"at (?P<at>\d+\.\d+)")
REMOVED_RE = re.compile(r"rdmaip: port (?P<port>\S+/\d+) removed at (?P<at>\d+\.\d+)")

# Console lines that mean the kernel found a bug (Lab.kernel_problems). Checked against clean boots
# of the lab kernel: none of these appear there (the boot banners of lockdep
# and kmemleak do not match).
PROBLEM_RE = re.compile("|".join([
    r"WARNING:", r"\bBUG[: ]", r"Oops", r"Kernel panic", r"general protection fault",
    r"Call Trace:", r"possible circular locking", r"possible recursive locking",
    r"inconsistent lock state", r"suspicious RCU usage", r"lockdep is turned off",
    r"turning off the locking correctness validator",
    r"INFO: task", r"INFO: rcu", r"rcu: .*stall",
    r"soft lockup", r"hard LOCKUP", r"workqueue lockup", r"KASAN", r"UBSAN",
    r"kmemleak: .*suspected", r"unreferenced object", r"ODEBUG:", r"refcount_t:",
    r"list_(add|del) corruption", r"ref_tracker:", r"waiting for \S+ to become free",
    r"DEBUG_LOCKS_WARN_ON", r"sleeping function called from invalid context",
    r"scheduling while atomic",
]))


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


# rdmaip's own complaints (errors, warnings, a missed event the audit
# caught): listed at the end of every run, passed or not.
COMPLAINT_RE = re.compile(r"rdmaip: .*(event was missed|\bfailed\b|\blost\b|out of memory|"
                          r"\bcannot\b|\bpostponed\b)")


def complaints(lab, node):
    return [line for line in lab.console(node).splitlines() if COMPLAINT_RE.search(line)]
