# SPDX-License-Identifier: GPL-2.0
"""Cut/restore cycles of a node's NICs around a moving address, while a
consumer makes progress; when each cut and restore happened."""

import time

from .group import addr_nic, wait_addr, wait_port_up
from .nodes import guest_now
from .paths import RDMAIPCTL as R


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
        self.cut_home(i, 1)

    def cut_home(self, i, nic):
        """Cut NIC ``nic`` (the home of ``addr``): failover to the other
        NIC, dwell, restore, failback."""
        lab, other = self.lab, 3 - nic
        self._spacing()
        self.mark(f"cut{i}:nic{nic}")
        lab.link(self.node, nic, False)
        if self.managed:
            moved = wait_addr(lab, self.node, other, self.addr, timeout=30)
            self.log(f"cut {i}: NIC {nic} down, {self.addr} on NIC {other} after {moved:.2f}s")
        self._hold(f"cut{i}:nic{nic}")
        self.mark(f"cut{i}:restore{nic}")
        lab.link(self.node, nic, True)
        self.last_restore = time.monotonic()
        if self.managed:
            back = wait_addr(lab, self.node, nic, self.addr, timeout=90)
            self.log(f"cut {i}: NIC {nic} up, {self.addr} home after {back:.2f}s")

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
