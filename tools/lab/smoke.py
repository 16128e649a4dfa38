#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Smoke test of the two-node lab itself (not of rdmaip), KTAP output.

Boots both nodes, puts an rxe device on each NIC, runs rping between the nodes
over each switch, cuts and restores links through QMP and checks that rxe
follows, and that no node's console shows a kernel problem.
Run as root: tools/lab/smoke.py (or tools/lab/lab smoke). Exit status 0 iff
every test passed.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "selftests", "lab"))
from rdmaiplab.ktap import Tap  # noqa: E402
from rdmaiplab.lab import Lab  # noqa: E402
from rdmaiplab.topology import ADDR, NETDEV, NODES, PREFIX, RDMA_PORT, RXE, mac  # noqa: E402

KTAP = None  # the Tap, made in main()


def tap(name, fn):
    """Run one test; print its KTAP line (and diagnostics) at once."""
    t0 = time.monotonic()
    try:
        note = fn()
        ok = True
    except Exception as e:  # a test failure, whatever its type
        ok, note = False, f"{type(e).__name__}: {e}"
    KTAP.ok(ok, f"{name} ({time.monotonic() - t0:.1f}s)")
    if note:
        KTAP.diag(note)
    return ok


TESTS = [
    "both nodes boot",
    "NICs in PCI order with the expected MACs",
    "timer ticks reach both vCPUs of each node",
    "rxe0/rxe1 on eth0/eth1, addresses assigned",
    "rdma link show: all ports ACTIVE",
    "rping B -> A over switch 1",
    "rping B -> A over switch 2",
    "QMP cut of A NIC1: rxe0 DOWN in the guest",
    "QMP restore of A NIC1: rxe0 ACTIVE",
    "switch 2 down and up: rxe1 follows on both nodes",
    "trunk: A/NIC1 (sw1) reaches B/NIC2 (sw2) only while the trunk is up",
    "no kernel problems on the consoles",
]


