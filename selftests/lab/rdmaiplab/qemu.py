# SPDX-License-Identifier: GPL-2.0
"""One lab VM: its QEMU command line, the command channel to its guest
agent (tools/lab/guest_agent.py), QMP, and its console."""

import base64
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from .host import LabError, host_tsc_khz, pdeathsig
from .paths import GUEST_INIT, ROOT
from .topology import mac, tap


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
            "ro", f"init={GUEST_INIT}", f"rdmaip_node={self.node}",
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
            "-virtfs", f"local,path={ROOT},mount_tag=repo,"
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
                preexec_fn=pdeathsig)

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

