# SPDX-License-Identifier: GPL-2.0
"""rdmaip with a monitor: loading the module on a node while a keeper in the
guest keeps an `rdmaipctl monitor` logging its events to MONITOR_LOG."""

import base64
import contextlib
import sys

from .paths import RDMAIPCTL
from .topology import NODES

# `rdmaipctl monitor` of each guest writes here (kept by start_monitors).
MONITOR_LOG = "/tmp/rdmaip-monitor.log"
_MODULE_STATE = "/sys/module/rdmaip/initstate"


def start_monitors(lab, nodes=NODES):
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


@contextlib.contextmanager
def monitor_paused(lab, node):
    """No `rdmaipctl monitor` on ``node`` meanwhile: its genetlink family
    lookup would autoload rdmaip while a test has it unloaded."""
    start_monitors(lab, (node,))
    pauses = f"grep -c 'monitor keeper: paused' {MONITOR_LOG}"
    before = int(lab.exec(node, pauses)[1].strip() or 0)
    lab.check(node, f"touch {MONITOR_LOG}.pause")
    try:
        lab.wait_for(node, f"[ $({pauses}) -gt {before} ] && ! pgrep -f '[r]dmaipctl monitor' >/dev/null",
                     timeout=30, interval=0.2)
        yield
    finally:
        lab.exec(node, f"rm -f {MONITOR_LOG}.pause")


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
paused = False
note("pid %d, waiting for rdmaip" % os.getpid())
while True:
    # Paused (monitor_paused()): no monitor at all. Starting one resolves
    # the rdmaip genetlink family, and the kernel autoloads the module
    # when it is not loaded: a test that unloads it must not have it back.
    if os.path.exists(log + ".pause") != paused:
        paused = not paused
        note("paused" if paused else "resumed")
    if paused:
        if pid is not None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            note("monitor of instance %s stopped: paused" % inst)
            pid = None
        time.sleep(0.2)
        continue
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
