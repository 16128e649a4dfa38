#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Gray failures, in the two-node lab: path probing finds a port that keeps
its carrier but cannot reach its peers, and its addresses fail over.

Node A's group g0 (both NICs) probes node B's addresses. The host makes one
of A's paths gray while the guest's carrier stays up (the lab switch drops
the frames of that VM port: both ways, or one way), and the tests check
what a user would: where A's addresses are, B's neighbour entries, rping,
what rdmaipctl and its monitor say; that the path healing brings them home;
that saturating the port with RDMA traffic moves nothing; that losing every
target (B's NICs cut) moves nothing and says so; and that bad settings get
clear messages.
"""

import json
import os
import sys
import time

from rdmaiplab.failover import (FAILBACK_S, HOME, MAC, events, home_layout, moved_layout, neigh_mac,
                                rping_b_to, setup, touch, wait_placed)
from rdmaiplab.group import load_peer
from rdmaiplab.paths import LAB_TESTS, RDMAIPCTL as R
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import ADDR, ADDR6, RDMA_PORT

GENL_RAW = os.path.join(LAB_TESTS, "genl_raw.py")
# One IPv4 target on each switch's subnet and one IPv6 target: every
# member probes all three (the switches are one L2 segment).
TARGETS = [ADDR["b", 1], ADDR["b", 2], ADDR6["b", 1]]
INTERVAL_MS, MISSES, SUCCESSES = 100, 3, 2
# Detection takes misses to misses + 1 intervals; the margin covers the
# failover itself and an emulated machine's delays.
DETECT_BUDGET_S = 10
# Other traffic on the segment: UDP datagrams from B to one of A's
# addresses, as fast as B can send them, for a number of seconds.
FLOOD = ("import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); "
         "end=time.time()+float(sys.argv[2]); n=0\n"
         "while time.time()<end:\n"
         " try: s.sendto(bytes(1000),(sys.argv[1],9)); n+=1\n"
         " except OSError: pass\n"
         "print(n, \"datagrams sent\")")


def paths(lab):
    return json.loads(lab.check("a", f"{R} -d -j probe show group g0"))


def probe_downs(lab):
    return [e for e in events(lab, "port-down") if e.get("down_reason") == "probe"]


def test_setup(lab):
    setup(lab)
    load_peer(lab, "b")
    lab.check("a", f"{R} group set g0 probe-targets {','.join(TARGETS)} "
                   f"probe-interval {INTERVAL_MS}ms probe-misses {MISSES} probe-successes {SUCCESSES}")
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert g["probe_targets"] == TARGETS, g
    assert (g["probe_interval_ms"], g["probe_misses"], g["probe_successes"]) == \
        (INTERVAL_MS, MISSES, SUCCESSES), g
    # Every member reaches a target.
    deadline = time.monotonic() + 10
    while True:
        ps = paths(lab)
        good = {p["port"] for p in ps if p["replies"] > 0 and p["misses"] == 0}
        if good == {RDMA_PORT[1], RDMA_PORT[2]}:
            break
        assert time.monotonic() < deadline, ps
        time.sleep(0.5)
    port = json.loads(lab.check("a", f"{R} -d -j port show {RDMA_PORT[1]}"))[0]
    assert {p["target"] for p in port["probes"]} == set(TARGETS), port


def focused(lab, tap):
    """A member whose probes are answered asks one target per round, not
    every target: over two quiet seconds only one target's sent count
    grows per member (a member that missed a probe meanwhile asks every
    target for a round, and is not judged)."""
    before = {(p["port"], p["target"]): p for p in paths(lab)}
    time.sleep(2)
    judged = 0
    for port in (RDMA_PORT[1], RDMA_PORT[2]):
        now = [p for p in paths(lab) if p["port"] == port]
        grew = [p["target"] for p in now if p["sent"] > before[port, p["target"]]["sent"]]
        missed = sum(p["missed"] - before[port, p["target"]]["missed"] for p in now)
        tap.diag(f"{port}: probes sent in 2 s to {grew}, {missed} missed")
        if missed == 0:
            assert len(grew) == 1, now
            judged += 1
    assert judged > 0, "every member missed probes in two quiet seconds"


def gray_cut(lab, tap, direction, what):
    """Makes A's NIC 1 gray in `direction`; its addresses must move to NIC 2
    with reason probe, then come home when the path heals."""
    n_down = len(probe_downs(lab))
    n_moved = len(events(lab, "addr-moved"))
    t0 = lab.gray("a", 1, direction)
    wait_placed(lab, moved_layout(), timeout=DETECT_BUDGET_S)
    tap.diag(f"{what}: addresses live on NIC 2 {time.monotonic() - t0:.2f}s after the path went gray "
             f"(detection at most {(MISSES + 1) * INTERVAL_MS} ms)")
    downs = probe_downs(lab)[n_down:]
    assert [d["port"] for d in downs] == [RDMA_PORT[1]], events(lab, "port-down")
    moved = events(lab, "addr-moved")[n_moved:]
    assert {e["addr"] for e in moved} == set(HOME[1]), moved
    port = json.loads(lab.check("a", f"{R} -j port show {RDMA_PORT[1]}"))[0]
    assert port["state"] == "down" and port.get("down_reason") == "probe", port
    # Carrier and RDMA port are still up: only probing saw it.
    assert "state ACTIVE" in lab.check("a", f"rdma link show {RDMA_PORT[1]}")
    return t0


def heal(lab, tap, what):
    t0 = lab.gray("a", 1, None)
    wait_placed(lab, home_layout(), timeout=30)
    tap.diag(f"{what}: addresses home {time.monotonic() - t0:.1f}s after the path healed "
             f"(failback delay {FAILBACK_S}s, plus hold-down after a recent failure)")
    port = json.loads(lab.check("a", f"{R} -j port show {RDMA_PORT[1]}"))[0]
    assert port["state"] == "up", port


def test_gray_both_ways(lab, tap):
    for addr in HOME[1]:
        touch(lab, addr)
    gray_cut(lab, tap, "both", "both ways")
    # Node B follows (the failover's announcements) and RDMA works.
    deadline = time.monotonic() + 5
    while any(neigh_mac(lab, a) != MAC[2] for a in HOME[1]):
        assert time.monotonic() < deadline, {a: neigh_mac(lab, a) for a in HOME[1]}
        time.sleep(0.3)
    rping_b_to(lab, HOME[1][0])
    # The gray member still probes, and misses.
    ps = [p for p in paths(lab) if p["port"] == RDMA_PORT[1]]
    assert all(p["misses"] >= MISSES for p in ps), ps
    heal(lab, tap, "both ways")
    rping_b_to(lab, HOME[1][0])


def test_gray_one_way(lab, tap):
    gray_cut(lab, tap, "out", "A to B lost")
    heal(lab, tap, "A to B lost")
    gray_cut(lab, tap, "in", "B to A lost")
    heal(lab, tap, "B to A lost")


def test_saturated_port(lab, tap):
    """ib_write_bw over NIC 1 for the whole interval, and a ping flood on
    the segment: nothing moves. (Under TCG soft-RoCE is CPU-bound: the
    emulated CPUs are what saturates, not the wire.)"""
    n_down = len(probe_downs(lab))
    before = {p["port"] + p["target"]: p["missed"] for p in paths(lab)}
    lab.check("b", f"(timeout 30 python3 -c '{FLOOD}' {ADDR['a', 1]} 16 > /tmp/flood.log 2>&1 &)")
    lab.check("a", "(timeout 60 ib_write_bw -d rxe0 -F -D 12 > /tmp/bw-s.log 2>&1 &)")
    time.sleep(2)
    rc, out = lab.exec("b", f"timeout 50 ib_write_bw -d rxe0 -F -D 12 {ADDR['a', 1]}", timeout=60)
    assert rc == 0, f"ib_write_bw: rc {rc}\n{out}"
    bw = [l for l in out.splitlines() if l.strip() and l.split()[0].isdigit()]
    tap.diag("ib_write_bw over NIC 1: " + (bw[-1].strip() if bw else out[-300:]))
    assert probe_downs(lab)[n_down:] == [], probe_downs(lab)
    wait_placed(lab, home_layout(), timeout=1)
    missed = {k: p["missed"] - before.get(k, 0) for p in paths(lab) for k in [p["port"] + p["target"]]}
    tap.diag(f"probes missed during the load: {missed}")
    flood = lab.check("b", "for i in $(seq 30); do [ -s /tmp/flood.log ] && break; sleep 1; done; "
                           "cat /tmp/flood.log", timeout=60).strip()
    tap.diag(f"UDP flood from B during the load: {flood}")


def test_targets_unreachable(lab, tap):
    """B's NICs both cut: every member loses every target at once. Nothing
    moves, and the monitor says the targets are unreachable."""
    n = len(events(lab, "probe-targets"))
    lab.link("b", 1, False)
    lab.link("b", 2, False)
    try:
        deadline = time.monotonic() + 10
        while not events(lab, "probe-targets")[n:]:
            assert time.monotonic() < deadline, events(lab, "probe-targets")
            time.sleep(0.3)
        assert events(lab, "probe-targets")[n]["probe_targets_unreachable"] is True, events(lab, "probe-targets")
        time.sleep(2)
        wait_placed(lab, home_layout(), timeout=1)
        ports = json.loads(lab.check("a", f"{R} -j port show group g0"))
        assert all(p["state"] == "up" for p in ports), ports
        g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
        assert g["probe_targets_unreachable"] is True, g
    finally:
        lab.link("b", 1, True)
        lab.link("b", 2, True)
    deadline = time.monotonic() + 20
    while len(events(lab, "probe-targets")) < n + 2:
        assert time.monotonic() < deadline, events(lab, "probe-targets")
        time.sleep(0.3)
    assert events(lab, "probe-targets")[n + 1]["probe_targets_unreachable"] is False, events(lab, "probe-targets")
    wait_placed(lab, home_layout(), timeout=1)


def test_bad_settings(lab):
    def refused(args, words):
        rc, out = lab.exec("a", f"{R} group set g0 {args}")
        assert rc != 0 and all(w in out for w in words), f"{args}: rc {rc}: {out}"

    refused("probe-interval 0ms", ["probe interval must be 10 to 60000 ms"])
    refused("probe-misses 1", ["probe misses must be 2 to 100"])
    refused("probe-successes 1000000", ["probe successes must be 1 to 100"])
    refused("probe-targets 224.0.0.1", ["unicast"])
    refused("probe-targets 10.1.0.2,10.1.0.2", ["given twice"])
    refused("probe-targets " + ",".join(f"10.9.0.{i}" for i in range(1, 10)), ["at most 8"])
    refused("probe-targets 10.1.0.300", ["10.1.0.300"])
    # What rdmaipctl never sends: a target of neither 4 nor 16 bytes, and
    # probe-off together with targets.
    out = lab.check("a", f"python3 {GENL_RAW} 4 1=str:g0 13=hex:0a010002ff").strip()
    assert out.startswith("error 22") and "IPv4 (4 bytes) or IPv6 (16 bytes)" in out, out
    out = lab.check("a", f"python3 {GENL_RAW} 4 1=str:g0 13=hex:0a010002 14=hex:").strip()
    assert out.startswith("error 22") and "probe-off" in out, out
    # Nothing of it was applied.
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert g["probe_targets"] == TARGETS and g["probe_interval_ms"] == INTERVAL_MS, g


def test_probing_off(lab):
    lab.check("a", f"{R} group set g0 probe-targets none")
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert not g.get("probe_targets"), g
    assert paths(lab) == [], paths(lab)
    # A gray path is now invisible: the addresses stay (what probing is for).
    lab.gray("a", 1, "both")
    try:
        time.sleep(2)
        wait_placed(lab, home_layout(), timeout=1)
    finally:
        lab.gray("a", 1, None)


def steps(tap, lab):
    tap.run("setup: group g0 of A's NICs probes B's addresses; every member reaches a target",
            test_setup, lab)
    tap.run("focused: an answered member asks one target per round, not every target",
            focused, lab, tap)
    tap.run("gray both ways: A's NIC 1 drops everything with its carrier up; addresses move, B follows, "
            "rping works; home when it heals", test_gray_both_ways, lab, tap)
    tap.run("gray one way: A-to-B loss, then B-to-A loss, each detected and healed",
            test_gray_one_way, lab, tap)
    tap.run("saturated: ib_write_bw over NIC 1 for 12 s and a UDP flood from B move nothing",
            test_saturated_port, lab, tap)
    tap.run("targets unreachable: B's NICs cut, nothing moves, the monitor says the targets are gone",
            test_targets_unreachable, lab, tap)
    tap.run("bad settings: refused with a message naming the setting, nothing applied",
            test_bad_settings, lab)
    tap.run("probing off: no probes, a gray path goes unseen", test_probing_off, lab)


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
