# SPDX-License-Identifier: GPL-2.0
"""Two-node QEMU lab for rdmaip (Python 3 standard library only).

    from lab import Lab
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
import base64
import ctypes
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(LAB_DIR))
NODES = ("a", "b")
NETNS_PREFIX = "rdmaiplab-"


class LabError(Exception):
    pass


class CommandFailed(LabError):
    def __init__(self, node, cmd, rc, output):
        self.node, self.cmd, self.rc, self.output = node, cmd, rc, output
        super().__init__(f"node {node}: command failed (rc={rc}): {cmd}\n{output}")


def mac(node, nic):
    """Fixed MAC of a node's NIC (1 or 2); the guest checks the last byte."""
    return f"52:54:00:0{node}:01:0{nic}"


def tap(node, nic):
    return f"tap-{node}{nic}"


# Console lines that mean the kernel found a bug. Checked against clean boots
# of the lab kernel: none of these appear there (the boot banners of lockdep
# and kmemleak do not match).
PROBLEM_RE = re.compile("|".join([
    r"WARNING:", r"\bBUG[: ]", r"Oops", r"Kernel panic", r"general protection fault",
    r"Call Trace:", r"possible circular locking", r"possible recursive locking",
    r"inconsistent lock state", r"suspicious RCU usage", r"lockdep is turned off",
    r"turning off the locking correctness validator",
    r"INFO: task", r"INFO: rcu", r"rcu: .*stall",
    r"soft lockup", r"hard LOCKUP", r"workqueue lockup", r"KASAN", r"UBSAN",
    r"kmemleak: .*suspected", r"unreferenced object", r"ODEBUG:", r"refcount_t:",
    r"list_(add|del) corruption", r"ref_tracker:", r"waiting for \S+ to become free",
    r"DEBUG_LOCKS_WARN_ON", r"sleeping function called from invalid context",
    r"scheduling while atomic",
]))


def _run(args, timeout=30, check=True):
    """Run a host command with bounded time; return its output."""
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, text=True)
    if check and p.returncode != 0:
        raise LabError(f"{' '.join(args)} failed (rc={p.returncode}): {p.stdout.strip()}")
    return p.stdout


def lab_kernel():
    """(bzImage, modules root) of the cached lab kernel, via tools/lib.sh."""
    out = _run(["bash", "-c", f'. "{REPO}/tools/lib.sh" && lab_kernel_paths && '
                'echo "$KERNEL_CACHE_DIR"; echo "$KDIR"; echo "$KMODS"'])
    cache, kdir, kmods = out.strip().splitlines()[-3:]
    if not os.path.exists(os.path.join(cache, "built.stamp")):
        raise LabError(f"the lab kernel is not built ({cache}/built.stamp missing): "
                       "run kernel/build.sh")
    return os.path.join(kdir, "arch/x86/boot/bzImage"), kmods


_libc = ctypes.CDLL(None, use_errno=True)


