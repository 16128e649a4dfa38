#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Failover benchmark: rdmaip against Linux bonding, in one lab run.

For each setup, node A's NIC 1 is cut from the host (QMP set_link) while
node B keeps opening new RDMA CM connections to A's address 10.1.0.1, and
the benchmark reports, in milliseconds from the cut:

- detect: the port (rdmaip port-down event) or slave (bonding's "link
          status definitely down") reported down on node A;
- live:   the address usable on the surviving port (rdmaip's addr-moved
          event; for bonding, "making interface the new active one");
- conn:   the first new RDMA CM connection from B, started after the cut,
          that reaches ESTABLISHED.

Setups: rdmaip (group of rxe0 on NIC 1 and rxe1 on NIC 2), and an
active-backup bond over both NICs with rxe on the bond, with miimon=100
(the usual setting) and miimon=10. Each setup runs --rounds rounds
(median, min and max are printed). A baseline row applies the same "first
new connection after an instant" measurement to instants where nothing
was cut: it is the measurement's own granularity.

How it measures. The guests' clocks run at the host's TSC rate but start
from the emulated CMOS clock, so they are seconds apart: every time is
converted to the host's clock.

- The cut is the host's QMP set_link command (the middle of its round
  trip, which is printed; the QMP session is opened before it).
- Offsets: right before each cut, the host measures each guest's clock
  minus its own over the lab network (UDP from the lab's namespace, with
  an address on switch 1 for the time of it, to a responder in each
  guest; the best of 30 round trips, within half of it, printed).
- rdmaip's times come from its monitor events (rdmaipctl -j monitor),
  bonding's from node A's kernel log (/dev/kmsg, converted to wall-clock
  time with a marker record written at the time of reading).
- Node B's client is one long-lived process (librdmacm through ctypes):
  it starts a new connection every --interval seconds (several may be in
  flight), gives each up after --attempt-timeout seconds, closes it as
  soon as it is ESTABLISHED and logs start, end and outcome of each. Node
  A's server, the same way, accepts every connection on every address
  (RC QPs, nothing sent). No process starts per attempt, so the
  granularity is the interval plus the connect time, both printed; the
  baseline row measures it the way the rounds measure the failover.

This is a measurement, not a test: it prints numbers and exits 0 unless
the lab itself fails (or a kernel reported a problem). The lab runs under
TCG (software-emulated CPUs), so absolute numbers are far slower than on
hardware; compare the rows with each other.

    tools/bench/failover.py [--rounds N] [--interval S] [--attempt-timeout S] [--cut link|gray]