def run_tests(lab):
    def boot():
        lab.__enter__()
        return " ".join(f"{n}: {lab.boot_seconds(n):.1f}s" for n in NODES)
    if not tap(TESTS[0], boot):
        for name in TESTS[1:]:
            KTAP.ok(False, name, "the lab did not boot")
        return

    def nics():
        for node in NODES:
            for i in (0, 1):
                got = lab.check(node, f"cat /sys/class/net/eth{i}/address").strip()
                if got != mac(node, i + 1):
                    raise AssertionError(f"{node} eth{i}: {got} != {mac(node, i + 1)}")
    tap(TESTS[1], nics)

    def ticks():
        # TCG can leave a vCPU without timer interrupts (see highres=off in
        # lab.py); a node like that hangs later in confusing ways.
        # Ticks arrive as LOC (local APIC timer) or, when the kernel gave up
        # on the APIC timer at boot, as IRQ 0 (PIT) on the CPU handling it.
        cmd = "grep -E '^ *0:|LOC:' /proc/interrupts"
        notes = []
        for node in NODES:
            def count():
                rows = [line.split() for line in lab.check(node, cmd).splitlines()]
                return [sum(int(r[1 + cpu]) for r in rows) for cpu in (0, 1)]
            before = count()
            lab.check(node, "sleep 1")
            delta = [b - a for a, b in zip(before, count())]
            notes.append(f"{node}: {delta}")
            if min(delta) < 50:
                raise AssertionError(f"node {node}: ticks per CPU in ~1 s: {delta}")
        return " ".join(notes)
    tap(TESTS[2], ticks)

    def setup():
        for node in NODES:
            lab.check(node, f"rdma link add {RXE[1]} type rxe netdev {NETDEV[1]} && "
                            f"rdma link add {RXE[2]} type rxe netdev {NETDEV[2]} && "
                            f"ip addr add {ADDR[node, 1]}/{PREFIX} dev {NETDEV[1]} && "
                            f"ip addr add {ADDR[node, 2]}/{PREFIX} dev {NETDEV[2]}")
    tap(TESTS[3], setup)

    def active():
        for node in NODES:
            lab.wait_for(node, "rdma link show | grep -c 'state ACTIVE' | grep -qx 2", 10)
        return lab.check("a", "rdma link show") + lab.check("b", "rdma link show")
    tap(TESTS[4], active)

    def rping(nic):
        def test():
            server = ADDR["a", nic]
            log = f"/tmp/rping-s{nic}.log"
            lab.check("a", f"rping -s -a {server} -C 3 >{log} 2>&1 &")
            # The client must not connect before the server listens.
            listening = f"rdma res show cm_id | grep 'state LISTEN' | grep -q 'src-addr {server}:'"
            lab.wait_for("a", listening, 10)
            out = lab.check("b", f"rping -c -a {server} -C 3 -v", timeout=60)
            if out.count("ping data") != 3:
                raise AssertionError(f"expected 3 pings:\n{out}")
            lab.wait_for("a", "! pgrep -x rping", 10)
            return out.strip().splitlines()[-1]
        return test
    tap(TESTS[5], rping(1))
    tap(TESTS[6], rping(2))

    def cut():
        lab.link("a", 1, False)
        t = lab.wait_for("a", f"rdma link show {RDMA_PORT[1]} | grep -q 'state DOWN'", 3)
        return f"DOWN {t:.2f}s after the guest started looking"
    tap(TESTS[7], cut)

    def restore():
        lab.link("a", 1, True)
        t = lab.wait_for("a", f"rdma link show {RDMA_PORT[1]} | grep -q 'state ACTIVE'", 3)
        return f"ACTIVE after {t:.2f}s"
    tap(TESTS[8], restore)

    def switch2():
        lab.switch(2, False)
        for node in NODES:
            lab.wait_for(node, f"rdma link show {RDMA_PORT[2]} | grep -q 'state DOWN'", 3)
            lab.check(node, f"rdma link show {RDMA_PORT[1]} | grep -q 'state ACTIVE'")
        lab.switch(2, True)
        for node in NODES:
            lab.wait_for(node, f"rdma link show {RDMA_PORT[2]} | grep -q 'state ACTIVE'", 3)
    tap(TESTS[9], switch2)

    def trunk():
        # An sw1-subnet address on B's sw2 port: with arp_ignore=1 only
        # eth1 answers ARP for it, so A/eth0 reaches it through the trunk only.
        # (No ping on the host. A TCP connect to a closed port answers
        # "refused" if B got it, "no route" if ARP failed.)
        lab.check("b", f"ip addr add 10.1.0.12/32 dev {NETDEV[2]}")
        probe = (f"ip neigh flush dev {NETDEV[1]}; "
                 "timeout 10 bash -c 'exec 3<>/dev/tcp/10.1.0.12/9' 2>&1 | grep -q refused")
        try:
            lab.check("a", probe)
            lab.trunk(False)
            rc, out = lab.exec("a", probe)
            if rc == 0:
                raise AssertionError(f"B answered without the trunk:\n{out}")
            lab.trunk(True)
            lab.check("a", probe)
        finally:
            lab.trunk(True)
            lab.exec("b", f"ip addr del 10.1.0.12/32 dev {NETDEV[2]}")
    tap(TESTS[10], trunk)

    def clean():
        problems = [f"{n}: {line}" for n in NODES for line in lab.kernel_problems(n)]
        if problems:
            raise AssertionError("\n".join(problems))
    tap(TESTS[11], clean)


def main():
    # SIGTERM unwinds like Ctrl-C, so the lab is torn down.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    global KTAP
    KTAP = Tap(planned=len(TESTS))
    start = time.monotonic()
    lab = Lab()
    try:
        run_tests(lab)
    except KeyboardInterrupt:
        KTAP.diag("interrupted")
    finally:
        lab.failed = KTAP.passed < len(TESTS)
        lab.close()
        KTAP.diag(f"total {time.monotonic() - start:.1f}s")
        rc = KTAP.finish()
    return rc


if __name__ == "__main__":
    sys.exit(main())
