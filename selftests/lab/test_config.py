#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The configuration file, applied the way the systemd unit applies it.

Node A starts with rdmaip not loaded and its two ports addressed. The unit's
commands (deploy/rdmaip.service: `modprobe rdmaip`, then `rdmaipctl -force
config apply FILE`) must leave the configured group with its settings and
ports; `config show` must print a file that applies to nothing
(round-trip); applying the same file again must send nothing and move
nothing; a changed file must be applied without moving addresses that need
not move; a file with a bad line must be refused, naming the file, the line
and the word, with nothing applied; ports named by their netdev (`eth1`)
must be the RDMA ports of those netdevs, in files and on the command line,
and a netdev that no RDMA port uses must be refused naming it, with nothing
applied; and a port whose device is not there yet must wait in its group
and join when the device appears.
"""

import json
import sys

from rdmaiplab.monitor import MONITOR_LOG
from rdmaiplab.nodes import setup_nic
from rdmaiplab.paths import RDMAIPCTL as R
from rdmaiplab.runner import run_in_lab
from rdmaiplab.topology import ADDR, NETDEV, RDMA_PORT

CONF = "/tmp/rdmaip.conf"
CONFIG = f"""# rdmaip on node A: its two adapters, one port each.
group add g0 failback-delay 2s probe-targets {ADDR["b", 1]} probe-interval 200ms
port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0
module set peer-notify on
"""


def write(lab, path, text):
    lab.check("a", f"cat > {path} <<'EOF'\n{text}EOF")


def group(lab, name="g0"):
    groups = {g["group"]: g for g in json.loads(lab.check("a", f"{R} -j group show"))}
    return groups.get(name)


def moves(lab):
    rc, out = lab.exec("a", f"grep -c 'event addr-moved' {MONITOR_LOG}")
    return int(out.strip() or 0)


def addrs(lab):
    return lab.check("a", f"ip -br addr show dev {NETDEV[1]}; ip -br addr show dev {NETDEV[2]}")


def setup(lab):
    setup_nic(lab, "a", 1)
    setup_nic(lab, "a", 2)
    setup_nic(lab, "b", 1, rxe=False)  # the probe target
    lab.check("a", "! test -d /sys/module/rdmaip")
    write(lab, CONF, CONFIG)


def test_boot_apply(lab):
    # What the unit runs at boot.
    lab.check("a", f"modprobe rdmaip && {R} -force config apply {CONF}")
    lab.wait_for("a", f"{R} group show g0 | grep -q 'state up'", timeout=30)
    g = group(lab)
    assert g["ports"] == [RDMA_PORT[1], RDMA_PORT[2]] and g["failback_delay_ms"] == 2000, g
    assert g["probe_targets"] == [ADDR["b", 1]] and g["probe_interval_ms"] == 200, g


def test_round_trip(lab):
    lab.check("a", f"{R} config show > /tmp/shown.conf")
    shown = lab.check("a", "cat /tmp/shown.conf")
    assert "group add g0" in shown and f"port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0" in shown, shown
    assert f"probe-targets {ADDR['b', 1]}" in shown and "probe-interval 200ms" in shown, shown
    for f in ("/tmp/shown.conf", CONF):
        out = lab.check("a", f"{R} config diff {f}")
        assert out.strip() == "", f"{f}: applying would send:\n{out}"


def test_apply_twice(lab):
    before, where = moves(lab), addrs(lab)
    lab.check("a", f"{R} config apply {CONF}")
    assert moves(lab) == before and addrs(lab) == where, (before, moves(lab), where, addrs(lab))
    assert lab.check("a", f"{R} config diff {CONF}").strip() == ""


def test_changed_file(lab):
    # A setting changed and a second, empty group: no address moves.
    before, where = moves(lab), addrs(lab)
    changed = CONFIG.replace("failback-delay 2s", "failback-delay 3s") + "group add g1\n"
    write(lab, "/tmp/changed.conf", changed)
    diff = lab.check("a", f"{R} config diff /tmp/changed.conf")
    assert "failback-delay 3s" in diff and "group add g1" in diff and "port" not in diff, diff
    lab.check("a", f"{R} config apply /tmp/changed.conf")
    assert group(lab)["failback_delay_ms"] == 3000 and group(lab, "g1") is not None
    assert moves(lab) == before and addrs(lab) == where, (before, moves(lab), where, addrs(lab))
    # Back to the original file: g1 goes, the setting comes back.
    lab.check("a", f"{R} config apply {CONF}")
    assert group(lab, "g1") is None and group(lab)["failback_delay_ms"] == 2000


def test_bad_line(lab):
    write(lab, "/tmp/bad.conf", "group add g0 failback-delay 2s\ngroup set g0 failback-delay 2x\n"
                                "group add g2\n")
    before = lab.check("a", f"{R} config show")
    for force in ("", "-force "):
        rc, out = lab.exec("a", f"{R} {force}config apply /tmp/bad.conf")
        assert rc != 0 and "/tmp/bad.conf:2" in out and "2x" in out, out
        assert lab.check("a", f"{R} config show") == before, "a refused file changed something"


def port(lab, name):
    ports = json.loads(lab.check("a", f"{R} -j port show {name}"))
    assert len(ports) == 1, ports
    return ports[0]


def test_netdev_names(lab):
    # The file naming A's ports by their netdevs is the running
    # configuration: nothing to send, nothing moved; shown as DEVICE/PORT.
    by_netdev = CONFIG.replace(f"port add {RDMA_PORT[1]} {RDMA_PORT[2]}", f"port add {NETDEV[1]} {NETDEV[2]}")
    assert by_netdev != CONFIG
    write(lab, "/tmp/netdev.conf", by_netdev)
    before, where, shown = moves(lab), addrs(lab), lab.check("a", f"{R} config show")
    assert lab.check("a", f"{R} config diff /tmp/netdev.conf").strip() == ""
    lab.check("a", f"{R} config apply /tmp/netdev.conf")
    assert moves(lab) == before and addrs(lab) == where, (before, moves(lab), where, addrs(lab))
    assert lab.check("a", f"{R} config show") == shown
    p = port(lab, NETDEV[2])
    assert p["port"] == RDMA_PORT[2] and p["group"] == "g0", p
    # A third port, on a veth, added by its netdev on the command line.
    lab.check("a", "ip link add vn0 type veth peer name vn1 && ip link set vn0 up && ip link set vn1 up"
                   " && rdma link add rxe8 type rxe netdev vn0")
    lab.check("a", f"{R} group add g1 && {R} port add vn0 group g1")
    p = port(lab, "rxe8/1")
    assert p["group"] == "g1" and p["ifname"] == "vn0", p
    assert "port add rxe8/1 group g1" in lab.check("a", f"{R} config show")
    lab.check("a", f"{R} port del vn0 group g1")
    assert "group" not in port(lab, "rxe8/1"), port(lab, "rxe8/1")
    # A netdev that no RDMA port uses: refused naming it, nothing applied.
    before = lab.check("a", f"{R} config show")
    rc, out = lab.exec("a", f"{R} port add vn1 group g1")
    assert rc == 2 and 'port "vn1": no RDMA port uses netdev vn1' in out, (rc, out)
    rc, out = lab.exec("a", f"{R} port add nosuch0 group g1")
    assert rc == 2 and 'port "nosuch0": no RDMA port uses netdev nosuch0' in out, (rc, out)
    write(lab, "/tmp/unknown.conf", by_netdev + "group add g1\nport add vn0 vn1 group g1\n")
    for force in ("", "-force "):
        rc, out = lab.exec("a", f"{R} {force}config apply /tmp/unknown.conf")
        assert rc == 2 and '/tmp/unknown.conf:6: port "vn1": no RDMA port uses netdev vn1' in out, (rc, out)
        assert lab.check("a", f"{R} config show") == before, "a refused file changed something"
    lab.check("a", f"{R} config apply {CONF} && rdma link del rxe8 && ip link del vn0")
    assert group(lab, "g1") is None and group(lab)["ports"] == [RDMA_PORT[1], RDMA_PORT[2]], group(lab)


def test_waiting_port(lab):
    # A port whose device is not there yet waits in its group, and joins
    # when the device appears (as after a driver reload).
    lab.check("a", "ip link add vc0 type veth peer name vc1 && ip link set vc0 up && ip link set vc1 up")
    write(lab, "/tmp/third.conf", CONFIG.replace(f"{RDMA_PORT[2]} group g0", f"{RDMA_PORT[2]} rxe9/1 group g0"))
    lab.check("a", f"{R} config apply /tmp/third.conf")
    g = group(lab)
    assert g.get("waiting") == ["rxe9/1"] and "rxe9/1" not in g["ports"], g
    assert lab.check("a", f"{R} config diff /tmp/third.conf").strip() == ""
    lab.check("a", "rdma link add rxe9 type rxe netdev vc0")
    lab.wait_for("a", f"{R} -j group show g0 | grep -q '\"rxe9/1\"' && ! {R} -j group show g0 | grep -q waiting",
                 timeout=30)
    assert "rxe9/1" in group(lab)["ports"], group(lab)
    lab.check("a", f"{R} config apply {CONF} && rdma link del rxe9 && ip link del vc0")
    assert group(lab)["ports"] == [RDMA_PORT[1], RDMA_PORT[2]], group(lab)


def steps(tap, lab):
    tap.run("setup: A's ports addressed, rdmaip not loaded, a configuration file", setup, lab)
    tap.run("boot: modprobe and rdmaipctl -force config apply (the unit's commands) make the group",
            test_boot_apply, lab)
    tap.run("round trip: config show prints a file that applies to nothing", test_round_trip, lab)
    tap.run("idempotent: applying the same file again sends nothing and moves nothing", test_apply_twice, lab)
    tap.run("changed file: a setting and a new group applied, no address moved; and back", test_changed_file, lab)
    tap.run("bad line: refused with file, line and word, nothing applied, even with -force", test_bad_line, lab)
    tap.run("netdev names: ports named by netdev in a file and on the command line are their RDMA ports;"
            " an unknown netdev is refused naming it, nothing applied", test_netdev_names, lab)
    tap.run("waiting port: a port not there yet waits in its group and joins when its device appears",
            test_waiting_port, lab)


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
