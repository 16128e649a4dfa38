# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by rdmaip's lab tests: node setup, loading rdmaip with a
monitor logging its events, reading what the module reported in the kernel
log, and the evidence a failed step leaves in the test log."""

import base64
import os
import re
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lib"))

from lab import Lab  # noqa: E402,F401  (re-exported for the tests)
from ktap import Tap  # noqa: E402

# Addressing of the lab: one subnet per switch, both switches one L2 segment.
ADDR = {
    ("a", 1): "10.1.0.1", ("a", 2): "10.2.0.1",
    ("b", 1): "10.1.0.2", ("b", 2): "10.2.0.2",
}
NETDEV = {1: "eth0", 2: "eth1"}
RXE = {1: "rxe0", 2: "rxe1"}

# "rdmaip: port rxe0/1 netdev eth0: UP -> DOWN (no-carrier) [rdma ...] at 1.2"
HEALTH_RE = re.compile(
    r"rdmaip: port (?P<port>\S+/\d+) netdev (?P<netdev>\S*): (?P<old>UP|DOWN \([a-z-]+\)) -> "
    r"(?P<new>UP|DOWN \([a-z-]+\)) \[(?P<detail>[^\]]*)\] at (?P<at>\d+\.\d+)")
ADDED_RE = re.compile(
    r"rdmaip: port (?P<port>\S+/\d+) added: link-layer (?P<ll>\S+) netdev (?P<netdev>\S*) "
    r"at (?P<at>\d+\.\d+)")
REMOVED_RE = re.compile(r"rdmaip: port (?P<port>\S+/\d+) removed at (?P<at>\d+\.\d+)")


# RDMAIP_RDMAIPCTL: another binary (a path the guests see: not under /tmp,
# /run or /root), e.g. a copy that a `cargo build` in the shared checkout
# cannot replace under a running lab (the guests cache the file: a binary
# rebuilt meanwhile was seen to crash in them).
RDMAIPCTL = os.environ.get("RDMAIP_RDMAIPCTL") or os.path.join(ROOT, "target", "debug", "rdmaipctl")
# `rdmaipctl monitor` of each guest writes here (kept by start_monitors).
MONITOR_LOG = "/tmp/rdmaip-monitor.log"
_MODULE_STATE = "/sys/module/rdmaip/initstate"


def start_monitors(lab, nodes=("a", "b")):
    """Starts, once per lab, the monitor keeper in each guest: while
    rdmaip is loaded, an `rdmaipctl monitor` appends its events to
    MONITOR_LOG; when the module is unloaded or reloaded (a new instance:
    the old subscription hears nothing) it starts a new one. Its own
    lines start with "#". Run by run_in_lab at boot, so that a test that
    loads rdmaip some other way is covered too."""
    started = lab.__dict__.setdefault("_rdmaip_monitors", set())
    for node in nodes:
        if node in started:
            continue
        code = base64.b64encode(_KEEPER.encode()).decode()
        lab.check(node, f"(/usr/bin/python3 -S -c "
                        f"'import binascii; exec(binascii.a2b_base64(\"{code}\"))' {MONITOR_LOG} {RDMAIPCTL} "
                        f">>{MONITOR_LOG} 2>&1 </dev/null &)")
        started.add(node)


def load_rdmaip(lab, node, timeout=30):
    """`modprobe rdmaip` on ``node``, then waits until the monitor keeper
    has subscribed to this instance's events (so the log has them all from
    here on). A monitor that does not attach is reported, not fatal."""
    start_monitors(lab, (node,))
    lab.check(node, "modprobe rdmaip")
    try:
        lab.wait_for(node, f"grep -qE \"attached to rdmaip instance $(stat -c %i {_MODULE_STATE})( |$)\" "
                           f"{MONITOR_LOG}", timeout=timeout, interval=0.2)
    except Exception as e:
        print(f"lab: node {node}: the rdmaip monitor did not attach within {timeout}s: {e}",
              file=sys.stderr, flush=True)


# Guest side of start_monitors: os, sys and time only (under TCG, importing
# subprocess and friends costs seconds of CPU). Arguments: the log, the
# rdmaipctl binary. Polls the module's state twice a second (a process
# per poll would cost far more); "instance" is the inode of the module's
# sysfs initstate, new for every load.
_KEEPER = r"""
import os, sys, time
log, rdmaipctl = sys.argv[1], sys.argv[2]
STATE = "/sys/module/rdmaip/initstate"
out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def note(msg):
    os.write(out, ("# %.6f monitor keeper: %s\n" % (time.time(), msg)).encode())