With --cut gray, the cut is a gray failure instead: the lab's switch drops
every frame of node A's NIC 1 while its carrier stays up (Lab.gray). The
setups are then rdmaip with path probing at its defaults (targets: node B's
two addresses), rdmaip without probing (one round: it never fails over,
nothing reports the path down), rdmaip with 2 misses instead of 3 (as
bonding's default arp_missed_max), and bonding's ARP monitor (active-backup,
arp_interval 100 ms, arp_validate all, arp_ip_target node B's address on
switch 1: the same probe rate and peer).

The same file holds the small guest-side helpers (--guest ROLE), run in
the VMs by /usr/bin/python3 from the shared repository.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SELF = os.path.abspath(__file__)
# Host and guests share the repository: the lab's library and helpers are
# importable on both sides (in the guests, only what imports nothing heavy).
sys.path.insert(0, os.path.join(ROOT, "selftests", "lab"))
from librdmacm import RdmaCm  # noqa: E402
from rdmaiplab.paths import RDMAIPCTL as R  # noqa: E402
from rdmaiplab.topology import ADDR as LAB_ADDR, NETDEV, NODES, RDMA_PORT, RXE  # noqa: E402

ADDR = LAB_ADDR["a", 1]
CM_PORT = 7174         # node A's RDMA CM server
UDP_PORT = 7175        # clock offset responder on both nodes
B_ADDR = LAB_ADDR["b", 1]
HOST_ADDR = "10.1.0.254"  # the host, on switch 1, while it measures clock offsets
GUEST_PY = f"/usr/bin/python3 {SELF} --guest"
# The non-zero, non-link-local GIDs of every RDMA port (diagnostics; one
# process: a loop over the 1024 GID files took over a minute under TCG).
GIDS = ("grep -H -v -e '^0000:0000:0000:0000:0000:0000:0000:0000' -e '^fe80' "
        "/sys/class/infiniband/*/ports/*/gids/* 2>/dev/null")


# ---------------------------------------------------------------------------
# Guest side (node A and B). Standard library (and selftests/lab) only.

def guest_cm_server(argv):
    """Node A: accepts every RDMA CM connection on port `port` of every
    address (RC QP, nothing sent); the peer disconnects at once. Ids whose
    peer vanished are destroyed after a while. Prints counters every 5 s."""
    port = int(argv[0])
    cm = RdmaCm()
    lid = cm.new_id()
    if lid is None or cm.lib.rdma_bind_addr(lid, cm.ct.byref(cm.sockaddr("0.0.0.0", port))) \
            or cm.lib.rdma_listen(lid, 64):
        sys.exit(f"listen: {cm.err()}")
    print(f"listening on port {port}", flush=True)
    conns = {}  # id -> [since, has_qp]
    n = dict(requests=0, established=0, failed=0, swept=0)
    errors = {}
    last = time.monotonic()

    def drop(cid):
        _, has_qp = conns.pop(cid)
        cm.destroy(cid, has_qp)

    def error(what):
        errors[what] = errors.get(what, 0) + 1

    while True:
        for cid, kind, status, _ in cm.events(1.0):
            if kind == cm.CONNECT_REQUEST:
                n["requests"] += 1
                conns[cid] = [time.monotonic(), False]
                if not cm.own_channel(cid):
                    error(f"migrate:{cm.err()}")
                    cm.lib.rdma_reject(cid, None, 0)
                    drop(cid)
                elif not cm.create_qp(cid):
                    error(f"create_qp:{cm.err()}")
                    cm.lib.rdma_reject(cid, None, 0)
                    drop(cid)
                else:
                    conns[cid][1] = True
                    if cm.lib.rdma_accept(cid, cm.ct.byref(cm.conn_param())):
                        error(f"accept:{cm.err()}")
                        drop(cid)
            elif cid in conns and kind == cm.ESTABLISHED:
                n["established"] += 1
            elif cid in conns:  # disconnected, or the connection failed
                if kind != cm.DISCONNECTED:
                    n["failed"] += 1
                    error(cm.name(kind))
                drop(cid)
            elif cid == lid:
                print(f"listener: {cm.name(kind)} {status}", flush=True)
        now = time.monotonic()
        for cid in [c for c, (since, _) in conns.items() if now - since > 30]:
            n["swept"] += 1
            drop(cid)
        if now - last >= 5:
            last = now
            print(f"{time.time():.3f} " + " ".join(f"{k} {v}" for k, v in n.items())
                  + f" open {len(conns)} errors {errors}", flush=True)


def guest_cm_client(argv):
    """Node B: opens new RDMA CM connections to ADDR for ever, one every
    `interval` seconds (several may be in flight), and logs one line per
    attempt when it ends: "<start> <end> ok|fail <why>" (wall clock); a
    connection counts when it is ESTABLISHED, and is closed at once."""
    addr, interval, attempt_timeout, log_path = argv[0], float(argv[1]), float(argv[2]), argv[3]
    max_pending = 8  # an overloaded server must not get ever more requests
    cm = RdmaCm()
    dst = cm.sockaddr(addr, CM_PORT)
    log = open(log_path, "a", buffering=1)
    ms = max(1, int(attempt_timeout * 1000))
    pending = {}  # id -> [start, has_qp, stage]

    def finish(cid, ok, why):
        start, has_qp, _ = pending.pop(cid)
        log.write(f"{start:.6f} {time.time():.6f} {'ok' if ok else 'fail'} {why}\n")
        if ok:
            cm.lib.rdma_disconnect(cid)
        cm.destroy(cid, has_qp)

    def start_one():
        start = time.time()
        cid = cm.new_id()
        if cid is None:
            log.write(f"{start:.6f} {time.time():.6f} fail create_id:{cm.err()}\n")
            return
        pending[cid] = [start, False, "addr"]
        if cm.lib.rdma_resolve_addr(cid, None, cm.ct.byref(dst), ms):
            finish(cid, False, f"resolve_addr:{cm.err()}")

    next_start = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_start:
            next_start = max(next_start + interval, now)
            if len(pending) < max_pending:
                start_one()
        wall = time.time()
        for cid in [c for c, p in pending.items() if wall - p[0] > attempt_timeout]:
            finish(cid, False, "timeout:" + pending[cid][2])
        for cid, kind, status, _ in cm.events(max(0.0, min(next_start - time.monotonic(), 0.05))):
            if cid not in pending:
                continue
            if kind == cm.ADDR_RESOLVED:
                pending[cid][2] = "route"
                if cm.lib.rdma_resolve_route(cid, ms):
                    finish(cid, False, f"resolve_route:{cm.err()}")
            elif kind == cm.ROUTE_RESOLVED:
                if not cm.create_qp(cid):
                    finish(cid, False, f"create_qp:{cm.err()}")
                    continue
                pending[cid][1:] = [True, "connect"]
                if cm.lib.rdma_connect(cid, cm.ct.byref(cm.conn_param())):
                    finish(cid, False, f"connect:{cm.err()}")
            elif kind == cm.ESTABLISHED:
                finish(cid, True, "established")
            else:
                finish(cid, False, f"{cm.name(kind)}:{status}")


def guest_udp_echo(argv):
    """Node A: answers each UDP datagram with its own wall clock."""
    import socket
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(argv[0])))
    while True:
        data, peer = s.recvfrom(64)
        s.sendto(data[:8] + struct.pack("!d", time.time()), peer)


