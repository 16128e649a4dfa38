#!/usr/bin/python3 -S
# SPDX-License-Identifier: GPL-2.0
"""PID 1 of an rdmaip lab VM (started by selftests/lab/rdmaiplab/qemu.py; see there).

The root filesystem is the host's / over virtio-9p, read-only, so this file,
the repository and every host tool are visible at their host paths.
Everything that must be writable gets a tmpfs. The lab kernel's modules come
from a second read-only 9p share (tag "modules") mounted on /lib/modules.

Python, not a shell script: under TCG every process costs 0.2-0.7 s (each
`mount` about 0.7 s), and a bash init spent ~10 s of the boot starting
processes. Here the only child before the agent is one modprobe. The agent is
forked, not exec'ed, to save a second interpreter start.

Kernel command line parameters read here:
  rdmaip_node=a|b   node name (hostname "node-a" / "node-b")
(Not "rdmaip.node=": modprobe would hand a dotted parameter to the rdmaip
module as a module parameter.)

A failed setup step does not stop the boot: the errors travel with the
agent's READY line, so the host fails with a message instead of waiting for
a VM that never answers. After setup this process only reaps: orphans of
background commands are re-parented to it, and it restarts the agent if the
agent dies.
"""

import os
try:  # timestamp the interpreter start in the kernel log (devtmpfs is up)
    with open("/dev/kmsg", "wb", buffering=0) as _f:
        _f.write(b"lab-init: python started\n")
except OSError:
    pass

import ctypes
import fcntl
import socket
import struct
import subprocess
import sys
import time

LAB_DIR = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(LAB_DIR))
sys.path.insert(0, LAB_DIR)
import guest_agent  # noqa: E402

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND = 1, 2, 4, 8, 4096
NOSUID_NODEV = MS_NOSUID | MS_NODEV

# (source, target, fstype, flags, data), in order.
MOUNTS = [
    ("proc", "/proc", "proc", NOSUID_NODEV | MS_NOEXEC, ""),
    ("sysfs", "/sys", "sysfs", NOSUID_NODEV | MS_NOEXEC, ""),
    # /dev is devtmpfs already (CONFIG_DEVTMPFS_MOUNT).
    ("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666"),
    ("tmpfs", "/dev/shm", "tmpfs", NOSUID_NODEV, "mode=1777"),
    ("tmpfs", "/tmp", "tmpfs", NOSUID_NODEV, "mode=1777"),
    ("tmpfs", "/var/tmp", "tmpfs", NOSUID_NODEV, "mode=1777"),
    ("tmpfs", "/run", "tmpfs", NOSUID_NODEV, "mode=755"),
    ("tmpfs", "/var/lib", "tmpfs", NOSUID_NODEV, "mode=755"),
    ("tmpfs", "/var/log", "tmpfs", NOSUID_NODEV, "mode=755"),
    ("tmpfs", "/root", "tmpfs", NOSUID_NODEV, "mode=700"),
    ("debugfs", "/sys/kernel/debug", "debugfs", 0, ""),
    ("configfs", "/sys/kernel/config", "configfs", 0, ""),
    ("modules", "/lib/modules", "9p", MS_RDONLY, "trans=virtio,version=9p2000.L,msize=512000"),
    # The repository again, from its own share, at its own path: a clone
    # under /tmp or /root would otherwise be hidden by the tmpfs above.
    ("repo", REPO, "9p", MS_RDONLY, "trans=virtio,version=9p2000.L,msize=512000"),
]
SYSCTLS = {
    # Several ports of one host on one L2 segment: answer ARP only on the
    # port that owns the address, announce with a source address of the
    # outgoing port, and accept packets that arrive on a sibling port.
    f"net/ipv4/conf/{c}/{k}": v
    for c in ("all", "default")
    for k, v in (("arp_ignore", "1"), ("arp_announce", "2"), ("rp_filter", "0"))
}
MODULES = ["rdma_rxe", "rdma_ucm", "ib_uverbs"]
ENV = guest_agent.ENV