def instance():
    try:
        with open(STATE) as f:
            if f.read().strip() != "live":
                return None
        return os.stat(STATE).st_ino
    except OSError:
        return None


def joined(pid):
    # A generic netlink socket of pid's in a multicast group
    # (/proc/net/netlink shows groups 0-31 only).
    try:
        socks = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if link.startswith("socket:["):
                socks.add(link[8:-1])
        with open("/proc/net/netlink") as f:
            for line in f.readlines()[1:]:
                w = line.split()
                if len(w) >= 10 and w[1] == "16" and w[-1] in socks and int(w[3], 16):
                    return True
    except (OSError, ValueError):
        pass
    return False


def spawn():
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.execv(rdmaipctl, [rdmaipctl, "monitor"])
        finally:
            os._exit(127)
    return pid


def exited(pid):
    # None while running, else a wait status as the shell shows it.
    p, status = os.waitpid(pid, os.WNOHANG)
    if p == 0:
        return None
    return os.waitstatus_to_exitcode(status)


pid = inst = None
retry_at = 0.0
note("pid %d, waiting for rdmaip" % os.getpid())
while True:
    cur = instance()
    if pid is not None:
        rc = exited(pid)
        if rc is not None or cur != inst:
            if rc is None:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            why = ("rdmaipctl exited (rc %d)" % rc if rc is not None
                   else "module unloaded" if cur is None else "module reloaded")
            note("monitor of instance %s stopped: %s" % (inst, why))
            pid = None
            # Failed: retry in a second. Killed (pkill -x rdmaipctl in a
            # test): at once.
            if rc is not None and rc >= 0:
                retry_at = time.monotonic() + 1
    if pid is None and cur is not None and time.monotonic() >= retry_at:
        pid, inst = spawn(), cur
        t0 = time.monotonic()
        rc = None
        while not joined(pid) and time.monotonic() - t0 < 5:
            rc = exited(pid)
            if rc is not None:
                break
            time.sleep(0.05)
        if rc is not None:
            note("monitor of instance %s exited at once (rc %d)" % (inst, rc))
            pid = None
            retry_at = time.monotonic() + 1
        else:
            note("attached to rdmaip instance %s%s" % (
                inst, "" if joined(pid) else " (subscription not seen in /proc/net/netlink)"))
    time.sleep(0.5)
"""


# What a failed step leaves in the log, per node still answering (each
# command bounded: a wedged one must not hide the rest). The kernel log
# comes from the node's console file on the host, whole.
EVIDENCE = r"""
R=@R@
for c in "$R -d port show" "$R -d group show" "$R -d addr show" "rdma link" "ip -br link" "ip -br addr"; do
  echo "--- ${c/#$R/rdmaipctl}"
  timeout 10 $c 2>&1; rc=$?; [ $rc = 0 ] || echo "(rc $rc)"
