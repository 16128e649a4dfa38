#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rdmaip's generic netlink family, driven with rdmaipctl in the lab.

Covers what the module serves today: the port objects (show, JSON), the
monitor stream of port up/down events on a real link cut, errors with their
extack messages, and the permission check on changing operations.
"""

import json
import sys
import time

from rdmaiplab.kernel_log import HEALTH_RE, wait_match
from rdmaiplab.monitor import load_rdmaip
from rdmaiplab.nodes import guest_now, setup_nic
from rdmaiplab.paths import RDMAIPCTL
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import ADDR, ADDR6, NETDEV, NODES, RDMA_PORT




def ctl(lab, node, args, **kw):
    return lab.exec(node, f"{RDMAIPCTL} {args}", **kw)


def setup(lab):
    for node in NODES:
        setup_nic(lab, node, 1)
        setup_nic(lab, node, 2)
        load_rdmaip(lab, node)
        for port in (RDMA_PORT[1], RDMA_PORT[2]):
            wait_match(lab, node, HEALTH_RE, port=port, new="UP")


def test_port_show(lab):
    rc, out = ctl(lab, "a", "port show")
    assert rc == 0, out
    lines = sorted(out.strip().splitlines())
    assert lines == [f"port {RDMA_PORT[1]} ifname {NETDEV[1]} state up",
                     f"port {RDMA_PORT[2]} ifname {NETDEV[2]} state up"], out
    rc, out = ctl(lab, "a", "-j port show")
    assert rc == 0, out
    ports = {p["port"]: p for p in json.loads(out)}
    assert ports[RDMA_PORT[2]]["ifname"] == NETDEV[2] and ports[RDMA_PORT[2]]["state"] == "up", out
    rc, out = ctl(lab, "a", f"port show {RDMA_PORT[1]}")
    assert rc == 0 and out.strip() == f"port {RDMA_PORT[1]} ifname {NETDEV[1]} state up", out


def test_unknown_port_is_an_error(lab):
    rc, out = ctl(lab, "a", "port show rxe7/1")
    assert rc != 0, out
    assert "no such RDMA port" in out, out


def test_monitor_sees_link_cut(lab, tap):
    lab.check("a", f"({RDMAIPCTL} -j monitor > /tmp/monitor.json 2>&1 &)")
    # The monitor subscribes some time after it starts (long on a loaded
    # host): a cycle it may have missed is repeated, up to three times.
    for _ in range(3):
        t0 = guest_now(lab, "a")
        lab.link("a", 1, False)
        wait_match(lab, "a", HEALTH_RE, port=RDMA_PORT[1], new="DOWN (no-carrier)", after=t0)
        lab.link("a", 1, True)
        wait_match(lab, "a", HEALTH_RE, port=RDMA_PORT[1], new="UP", after=t0)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            events = [json.loads(l) for l in lab.check("a", "cat /tmp/monitor.json").splitlines() if l.strip()]
            kinds = [(e.get("event"), e.get("port"), e.get("down_reason"))
                     for e in events if e.get("time_ns", 0) / 1e9 >= t0]
            if ("port-down", RDMA_PORT[1], "no-carrier") in kinds and ("port-up", RDMA_PORT[1], None) in kinds:
                lab.exec("a", "pkill -x rdmaipctl")
                tap.diag(f"monitor events: {kinds}")
                return
            time.sleep(0.5)
    raise AssertionError(f"monitor saw: {events}")


def test_group_lifecycle(lab):
    a = "a"
    lab.check(a, f"ip addr add 10.1.0.5/24 dev {NETDEV[1]} && ip addr add {ADDR6['a', 1]}/64 dev {NETDEV[1]} nodad")
    out = lab.check(a, f"{RDMAIPCTL} group add g0 failback-delay 2s && {RDMAIPCTL} -j group show g0")
    g = json.loads(out)[0]
    assert (g["group"], g["failback_delay_ms"], g.get("ports", [])) == ("g0", 2000, []), out
    rc, out = ctl(lab, a, "group add g0")
    assert rc != 0 and "a group of that name exists" in out, out
    # One port of each adapter: a group spans RDMA devices.
    lab.check(a, f"{RDMAIPCTL} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0")
    g = json.loads(lab.check(a, f"{RDMAIPCTL} -j group show g0"))[0]
    assert g["ports"] == [RDMA_PORT[1], RDMA_PORT[2]] and g["state"] == "up", g
    addrs = {(x["addr"], x["home_port"], x["current_port"])
             for x in json.loads(lab.check(a, f"{RDMAIPCTL} -j addr show"))}
    assert addrs == {(ADDR["a", 1], RDMA_PORT[1], RDMA_PORT[1]), ("10.1.0.5", RDMA_PORT[1], RDMA_PORT[1]),
                     (ADDR6["a", 1], RDMA_PORT[1], RDMA_PORT[1]), (ADDR["a", 2], RDMA_PORT[2], RDMA_PORT[2])}, addrs
    ports = {p["port"]: p for p in json.loads(lab.check(a, f"{RDMAIPCTL} -j port show"))}
    assert ports[RDMA_PORT[1]]["group"] == "g0" and ports[RDMA_PORT[1]]["addrs_home"] == 3, ports
    # A port belongs to one group at a time.
    lab.check(a, f"{RDMAIPCTL} group add g1")
    rc, out = ctl(lab, a, f"port add {RDMA_PORT[1]} group g1")
    assert rc != 0 and "the port is in another group" in out, out
    # A port that is not there (yet) is a waiting member: it joins when its
    # device appears; it is in that group for every other purpose.
    rc, out = ctl(lab, a, "port add rxe9/1 group g1")
    assert rc == 0, out
    assert lab.exec(a, "dmesg | grep -q 'group g1: port rxe9/1 is not there'")[0] == 0
    g1 = json.loads(lab.check(a, f"{RDMAIPCTL} -j group show g1"))[0]
    assert g1.get("waiting") == ["rxe9/1"] and g1.get("ports") == [], g1
    rc, out = ctl(lab, a, "port add rxe9/1 group g0")
    assert rc != 0 and "the port is in another group" in out, out
    rc, out = ctl(lab, a, "port del rxe9/1 group g1")
    assert rc == 0, out
    rc, out = ctl(lab, a, "port add rxe9/1 group g0")
    assert rc == 0, out
    rc, out = ctl(lab, a, "port del rxe9/1 group g0")
    assert rc == 0, out
    lab.check(a, f"{RDMAIPCTL} port del {RDMA_PORT[2]} group g0")
    addrs = [x["addr"] for x in json.loads(lab.check(a, f"{RDMAIPCTL} -j addr show"))]
    assert ADDR["a", 2] not in addrs, addrs
    lab.check(a, f"{RDMAIPCTL} group del g0 && {RDMAIPCTL} group del g1")
    assert lab.check(a, f"{RDMAIPCTL} group show").strip() == ""
    assert "group" not in lab.check(a, f"{RDMAIPCTL} port show")


def test_changes_need_cap_net_admin(lab):
    # nobody, without capabilities: reading is allowed, changing is not.
    drop = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
    rc, out = lab.exec("a", f"{drop} {RDMAIPCTL} port show")
    assert rc == 0, out
    rc, out = lab.exec("a", f"{drop} {RDMAIPCTL} group add g0")
    assert rc != 0 and "not permitted" in out.lower(), out
    rc, out = lab.exec("a", f"{drop} {RDMAIPCTL} module set peer-notify off")
    assert rc != 0 and "not permitted" in out.lower(), out
    rc, out = lab.exec("a", f"{drop} {RDMAIPCTL} -j -d module show")
    assert rc == 0 and json.loads(out)["peer_notify"] is True, out


def test_module_settings(lab):
    def module():
        rc, out = ctl(lab, "a", "-j -d module show")
        assert rc == 0, out
        return json.loads(out)
    m = module()
    assert m["peer_notify"] is True, m  # on by default
    for key in ("remote_moves", "remote_ids_notified", "neigh_updates", "neigh_updates_dropped"):
        assert isinstance(m[key], int), (key, m)
    rc, out = ctl(lab, "a", "module set peer-notify off")
    assert rc == 0, out
    assert module()["peer_notify"] is False
    rc, out = ctl(lab, "a", "module set peer-notify maybe")
    assert rc != 0 and "maybe" in out, out
    rc, out = ctl(lab, "a", "module set peer-notify on")
    assert rc == 0, out
    assert module()["peer_notify"] is True


def test_autoload(lab):
    # The module carries its genetlink family's alias: resolving the family
    # (rdmaipctl's first request) loads it, as `ip`/`wg` load theirs.
    lab.check("b", "rmmod rdmaip")
    rc, _ = lab.exec("b", "test -d /sys/module/rdmaip")
    assert rc != 0, "rdmaip still loaded after rmmod"
    rc, out = ctl(lab, "b", "group show")
    assert rc == 0, out
    lab.check("b", "test -d /sys/module/rdmaip")
    rc, out = ctl(lab, "b", "port show")
    assert rc == 0 and "rxe0/1" in out, out


def steps(tap, lab):
    tap.run("setup: rxe on both NICs, rdmaip loaded", setup, lab)
    tap.run("rdmaipctl: port show lists both ports, text and JSON", test_port_show, lab)
    tap.run("rdmaipctl: an unknown port is refused with a message", test_unknown_port_is_an_error, lab)
    tap.run("rdmaipctl: monitor reports a link cut and restore", test_monitor_sees_link_cut, lab, tap)
    tap.run("rdmaipctl: group add/show/del, ports of two adapters, addresses homed", test_group_lifecycle, lab)
    tap.run("netlink: changes need CAP_NET_ADMIN, reads do not", test_changes_need_cap_net_admin, lab)
    tap.run("rdmaipctl: module show/set: peer-notify on by default, off and on again; counters",
            test_module_settings, lab)
    tap.run("autoload: with rdmaip unloaded, rdmaipctl group show loads it (genetlink family alias)",
            test_autoload, lab)


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