def _pdeathsig():
    # Runs in the child before exec: QEMU gets SIGKILL when the thread that
    # started it dies, so a killed lab never leaves VMs behind.
    PR_SET_PDEATHSIG = 1
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def host_tsc_khz():
    """The host's TSC rate in kHz, or None if unknown.

    Under TCG the guest's TSC is the host's. The guest kernel has no HPET or
    ACPI PM timer, so it calibrates the TSC against the PIT, and on a busy
    host (two TCG guests booting at once) that fails; the kernel then falls
    back to a jiffies clocksource (4 ms resolution). Telling it the rate
    avoids that. "cpu MHz" is the TSC rate only without cpufreq (true in a
    VM, where these labs run); RDMAIP_LAB_TSC_KHZ overrides.
    """
    if os.environ.get("RDMAIP_LAB_TSC_KHZ"):
        return int(os.environ["RDMAIP_LAB_TSC_KHZ"])
    if os.path.exists("/sys/devices/system/cpu/cpu0/cpufreq"):
        return None
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return None
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", info, re.M)
    if not (flags and mhz and "constant_tsc" in flags.group(1).split()):
        return None
    return round(float(mhz.group(1)) * 1000)


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
        names = _run(["ip", "netns", "list"], timeout=10)
    except (LabError, subprocess.TimeoutExpired):
        return
    for line in names.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(re.escape(NETNS_PREFIX) + r"(\d+)-\d+", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        try:
            for pid in _run(["ip", "netns", "pids", name], timeout=10, check=False).split():
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        if f.read().startswith("qemu-system"):
                            os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            _run(["ip", "netns", "del", name], timeout=10, check=False)
            print(f"lab: removed stale namespace {name}", file=sys.stderr)
        except subprocess.TimeoutExpired:
            pass


class Pending:
    """A command sent to a guest whose reply has not been read yet."""

    def __init__(self, vm, cid, cmd, timeout):
        self.vm, self.cid, self.cmd, self.timeout = vm, cid, cmd, timeout
        self.event = threading.Event()
        self.rc = None
        self.output = None
        self.error = None

    def result(self, timeout=None):
        """(rc, output) once the guest answered. The wait is bounded: the
        command's own timeout plus slack, or `timeout` if given."""
        if timeout is None:
            timeout = (self.timeout or 3600) + 30
        deadline = time.monotonic() + timeout
        while not self.event.wait(0.2):
            if time.monotonic() > deadline:
                self.vm.forget(self.cid)
                raise LabError(f"node {self.vm.node}: no answer within {timeout:g}s "
                               f"to: {self.cmd}")
            if self.vm.proc.poll() is not None:
                # The reader may still deliver a reply that was in flight.
                if self.event.wait(1):
                    break
                raise LabError(f"node {self.vm.node}: VM died (QEMU rc "
                               f"{self.vm.proc.returncode}) while running: {self.cmd}\n"
                               f"console tail:\n{self.vm.console_tail()}")
        if self.error:
            try:  # a closed channel usually means a dead VM: say so
                self.vm.proc.wait(2)
            except subprocess.TimeoutExpired:
                raise LabError(f"node {self.vm.node}: {self.error} while running: "
                               f"{self.cmd}") from None
            raise LabError(f"node {self.vm.node}: VM died (QEMU rc {self.vm.proc.returncode}) "
                           f"while running: {self.cmd}\nconsole tail:\n{self.vm.console_tail()}")
        return self.rc, self.output


class VM:
    def __init__(self, node, run_dir, sock_dir, netns, kernel, kmods, cpu):
        self.node = node
        self.console_path = os.path.join(run_dir, f"{node}.console")
        self.qemu_log = os.path.join(run_dir, f"{node}.qemu.log")
        self.ctl_path = os.path.join(sock_dir, f"{node}.ctl")
        self.qmp_path = os.path.join(sock_dir, f"{node}.qmp")
        self.netns = netns
        self.kernel, self.kmods, self.cpu = kernel, kmods, cpu
        self.proc = None
        self.sock = None
        self.ready = threading.Event()
        self.ready_errors = ""
        self.channel_closed = False
        self.pending = {}
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()  # sendall() from two threads may interleave
        self.ids = itertools.count(1)
        self.qmp_lock = threading.Lock()
        self.started = None
        self.boot_seconds = None

    def cmdline(self):
        append = " ".join([
            "console=ttyS0", "panic_on_warn=1", "panic=-1", "reboot=t",
            "printk.devkmsg=on",
            # Periodic ticks. In one-shot mode, one LAPIC timer interrupt
            # that TCG never delivers leaves that CPU without timers for
            # good (seen: an RCU stall from 2 s into the boot, every timer
            # on CPU 0 dead, rping hanging); a periodic LAPIC timer re-arms
            # itself. Costs: hrtimers have jiffy (4 ms) resolution.
            "highres=off", "nohz=off",
            "root=rootfs", "rootfstype=9p",
            # cache=loose: the share is read-only and each VM lives for one
            # run; guest-side caching makes starting programs much cheaper.
            "rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose",
            "ro", f"init={LAB_DIR}/guest-init.py", f"rdmaip_node={self.node}",
        ])
        khz = host_tsc_khz()
        if khz:
            # tsc=reliable: TCG's TSCs are the host's, in sync across vCPUs,
            # but the boot-time sync check can fail on a loaded host.
            append += f" tsc_early_khz={khz} tsc=reliable"
        if os.environ.get("RDMAIP_LAB_APPEND"):  # extra kernel parameters, for debugging
            append += " " + os.environ["RDMAIP_LAB_APPEND"]
        args = [
            "qemu-system-x86_64", "-name", f"rdmaip-{self.node}",
            # TCG: nested KVM does not work on the lab hosts.
            "-machine", "pc",
            # One TCG thread per VM, its vCPUs taking turns: multi-threaded
            # TCG (QEMU 10.0) was seen aborting during the guest's PCI probe
            # ("iotlb_to_section: Assertion ... failed"), a race in QEMU
            # itself. With two VMs on a 2-core host, one thread each is also
            # what the host can run at once.
            "-accel", "tcg,thread=" + os.environ.get("RDMAIP_LAB_TCG_THREAD", "single"),
            "-cpu", self.cpu,
            # Two sockets, not two cores: the kernel has no ACPI, so it finds
            # CPUs in SeaBIOS's MP table, which lists one CPU per package.
            "-m", "1536", "-smp", "2,sockets=2,cores=1,threads=1",
            # -nodefaults: no default monitor on stdio, VGA or NIC.
            "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", self.kernel, "-append", append,
            "-serial", f"file:{self.console_path}",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-virtfs", "local,path=/,mount_tag=rootfs,security_model=none,"
                       "readonly=on,multidevs=remap",
            "-virtfs", f"local,path={self.kmods}/lib/modules,mount_tag=modules,"
                       "security_model=none,readonly=on,multidevs=remap",
            "-virtfs", f"local,path={REPO},mount_tag=repo,"
                       "security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-serial-pci",
            "-chardev", f"socket,id=ctl,path={self.ctl_path},server=on,wait=off",
            "-device", "virtserialport,chardev=ctl,name=ctl",
        ]
        for nic in (1, 2):
            # Fixed slots: the guest has no udev, eth0/eth1 follow PCI order.
            args += ["-netdev", f"tap,id=n{nic},ifname={tap(self.node, nic)},"
                                "script=no,downscript=no",
                     "-device", f"virtio-net-pci,netdev=n{nic},id=nic{nic},"
                                f"mac={mac(self.node, nic)},addr={0x10 + nic:#x}"]
        return args

    def start(self, mountpoint_dir):
        self.started = time.monotonic()
        # The guest mounts the modules share on /lib/modules, which must exist
        # in the exported root. Hosts without a kernel package have none:
        # then, in QEMU's own mount namespace (ip netns exec makes one, a
        # slave of the host's, so nothing leaks out), lay a read-only overlay
        # over /usr/lib that adds an empty modules/.
        prep = ""
        if not os.path.isdir("/lib/modules"):
            usr_lib = os.path.realpath("/lib")
            prep = (f"mount -t overlay -o lowerdir={mountpoint_dir}:{usr_lib} "
                    f"rdmaip-lab {usr_lib} || exit 1; ")
        with open(self.qemu_log, "wb") as log:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.netns, "sh", "-c", prep + 'exec "$@"', "sh"]
                + self.cmdline(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_pdeathsig)

    def connect(self, deadline):
        """Connect to the control socket once QEMU has created it."""
        while True:
            if self.proc.poll() is not None:
                raise LabError(f"node {self.node}: QEMU exited (rc {self.proc.returncode}) "
                               f"at start:\n{self.qemu_output()}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.ctl_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() > deadline:
                    raise LabError(f"node {self.node}: no control socket {self.ctl_path}")
                time.sleep(0.05)
        self.sock = s
        threading.Thread(target=self._reader, name=f"lab-{self.node}", daemon=True).start()

    def _reader(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self._dispatch(line.decode(errors="replace").strip())
        except OSError:
            pass
        self.channel_closed = True
        self._fail_all("control channel closed")

    def _dispatch(self, line):
        parts = line.split(" ")
        if parts[0] == "READY":
            if self.ready.is_set():
                # The agent restarted: whatever it was running is lost.
                self._fail_all("guest agent restarted")
                return
            if len(parts) > 1:
                self.ready_errors = base64.b64decode(parts[1]).decode(errors="replace")
            self.boot_seconds = time.monotonic() - self.started
            self.ready.set()
            return
        try:
            # Empty output is an empty third field.
            cid, rc = int(parts[0]), int(parts[1])
            out = base64.b64decode(parts[2] if len(parts) > 2 else "")
        except (ValueError, IndexError):
            print(f"lab: node {self.node}: bad line from guest: {line[:200]!r}",
                  file=sys.stderr)
            return
        with self.lock:
            p = self.pending.pop(cid, None)
        if p:
            p.rc, p.output = rc, out.decode(errors="replace")
            p.event.set()

    def _fail_all(self, why):
        with self.lock:
            pending, self.pending = self.pending, {}
        for p in pending.values():
            p.error = why
            p.event.set()

    def forget(self, cid):
        with self.lock:
            self.pending.pop(cid, None)

    def submit(self, cmd, timeout):
        if not self.ready.is_set() or self.channel_closed or self.proc.poll() is not None:
            raise LabError(f"node {self.node} is not up (QEMU rc {self.proc.poll()}); "
                           f"console tail:\n{self.console_tail()}")
        cid = next(self.ids)
        p = Pending(self, cid, cmd, timeout)
        with self.lock:
            self.pending[cid] = p
        line = f"{cid} {timeout or 0:g} {base64.b64encode(cmd.encode()).decode()}\n"
        try:
            with self.send_lock:
                self.sock.sendall(line.encode())
        except OSError as e:
            self.forget(cid)
            raise LabError(f"node {self.node}: cannot send command: {e}")
        return p

    def qmp(self, command, arguments=None, timeout=10, window=None):
        """One QMP command over a fresh connection; returns its "return".
        ``window``, a list, receives the host's wall-clock time just before
        the command was sent and just after QEMU answered it (the session
        set-up before it, which can be slow on a loaded host, excluded)."""
        try:
            return self._qmp(command, arguments, timeout, window)
        except (OSError, ValueError) as e:
            raise LabError(f"node {self.node}: QMP {command}: {e}") from None

    def _qmp(self, command, arguments, timeout, window):
        with self.qmp_lock, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.qmp_path)
            f = s.makefile("rwb")

            def reply():
                while True:
                    line = f.readline()
                    if not line:
                        raise LabError(f"node {self.node}: QMP connection closed")
                    msg = json.loads(line)
                    if "event" in msg:
                        if time.monotonic() > deadline:
                            raise LabError(f"node {self.node}: QMP {command}: no reply")
                        continue
                    if "error" in msg:
                        raise LabError(f"node {self.node}: QMP {command}: {msg['error']}")
                    return msg

            deadline = time.monotonic() + timeout

            reply()  # greeting
            for cmd, args, times in (("qmp_capabilities", None, None), (command, arguments, window)):
                msg = {"execute": cmd}
                if args is not None:
                    msg["arguments"] = args
                if times is not None:
                    times.append(time.time())
                f.write(json.dumps(msg).encode() + b"\n")
                f.flush()
                ret = reply().get("return")
                if times is not None:
                    times.append(time.time())
            return ret

    def stop(self):
        """Kill QEMU; every step bounded. Safe to call more than once."""
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.qmp("quit", timeout=2)
        except Exception:
            pass
        for sig, wait in ((None, 3), (signal.SIGTERM, 3), (signal.SIGKILL, 5)):
            if sig:
                try:
                    self.proc.send_signal(sig)
                except OSError:
                    pass
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                pass
        print(f"lab: node {self.node}: QEMU pid {self.proc.pid} did not die", file=sys.stderr)

    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def console_tail(self, n=40):
        return "\n".join(self.console().splitlines()[-n:])

    def qemu_output(self):
        try:
            with open(self.qemu_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


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
        _run(["ip", "-n", self.netns] + list(args))

    def _setup_net(self):
        self.netns = f"{NETNS_PREFIX}{os.getpid()}-{next(_netns_seq)}"
        _run(["ip", "netns", "add", self.netns])
        ns = ["ip", "netns", "exec", self.netns]
        # The switches are pure L2: keep the namespace's own IPv6 off the wire.
        _run(ns + ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
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
                        _run(["ip", "-n", self.netns, "link", "del", tap(node, nic)],
                             timeout=10, check=False)
                _run(["ip", "netns", "del", self.netns], timeout=10, check=False)
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
