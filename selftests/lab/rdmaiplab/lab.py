# SPDX-License-Identifier: GPL-2.0
"""Two-node QEMU lab for rdmaip (Python 3 standard library only).

    from rdmaiplab.lab import Lab
    with Lab() as lab:                      # both VMs booted and READY
        rc, out = lab.exec("a", "rdma link show")
        lab.check("b", "ip -br addr")       # raises LabError if rc != 0
        lab.link("a", 1, False)             # pull A's NIC 1 cable (QMP set_link)
        lab.switch(2, False)                # switch 2 dies: A/NIC2 and B/NIC2
        lab.trunk(False)                    # cut the sw1 <-> sw2 trunk
        print(lab.kernel_problems("a"))     # WARN/BUG/lockdep... lines
        lab.check_kernel()                  # raises if any node has such lines

Topology: a network namespace of our own holds two bridges, sw1 and sw2, and
a veth trunk between them, so all four VM ports share one L2 segment.
NIC 1 of both nodes (guest eth0) is on sw1, NIC 2 (guest eth1) on sw2.

    node A: eth0 52:54:00:0a:01:01 -- tap-a1 -- sw1 --+
            eth1 52:54:00:0a:01:02 -- tap-a2 -- sw2 -+ | trunk (tr1/tr2)
    node B: eth0 52:54:00:0b:01:01 -- tap-b1 -- sw1 --+
            eth1 52:54:00:0b:01:02 -- tap-b2 -- sw2 -+

Each VM runs the lab kernel (kernel/build.sh) under TCG with the host's / as
its read-only root over 9p, tools/lab/guest-init.py as PID 1 and
tools/lab/guest_agent.py answering commands over virtio-serial. Its serial
console goes to <run dir>/<node>.console, with the guest's kernel log.

The run directory is $RDMAIP_LAB_DIR if set (kept), else a temporary directory
that is removed after a clean run and kept (and printed) after a failure: an
exception out of the `with`, or lab.keep() (the tests call it when a step
fails).
Other knobs, for debugging: RDMAIP_LAB_CPU (QEMU -cpu, default max),
RDMAIP_LAB_APPEND (extra kernel parameters), RDMAIP_LAB_TSC_KHZ (see
host_tsc_khz), RDMAIP_LAB_KMODS (another modules root for the same kernel,
holding lib/modules/<release>: e.g. a private copy that a `make
lab-install` elsewhere cannot change under a long run).
Teardown always kills QEMU and deletes the namespace, also on exceptions and
Ctrl-C; QEMU additionally dies with the Python thread that started it
(PR_SET_PDEATHSIG), and namespaces left by a killed run are removed by the
next Lab.
"""

import atexit
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from .host import CommandFailed, LabError, lab_kernel, run
from .kernel_log import PROBLEM_RE
from .qemu import VM
from .topology import NODES, tap