libc = ctypes.CDLL(None, use_errno=True)
errors = []


def log(msg):
    # /dev/kmsg puts our lines into the kernel log, with its timestamps.
    line = f"lab-init: {msg}\n".encode()
    try:
        with open("/dev/kmsg", "wb", buffering=0) as f:
            f.write(line)
    except OSError:
        os.write(2, line)


def fail(msg):
    log(f"ERROR: {msg}")
    errors.append(msg)


def mount(source, target, fstype, flags=0, data=""):
    if not os.path.exists(target):
        os.makedirs(target, exist_ok=True)
    if libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                  flags, data.encode() if data else None) != 0:
        e = ctypes.get_errno()
        fail(f"mount {fstype or 'bind'} {source} on {target}: {os.strerror(e)}")


def write(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError as e:
        fail(f"write {value!r} to {path}: {e}")


def link_up(ifname):
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            req = struct.pack("16sH14x", ifname.encode(), 0)
            flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, req))[1]
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", ifname.encode(), flags | IFF_UP))
    except OSError as e:
        fail(f"cannot bring {ifname} up: {e}")


def setup():
    for m in MOUNTS:
        mount(*m)
    os.makedirs("/run/lab", exist_ok=True)
    os.makedirs("/run/lock", exist_ok=True)
    log("filesystems mounted")

    try:
        with open("/proc/cmdline") as f:
            args = f.read().split()
    except OSError:
        args = []
    node = next((a.split("=", 1)[1] for a in args if a.startswith("rdmaip_node=")), None)
    if not node:
        fail("no rdmaip_node= on the kernel command line")
        node = "x"
    host = f"node-{node}"
    try:
        socket.sethostname(host)
    except OSError as e:
        fail(f"sethostname: {e}")
    # /etc is on the read-only share: lay our own hostname and hosts over it.
    write("/run/lab/hostname", host + "\n")
    write("/run/lab/hosts", f"127.0.0.1\tlocalhost\n127.0.1.1\t{host}\n::1\tlocalhost\n")
    mount("/run/lab/hostname", "/etc/hostname", None, MS_BIND)
    mount("/run/lab/hosts", "/etc/hosts", None, MS_BIND)

    for key, value in SYSCTLS.items():
        write(f"/proc/sys/{key}", value)

    link_up("lo")
    # No udev: the NICs keep their kernel names, in PCI slot order. The host
    # gives NIC n a MAC ending in :0n; check that eth0 really is NIC 1.
    for i in (0, 1):
        try:
            with open(f"/sys/class/net/eth{i}/address") as f:
                mac = f.read().strip()
        except OSError:
            fail(f"eth{i} is missing")
            continue
        if not mac.endswith(f":0{i + 1}"):
            fail(f"eth{i} has MAC {mac}, expected NIC {i + 1}")
        link_up(f"eth{i}")
    log("network up")

    try:
        p = subprocess.run(["modprobe", "-a"] + MODULES, env=ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        if p.returncode != 0:
            fail(f"modprobe -a {' '.join(MODULES)} failed (rc={p.returncode}): {p.stdout}")
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"modprobe: {e}")
    log(f"setup done on {host}")


def start_agent():
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            path = guest_agent.find_port("ctl", time.monotonic() + 30)
            guest_agent.serve(path, "".join(e + "\n" for e in errors), REPO)
        except BaseException as e:  # the child must never return into init
            log(f"agent failed: {e!r}")
        os._exit(1)
    return pid


def main():
    os.environ.clear()
    os.environ.update(ENV)
    os.umask(0o022)
    try:
        os.chdir(REPO)
    except OSError:
        pass
    try:
        setup()
    except Exception as e:  # report it with READY rather than panic the VM
        fail(f"setup crashed: {e!r}")
    while True:
        agent = start_agent()
        while True:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            if pid == agent:
                log(f"agent exited (status {status:#x}), restarting")
                break
        time.sleep(1)


if __name__ == "__main__":
    main()