done
n=$(cat @LOG@ 2>/dev/null | wc -l)
echo "--- rdmaipctl monitor log (@LOG@, lines @FROM@-$n)"
[ "$n" -ge @FROM@ ] && timeout 10 sed -n "@FROM@,${n}p" @LOG@ 2>&1 || echo "(nothing new)"
"""


def _print_diag(text):
    for line in text.rstrip().splitlines():
        print(f"# {line}", flush=True)


def collect_evidence(lab, emit=None, why=""):
    """Emits (``emit``: a function taking text, e.g. Tap.diag; default:
    print as "#" lines) each node's
    rdmaip view (ports, groups, addresses with details), its monitor log
    since setup, `rdma link`, `ip -br link`, `ip -br addr`, and its kernel
    log since boot (the console; a dead node's too); after the first call
    the logs continue where the previous one stopped. Keeps the lab's run
    directory (with both consoles) and prints its path. Bounded: each node
    gets at most about a minute."""
    emit = emit or _print_diag
    lab.keep()
    marks = lab.__dict__.setdefault("_evidence_marks", {})
    pending = {}
    for node in ("a", "b"):
        mon_from, _ = marks.get(node, (1, 0))
        if lab.alive(node):
            script = (EVIDENCE.replace("@R@", RDMAIPCTL).replace("@LOG@", MONITOR_LOG)
                      .replace("@FROM@", str(mon_from)))
            try:
                pending[node] = lab.exec_async(node, script, timeout=60)
            except Exception as e:
                pending[node] = e
    text = [f"==== evidence{': ' + why if why else ''} (run directory, kept: {lab.run_dir})"]
    for node in ("a", "b"):
        mon_from, con_from = marks.get(node, (1, 0))
        text.append(f"==== node {node}")
        p = pending.get(node)
        if p is None:
            text.append(f"(node {node} is not running: QEMU exited; its console follows)")
        elif isinstance(p, Exception):
            text.append(f"(node {node} does not take commands: {p})")
        else:
            try:
                rc, out = p.result(timeout=90)
                text.append(out.rstrip())
                # Where the monitor log goes on next time.
                m = re.search(r"^--- rdmaipctl monitor log \(\S+, lines \d+-(\d+)\)", out, re.M)
                if m:
                    mon_from = max(mon_from, int(m.group(1)) + 1)
            except Exception as e:
                text.append(f"(node {node} did not answer: {e})")
        console = lab.console(node)
        text.append(f"--- kernel log ({lab.run_dir}/{node}.console, "
                    + ("since boot" if con_from == 0 else "continued from the previous evidence") + ")")
        text.append(console[con_from:].rstrip())
        marks[node] = (mon_from, len(console))
    text.append("==== end of evidence")
    out = "\n".join(text)
    try:
        with open(os.path.join(lab.run_dir, "evidence.txt"), "a") as f:
            f.write(out + "\n")
    except OSError:
        pass
    emit(out)


def setup_nic(lab, node, nic, rxe=True):
    """Addresses NIC ``nic`` of ``node`` and (optionally) puts an rxe on it."""
    dev = NETDEV[nic]
    lab.check(node, f"ip link set {dev} up && ip addr replace {ADDR[node, nic]}/24 dev {dev}")
    if rxe:
        add_rxe(lab, node, nic)


def add_rxe(lab, node, nic):
    lab.check(node, f"rdma link add {RXE[nic]} type rxe netdev {NETDEV[nic]}")


def guest_now(lab, node):
    """The node's wall clock, as the module's timestamps use it."""
    return float(lab.check(node, "date +%s.%N").strip())


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


def run_in_lab(steps):
    """Boots the lab, runs ``steps(tap, lab)``, then fails if either node's
    kernel warned, oopsed or reported a lockdep problem. Every failed step
    leaves its evidence in the log (collect_evidence) and keeps the run
    directory. Prints KTAP and returns the exit code."""
    tap = Tap()
    booted = False
    try:
        with Lab() as lab:
            booted = True
            tap.ok(True, "lab: both nodes booted")
            tap.on_fail = lambda name: collect_evidence(lab, tap.diag, f"not ok {tap.n} {name}")
            try:
                start_monitors(lab)
                steps(tap, lab)
            except Exception as e:  # a step outside tap.run: report it with its evidence
                tap.ok(False, "steps: the test ran to its end",
                       f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
            for node in ("a", "b"):
                found = complaints(lab, node)
                if found:
                    tap.diag(f"node {node}: rdmaip logged {len(found)} error(s) or warning(s):\n"
                             + "\n".join(found[:20]) + ("\n..." if len(found) > 20 else ""))
            problems = {node: lab.kernel_problems(node) for node in ("a", "b")}
            tap.ok(not any(problems.values()), "kernel: no WARN, lockdep report or oops on either node",
                   problems)
            tap.on_fail = None
    except Exception as e:  # the lab itself failed: report, do not hide it
        tap.on_fail = None
        tap.ok(False, "lab: both nodes booted" if not booted else "lab: torn down",
               f"{type(e).__name__}: {e}")
    return tap.finish()