NETNS_PREFIX = "rdmaiplab-"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def cleanup_stale_netns():
    """Delete lab namespaces whose creating process is gone (crashed runs),
    killing the QEMUs still in them."""
    try:
        names = run(["ip", "netns", "list"], timeout=10)
    except (LabError, subprocess.TimeoutExpired):
        return
    for line in names.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(re.escape(NETNS_PREFIX) + r"(\d+)-\d+", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        try:
            for pid in run(["ip", "netns", "pids", name], timeout=10, check=False).split():
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        if f.read().startswith("qemu-system"):
                            os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            run(["ip", "netns", "del", name], timeout=10, check=False)
            print(f"lab: removed stale namespace {name}", file=sys.stderr)
        except subprocess.TimeoutExpired:
            pass


class Lab:
    """Two VMs ("a", "b") on two switches. Use as a context manager."""

    def __init__(self, boot_timeout=120, cpu=None, kernel=None, kmods=None,
                 verbose=True):
        self.boot_timeout = boot_timeout
        self.cpu = cpu or os.environ.get("RDMAIP_LAB_CPU", "max")
        self.kernel, self.kmods = kernel, kmods
        self.verbose = verbose
        self.netns = None
        self.vms = {}
        self.run_dir = None
        self._own_run_dir = False
        self._tmp_dirs = []  # removed at teardown
        self._restore_sigterm = False
        self._closed = False
        self.failed = False

    # ---- lifecycle -------------------------------------------------------

    def __enter__(self):
        # SIGTERM (a CI timeout, `timeout`, kill) unwinds like Ctrl-C, so the
        # teardown in __exit__ runs. Only if nobody handles SIGTERM already.
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            self._restore_sigterm = True
        try:
            self.start()
        except BaseException:
            self.failed = True
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.close()
        return False

    def keep(self):
        """Keep the run directory (consoles, evidence) after close, as after
        a failure, and print its path then."""
        self.failed = True

    def log(self, msg):
        if self.verbose:
            print(f"lab: {msg}", file=sys.stderr, flush=True)

    def start(self):
        atexit.register(self.close)
        if not (self.kernel and self.kmods):
            self.kernel, self.kmods = lab_kernel()
            if os.environ.get("RDMAIP_LAB_KMODS"):
                self.kmods = os.path.abspath(os.environ["RDMAIP_LAB_KMODS"])
        if os.environ.get("RDMAIP_LAB_DIR"):
            self.run_dir = os.path.abspath(os.environ["RDMAIP_LAB_DIR"])
            os.makedirs(self.run_dir, exist_ok=True)
        else:
            self.run_dir = tempfile.mkdtemp(prefix="rdmaip-lab-")
            self._own_run_dir = True
        sock_dir = self.run_dir
        if len(sock_dir) > 80:  # sun_path holds 108 bytes
            sock_dir = tempfile.mkdtemp(prefix="rdmaip-lab-sock-")
            self._tmp_dirs.append(sock_dir)

        mountpoint_dir = os.path.join(self.run_dir, "lib")
        if re.search(r"[:,\\]", mountpoint_dir):  # would break overlay's options
            mountpoint_dir = tempfile.mkdtemp(prefix="rdmaip-lab-lib-")
            self._tmp_dirs.append(mountpoint_dir)
        os.makedirs(os.path.join(mountpoint_dir, "modules"), exist_ok=True)

        cleanup_stale_netns()
        self._setup_net()
        for node in NODES:
            self.vms[node] = VM(node, self.run_dir, sock_dir, self.netns,
                                self.kernel, self.kmods, self.cpu)
        # Both boot in parallel: start both, then wait for both.
        for vm in self.vms.values():
            vm.start(mountpoint_dir)
        deadline = time.monotonic() + self.boot_timeout
        for vm in self.vms.values():
            vm.connect(deadline)
        for vm in self.vms.values():
            while not vm.ready.wait(0.2):
                if vm.proc.poll() is not None:
                    raise LabError(f"node {vm.node}: VM died while booting (QEMU rc "
                                   f"{vm.proc.returncode})\n{vm.qemu_output()}"
                                   f"console tail:\n{vm.console_tail()}")
                if time.monotonic() > deadline:
                    raise LabError(f"node {vm.node}: not READY within {self.boot_timeout}s; "
                                   f"console tail:\n{vm.console_tail()}")
            if vm.ready_errors:
                raise LabError(f"node {vm.node}: guest setup failed:\n{vm.ready_errors}")
        self.log("up: " + ", ".join(f"{n} booted in {vm.boot_seconds:.1f}s"
                                    for n, vm in self.vms.items())
                 + f"; run dir {self.run_dir}")

    def _ip(self, *args):
        run(["ip", "-n", self.netns] + list(args))

    def _setup_net(self):
        self.netns = f"{NETNS_PREFIX}{os.getpid()}-{next(_netns_seq)}"
        run(["ip", "netns", "add", self.netns])
        ns = ["ip", "netns", "exec", self.netns]
        # The switches are pure L2: keep the namespace's own IPv6 off the wire.
        run(ns + ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
                   "net.ipv6.conf.all.disable_ipv6=1"])
        for sw in ("sw1", "sw2"):
            # STP off and no forward delay: ports forward as soon as they are
            # up; no multicast snooping, so nothing filters IPv6 ND.
            self._ip("link", "add", sw, "type", "bridge", "stp_state", "0",
                     "forward_delay", "0", "mcast_snooping", "0")
            self._ip("link", "set", sw, "up")
        self._ip("link", "add", "tr1", "type", "veth", "peer", "name", "tr2")
        self._ip("link", "set", "tr1", "master", "sw1", "up")
        self._ip("link", "set", "tr2", "master", "sw2", "up")
        for node in NODES:
            for nic in (1, 2):
                self._ip("tuntap", "add", "dev", tap(node, nic), "mode", "tap")
                self._ip("link", "set", tap(node, nic), "master", f"sw{nic}", "up")

    def close(self):
        """Tear everything down. Idempotent; every step is bounded in time."""
        if self._closed:
            return
        self._closed = True
        # A second Ctrl-C must not cut the teardown short.
        old = None
        if threading.current_thread() is threading.main_thread():
            old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for vm in self.vms.values():
                try:
                    vm.stop()
                except Exception as e:
                    print(f"lab: stopping node {vm.node}: {e}", file=sys.stderr)
            if self.netns:
                for node in NODES:
                    for nic in (1, 2):
                        run(["ip", "-n", self.netns, "link", "del", tap(node, nic)],
                             timeout=10, check=False)
                run(["ip", "netns", "del", self.netns], timeout=10, check=False)
            for d in self._tmp_dirs:
                shutil.rmtree(d, ignore_errors=True)
            if self.run_dir:
                if self.failed or not self._own_run_dir:
                    print(f"lab: run directory kept: {self.run_dir} (consoles: "
                          f"{self.run_dir}/{{a,b}}.console)", file=sys.stderr, flush=True)
                else:
                    shutil.rmtree(self.run_dir, ignore_errors=True)
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
            if self._restore_sigterm:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
            atexit.unregister(self.close)

    # ---- commands --------------------------------------------------------

    def _vm(self, node):
        try:
            return self.vms[node]
        except KeyError:
            raise LabError(f"no node {node!r} (nodes: {', '.join(NODES)})") from None

    def exec_async(self, node, cmd, timeout=60):
        """Start cmd (bash) on node; returns a Pending with .result() -> (rc, out).
        On timeout the guest kills the command and answers rc 124."""
        return self._vm(node).submit(cmd, timeout)

    def exec(self, node, cmd, timeout=60):
        """Run cmd with bash on node (cwd: the repository). Returns (rc, output),
        stdout and stderr combined. A command ending in `&` returns at once and
        its background process keeps running."""
        return self.exec_async(node, cmd, timeout).result()

    def check(self, node, cmd, timeout=60):
        """exec(), raising CommandFailed (with the output) if rc != 0."""
        rc, out = self.exec(node, cmd, timeout)
        if rc != 0:
            raise CommandFailed(node, cmd, rc, out)
        return out

    def wait_for(self, node, cmd, timeout=10, interval=0.1):
        """Poll cmd (bash) inside the guest until it succeeds; returns the
        seconds that took, measured in the guest, so host round trips do not
        count. Raises CommandFailed with the last output if it never does."""
        # $EPOCHREALTIME (bash 5) saves a `date` process per poll.
        script = _WAIT_FOR.replace("@CMD@", cmd).replace(
            "@USEC@", str(int(timeout * 1e6))).replace("@SLEEP@", str(interval))
        out = self.check(node, script, timeout + 30)
        return int(out.strip().splitlines()[-1]) / 1e6

    # ---- faults ----------------------------------------------------------

    def link(self, node, nic, up):
        """Connect (up=True) or disconnect a VM NIC (1 or 2); the guest sees
        carrier loss and QEMU drops the frames both ways. Returns the host's
        wall-clock times just before the command and just after QEMU's
        answer: the link changed in between."""
        if nic not in (1, 2):
            raise LabError(f"no NIC {nic!r} (NICs: 1, 2)")
        window = []
        self._vm(node).qmp("set_link", {"name": f"n{nic}", "up": bool(up)}, window=window)
        return tuple(window)

    def gray(self, node, nic, direction):
        """Makes a VM NIC's path gray while its carrier stays up: the lab's
        switches drop what the VM sends ("out"), what they would deliver to
        it ("in"), or both ("both"); None heals it. (nftables' bridge
        family on the switch port, in one transaction: the host kernel has
        no tc drop action.) Returns the host's monotonic time once the
        rules are in place (or gone)."""
        if nic not in (1, 2) or direction not in (None, "in", "out", "both"):
            raise LabError(f"gray: bad NIC {nic!r} or direction {direction!r}")
        nft = ["ip", "netns", "exec", self.netns, "nft"]
        table = f"gray_{node}{nic}"
        grayed = self.__dict__.setdefault("_gray", set())
        if table in grayed:
            run(nft + [f"delete table bridge {table}"])
            grayed.discard(table)
        if direction is not None:
            dev = tap(node, nic)
            matches = {"out": ["iifname"], "in": ["oifname"], "both": ["iifname", "oifname"]}
            rules = "\n".join(f"add rule bridge {table} cut {m} {dev} drop" for m in matches[direction])
            run(nft + [f"add table bridge {table}\n"
                       f"add chain bridge {table} cut {{ type filter hook forward priority 0; }}\n"
                       + rules])
            grayed.add(table)
        return time.monotonic()

    def switch(self, n, up):
        """Switch n (1 or 2) fails or comes back: every VM link on it."""
        for node in NODES:
            self.link(node, n, up)

    def hmp(self, node, command):
        """A human monitor command (e.g. "info lapic 0"), for debugging."""
        return self._vm(node).qmp("human-monitor-command", {"command-line": command})

    def trunk(self, up):
        """Cut or restore the link between sw1 and sw2."""
        self._ip("link", "set", "tr1", "up" if up else "down")

    # ---- observation -----------------------------------------------------

    def console(self, node):
        """The node's serial console (kernel log included) so far."""
        return self._vm(node).console()

    def kernel_problems(self, node):
        """Console lines that show a kernel bug report (WARN, BUG, Oops,
        lockdep, hung task, panic, kmemleak...). Empty list: all clean."""
        return [line for line in self.console(node).splitlines() if PROBLEM_RE.search(line)]

    def problems_kept(self):
        """{node: kernel_problems(node)} of every node; if any node has
        some, the run directory (both consoles) is kept as evidence."""
        problems = {n: self.kernel_problems(n) for n in NODES}
        if any(problems.values()):
            self.keep()
        return problems

    def check_kernel(self):
        """Raise LabError listing kernel_problems() of every node, if any."""
        problems = [f"node {n}: {line}" for n in NODES for line in self.kernel_problems(n)]
        if problems:
            raise LabError("kernel problems on the console:\n" + "\n".join(problems))

    def alive(self, node):
        return self._vm(node).proc.poll() is None

    def boot_seconds(self, node):
        return self._vm(node).boot_seconds


_netns_seq = itertools.count(1)

# Guest side of Lab.wait_for; prints the microseconds it took.
_WAIT_FOR = """\
s=${EPOCHREALTIME/./}; end=$(( s + @USEC@ ))
while :; do
  out=$( { @CMD@
} 2>&1 ) && break
  [ ${EPOCHREALTIME/./} -ge $end ] && { printf '%s\\n' "$out"; exit 1; }
  sleep @SLEEP@
done
echo $(( ${EPOCHREALTIME/./} - s ))
"""


def exit_status(problems):
    """A benchmark's exit status: 1 (after saying which) if the kernel
    reported problems (``Lab.problems_kept``), else 0."""
    if any(problems.values()):
        print(f"kernel problems: {problems}")
        return 1
    return 0
