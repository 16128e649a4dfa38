#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Failover and failback of addresses across adapters, in the two-node lab.

Node A's two ports (rxe0 on eth0/switch 1, rxe1 on eth1/switch 2: two
RDMA adapters) form group g0. Links are cut and restored from the host; the
tests check what a user would: where the addresses are (`ip addr`), what
node B's neighbour table says, whether RDMA CM connections to the moved
address work, and what rdmaipctl and its monitor report.
"""

import json
import os
import random
import sys
import time

from rdmaiplab.failover import (FAILBACK_S, HOME, MAC, addrs_on, events, home_layout, moved_layout, neigh_mac,
                                rping_b_to, setup, touch, wait_placed, where)
from rdmaiplab.kernel_log import HEALTH_RE, wait_match
from rdmaiplab.paths import LAB_TESTS, RDMAIPCTL as R
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import NETDEV, RDMA_PORT, RXE

GENL_RAW = os.path.join(LAB_TESTS, "genl_raw.py")


def test_failover(lab, tap):
    for addr in HOME[1]:
        touch(lab, addr)
        assert neigh_mac(lab, addr) == MAC[1], f"B must know {addr} at NIC 1 first"
    n = len(events(lab, "addr-moved"))
    lab.link("a", 1, False)
    wait_placed(lab, moved_layout())
    moved = events(lab, "addr-moved")[n:]
    assert {e["addr"] for e in moved} == set(HOME[1]), moved
    assert all(e["move_reason"] == "failover" and e["to_port"] == RDMA_PORT[2] for e in moved), moved
    tap.diag("failover latency (port event -> address live): "
             + ", ".join(f"{e['addr']} {e['latency_us'] / 1000:.0f} ms" for e in moved))
    # The gratuitous ARP / unsolicited NA updated B's entries.
    deadline = time.monotonic() + 5
    while any(neigh_mac(lab, a) != MAC[2] for a in HOME[1]):
        assert time.monotonic() < deadline, {a: neigh_mac(lab, a) for a in HOME[1]}
        time.sleep(0.3)
    rping_b_to(lab, HOME[1][0])
    port = json.loads(lab.check("a", f"{R} -d -j port show {RDMA_PORT[1]}"))[0]
    assert port.get("failures", 0) >= 1, port
    # At a glance: a member down, the group still works.
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert g["state"] == "degraded", g
    assert any(e.get("state") == "degraded" for e in events(lab, "group-state")), events(lab, "group-state")


def test_failback(lab, tap):
    n = len(events(lab, "failback"))
    t0 = time.monotonic()
    lab.link("a", 1, True)
    wait_placed(lab, home_layout(), timeout=30)
    tap.diag(f"addresses home {time.monotonic() - t0:.1f}s after the restore "
             f"(failback delay {FAILBACK_S}s, plus hold-down for a recent failure)")
    back = events(lab, "addr-moved")[-2:]
    assert all(e["move_reason"] == "failback" for e in back), back
    deadline = time.monotonic() + 5
    while not any(e.get("port") == RDMA_PORT[1] for e in events(lab, "failback")[n:]):
        assert time.monotonic() < deadline, f"no failback event: {events(lab, 'failback')}"
        time.sleep(0.3)
    rping_b_to(lab, HOME[1][0])
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert g["state"] == "up", g
    assert events(lab, "group-state")[-1].get("state") == "up", events(lab, "group-state")


def tracked(lab):
    return {x["addr"]: (x["home_port"], x["current_port"]) for x in json.loads(lab.check("a", f"{R} -j addr show"))}


def wait_tracked(lab, cond, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond(tracked(lab)):
        assert time.monotonic() < deadline, f"{what}: {tracked(lab)}"
        time.sleep(0.3)


def test_admin_changes_followed(lab):
    # An address the admin adds to a member is homed on it and fails over.
    lab.check("a", f"ip addr add 10.1.0.7/24 dev {NETDEV[1]}")
    wait_tracked(lab, lambda t: t.get("10.1.0.7") == (RDMA_PORT[1], RDMA_PORT[1]), f"10.1.0.7 homed on {RDMA_PORT[1]}")
    lab.link("a", 1, False)
    wait_placed(lab, {NETDEV[1]: set(), NETDEV[2]: set(HOME[1] + HOME[2] + ["10.1.0.7"])})
    # Removed by the admin while away from home: forgotten...
    lab.check("a", f"ip addr del 10.1.0.7/24 dev {NETDEV[2]}")
    wait_tracked(lab, lambda t: "10.1.0.7" not in t, "10.1.0.7 forgotten")
    # ...and not resurrected by the failback.
    lab.link("a", 1, True)
    wait_placed(lab, home_layout(), timeout=60)
    time.sleep(1)
    assert "10.1.0.7" not in addrs_on(lab, NETDEV[1]) | addrs_on(lab, NETDEV[2]), where(lab)


def test_group_down(lab):
    n_down, n_up = len(events(lab, "group-down")), len(events(lab, "group-up"))
    lab.link("a", 1, False)
    lab.link("a", 2, False)
    time.sleep(3)
    assert len(events(lab, "group-down")) == n_down + 1, events(lab, "group-down")
    # Nothing moved: there was nowhere to go.
    assert where(lab)[NETDEV[1]] >= set(HOME[1]) or where(lab)[NETDEV[2]] >= set(HOME[1]), where(lab)
    # The first member back takes everything.
    lab.link("a", 2, True)
    wait_placed(lab, moved_layout())
    assert len(events(lab, "group-up")) == n_up + 1
    lab.link("a", 1, True)
    wait_placed(lab, home_layout(), timeout=60)


def test_drain_undrain(lab):
    lab.check("a", f"{R} port drain {RDMA_PORT[1]}")
    assert where(lab) == moved_layout(), where(lab)
    port = json.loads(lab.check("a", f"{R} -j port show {RDMA_PORT[1]}"))[0]
    assert port["drained"] is True or port["drained"] == "yes", port
    time.sleep(FAILBACK_S + 1)
    assert where(lab) == moved_layout(), "a drained port gets nothing back"
    lab.check("a", f"{R} port undrain {RDMA_PORT[1]}")
    assert where(lab) == home_layout(), where(lab)


def test_failback_off(lab):
    lab.check("a", f"{R} group set g0 failback off")
    lab.link("a", 1, False)
    wait_placed(lab, moved_layout())
    lab.link("a", 1, True)
    time.sleep(3 * FAILBACK_S + 2)
    assert where(lab) == moved_layout(), "non-revertive: the addresses stay"
    lab.check("a", f"{R} group set g0 failback on")
    wait_placed(lab, home_layout(), timeout=90)


def test_unload_restores(lab):
    lab.link("a", 1, False)
    wait_placed(lab, moved_layout())
    lab.check("a", "rmmod rdmaip")
    # Home again, even though its link is still down.
    assert where(lab) == home_layout(), where(lab)
    lab.link("a", 1, True)
    lab.check("a", "modprobe rdmaip")
    for port in (RDMA_PORT[1], RDMA_PORT[2]):
        wait_match(lab, "a", HEALTH_RE, port=port, new="UP", after=0)
    lab.check("a", f"{R} group add g0 failback-delay {FAILBACK_S}s && "
                   f"{R} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0")
    lab.check("a", f"({R} -j monitor > /tmp/monitor.json 2>&1 &)")


def test_cascade(lab):
    # A third member on a third adapter (rxe on a local veth with carrier).
    lab.check("a", "ip link add vc0 type veth peer name vc1 && ip link set vc1 up && ip link set vc0 up "
                   "&& rdma link add rxe9 type rxe netdev vc0")
    wait_match(lab, "a", HEALTH_RE, port="rxe9/1", new="UP", after=0)
    lab.check("a", f"{R} port add rxe9/1 group g0")
    # A port that just joined is the last choice until it has been up for
    # the failback delay: let it become an equal candidate.
    time.sleep(FAILBACK_S + 1)
    lab.link("a", 1, False)
    deadline = time.monotonic() + 20
    while True:
        hosted = {p["port"]: p.get("addrs_hosted", 0) for p in json.loads(lab.check("a", f"{R} -j port show"))}
        if hosted.get(RDMA_PORT[1]) == 0 and sum(hosted.values()) == 4:
            break
        assert time.monotonic() < deadline, hosted
        time.sleep(0.3)
    # Least loaded: NIC 2 carries its own two, so both go to the third port.
    assert hosted["rxe9/1"] == 2 and hosted[RDMA_PORT[2]] == 2, hosted
    # The port that took over fails too: its address moves on.
    lab.check("a", "ip link set vc0 down")
    wait_placed(lab, moved_layout())
    lab.check("a", "ip link set vc0 up")
    lab.link("a", 1, True)
    wait_placed(lab, home_layout(), timeout=90)


def cleanup_cascade(lab):
    lab.link("a", 1, True)
    lab.exec("a", f"{R} port del rxe9/1 group g0; rdma link del rxe9; ip link del vc0")


THIRD = ("vc0", "rxe9")


def add_third(lab):
    """A third member on a third adapter: rxe on a local veth with carrier."""
    dev, rxe = THIRD
    lab.check("a", f"ip link add {dev} type veth peer name vc1 && ip link set vc1 up && ip link set {dev} up "
                   f"&& rdma link add {rxe} type rxe netdev {dev}")
    lab.wait_for("a", f"{R} port show {rxe}/1 | grep -q 'state up'", timeout=20)
    lab.check("a", f"{R} port add {rxe}/1 group g0")


def readd_rxe1(lab, join=True):
    """NIC 2's RDMA device back; it rejoins g0 by itself (a member whose
    device went away waits for it), and `join` adds it by hand as well,
    which changes nothing then."""
    lab.check("a", f"rdma link add {RXE1} type rxe netdev {NETDEV[2]}")
    lab.wait_for("a", f"{R} port show {RXE1}/1 >/dev/null 2>&1", timeout=20)
    if join:
        lab.check("a", f"{R} port add {RXE1}/1 group g0")


RXE1 = RXE[2]


def test_random_cuts(lab, tap, rounds):
    """Random cuts and restores of both NICs, with RDMA devices and
    netdevs that go away and come back: NIC 2's RDMA device deleted and
    re-added, and a third member whose veth or RDMA device is deleted and
    later re-created. After each step settles: each of the group's
    addresses is on exactly one netdev (never lost, never twice), every
    address rdmaip tracks is on the netdev it says, and on a healthy member
    whenever one exists."""
    rng = random.Random(int(os.environ.get("RDMAIP_SEED", "1")))
    up = {1: True, 2: True}
    rxe1_in, third_in = True, False
    every = set(HOME[1] + HOME[2])
    kinds = {"cut": 0, "rxe1-del": 0, "rxe1-add": 0, "third-add": 0, "third-netdev-del": 0,
             "third-device-del": 0}
    for i in range(rounds):
        r = rng.random()
        if r < 0.15:
            if rxe1_in:
                lab.check("a", f"rdma link del {RXE1}")
                kind = "rxe1-del"
            else:
                readd_rxe1(lab)
                kind = "rxe1-add"
            rxe1_in = not rxe1_in
        elif r < 0.30:
            if not third_in:
                add_third(lab)
                kind = "third-add"
            elif rng.random() < 0.5:
                lab.check("a", f"ip link del {THIRD[0]}")
                kind = "third-netdev-del"
            else:
                lab.check("a", f"rdma link del {THIRD[1]} && ip link del {THIRD[0]}")
                kind = "third-device-del"
            third_in = not third_in
        else:
            nic = rng.choice((1, 2))
            up[nic] = not up[nic]
            lab.link("a", nic, up[nic])
            kind = "cut"
        kinds[kind] += 1
        time.sleep(rng.uniform(0, 0.6))
        devs = (NETDEV[1], NETDEV[2]) + ((THIRD[0],) if third_in else ())
        healthy = ({NETDEV[1]} if up[1] else set()) | ({NETDEV[2]} if up[2] and rxe1_in else set()) \
            | ({THIRD[0]} if third_in else set())
        netdev_of = {RDMA_PORT[1]: NETDEV[1], f"{RXE1}/1": NETDEV[2], f"{THIRD[1]}/1": THIRD[0]}
        deadline = time.monotonic() + 20
        while True:
            got = where(lab, devs)
            count = {a: sum(a in got[d] for d in devs) for a in every}
            on_healthy = set().union(*(got[d] for d in healthy)) if healthy else set()
            rec = tracked(lab)
            problems = [f"{a} on {count[a]} netdevs" for a in every if count[a] != 1]
            problems += [f"{a} tracked on {cur} but not on {netdev_of.get(cur)}"
                         for a, (_home, cur) in rec.items()
                         if a in every and a not in got.get(netdev_of.get(cur), set())]
            if healthy:
                problems += [f"{a} not on a healthy member" for a in rec if a in every and a not in on_healthy]
            if not problems:
                break
            assert time.monotonic() < deadline, (
                f"round {i} ({kind}): {problems}; addresses {got}, tracked {rec}, NICs up {up}, "
                f"rxe1 {rxe1_in}, third {third_in}\n"
                + lab.check("a", "ip -br addr; rdma link; dmesg | grep rdmaip | tail -40"))
            time.sleep(0.5)
        assert not lab.kernel_problems("a")
    if not rxe1_in:
        readd_rxe1(lab)
    if third_in:
        lab.check("a", f"{R} port del {THIRD[1]}/1 group g0; rdma link del {THIRD[1]}; ip link del {THIRD[0]}")
    for nic in (1, 2):
        lab.link("a", nic, True)
    wait_placed(lab, home_layout(), timeout=120)
    tap.diag(f"{rounds} random steps, invariant checked after each settled: "
             + ", ".join(f"{k} {n}" for k, n in kinds.items()))


def test_survivor_device_removed(lab):
    """NIC 1 cut, its addresses on NIC 2; then NIC 2's RDMA device is
    deleted (its netdev stays): nothing may stay on a netdev no member
    owns. Everything is parked on NIC 1; rxe1/1 waits in the group, and
    when its device is back it rejoins by itself and its own addresses go
    home."""
    lab.link("a", 1, False)
    wait_placed(lab, moved_layout())
    lab.check("a", f"rdma link del {RXE1}")
    everything = {NETDEV[1]: set(HOME[1] + HOME[2]), NETDEV[2]: set()}
    wait_placed(lab, everything)
    t = tracked(lab)
    assert all(t.get(a) == (RDMA_PORT[1], RDMA_PORT[1]) for a in HOME[1] + HOME[2]), t
    lab.link("a", 1, True)
    lab.wait_for("a", f"{R} port show {RDMA_PORT[1]} | grep -q 'state up'", timeout=20)
    time.sleep(FAILBACK_S + 1)
    assert where(lab) == everything, where(lab)
    lab.check("a", f"dmesg | grep -q 'port {RXE1}/1 waits to rejoin'")
    readd_rxe1(lab, join=False)
    wait_placed(lab, home_layout(), timeout=30)
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert sorted(g.get("ports", [])) == [RDMA_PORT[1], f"{RXE1}/1"], g
    t = tracked(lab)
    assert all(t.get(a) == (f"{RXE1}/1", f"{RXE1}/1") for a in HOME[2]), t


def test_carrier_netdev_deleted(lab):
    """Both NICs cut, so every address is on a third member's netdev; that
    netdev is deleted (the kernel deletes the addresses with it): each is
    re-created at its home at once, and stays tracked."""
    add_third(lab)
    time.sleep(FAILBACK_S + 1)
    lab.link("a", 1, False)
    lab.link("a", 2, False)
    wait_placed(lab, {NETDEV[1]: set(), NETDEV[2]: set(), THIRD[0]: set(HOME[1] + HOME[2])})
    lab.check("a", f"ip link del {THIRD[0]}")
    wait_placed(lab, home_layout())
    lab.wait_for("a", f"! rdma link show {THIRD[1]}/1 2>/dev/null", timeout=20)
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert sorted(g.get("ports", [])) == [RDMA_PORT[1], f"{RXE1}/1"], g
    t = tracked(lab)
    assert all(t.get(a, ("?", "!"))[0] == t[a][1] for a in HOME[1] + HOME[2]), t
    for nic in (1, 2):
        lab.link("a", nic, True)
    wait_placed(lab, home_layout())
    # And unload leaves them where they are: home.
    time.sleep(1)
    assert where(lab) == home_layout(), where(lab)


def test_device_removal(lab):
    # An RDMA device that goes away is a failed port: its addresses leave
    # first (run last: the addresses stay on NIC 2 afterwards).
    lab.check("a", f"rdma link del {RXE[1]}")
    wait_placed(lab, moved_layout())
    ports = [p["port"] for p in json.loads(lab.check("a", f"{R} -j port show"))]
    assert RDMA_PORT[1] not in ports, ports
    g = json.loads(lab.check("a", f"{R} -j group show g0"))[0]
    assert g.get("ports") == [RDMA_PORT[2]], g


def test_bad_netlink_input(lab):
    def raw(args):
        return lab.check("a", f"/usr/bin/python3 {GENL_RAW} {args}").strip()
    # group-new (1) with: a name too long, the wrong type, an unknown
    # attribute, no name, a bad character; port-add (5) of a malformed port
    # name (a missing port is a waiting member, see test_netlink.py).
    cases = [
        ("1 1=str:abcdefghijklmnopqrstu", "error 22 Attribute failed policy validation"),
        ("1 1=str:g9 4=u8:1", "error 22 invalid attribute length"),
        ("1 1=str:g9 77=u32:1", "error 22 Unknown attribute type"),
        ("1", "error 22 group name is required"),
        ("1 1=str:bad/name", "error 22 group names are 1 to 15 characters"),
        ("1 1=str:g9 4=u32:99999999", "error 34 integer out of range"),
        ("5 1=str:g0 8=str:rxe7", "error 22 a port is named <device>/<port>"),
    ]
    for args, want in cases:
        got = raw(args)
        assert got.startswith(want), f"{args}: got {got!r}, want {want!r}"
    # And the CLI says what was wrong, exiting non-zero.
    rc, out = lab.exec("a", f"{R} group set g0 failback-delay 2h")
    assert rc != 0 and "failback-delay" in out, out


def test_dump_filters(lab):
    """`port show group G` and `addr show group G` list only G's; a group
    that does not exist is an error, as `ip` treats a missing device."""
    lab.check("a", f"{R} group add g9")
    try:
        assert lab.check("a", f"{R} port show group g9").strip() == ""
        ports = {p["port"] for p in json.loads(lab.check("a", f"{R} -j port show group g0"))}
        assert ports == {RDMA_PORT[1], f"{RXE1}/1"}, ports
        assert json.loads(lab.check("a", f"{R} -j addr show group g9") or "[]") == []
        addrs = {a["addr"] for a in json.loads(lab.check("a", f"{R} -j addr show group g0"))}
        assert addrs == set(HOME[1] + HOME[2]), addrs
        for obj in ("port", "addr"):
            rc, out = lab.exec("a", f"{R} {obj} show group nosuch")
            assert rc != 0 and out.strip(), f"{obj} show group nosuch: rc {rc}: {out}"
    finally:
        lab.check("a", f"{R} group del g9")


def steps(tap, lab):
    tap.run("setup: group g0 of rxe0/1 (NIC 1) and rxe1/1 (NIC 2) on node A", setup, lab)
    tap.run("failover: cut NIC 1, its IPv4/IPv6 addresses move to NIC 2, B's neighbours follow, "
            "rping works", test_failover, lab, tap)
    tap.run("failback: restore NIC 1, addresses home after the delay", test_failback, lab, tap)
    tap.run("admin changes: an added address is homed and fails over; a removed one is never "
            "resurrected", test_admin_changes_followed, lab)
    tap.run("group down: both NICs cut, nothing moves, group-down; first back takes all",
            test_group_down, lab)
    tap.run("drain/undrain: addresses leave and stay away until undrain", test_drain_undrain, lab)
    tap.run("failback off: addresses stay after recovery until it is on again", test_failback_off, lab)
    tap.run("unload: rmmod with moved addresses puts them home", test_unload_restores, lab)
    tap.run("cascade: the port that took over fails too, with a third member", test_cascade, lab)
    cleanup_cascade(lab)
    tap.run("dumps: port and addr show filtered by group; an unknown group is an error",
            test_dump_filters, lab)
    tap.run("survivor's RDMA device deleted while NIC 1 is cut: everything parked on NIC 1, rxe1/1 waits; "
            "home again when rxe1 rejoins", test_survivor_device_removed, lab)
    tap.run("netdev carrying every address deleted while both NICs are cut: re-created at home",
            test_carrier_netdev_deleted, lab)
    rounds = int(os.environ.get("RDMAIP_RANDOM_CUTS", "30"))
    tap.run(f"random: {rounds} cuts, restores, device and netdev removals and re-adds keep every "
            "address once, on a healthy port", test_random_cuts, lab, tap, rounds)
    tap.run("device removal: a member's RDMA device deleted, its addresses move first",
            test_device_removal, lab)
    tap.run("netlink: bad input refused with extack messages", test_bad_netlink_input, lab)


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
