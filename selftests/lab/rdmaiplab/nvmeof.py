# SPDX-License-Identifier: GPL-2.0
"""NVMe over RDMA as a consumer: an nvmet-rdma target on A (a memory-backed
null_blk namespace, consumers/nvmet.sh), the host on B running fio
(write + verify) with a sampler of the namespace's completions
(consumers/iostat.py)."""

import json

from . import io_trace
from .cutter import wait_progress
from .node_state import RDMA_STATE, log_node_state
from .paths import CONSUMERS
from .topology import ADDR

A_ADDR, B_ADDR = ADDR["a", 1], ADDR["b", 1]
NQN = "nqn.2026-11.org.rdmaip:lab-nvmeof"
IO_LOG = "/tmp/nvme-io.log"
SIZE_MB = 64
FIO_SIZE = "32M"


def io_count(lab):
    rc, out = lab.exec("b", f"wc -l < {IO_LOG}")
    return int(out.strip()) if rc == 0 and out.strip().isdigit() else None


def target_up(lab):
    """The nvmet-rdma target on A: NQN on A_ADDR:4420, a null_blk namespace."""
    lab.check("a", f"bash {CONSUMERS}/nvmet.sh up {NQN} {A_ADDR} {SIZE_MB}")


def connect(lab, host_traddr=None):
    """Connects B to the target; returns (the namespace's block device,
    the controller's own disk). With native NVMe multipath (the lab
    kernel has it) the block device is the namespace head, a bio-based
    device on top of the controller's hidden disk nvmeXcYnZ; without it,
    both are nvmeXnY. The progress sampler reads the controller's disk:
    its completions are the I/O that reached the target."""
    extra = f" --host-traddr {host_traddr}" if host_traddr else ""
    lab.check("b", f"nvme connect -t rdma -a {A_ADDR} -s 4420 -n {NQN} --reconnect-delay 1 "
                   f"--ctrl-loss-tmo 600{extra}", timeout=120)
    lab.wait_for("b", f"for c in /sys/class/nvme/nvme*; do grep -qx {NQN} $c/subsysnqn && "
                      "ls -d $c/nvme*n1 >/dev/null 2>&1 && exit 0; done; exit 1", timeout=30)
    disk = lab.check("b", f"for c in /sys/class/nvme/nvme*; do grep -qx {NQN} $c/subsysnqn && "
                          "basename $(ls -d $c/nvme*n1 | head -1); done").split()[0]
    dev = namespace_head(lab, subsystem_dir(lab)) or disk
    lab.wait_for("b", f"test -b /dev/{dev}", timeout=30)
    return dev, disk


def subsystem_dir(lab):
    """B's sysfs directory of the target's subsystem (nvme-subsystem class)."""
    return lab.check("b", f"for s in /sys/class/nvme-subsystem/*; do grep -qx {NQN} $s/subsysnqn "
                          "2>/dev/null && echo $s; done").split()[0]


# A namespace head's name among its subsystem's sysfs entries.
HEAD_RE = "^nvme[0-9]+n[0-9]+$"


def namespace_head(lab, subsys):
    """The namespace head (nvmeXnY) under ``subsys``; None without native
    multipath, where namespaces belong to their controller."""
    heads = lab.check("b", f"ls {subsys} | grep -E '{HEAD_RE}'; true").split()
    return heads[0] if heads else None


def start_io(lab, dev, tag, sampled=None, trace=False):
    """fio (write + verify without a break) and the progress sampler on B
    (of ``sampled``, block devices whose completions are summed: by
    default ``dev`` itself). ``trace``: trace B's block layer and nvme
    meanwhile (rdmaiplab.io_trace), so that an I/O fio waits for in vain
    can be followed (tests; not benchmarks, whose timing it would
    change)."""
    lab.exec("b", f"rm -f {IO_LOG} {IO_LOG}.stop /tmp/fio-{tag}.json")
    if trace:
        io_trace.start(lab, "b")
    lab.check("b", f"(/usr/bin/python3 {CONSUMERS}/iostat.py {','.join(sampled or [dev])} {IO_LOG} "
                   "> /tmp/iostat.err 2>&1 &)")
    lab.check("b", f"(fio --name=verify-{tag} --filename=/dev/{dev} --rw=randwrite --bs=4k "
                   f"--size={FIO_SIZE} --direct=1 --ioengine=libaio --iodepth=4 "
                   "--verify=crc32c --verify_backlog=64 --verify_fatal=1 --do_verify=1 "
                   "--time_based --runtime=3600 --output-format=json "
                   f"--output=/tmp/fio-{tag}.json > /tmp/fio-{tag}.err 2>&1 &)")
    if wait_progress(lab, lambda: io_count(lab), 20, timeout=60) is None:
        raise AssertionError("fio made no progress:\n" + lab.exec("b", f"cat /tmp/fio-{tag}.err")[1])


