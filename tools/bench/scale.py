#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Failover scaling benchmark: how the failover's times grow with the
number of addresses in a group and of rdma_cm ids bound to them, in one
lab run.

Node A: group g0 of rxe0/1 (eth0, NIC 1) and rxe1/1 (eth1, NIC 2),
failback delay 1 s. For each address count N (default 1, 10, 100, 1000)
node A gets N more IPv4 addresses on eth0 (10.50.<i / 250>.<i % 250 +
1>/32, next to the lab's own 10.1.0.1/24; rdmaip homes them all on
rxe0/1). For each id count M (default 10, 100, 1000, 10000) the test
module rdmaip_cmtest (selftests/cmtest) holds M rdma_cm ids on node A,
spread round-robin over the N test addresses (over at most 200 of them,
the first whose RoCE v2 GID on rxe0 rdma_cm can bind and connect from;
see ID_ADDRS): C = min(M, 100) of them connected to a listener of the
module on node B (10.1.0.2; node B routes 10.50.0.0/16 on-link through
eth0), the rest bound (port 0). Node B runs rdmaip with no group (peer
notification): its C accepted ids are connected to A's moved addresses.
The ids grow in place (10, then 100, 1000, 10000); they are all destroyed
before the addresses grow (so that the new addresses get GID entries the
ids held) and made again after. Connections are counted before the bound
ids are added: the module's `ids` report of 10000 ids is megabytes of
text, read under emulation.

