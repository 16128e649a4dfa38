# SPDX-License-Identifier: GPL-2.0
"""Host-side helpers shared by the consumer tests (test_rds.py,
test_nvmeof.py) and tools/bench/consumers.py: an rdmaip group on a node,
waiting for addresses, a cut/restore cycle, and per-cut stalls computed
from a consumer's progress timestamps. (The other files in this directory
run inside the guests.)"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from rdmaip_lab import NETDEV, RDMAIPCTL, RXE, guest_now, load_rdmaip, setup_nic  # noqa: E402

R = RDMAIPCTL
GUEST = HERE  # the repository is shared into the guests at its own path


# What a node's RDMA stack looks like when a consumer's traffic does not
# come back (a bash snippet; each reader bounded, a wedged one must not hide
# the rest): QPs with their states (QP1 carries the CM's MADs), rxe's
# counters, the CM's per-message counters, the GIDs in use, addresses,
# neighbours, the log.
RDMA_STATE = r"""
timeout 10 rdma resource show qp
timeout 10 rdma resource show cm_id
timeout 10 rdma statistic show
for d in /sys/class/infiniband/*/ports/1; do
  for c in cm_tx_msgs cm_tx_retries cm_tx_duplicates cm_rx_msgs cm_rx_duplicates; do
    echo "${d#/sys/class/infiniband/} $c: $(cd $d/$c 2>/dev/null && grep -H . * | grep -v ':0$' | tr '\n' ' ')"
  done
done
grep -H -v -e '^0000:0000:0000:0000:0000:0000:0000:0000' -e '^fe80' \
  /sys/class/infiniband/*/ports/1/gids/* 2>/dev/null
ip -br addr; ip neigh show
dmesg | tail -n 30
"""


def log_node_state(lab, node, script, log):
    """Runs a diagnostic snippet on ``node`` and logs its output."""
    rc, out = lab.exec(node, script, timeout=120)
    log(f"node {node}:")
    for line in out.splitlines() + ([f"(rc {rc})"] if rc else []):
        log("  " + line)


def setup_nodes(lab):
    """Both NICs of both nodes addressed, with an rxe device on each."""
    for node in ("a", "b"):
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
    lab.wait_for(node, f"{R} port add rxe0/1 rxe1/1 group g0", timeout=20, interval=0.5)


def wait_rdma_active(lab, node, nic, timeout=30):
    return lab.wait_for(node, f"rdma link show {RXE[nic]}/1 | grep -q 'state ACTIVE'", timeout=timeout)


def wait_port_up(lab, node, nic, timeout=30):
    """Waits until rdmaip reports the node's port on NIC ``nic`` up."""
    return lab.wait_for(node, f"{R} port show {RXE[nic]}/1 | grep -q 'state up'", timeout=timeout)


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


def wait_progress(lab, progress, since, timeout=60):
    """Waits until ``progress()`` (a count) exceeds ``since``; returns the new
    count, or None after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = progress()
        if n is not None and n > since:
            return n
        time.sleep(0.5)
    return None


class Cutter:
    """Cuts and restores ``node``'s NICs around the address ``addr`` (homed
    on NIC 1) and records when (on the clock of ``clock_node``, where the
    consumer's progress is timestamped).

    ``managed``: rdmaip moves the address (wait for failover/failback);
    otherwise (no rdmaip, or a bond) the cycle just cuts, dwells and
    restores. ``progress``: a callable returning a growing count, used to
    wait (bounded) for traffic after each cycle."""

    def __init__(self, lab, node, addr, clock_node, progress, dwell=4.0, failback_s=2,
                 managed=True, log=None, resume_wait=0):
        self.lab, self.node, self.addr, self.clock = lab, node, addr, clock_node
        self.progress, self.dwell, self.failback_s = progress, dwell, failback_s
        self.managed = managed
        # > 0: after a cut, stay cut until traffic resumes (at most this
        # long, at least ``dwell``), so that the failover's own stall is
        # measured apart from the failback's.
        self.resume_wait = resume_wait
        self.events = []  # (guest time on clock_node, label)
        # The same events on other nodes' clocks too (mark_on), for
        # consumers whose progress is timestamped elsewhere.
        self.mark_on = ()
        self.events_on = {}
        self.notes = []
        self.last_restore = 0.0
        self.log = log or (lambda s: None)
        # Called with the cut's label when traffic did not resume while
        # cut (diagnostics).
        self.on_stuck = None

    def mark(self, label):
        for node in self.mark_on:
            self.events_on.setdefault(node, []).append((guest_now(self.lab, node), label))
        t = guest_now(self.lab, self.clock)
        self.events.append((t, label))
        return t

    def _hold(self, label):
        if self.resume_wait <= 0:
            time.sleep(self.dwell)
            return
        n0 = self.progress() or 0
        t0 = time.monotonic()
        if wait_progress(self.lab, self.progress, n0 + 5, timeout=self.resume_wait) is None:
            self.notes.append(f"{label}: no progress while cut ({self.resume_wait:g}s)")
            if self.on_stuck:
                self.on_stuck(label)
        left = self.dwell - (time.monotonic() - t0)
        if left > 0:
            time.sleep(left)

    def _spacing(self):
        # A port that fails again before it has been up for twice its wait
        # counts as flapping (extra hold-down): space the cuts of NIC 1.
        wait = self.last_restore + 2 * self.failback_s + 1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def cut_nic1(self, i):
        """Cut NIC 1, failover, dwell, restore, failback."""
        lab = self.lab
        self._spacing()
        self.mark(f"cut{i}:nic1")
        lab.link(self.node, 1, False)
        if self.managed:
            moved = wait_addr(lab, self.node, 2, self.addr, timeout=30)
            self.log(f"cut {i}: NIC 1 down, {self.addr} on NIC 2 after {moved:.2f}s")
        self._hold(f"cut{i}:nic1")
        self.mark(f"cut{i}:restore1")
        lab.link(self.node, 1, True)
        self.last_restore = time.monotonic()
        if self.managed:
            back = wait_addr(lab, self.node, 1, self.addr, timeout=90)
            self.log(f"cut {i}: NIC 1 up, {self.addr} home after {back:.2f}s")

    def cut_nic2_hosting(self, i):
        """Cut NIC 1 (the address goes to NIC 2), restore it with failback
        off so that the address stays on NIC 2, then cut NIC 2 while it
        carries the address: it moves to NIC 1. Restore NIC 2, failback on."""
        lab = self.lab
        self._spacing()
        lab.check(self.node, f"{R} group set g0 failback off")
        self.mark(f"cut{i}:nic1")
        lab.link(self.node, 1, False)
        wait_addr(lab, self.node, 2, self.addr, timeout=30)
        self._hold(f"cut{i}:nic1")
        self.mark(f"cut{i}:restore1")
        lab.link(self.node, 1, True)
        self.last_restore = time.monotonic()
        wait_port_up(lab, self.node, 1)
        hosting = addr_nic(lab, self.node, self.addr) == 2
        if not hosting:
            self.notes.append(f"cut {i}: the address was not on NIC 2 when NIC 2 was cut")
        self.mark(f"cut{i}:nic2")
        lab.link(self.node, 2, False)
        moved = wait_addr(lab, self.node, 1, self.addr, timeout=30)
        self.log(f"cut {i}: NIC 2 down while {'hosting' if hosting else 'NOT hosting'} "
                 f"{self.addr}; on NIC 1 after {moved:.2f}s")
        self._hold(f"cut{i}:nic2")
        self.mark(f"cut{i}:restore2")
        lab.link(self.node, 2, True)
        wait_port_up(lab, self.node, 2)
        lab.check(self.node, f"{R} group set g0 failback on")

    def after_cycle(self, i, timeout=60, steady=3.0, max_pause=1.5):
        """Bounded wait until traffic flows again and keeps flowing (no
        pause over ``max_pause`` s for ``steady`` s); True if it did.

        Progress right after the failback proves little: what was in
        flight on the old connection still completes, and the consumer's
        own reaction to the move (a reconnect when its id gets
        ADDR_CHANGE) begins a moment later."""
        deadline = time.monotonic() + timeout
        n = self.progress() or 0
        flowing_since = last_progress = None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            m, now = self.progress(), time.monotonic()
            if m is not None and m > n:
                n, last_progress = m, now
                flowing_since = flowing_since or now
                if now - flowing_since >= steady:
                    return True
            elif last_progress is not None and now - last_progress > max_pause:
                flowing_since = None
        self.notes.append(f"cut {i}: traffic not flowing steadily within {timeout}s after the restore")
        return False

    def cycles(self, n, timeout, on_fail):
        """``n`` cut/restore cycles: NIC 1, and every fifth cycle NIC 2 while
        it carries the address. After each, traffic must flow steadily
        again within ``timeout`` s; if it does not, ``on_fail()`` logs why
        and the cycle fails."""
        for i in range(n):
            if i % 5 == 2:
                self.cut_nic2_hosting(i)
            else:
                self.cut_nic1(i)
            if not self.after_cycle(i, timeout=timeout):
                on_fail()
                raise AssertionError(f"cut {i}: traffic did not flow steadily again within {timeout:g}s")


def attribute_stalls(times, events, end, slack=0.5):
    """Per event, the longest pause in ``times`` (sorted progress timestamps)
    that it caused. A pause (gap between consecutive progress timestamps)
    is put down to the last event before it began (allowing ``slack``
    seconds for what was already in flight when the event was marked), so
    a pause that began with a cut and lasted past the restore counts for
    the cut, and one that began seconds after a restore (the failback
    moving the address) for the restore. Returns [(label, t, stall
    seconds or None, first progress after the event in seconds or None)];
    gaps ending after ``end`` are cut there."""
    import bisect
    evs = sorted(events)
    starts = [t for t, _ in evs]
    best = [None] * len(evs)
    for a, b in zip(times, times[1:]):
        i = bisect.bisect_right(starts, a + slack) - 1
        if i < 0:
            continue
        g = min(b, end) - a
        if best[i] is None or g > best[i]:
            best[i] = g
    if times:  # a pause still going on at the end
        i = bisect.bisect_right(starts, times[-1] + slack) - 1
        if i >= 0 and end - times[-1] > (best[i] or 0):
            best[i] = end - times[-1]
    out = []
    for i, (t, label) in enumerate(evs):
        j = bisect.bisect_right(times, t)
        resumed = times[j] - t if j < len(times) else None
        out.append((label, t, best[i], resumed))
    return out


def longest_gap(times):
    if len(times) < 2:
        return 0.0, None
    g, at = max((b - a, a) for a, b in zip(times, times[1:]))
    return g, at


def fmt_s(x):
    return "-" if x is None else f"{x:.2f}s"


def stall_report(times, cutter):
    """Lines for the TAP diagnostics: each cut's and restore's stall in the
    progress timestamps ``times``, their medians and maxima, and the
    cutter's notes."""
    stalls = attribute_stalls(times, cutter.events, times[-1] if times else 0)
    lines = [f"{label:24} stall {fmt_s(stall):>8}  first progress after {fmt_s(resumed)}"
             for label, _t, stall, resumed in stalls]
    cut = sorted(s for l, _, s, _ in stalls if s is not None and ":nic" in l)
    back = sorted(s for l, _, s, _ in stalls if s is not None and ":restore" in l)
    if cut:
        lines.append(f"stall per cut: median {fmt_s(cut[len(cut) // 2])}, max {fmt_s(cut[-1])}; "
                     f"per restore (failback): median {fmt_s(back[len(back) // 2] if back else None)}, "
                     f"max {fmt_s(back[-1] if back else None)}")
    return lines + cutter.notes