# What a hung fio waits for: the controllers' states, the namespaces'
# in-flight counts and fio's kernel stacks, then the RDMA stack.
STUCK_IO_STATE = r"""
for c in /sys/class/nvme/nvme*; do
  echo "${c##*/} state $(timeout 5 cat $c/state) address $(timeout 5 cat $c/address)"
done
for d in /sys/block/nvme*; do
  echo "${d##*/} inflight $(timeout 5 cat $d/inflight) stat $(timeout 5 cat $d/stat)"
done
for p in $(pgrep -x fio); do
  for t in /proc/$p/task/*; do
    echo "task ${t##*/} $(timeout 5 grep ^State $t/status) wchan $(timeout 5 cat $t/wchan)"
    timeout 5 cat $t/stack | sed 's/^/    /'
  done
done
""" + RDMA_STATE


# The gist of it on B, logged last (the end of a long log is what gets
# read): controllers, fio's tasks with the syscall each waits in, then
# every task in uninterruptible sleep with the top of its kernel stack
# (fio's, and the nvme-rdma work it waits for).
STUCK_IO_GIST = r"""
for c in /sys/class/nvme/nvme*; do
  echo "${c##*/} state $(timeout 5 cat $c/state) address $(timeout 5 cat $c/address)"
done
for p in $(pgrep -x fio); do
  for t in /proc/$p/task/[0-9]*; do
    # io_getevents is syscall 208: its args are ctx, min_nr, nr (hex)
    echo "fio ${t##*/} wchan $(cat $t/wchan 2>/dev/null) syscall $(cut -d' ' -f1-4 $t/syscall 2>/dev/null)"
  done
done
for t in /proc/[0-9]*/task/[0-9]*; do
  grep -q '^State:.*D' $t/status 2>/dev/null || continue
  echo "D: ${t##*/} $(cat $t/comm 2>/dev/null) wchan $(cat $t/wchan 2>/dev/null):" \
    $(timeout 5 head -8 $t/stack 2>/dev/null | sed 's/^\[<0>\] //; s/+0x[0-9a-f/x]*//' | tr '\n' ' ')
done
"""


def log_stuck_io(lab, log):
    for node in ("a", "b"):
        log_node_state(lab, node, STUCK_IO_STATE, log)
    log_node_state(lab, "b", STUCK_IO_GIST, log)
    io_trace.report(lab, "b", log, keep_as="b.io-trace.txt")


def stop_fio(lab, log):
    """Interrupts fio on B and waits (bounded) until it has exited; if it
    does not, logs what it waits for (B's I/O trace: the bios that never
    finished), whether a controller reset lets it finish, and raises
    after killing it."""
    # SIGINT to fio's main process only (the oldest "fio"): it marks the
    # job terminated and the job winds down by itself. A signal to the job
    # process can interrupt its final io_getevents() after part of the
    # events came back, and fio before 3.35 (Debian 12 has 3.33) then
    # waits for the full count again, forever, with nothing in flight
    # (fio commit a8f6714e, "engines/libaio: fix io_getevents min/max
    # events arguments").
    lab.exec("b", "pkill -INT -o -x fio")
    try:
        lab.wait_for("b", "! pgrep -x fio", timeout=120, interval=0.5)
    except Exception:
        log("fio did not exit; B's state:")
        log_stuck_io(lab, log)
        log_reset_verdict(lab, log)
        lab.exec("b", "pkill -KILL -x fio; sleep 1")
        raise
    io_trace.stop(lab, "b")


def log_reset_verdict(lab, log):
    """Resets B's controllers and says whether fio then finished: if it
    did, its I/O was parked (a requeue list or a quiesced queue nobody
    kicked), not lost."""
    lab.exec("b", "for c in /sys/class/nvme/nvme*; do echo 1 > $c/reset_controller; done")
    rc, _ = lab.exec("b", "for i in $(seq 60); do pgrep -x fio >/dev/null || exit 0; sleep 0.5; done; "
                          "exit 1", timeout=60)
    log("after a reset of B's controllers fio " + ("exited: its I/O was parked, not lost" if rc == 0
                                                  else "still did not exit"))


def stop_io(lab, tap, tag):
    """Stops fio and the sampler; returns (fio job result, progress times)."""
    stop_fio(lab, tap.diag)
    lab.check("b", f"touch {IO_LOG}.stop")
    out = lab.check("b", f"cat /tmp/fio-{tag}.json")
    job = json.loads(out[out.index("{"):])["jobs"][0]
    times = [float(l.split()[0]) for l in lab.check("b", f"cat {IO_LOG}", timeout=120).splitlines()
             if l.strip()]
    tap.diag(f"fio {tag}: {job['write']['total_ios']} writes, {job['read']['total_ios']} "
             f"verify reads, error {job.get('error')}, runtime {job.get('job_runtime', 0) / 1000:.0f}s")
    return job, times


def io_errors(lab):
    rc, out = lab.exec("b", "dmesg | grep -E 'I/O error|critical medium error|blk_update_request' | tail -5")
    return out.strip()
