# SPDX-License-Identifier: GPL-2.0
"""The lab's host side: its errors, host commands with bounded time, the
cached lab kernel (via tools/lib.sh), and what QEMU needs from the host."""

import ctypes
import os
import re
import signal
import subprocess

from .paths import ROOT


class LabError(Exception):
    pass


class CommandFailed(LabError):
    def __init__(self, node, cmd, rc, output):
        self.node, self.cmd, self.rc, self.output = node, cmd, rc, output
        super().__init__(f"node {node}: command failed (rc={rc}): {cmd}\n{output}")


def run(args, timeout=30, check=True):
    """Run a host command with bounded time; return its output."""
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, text=True)
    if check and p.returncode != 0:
        raise LabError(f"{' '.join(args)} failed (rc={p.returncode}): {p.stdout.strip()}")
    return p.stdout


def lab_kernel():
    """(bzImage, modules root) of the cached lab kernel, via tools/lib.sh."""
    out = run(["bash", "-c", f'. "{ROOT}/tools/lib.sh" && lab_kernel_paths && '
                'echo "$KERNEL_CACHE_DIR"; echo "$KDIR"; echo "$KMODS"'])
    cache, kdir, kmods = out.strip().splitlines()[-3:]
    if not os.path.exists(os.path.join(cache, "built.stamp")):
        raise LabError(f"the lab kernel is not built ({cache}/built.stamp missing): "
                       "run kernel/build.sh")
    return os.path.join(kdir, "arch/x86/boot/bzImage"), kmods


_libc = ctypes.CDLL(None, use_errno=True)


def pdeathsig():
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