Each combination cuts node A's NIC 1 (QMP set_link), waits until every
address has moved and node B has told its ids, restores NIC 1 and waits
for the failback before the next one (--rounds cuts per combination,
the median printed). Times are in milliseconds from the
port event (the start of the move, as rdmaip records it: each addr-moved
event's time minus its latency-us), in node A's clock; node B's times are
converted with its offset from node A's clock, measured over UDP (NIC 2)
right before each cut (best round trip of 30, printed):

- A live: the last test address's RTM_NEWADDR on eth1 (an `ip -ts monitor
  address` on node A: when the address was live on its new port);
- A CM: the smallest latency-us of the pass's addr-moved events: rdmaip
  reports the moves of a pass after it delivered RDMA_CM_EVENT_ADDR_CHANGE
  to every id, and takes each move's latency as it reports it, so the
  first one is the time to the last local event delivered (upper bound);
  "A deliv" is the delivery stage alone (cm-delivery-us), "A told" the
  ids told (sum of cm-ids-notified, expected M), "A report" the spread
  of the latencies: the time the kernel log lines and monitor events of
  the pass took after that;
- B CM: the latest remote-move event on node B (reported after the ids
  of that neighbour update were told), "B told" the ids told there
  (expected C).

Below the table, the growth check: for each step of 10x in N or M, the
marginal cost per added address or id; linear growth keeps it flat or
falling, worse than linear makes it rise with the size.

Both monitors (rdmaipctl -j monitor) and the ip monitor run with
net.core.rmem_default raised to 8 MiB in the guests, so that 1000 events
of one pass do not overrun their sockets (overruns are reported).

This is a measurement, not a test: it prints a table and exits 0 unless
the lab itself fails (or a kernel reported a problem). The lab runs under
TCG (software-emulated CPUs), on a 2-core host usually shared with other
labs (the host's load average is printed): absolute numbers are far
slower than on hardware, and only compare within one run.

    tools/bench/scale.py [--addrs 1,10,100,1000] [--ids 10,100,1000,10000]
                         [--connected 100] [--rounds R] [--timeout S]

The same file holds the guest-side helper (--guest ctl ...), run in the
VMs by /usr/bin/python3 from the shared repository.
"""

import argparse
import calendar
import json
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SELF = os.path.abspath(__file__)
FAILOVER_PY = os.path.join(ROOT, "tools", "bench", "failover.py")
sys.path.insert(0, os.path.join(ROOT, "selftests", "lab"))
from rdmaiplab.paths import RDMAIPCTL as R  # noqa: E402
from rdmaiplab.topology import ADDR, NETDEV, NODES, RDMA_PORT  # noqa: E402

D = "/sys/kernel/debug/rdmaip_cmtest"
NET = "10.50"            # node A's test addresses
LISTEN_PORT = 7600       # node B's listener
UDP_PORT = 7176          # node A's clock responder (failover.py's udp-echo)
MON = "/tmp/scale-monitor.json"
IPMON = "/tmp/scale-ipmon.log"
RMEM = 8 << 20
GUEST_PY = f"/usr/bin/python3 {SELF} --guest"
ID_ADDRS_FILE = "/tmp/scale-id-addrs"
RXE0_PORT = "/sys/class/infiniband/rxe0/ports/1"
# rxe's GID table has 1024 entries and every IPv4 address takes two (RoCE
# v1 and v2): past about 510 addresses on a port the rest get no GID, and
# rdma_cm cannot bind ids to them (ENODEV). Which addresses miss out
# depends on the order of ib_core's GID work, not on the order they were
# added in, and an entry that an id still refers to stays taken after its
# address left, until the id goes; an address that moves away and back
# while ids hold its old entry gets new entries, wherever the table has
# room.
#
# Only the first 256 entries can carry a connection: an address handle's
# GRH keeps the source GID's index in a u8 (struct ib_global_route's
# sgid_index), and rdma_check_ah_attr() refuses the CM's address handle
# (-EINVAL from rdma_create_ah(), so rdma_connect() fails right after
# ROUTE_RESOLVED) when the GID entry's real index differs from it. Ids are
# spread over at most this many test addresses, the first ones whose RoCE
# v2 GID on rxe0 (the one rdma_cm binds by) sits below that index when the
# ids are made.
ID_ADDRS = 200
CM_GID_INDEXES = 256


def test_addr(i):
    return f"{NET}.{i // 250}.{i % 250 + 1}"


# ---------------------------------------------------------------------------
# Guest side (node A). Standard library only.

def guest_pick(argv):
    """`N LIMIT`: writes to ID_ADDRS_FILE the first LIMIT of the N test
    addresses that have a RoCE v2 GID on rxe0/1 below CM_GID_INDEXES, one
    per line, and prints how many it found and how many of the N it
    looked at."""
    n, limit = int(argv[0]), int(argv[1])
    v2 = set()
    for idx in os.listdir(f"{RXE0_PORT}/gids"):
        if int(idx) >= CM_GID_INDEXES:
            continue
        with open(f"{RXE0_PORT}/gids/{idx}") as f:
            gid = f.read().strip()
        if not gid.startswith("0000:0000:0000:0000:0000:ffff:"):
            continue
        try:
            with open(f"{RXE0_PORT}/gid_attrs/types/{idx}") as f:
                if f.read().strip() != "RoCE v2":
                    continue
        except OSError:  # the entry went away meanwhile
            continue
        hi, lo = (int(x, 16) for x in gid.split(":")[-2:])
        v2.add(f"{hi >> 8}.{hi & 255}.{lo >> 8}.{lo & 255}")
    picked, looked = [], 0
    for i in range(n):
        if len(picked) == limit:
            break
        looked += 1
        if test_addr(i) in v2:
            picked.append(test_addr(i))
    with open(ID_ADDRS_FILE, "w") as f:
        f.write("".join(a + "\n" for a in picked))
    print(f"{len(picked)} {looked}")


def guest_ctl(argv):
    """`bind PREFIX FIRST COUNT` or `connect PREFIX FIRST COUNT DST PORT`:
    ids PREFIX<i>, i from FIRST, on address i % K of the K in
    ID_ADDRS_FILE (guest_pick), one write to the module's control file
    each. Prints "<ok> <failed> <seconds> <first error>"."""
    kind, prefix, first, count = argv[0], argv[1], int(argv[2]), int(argv[3])
    with open(ID_ADDRS_FILE) as f:
        srcs = f.read().split()
    if not srcs:
        print(f"0 {count} 0 no_test_address_with_a_RoCE_v2_GID")
        return
    fd = os.open(f"{D}/control", os.O_WRONLY)
    failed, why = 0, "-"
    t = time.monotonic()
    for i in range(first, first + count):
        src = srcs[i % len(srcs)]
        cmd = (f"bind {prefix}{i} {src}" if kind == "bind"
               else f"connect {prefix}{i} {src} {argv[4]} {argv[5]}")
        try:
            os.write(fd, cmd.encode())
        except OSError as e:
            failed += 1
            why = f"{cmd}:{e.strerror}".replace(" ", "_")
    print(f"{count - failed} {failed} {time.monotonic() - t:.3f} {why}")


GUEST_ROLES = {"ctl": guest_ctl, "pick": guest_pick}


# ---------------------------------------------------------------------------
# Host side.

def spawn(lab, node, cmd, log):
    out = lab.check(node, f"setsid {cmd} > {log} 2>&1 < /dev/null & echo $!")
    return int(out.split()[-1])


class Scale:
    def __init__(self, lab, args):
        self.lab, self.args = lab, args
        self.naddrs = 0      # test addresses on node A
        self.conns = 0       # connected ids (c0...)
        self.bound = 0       # bound ids (b0...)
        self.notes = []
        self.id_addrs = 0    # test addresses the ids are spread over

    def log(self, msg):
        print(f"bench: {msg}", flush=True)

    def ctl(self, node, cmd):
        self.lab.check(node, f"echo '{cmd}' > {D}/control")

    def lines(self, node, path):
        return int(self.lab.check(node, f"wc -l < {path}").strip())

    def events(self, node, since):
        out = self.lab.check(node, f"tail -n +{since + 1} {MON}", timeout=120)
        return [json.loads(l) for l in out.splitlines() if l.startswith("{")]

    # ---- setup -------------------------------------------------------------

    def setup(self):
        from rdmaiplab.nodes import setup_nic
        lab = self.lab
        for node in NODES:
            setup_nic(lab, node, 1)
            setup_nic(lab, node, 2)
            lab.check(node, f"sysctl -qw net.core.rmem_max={2 * RMEM} net.core.rmem_default={RMEM} && "
                            "modprobe rdmaip_cmtest && modprobe rdmaip")
            spawn(lab, node, f"{R} -j monitor", MON)
        lab.check("b", f"ip route add {NET}.0.0/16 dev {NETDEV[1]}")
        spawn(lab, "a", "env TZ=UTC ip -ts -4 monitor address", IPMON)
        spawn(lab, "a", f"/usr/bin/python3 {FAILOVER_PY} --guest udp-echo {UDP_PORT}", "/tmp/scale-udp-echo.log")
        for nic in (1, 2):
            lab.wait_for("a", f"rdma link show {RDMA_PORT[nic]} | grep -q 'state ACTIVE'", timeout=60)
        # The module sees the ports come up asynchronously: retry the join.
        lab.wait_for("a", f"{R} group show g0 >/dev/null 2>&1 || {R} group add g0 failback-delay 1s",
                     timeout=30)
        lab.wait_for("a", f"{R} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0", timeout=30, interval=0.5)
        self.ctl("b", f"listen BL {ADDR['b', 1]} {LISTEN_PORT}")

    def set_addrs(self, n):
        """N test addresses on node A's eth0 (only grows), known to rdmaip."""
        if n > self.naddrs:
            self.lab.check("a", f"for i in $(seq {self.naddrs} {n - 1}); do "
                                f"echo \"addr add {NET}.$((i / 250)).$((i % 250 + 1))/32 dev {NETDEV[1]}\"; "
                                f"done | ip -batch -", timeout=300)
            self.naddrs = n
        self.lab.wait_for("a", f"[ $({R} addr show group g0 | grep -c 'addr {NET}\\.') -eq {n} ]",
                          timeout=120, interval=0.5)
        # rdma_cm finds an address's device by its GID: wait until rxe0's
        # GID table stops changing (at most a minute).
        self.lab.check("a", "p=-1; for i in $(seq 30); do "
                            "c=$(grep -v -e '^0000:0000:0000:0000:0000:0000:0000:0000' "
                            "/sys/class/infiniband/rxe0/ports/1/gids/* | wc -l); "
                            "[ \"$c\" = \"$p\" ] && break; p=$c; sleep 2; done", timeout=120)

    def drop_ids(self):
        """No ids on either node but node B's listener. Called before new
        addresses are added: a GID entry that an id holds stays taken
        after its address moved away (and the address gets a new entry
        when it moves back), so the new addresses can only have the low
        GID indexes that rdma_cm can use (see CM_GID_INDEXES) once the old
        ids are gone."""
        for node in NODES:
            self.ctl(node, "reset")
        self.ctl("b", f"listen BL {ADDR['b', 1]} {LISTEN_PORT}")
        self.conns = self.bound = self.a_conn = self.b_conn = 0

    def pick_id_addrs(self, n):
        """The ids to come will use the first ID_ADDRS of the N test
        addresses that have a RoCE v2 GID on rxe0 that the CM can use
        (guest_pick)."""
        found, looked = (int(x) for x in self.lab.check("a", f"{GUEST_PY} pick {n} {ID_ADDRS}").split()[:2])
        if found < min(n, ID_ADDRS):
            self.notes.append(f"N={n}: {looked - found} of the first {looked} test addresses had no "
                              f"RoCE v2 GID on rxe0 below index {CM_GID_INDEXES}; ids use the {found} that had")
            self.log(self.notes[-1])
        self.id_addrs = found

    def grow_ids(self, n, m):
        """M ids on node A (C = min(M, connected) of them connected to B),
        spread over the addresses pick_id_addrs() picked."""
        c = min(m, self.args.connected)
        if c > self.conns:
            out = self.lab.check("a", f"{GUEST_PY} ctl connect c {self.conns} {c - self.conns} "
                                      f"{ADDR['b', 1]} {LISTEN_PORT}", timeout=600)
            self.log(f"connect: {out.strip()}")
            self.conns = c
            try:
                self.lab.wait_for("a", f"[ $(grep -c '^c[0-9]* state=connected' {D}/ids) -ge {c} ]",
                                  timeout=120, interval=1)
                self.lab.wait_for("b", f"[ $(grep -c '^BL.child[0-9]* state=connected' {D}/ids) -ge {c} ]",
                                  timeout=60, interval=1)
            except Exception:
                self.notes.append(f"N={n} M={m}: not all {c} connections connected within 2 minutes")
                self.log(self.notes[-1])
                self.log_unconnected()
            self.count_connected()
        b = m - c
        if b > self.bound:
            out = self.lab.check("a", f"{GUEST_PY} ctl bind b {self.bound} {b - self.bound}",
                                 timeout=1800)
            self.log(f"bind: {out.strip()}")
            ok, failed = out.split()[:2]
            if int(failed):
                self.notes.append(f"N={n} M={m}: {failed} binds failed: {out.strip()}")
            self.bound = b
        return self.a_conn, self.b_conn

    def log_unconnected(self):
        """Evidence for connections that did not complete: the ids that are
        not connected (state and events) on node A, the listener and its
        children on node B, node A's RoCE GID entries and node B's
        neighbour entry for each address involved, node A's kernel log."""
        lab = self.lab
        out = lab.exec("a", f"grep '^c[0-9]* ' {D}/ids | grep -v 'state=connected' | head -20")[1]
        self.log("node A, ids not connected:\n" + out.rstrip())
        srcs = sorted({m.group(1) for m in re.finditer(r"addr=(\d+\.\d+\.\d+\.\d+)", out)})
        out = lab.exec("b", f"grep '^BL' {D}/ids | grep -v 'state=connected' | head -20")[1]
        self.log("node B, listener and children not connected:\n" + out.rstrip())
        for src in srcs[:10]:
            hexip = "".join(f"{int(o):02x}" for o in src.split("."))
            gids = lab.exec("a", "grep -l -i ':%s:%s$' /sys/class/infiniband/rxe0/ports/1/gids/* | wc -l"
                            % (hexip[:4], hexip[4:]))[1].strip()
            neigh = lab.exec("b", f"ip neigh show {src}")[1].strip() or "(no entry)"
            self.log(f"{src}: GID entries on rxe0 {gids}; node B's neighbour: {neigh}")
        self.log("node A's kernel log, last lines:\n" +
                 lab.exec("a", "dmesg | tail -n 15")[1].rstrip())

    def log_untold(self, remote):
        """Evidence for node B's connected ids that were not told: the
        remote addresses no remote-move event of the cut named, node B's
        neighbour entry and its kernel log's remote moves for some of them,
        its peer counters."""
        lab = self.lab
        named = {e.get("addr") for e in remote}
        out = lab.exec("b", f"grep '^BL.child' {D}/ids | grep 'state=connected'")[1]
        untold = sorted({mt.group(1) for mt in re.finditer(r"peer=(\d+\.\d+\.\d+\.\d+):", out)} - named)
        self.log(f"node B: {len(untold)} remote addresses of connected ids with no remote-move event: "
                 + " ".join(untold[:20]))
        for ip in untold[:5]:
            neigh = lab.exec("b", f"ip -s neigh show {ip}")[1].strip() or "(no entry)"
            moves = lab.exec("b", f"dmesg | grep 'remote {ip} ' | tail -n 4")[1].rstrip()
            self.log(f"{ip}: node B's neighbour: {neigh}\n{moves}")
        self.log("node B: " + lab.exec("b", f"{R} -j module show")[1].strip())

    def count_connected(self):
        """Connected ids on A and on B, read while the tables are small
        (the module's `ids` report of 10000 ids is megabytes)."""
        self.a_conn = int(self.lab.check("a", f"grep -c '^c[0-9]* state=connected' {D}/ids || true")
                          .strip() or 0)
        self.b_conn = int(self.lab.check("b", f"grep -c '^BL.child[0-9]* state=connected' {D}/ids || true")
                          .strip() or 0)

    def clock_offset(self):
        """Node A's clock minus node B's (s), and the round trip (s)."""
        out = self.lab.check("b", f"/usr/bin/python3 {FAILOVER_PY} --guest clock-offset "
                                  f"{ADDR['a', 2]} {UDP_PORT} 30", timeout=120)
        off, rtt = out.split()[-2:]
        return float(off), float(rtt)

    # ---- one combination ---------------------------------------------------

    def wait_count(self, node, since, pattern, want, timeout):
        """Waits until `want` lines matching `pattern` follow line `since` of
        the node's monitor log; False on timeout."""
        try:
            self.lab.wait_for(node, f"[ $(tail -n +{since + 1} {MON} | grep -c '{pattern}') -ge {want} ]",
                              timeout=timeout, interval=0.5)
            return True
        except Exception:
            return False

    def measure(self, n, m, a_conn, b_conn):
        lab, timeout = self.lab, self.args.timeout
        moves = n + 1  # the test addresses and the lab's own 10.1.0.1
        peer_moves = min(self.id_addrs, b_conn)  # B: one remote move per address its ids use
        a0, b0 = self.lines("a", MON), self.lines("b", MON)
        i0 = self.lines("a", IPMON)
        off, rtt = self.clock_offset()
        load = os.getloadavg()[0]
        lab.link("a", 1, False)
        a_done = self.wait_count("a", a0, '"failover"', moves, timeout)
        b_done = self.wait_count("b", b0, '"remote-move"', peer_moves, min(timeout, 120))
        time.sleep(1)
        ev_a, ev_b = self.events("a", a0), self.events("b", b0)
        ipmon = lab.check("a", f"tail -n +{i0 + 1} {IPMON}", timeout=120)
        # Failback (node B's ids, whose path leads home again, are not
        # told), then the announcements' end (3 x 300 ms).
        lab.link("a", 1, True)
        back = self.wait_count("a", a0 + len(ev_a), '"failback"', moves, timeout + 60)
        if not back:
            self.notes.append(f"N={n} M={m}: failback incomplete after {timeout + 60} s")
        time.sleep(2)

        moved = [e for e in ev_a if e.get("event") == "addr-moved" and e.get("move_reason") == "failover"]
        res = dict(n=n, m=m, a_conn=a_conn, b_conn=b_conn, load=load, rtt=rtt, moved=len(moved),
                   complete=a_done and b_done)
        if not moved:
            self.notes.append(f"N={n} M={m}: no addr-moved event on node A")
            return res
        t0 = min(e["time_ns"] / 1e9 - e["latency_us"] / 1e6 for e in moved)
        # Each move's latency-us is taken as it is reported (kernel log line,
        # monitor notification), one after the other, after the pass's
        # delivery: the first is when the last id was told, their spread is
        # the time the reporting itself took.
        res["a_cm"] = min(e["latency_us"] for e in moved) / 1e3
        res["a_report"] = max(e["latency_us"] for e in moved) / 1e3 - res["a_cm"]
        # One delivery per pass: the distinct (time, delivery) pairs.
        passes = {(e["time_ns"], e.get("cm_delivery_us", 0)) for e in moved}
        res["a_deliv"] = sum(us for _, us in passes) / 1e3
        res["passes"] = len(passes)
        res["a_told"] = sum(e.get("cm_ids_notified", 0) for e in moved)
        live = []
        for line in ipmon.splitlines():
            mt = re.match(r"\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\]\s+\d+:\s+(\S+)\s+inet\s+(\S+)", line)
            if mt and mt.group(3) == NETDEV[2] and mt.group(4).startswith(NET + "."):
                t = calendar.timegm(time.strptime(mt.group(1), "%Y-%m-%dT%H:%M:%S")) + int(mt.group(2)) / 1e6
                live.append(t)
        res["a_live"] = (max(live) - t0) * 1e3 if len(live) >= n else None
        # Time per move in the first and the second half of the pass: the
        # same if a move costs the same however many came before it.
        live.sort()
        if len(live) >= 10:
            h = len(live) // 2
            res["half1"] = (live[h] - live[0]) * 1e3 / h
            res["half2"] = (live[-1] - live[h]) * 1e3 / (len(live) - 1 - h)
        res["live_seen"] = len(live)
        remote = [e for e in ev_b if e.get("event") == "remote-move"]
        res["b_moves"] = len(remote)
        res["b_told"] = sum(e.get("cm_ids_notified", 0) for e in remote)
        if remote:
            res["b_cm"] = (max(e["time_ns"] / 1e9 for e in remote) + off - t0) * 1e3
            res["b_neigh"] = max(e.get("neigh_latency_us", 0) for e in remote) / 1e3
        # Node B's IPv4 neighbour entries on NIC 1: past 128 (gc_thresh1) the
        # kernel collects entries unused for 60 s, idle connections' too.
        res["b_neigh_entries"] = int(lab.exec("b", f"ip -4 neigh show dev {NETDEV[1]} | wc -l")[1].strip() or 0)
        lost = lab.exec("a", f"grep -c 'events lost' {MON}")[1].strip() + "/" + \
            lab.exec("b", f"grep -c 'events lost' {MON}")[1].strip()
        if lost != "0/0":
            self.notes.append(f"N={n} M={m}: monitor overruns (A/B, whole run so far): {lost}")
        if not b_done:
            self.log_untold(remote)
        if not res["complete"]:
            self.notes.append(f"N={n} M={m}: incomplete within {timeout} s: A {len(moved)}/{moves} moves, "
                              f"B {len(remote)}/{peer_moves} remote moves")
        return res


def median(rounds):
    """One result per combination: the median of each time over its rounds
    (of those that have it), the counts of the last round."""
    r = dict(rounds[-1])
    for k in ("a_live", "a_cm", "a_deliv", "a_report", "b_cm", "b_neigh", "half1", "half2"):
        vals = [x[k] for x in rounds if x.get(k) is not None]
        r[k] = statistics.median(vals) if vals else None
    r["rtt"] = max(x["rtt"] for x in rounds)
    return r


def ms(v, width=9):
    return f"{v:{width}.0f}" if v is not None else f"{'-':>{width}}"


def growth(results, key, by, fixed):
    """Marginal cost per item (us) of `key` along `by` ("n" or "m"), for each
    value of the other dimension."""
    lines = []
    for f in sorted({r[fixed] for r in results}):
        row = sorted((r for r in results if r[fixed] == f and r.get(key) is not None), key=lambda r: r[by])
        steps = []
        for lo, hi in zip(row, row[1:]):
            steps.append(f"{lo[by]}->{hi[by]}: {(hi[key] - lo[key]) * 1e3 / (hi[by] - lo[by]):+.0f}")
        if steps:
            lines.append(f"  {fixed}={f}: " + ", ".join(steps))
    return lines


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--guest":
        GUEST_ROLES[sys.argv[2]](sys.argv[3:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--addrs", default="1,10,100,1000", help="address counts (default 1,10,100,1000)")
    ap.add_argument("--ids", default="10,100,1000,10000", help="rdma_cm id counts (default 10,100,1000,10000)")
    ap.add_argument("--connected", type=int, default=100, help="connected ids at most (default 100)")
    ap.add_argument("--rounds", type=int, default=1, help="cuts per combination (median; default 1)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds to wait for one failover (default 300)")
    args = ap.parse_args()
    addrs = [int(x) for x in args.addrs.split(",")]
    id_counts = sorted(int(x) for x in args.ids.split(","))

    from rdmaiplab.lab import Lab, exit_status

    started = time.monotonic()
    load0 = os.getloadavg()
    results = []
    with Lab() as lab:
        s = Scale(lab, args)
        s.setup()
        for n in sorted(addrs):
            s.drop_ids()
            s.set_addrs(n)
            s.pick_id_addrs(n)
            for m in id_counts:
                a_conn, b_conn = s.grow_ids(n, m)
                s.log(f"N={n} M={m}: {a_conn} connected on A, {b_conn} on B; cutting NIC 1 "
                      f"(host load {os.getloadavg()[0]:.1f})")
                rounds = []
                for i in range(args.rounds):
                    r = s.measure(n, m, a_conn, b_conn)
                    s.log(f"round {i + 1}: " + " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                                        for k, v in r.items()))
                    rounds.append(r)
                results.append(median(rounds))
        problems = lab.problems_kept()

    print("\nFailover scaling: node A's NIC 1 cut, N addresses moved (plus the lab's own), M rdma_cm ids "
          "bound to them on node A (C connected to node B); ms from the port event, median of "
          f"{args.rounds} round(s) (QEMU TCG lab)\n")
    print(f"{'addrs':>6} {'ids':>6} {'conn A/B':>9} {'A live':>9} {'A CM':>9} {'A deliv':>9} "
          f"{'A report':>9} {'A told':>7} {'B CM':>9} {'B told':>7} {'load':>5}")
    for r in results:
        print(f"{r['n']:6} {r['m']:6} {r['a_conn']:>4}/{r['b_conn']:<4} {ms(r.get('a_live'))} "
              f"{ms(r.get('a_cm'))} {ms(r.get('a_deliv'))} {ms(r.get('a_report'))} {r.get('a_told', 0):7} "
              f"{ms(r.get('b_cm'))} {r.get('b_told', 0):7} {r['load']:5.1f}")
    print("\nGrowth: marginal cost per added address (us), by id count:")
    for key, name in (("a_live", "A live"), ("a_cm", "A CM"), ("a_report", "A report"), ("b_cm", "B CM")):
        print(f" {name}:")
        for line in growth(results, key, "n", "m"):
            print(line)
    print("Growth: marginal cost per added id (us), by address count:")
    for key, name in (("a_cm", "A CM"), ("a_deliv", "A deliv")):
        print(f" {name}:")
        for line in growth(results, key, "m", "n"):
            print(line)
    print("Time per move within the pass (ms; node A's ip monitor, first half / second half of the moves):")
    for r in results:
        if r.get("half1") is not None:
            print(f"  N={r['n']} M={r['m']}: {r['half1']:.1f} / {r['half2']:.1f}")
    rtts = [r["rtt"] for r in results]
    print(f"""
A live:  last test address's RTM_NEWADDR on eth1 (node A's ip monitor)
A CM:    first addr-moved latency-us of the pass (reported right after its ADDR_CHANGE delivery)
A deliv: the pass's cm-delivery-us; A told: sum of cm-ids-notified (expected M)
A report: spread of the addr-moved latencies: reporting the moves (log line and event each)
B CM:    latest remote-move event on node B, in node A's clock; B told: ids told (expected C)
clock offset B->A over UDP before each cut: round trips {min(rtts) * 1e3:.1f}-{max(rtts) * 1e3:.1f} ms
host load average (1 min): {load0[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end; 2 cores shared with other labs
run time: {time.monotonic() - started:.0f} s""")
    for note in s.notes:
        print(f"note: {note}")
    return exit_status(problems)


if __name__ == "__main__":
    sys.exit(main())