def guest_clock_offset(argv):
    """Node B: prints "<offset> <rtt>": the peer's clock minus ours, from
    the round trip with the smallest time of `n`."""
    import socket
    import struct
    addr, port, n = argv[0], int(argv[1]), int(argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    best = None
    for i in range(n):
        t1 = time.time()
        s.sendto(struct.pack("!d", t1), (addr, port))
        try:
            while True:
                data = s.recv(64)
                t2 = time.time()
                if len(data) == 16 and struct.unpack("!d", data[:8])[0] == t1:
                    break
        except socket.timeout:
            continue
        peer = struct.unpack("!d", data[8:])[0]
        if best is None or t2 - t1 < best[1]:
            best = (peer - (t1 + t2) / 2, t2 - t1)
        time.sleep(0.01)
    if best is None:
        sys.exit("no answer")
    print(f"{best[0]:.6f} {best[1]:.6f}")


def guest_kmsg(argv):
    """Prints every kernel log record as "<wall clock> <message>": the
    record's timestamp (local_clock) is converted with a marker record
    written now."""
    marker = f"bench: kmsg clock marker {time.time()}"
    fd = os.open("/dev/kmsg", os.O_RDWR | os.O_NONBLOCK)
    t = time.time()
    os.write(fd, marker.encode() + b"\n")  # without it the record stays open
    records = []
    while True:
        try:
            rec = os.read(fd, 8192).decode(errors="replace")
        except BlockingIOError:
            break
        except OSError:  # EPIPE: a record was overwritten; keep going
            continue
        head, _, msg = rec.partition(";")
        records.append((int(head.split(",")[2]), msg.split("\n")[0]))
    base = next(us for us, msg in records if msg == marker)
    for us, msg in records:
        print(f"{t + (us - base) / 1e6:.6f} {msg}")


GUEST_ROLES = {"cm-client": guest_cm_client, "cm-server": guest_cm_server,
               "udp-echo": guest_udp_echo, "clock-offset": guest_clock_offset,
               "kmsg": guest_kmsg}


# ---------------------------------------------------------------------------
# Host side.

def spawn(lab, node, cmd, log):
    """Starts cmd in the background in its own session on node; returns its pid."""
    out = lab.check(node, f"setsid {cmd} > {log} 2>&1 < /dev/null & echo $!")
    return int(out.split()[-1])


def kill(lab, node, pid):
    lab.exec(node, f"kill -- -{pid} 2>/dev/null; kill {pid} 2>/dev/null; true")


class NotRestored(Exception):
    """A round's cut could not be undone (the setup is left as it is)."""

    def __init__(self, result, why):
        super().__init__(why)
        self.result = result


class ClientLog:
    """Node B's connection log, read incrementally: attempts as
    (start, end, ok, why) in node B's clock."""

    def __init__(self, lab, path):
        self.lab, self.path, self.size, self.partial, self.attempts = lab, path, 0, "", []

    def update(self):
        out = self.lab.check("b", f"tail -c +{self.size + 1} {self.path} 2>/dev/null; true")
        self.size += len(out.encode())
        data = self.partial + out
        lines = data.split("\n")
        self.partial = lines.pop()
        for line in lines:
            p = line.split(maxsplit=3)
            if len(p) >= 3:
                self.attempts.append((float(p[0]), float(p[1]), p[2] == "ok", p[3] if len(p) > 3 else ""))
        return self.attempts


def first_ok_after(attempts, t):
    """End of the first attempt started at or after t that succeeded."""
    ends = [end for start, end, ok, _ in attempts if ok and start >= t]
    return min(ends) if ends else None


class Bench:
    def __init__(self, lab, args):
        self.lab, self.args = lab, args
        self.client_pid = self.server_pid = None
        self.off = {}           # node -> its clock minus the host's (s)
        self.offsets = []       # (when, {node: (offset, round trip)})
        self.qmp = []           # how long the QMP set_link took (s)
        self.baseline = []      # first ok after an instant, nothing cut (s)
        self.gaps = []          # between successive successes, steady state (s)
        self.connect = []       # connect time of successful attempts, steady state (s)
        self.failed_steady = 0  # failed attempts in steady state
        self.steady_attempts = 0
        self.notes = []

    def log(self, msg):
        print(f"bench: {msg}", flush=True)

    def evidence(self, why):
        """A failed round: both nodes' state and logs (rdmaiplab's
        collect_evidence), the lab's run directory kept."""
        from rdmaiplab.evidence import collect_evidence
        try:
            collect_evidence(self.lab, why=why)
        except Exception as e:
            self.log(f"collecting evidence failed: {type(e).__name__}: {e}")

    def diag(self, node, cmd):
        """Output of a diagnostic command; never fails the run."""
        try:
            return self.lab.exec(node, cmd, timeout=30)[1].strip()
        except Exception as e:
            return f"({cmd}: {e})"

    # ---- node setup --------------------------------------------------------

    def start_common(self):
        from rdmaiplab.nodes import setup_nic
        for node in NODES:
            setup_nic(self.lab, node, 1)
            setup_nic(self.lab, node, 2)
        for node in NODES:
            spawn(self.lab, node, f"{GUEST_PY} udp-echo {UDP_PORT}", "/tmp/udp-echo.log")

    def start_server(self):
        # One listener on every device for the whole setup.
        self.server_pid = spawn(self.lab, "a", f"{GUEST_PY} cm-server {CM_PORT}", "/tmp/cm-server.log")
        self.wait(lambda: "listening" in self.lab.check("a", "cat /tmp/cm-server.log"), 180,
                  "node A's RDMA CM server did not start")

    def stop_server(self):
        if self.server_pid:
            kill(self.lab, "a", self.server_pid)
            self.server_pid = None

    def start_client(self, name):
        path = f"/tmp/cm-client-{name.split()[-1].replace('=', '')}.log"
        self.client_pid = spawn(self.lab, "b", f"{GUEST_PY} cm-client {ADDR} {self.args.interval} "
                                f"{self.args.attempt_timeout} {path}", path + ".err")
        self.client = ClientLog(self.lab, path)

    def stop_client(self):
        if self.client_pid:
            kill(self.lab, "b", self.client_pid)
            self.client_pid = None

    def measure_offsets(self, name):
        """Each node's clock minus the host's, measured over the lab network
        from the lab's namespace (same clock as the host): an address on
        switch 1 for the time of the measurement, UDP to each node's
        responder, the round trip with the smallest time of 30."""
        ns = ["ip", "netns", "exec", self.lab.netns]
        subprocess.run(["ip", "-n", self.lab.netns, "addr", "add", f"{HOST_ADDR}/24", "dev", "sw1"], check=True)
        try:
            offs = {}
            for node, addr in (("a", ADDR), ("b", B_ADDR)):
                p = subprocess.run(ns + [sys.executable, SELF, "--guest", "clock-offset", addr, str(UDP_PORT), "30"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
                if p.returncode != 0:
                    raise RuntimeError(f"clock offset of node {node}: {p.stdout}")
                off, rtt = (float(x) for x in p.stdout.split()[-2:])
                offs[node] = (off, rtt)
        finally:
            subprocess.run(["ip", "-n", self.lab.netns, "addr", "del", f"{HOST_ADDR}/24", "dev", "sw1"])
        self.off = {n: o for n, (o, _) in offs.items()}
        self.offsets.append((name, offs))
        return offs

    def unprobed_gray(self, hold=10):
        """rdmaip without probing, one gray cut: whether the address moved
        within `hold` seconds (it must not: nothing reports the path)."""
        self.lab.gray("a", 1, "both")
        time.sleep(hold)
        still = ADDR in self.lab.check("a", f"ip -br addr show dev {NETDEV[1]}")
        self.lab.gray("a", 1, None)
        return still

    def probe_on(self):
        """Path probing at its defaults (100 ms, 3 misses, 2 successes),
        targets node B's two addresses."""
        self.lab.check("a", f"{R} group set g0 probe-targets {B_ADDR},{LAB_ADDR['b', 2]}")

    def setup_rdmaip(self):
        from rdmaiplab.kernel_log import HEALTH_RE, wait_match
        from rdmaiplab.monitor import load_rdmaip
        load_rdmaip(self.lab, "a")
        for port in RDMA_PORT.values():
            wait_match(self.lab, "a", HEALTH_RE, port=port, new="UP", timeout=60)
        self.lab.check("a", f"{R} group add g0 failback-delay 1s && "
                            f"{R} port add {RDMA_PORT[1]} {RDMA_PORT[2]} group g0")
        self.monitor_pid = spawn(self.lab, "a", f"{R} -j monitor", "/tmp/monitor.json")

    def teardown_rdmaip(self):
        kill(self.lab, "a", self.monitor_pid)
        self.lab.check("a", f"{R} group del g0 && rmmod rdmaip && rdma link del {RXE[1]} && rdma link del {RXE[2]}")

    def setup_bond(self, miimon=None, arp_interval=None):
        # The ARP monitor's slaves are down until their first replies, and
        # active_slave refuses a slave that is down: primary picks NIC 1.
        monitor = (f"miimon {miimon}" if miimon else
                   f"arp_interval {arp_interval} arp_validate all arp_ip_target {B_ADDR} primary {NETDEV[1]}")
        self.lab.check("a", "modprobe bonding max_bonds=0 && "
                       f"ip addr flush dev {NETDEV[1]} && ip addr flush dev {NETDEV[2]} && "
                       f"ip link add bond0 type bond mode active-backup {monitor} && "
                       f"ip link set {NETDEV[1]} down && ip link set {NETDEV[2]} down && "
                       f"ip link set {NETDEV[1]} master bond0 && ip link set {NETDEV[2]} master bond0 && "
                       f"ip link set bond0 up && "
                       + (f"echo {NETDEV[1]} > /sys/class/net/bond0/bonding/active_slave && " if miimon else "") +
                       f"ip addr add {ADDR}/24 dev bond0 && rdma link add rxe2 type rxe netdev bond0")
        self.wait(lambda: "ACTIVE" in self.lab.check("a", "rdma link show rxe2/1"), 60, "rxe2 not ACTIVE")

    def teardown_bond(self):
        self.lab.check("a", "rdma link del rxe2 && ip link del bond0")

    # ---- rounds ------------------------------------------------------------

    def wait(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(what)
            time.sleep(0.5)

    def steady(self, since_b, min_s=4.0, timeout=120):
        """Waits until node B's connections work again after since_b (B's
        clock): the last 3 attempts succeeded, over at least min_s seconds
        of successes. Returns that window (B's clock), or None if it never
        came (noted; the round is still measured)."""
        deadline = time.monotonic() + timeout
        while True:
            att = sorted(a for a in self.client.update() if a[0] >= since_b)
            last_bad = max((i for i, a in enumerate(att) if not a[2]), default=-1)
            good = att[last_bad + 1:]
            if len(good) >= 3 and good[-1][1] - good[0][0] >= min_s:
                return good[0][0], good[-1][1]
            if time.monotonic() > deadline:
                tail = "\n".join(" ".join(map(str, a)) for a in att[-6:])
                self.notes.append(f"node B's connections not steady within {timeout}s before a cut; "
                                  f"last attempts:\n{tail}\nnode A's server: "
                                  + self.diag("a", "tail -1 /tmp/cm-server.log"))
                self.log(self.notes[-1])
                self.evidence(f"node B's connections not steady within {timeout}s")
                return None
            time.sleep(1)

    def record_baseline(self, t_from, t_to):
        """Steady-state statistics of the window [t_from, t_to] (B's clock)."""
        att = [a for a in self.client.attempts if t_from <= a[0] and a[1] <= t_to]
        oks = sorted(a for a in att if a[2])
        self.steady_attempts += len(att)
        self.failed_steady += len(att) - len(oks)
        self.connect += [a[1] - a[0] for a in oks]
        self.gaps += [b[1] - a[1] for a, b in zip(oks, oks[1:])]
        # The measurement of a round, at instants where nothing happened.
        for frac in (0.1, 0.25, 0.4):
            t = t_from + frac * (t_to - t_from)
            first = first_ok_after(att, t)
            if first is not None:
                self.baseline.append(first - t)

    def cut(self):
        """Cuts A's NIC 1 (or makes its path gray); returns the moment, in
        the host's clock. Every guest time is converted to it with offsets
        measured just before."""
        offs = self.measure_offsets("cut")
        if self.args.cut == "gray":
            t1 = time.time()
            self.lab.gray("a", 1, "both")
            t2 = time.time()
        else:
            t1, t2 = self.lab.link("a", 1, False)
        self.qmp.append(t2 - t1)
        self.log("cut; clocks: " + ", ".join(f"{n} {o * 1000:+.1f} ms (round trip {r * 1000:.1f} ms)"
                                             for n, (o, r) in offs.items()) + f"; QMP took {(t2 - t1) * 1000:.1f} ms")
        return (t1 + t2) / 2

    def restore(self):
        if self.args.cut == "gray":
            self.lab.gray("a", 1, None)
        else:
            self.lab.link("a", 1, True)

    def conn_after(self, t_cut, timeout=60):
        """Seconds from the cut to the first new connection started after it."""
        t_cut_b = t_cut + self.off["b"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = first_ok_after(self.client.update(), t_cut_b)
            if first is not None:
                return first - t_cut_b
            time.sleep(0.5)
        why = {}
        for a in self.client.attempts:
            if a[0] >= t_cut_b:
                why[a[3]] = why.get(a[3], 0) + 1
        try:
            fdb = subprocess.run(["bridge", "-n", self.lab.netns, "fdb", "show"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            fdb = str(e)
        self.notes.append(f"no new connection within {timeout}s of a cut; attempts since: {why}; "
                          "node A's server: " + self.diag("a", "tail -1 /tmp/cm-server.log")
                          + "\nnode A's RoCE GIDs (non-zero): " + self.diag("a", GIDS)
                          + "\nnode B's neighbours: " + self.diag("b", f"ip neigh show dev {NETDEV[1]}")
                          + "\nswitch ports of node A's MAC 52:54:00:0a:01:01: "
                          + "; ".join(line for line in fdb.splitlines() if "52:54:00:0a:01:01" in line))
        self.log(self.notes[-1])
        self.evidence(f"no new connection within {timeout}s of a cut")
        return None

    def before_cut(self, since_b):
        window = self.steady(since_b)
        if window:
            self.record_baseline(*window)

    def round_rdmaip(self, n, since_b):
        self.before_cut(since_b)
        seen = len(self.lab.check("a", "cat /tmp/monitor.json").splitlines())
        t0 = self.cut()
        res = {"conn": self.conn_after(t0)}
        import json
        evs = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            lines = self.lab.check("a", "cat /tmp/monitor.json").splitlines()[seen:]
            evs = [json.loads(line) for line in lines if line.startswith("{")]
            if any(e.get("event") == "addr-moved" and e.get("addr") == ADDR for e in evs):
                break
            time.sleep(0.5)
        down = [e for e in evs if e.get("event") == "port-down" and e.get("port") == RDMA_PORT[1]]
        moved = [e for e in evs if e.get("event") == "addr-moved" and e.get("addr") == ADDR]
        t0a = t0 + self.off["a"]
        res["detect"] = down[0]["time_ns"] / 1e9 - t0a if down else None
        res["live"] = moved[0]["time_ns"] / 1e9 - t0a if moved else None
        self.restore()
        # Home again (failback delay 1 s) before the next round.
        try:
            self.wait(lambda: ADDR in self.lab.check("a", f"ip -br addr show dev {NETDEV[1]}"), 60, "")
        except AssertionError:
            raise NotRestored(res, f"rdmaip: {ADDR} not back on {NETDEV[1]} within 60 s of the restore "
                              "(failback delay 1 s):\n" + self.diag(
                                  "a", f"{R} addr show; {R} -d port show; dmesg | grep rdmaip: | tail -4"))
        return res

    def round_bond(self, n, since_b):
        self.before_cut(since_b)
        t0 = self.cut()
        res = {"conn": self.conn_after(t0)}
        res["detect"] = res["live"] = None
        t0a = t0 + self.off["a"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and res["live"] is None:
            for line in self.lab.check("a", f"{GUEST_PY} kmsg").splitlines():
                t, _, msg = line.partition(" ")
                if float(t) < t0a - 1:
                    continue
                if res["detect"] is None and re.search(rf"\(slave {NETDEV[1]}\): link status definitely down", msg):
                    res["detect"] = float(t) - t0a
                if res["live"] is None and re.search(rf"\(slave {NETDEV[2]}\): making interface the new active one",
                                                     msg):
                    res["live"] = float(t) - t0a
            time.sleep(0.5)
        if res["live"] is None:
            self.notes.append("bonding: no failover line in node A's kernel log:\n"
                              + self.lab.check("a", "dmesg | grep -i bond | tail -8; true"))
        self.restore()
        try:
            self.wait(lambda: "MII Status: up" in self.lab.check(
                "a", f"grep -A1 'Slave Interface: {NETDEV[1]}' /proc/net/bonding/bond0"), 60, "")
            self.lab.check("a", f"echo {NETDEV[1]} > /sys/class/net/bond0/bonding/active_slave")
            self.wait(lambda: f"Currently Active Slave: {NETDEV[1]}"
                      in self.lab.check("a", "cat /proc/net/bonding/bond0"),
                      30, "")
            # The switches must learn that the bond's MAC is behind NIC 1
            # again. Seen: after this manual switch back, sw1/sw2 kept it
            # on NIC 2 (no announcement went out through eth0), so B's
            # frames went to the backup slave, which drops them, and no
            # connection worked for minutes. Send something from A.
            self.lab.exec("a", f"for i in 1 2 3; do echo x > /dev/udp/{B_ADDR}/9; sleep 0.2; done")
        except AssertionError:
            raise NotRestored(res, f"bonding: {NETDEV[1]} not back as the active slave:\n"
                              + self.diag("a", "cat /proc/net/bonding/bond0"))
        return res

    def run_setup(self, name, round_fn):
        self.start_server()
        self.start_client(name)
        rounds = []
        since_b = 0.0
        for n in range(self.args.rounds):
            try:
                res = round_fn(n, since_b)
            except NotRestored as e:
                res = e.result
                self.notes.append(f"{name} round {n + 1}: {e}\n(rounds left of this setup skipped)")
                self.log(self.notes[-1])
                self.evidence(f"{name} round {n + 1}: not restored")
                rounds.append(res)
                break
            # Later rounds: only attempts started after this one's recovery.
            since_b = float(self.lab.check("b", "echo $EPOCHREALTIME"))
            self.log(f"{name} round {n + 1}: " + ", ".join(
                f"{k} {v * 1000:.0f} ms" if v is not None else f"{k} -" for k, v in res.items()))
            rounds.append(res)
        # The steady state after the last round counts for the baseline too.
        self.before_cut(since_b)
        self.stop_client()
        self.stop_server()
        return rounds


def fmt(values):
    vals = [v * 1000 for v in values if v is not None]
    missing = len(values) - len(vals)
    if not vals:
        return "-" if not values else f"- ({missing} missed)"
    s = f"{statistics.median(vals):.0f} [{min(vals):.0f}-{max(vals):.0f}]"
    return s + (f" ({missing} missed)" if missing else "")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--guest":
        GUEST_ROLES[sys.argv[2]](sys.argv[3:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    # Faster than one attempt every 0.5 s, node A's server (Python under
    # TCG, on a host shared with other labs) was seen falling behind for
    # good: attempts time out, their ids pile up, and it never catches up.
    ap.add_argument("--interval", type=float, default=0.5,
                    help="seconds between the starts of node B's connection attempts (default 0.5)")
    ap.add_argument("--attempt-timeout", type=float, default=3.0,
                    help="seconds after which an attempt is given up (default 3)")
    ap.add_argument("--cut", choices=("link", "gray"), default="link",
                    help="link: carrier loss (QMP set_link); gray: frames dropped, carrier up")
    args = ap.parse_args()

    from rdmaiplab.lab import Lab, exit_status

    started = time.monotonic()
    results = {}
    with Lab() as lab:
        b = Bench(lab, args)
        b.start_common()
        unprobed = None
        if args.cut == "gray":
            b.setup_rdmaip()
            unprobed = b.unprobed_gray()
            b.probe_on()
            results["rdmaip, probing at defaults"] = b.run_setup("rdmaip", b.round_rdmaip)
            # Like for like with bonding, whose arp_missed_max is 2.
            b.lab.check("a", f"{R} group set g0 probe-misses 2")
            results["rdmaip, probing 100 ms x 2 misses"] = b.run_setup("rdmaip-2", b.round_rdmaip)
            b.teardown_rdmaip()
            b.setup_bond(arp_interval=100)
            name = "bonding active-backup ARP monitor 100 ms"
            results[name] = b.run_setup("bonding-arp", b.round_bond)
            b.teardown_bond()
        else:
            b.setup_rdmaip()
            results["rdmaip (group of 2 adapters)"] = b.run_setup("rdmaip", b.round_rdmaip)
            b.teardown_rdmaip()
            for miimon in (100, 10):
                b.setup_bond(miimon)
                name = f"bonding active-backup miimon={miimon}"
                results[name] = b.run_setup(name, b.round_bond)
                b.teardown_bond()
        problems = lab.problems_kept()

    what = ("making node A's NIC 1 gray (frames dropped, carrier up)" if args.cut == "gray"
            else "cutting node A's NIC 1")
    print(f"\nFailover after {what}: ms from the cut, median [min-max] "
          f"of {args.rounds} rounds (QEMU TCG lab)\n")
    print(f"{'setup':38} {'detect':>16} {'address live':>16} {'first new conn':>18}")
    print(f"{'baseline (nothing cut)':38} {'-':>16} {'-':>16} {fmt(b.baseline):>18}")
    if unprobed is not None:
        never = "never" if unprobed else "moved?!"
        print(f"{'rdmaip without probing':38} {never:>16} {never:>16} {'-':>18}"
              f"   (address on NIC 1 10 s after the cut: {'yes' if unprobed else 'no'})")
    for name, rounds in results.items():
        print(f"{name:38} {fmt([r['detect'] for r in rounds]):>16} "
              f"{fmt([r['live'] for r in rounds]):>16} {fmt([r['conn'] for r in rounds]):>18}")
    rtts = [r for _, offs in b.offsets for _, r in offs.values()]
    drift = {n: [offs[n][0] for _, offs in b.offsets] for n in NODES}
    print(f"""
detect: rdmaip port-down event / bonding "link status definitely down" (eth0);
  with --cut gray, rdmaip's port-down has reason probe
live:   rdmaip addr-moved event / bonding "making interface the new active one";
first new conn: the first RDMA CM connection from node B started after the cut that
  reached ESTABLISHED (a new attempt every {args.interval * 1000:.0f} ms, each given up after
  {args.attempt_timeout:g} s); the baseline row is the same measurement at {len(b.baseline)} instants where
  nothing was cut: the granularity of that column.
the cut: {"one nftables transaction" if args.cut == "gray" else "QMP set_link"} on the host, {fmt(b.qmp)} ms from the command to its end
  (the middle is taken; times are in the host's clock).
steady state: connect time {fmt(b.connect)} ms, {fmt(b.gaps)} ms between successes,
  {b.failed_steady} of {b.steady_attempts} attempts failed.
clocks: guest minus host, measured over UDP from the lab's namespace before each cut
  (round trips {min(rtts) * 1000:.1f}-{max(rtts) * 1000:.1f} ms; guest times are within half of that);
  A {min(drift["a"]) * 1000:+.1f} to {max(drift["a"]) * 1000:+.1f} ms, B {min(drift["b"]) * 1000:+.1f} to {max(drift["b"]) * 1000:+.1f} ms over the run.
run time: {time.monotonic() - started:.0f} s""")
    for note in b.notes:
        print(f"note: {note}")
    return exit_status(problems)


if __name__ == "__main__":
    sys.exit(main())
