# SPDX-License-Identifier: GPL-2.0
"""The block layer's and nvme's tracepoints on a node while a consumer
does I/O: when the consumer waits for an I/O that never completes, which
bio it is and the last things that happened to it.

A bio submitted to a device is traced once (block_bio_queue) however often
it is resubmitted later (NVMe multipath failover, requeueing); it ends
either as a bio (block_bio_complete) or with the request that carried it
(block_rq_complete). A request whose command was aborted (nvme_complete_rq
with a non-zero status: the controller's queues were torn down) also ends
with block_rq_complete, but its bio lives on: multipath moves it to the
namespace head's requeue list to be sent again. So a bio is finished when
the last request that carried it completed without error, not otherwise.
"""

import os
import re

from .host import CommandFailed

TRACING = "/sys/kernel/debug/tracing"
EVENTS = ("block/block_bio_queue", "block/block_bio_remap", "block/block_bio_complete",
          "block/block_rq_insert", "block/block_rq_issue", "block/block_rq_requeue",
          "block/block_rq_complete", "nvme/nvme_setup_cmd", "nvme/nvme_complete_rq")

# "fio-153 [001] ..... 95.123456: block_bio_queue: 259,1 WS 12345 + 8 [fio]"
LINE = re.compile(r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\].*?\s(?P<ts>\d+\.\d+): "
                  r"(?P<event>\w+): (?P<rest>.*)$")
BLOCK = re.compile(r"^(?P<dev>\d+,\d+) (?P<rwbs>\S+) (?:\d+ )?(?:\((?P<cmd>[^)]*)\) )?"
                   r"(?P<sector>\d+) \+ (?P<nr>\d+)")
NVME_STATUS = re.compile(r"status=(0x[0-9a-f]+|0)")


def start(lab, node, buffer_kb=16384):
    """Clears the trace buffer and enables the events on ``node``."""
    script = [f"cd {TRACING}", "echo 0 > tracing_on", f"echo {buffer_kb} > buffer_size_kb",
              "echo > trace"]
    script += [f"echo 1 > events/{e}/enable" for e in EVENTS]
    script.append("echo 1 > tracing_on")
    lab.check(node, " && ".join(script))


def stop(lab, node):
    lab.exec(node, f"echo 0 > {TRACING}/tracing_on")


def parse(text):
    """The trace's events as dicts (task, cpu, ts, event, and for block
    events dev, rwbs, sector, nr; for nvme_complete_rq status)."""
    events = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        e = m.groupdict()
        e["ts"] = float(e["ts"])
        if e["event"].startswith("block_"):
            b = BLOCK.match(e["rest"])
            if not b:
                continue
            e.update(dev=b["dev"], rwbs=b["rwbs"], sector=int(b["sector"]), nr=int(b["nr"]))
        elif e["event"] == "nvme_complete_rq":
            s = NVME_STATUS.search(e["rest"])
            e["status"] = int(s[1], 16) if s else 0
        events.append(e)
    return events


def unfinished(events):
    """The bios queued and never finished: a list of (sector, its events
    since it was queued), oldest first. Marks each block_rq_complete whose
    command completed with an nvme status with ``status``."""
    pending = {}  # (sector, nr) -> [index of its block_bio_queue, ...]
    last_nvme_status = {}  # cpu -> status of its latest nvme_complete_rq
    for i, e in enumerate(events):
        ev = e["event"]
        if ev == "nvme_complete_rq":
            last_nvme_status[e["cpu"]] = e["status"]
            continue
        if ev == "block_rq_complete":
            e["status"] = last_nvme_status.pop(e["cpu"], 0)
        if "sector" not in e or e["nr"] == 0:
            continue  # an aborted request's bios were taken away (+ 0)
        key = (e["sector"], e["nr"])
        if ev == "block_bio_queue":
            pending.setdefault(key, []).append(i)
        elif ev == "block_bio_complete" or (ev == "block_rq_complete" and not e["status"]
                                             and e["rest"].rstrip().endswith("[0]")):
            if pending.get(key):
                pending[key].pop(0)
    out = []
    for (sector, nr), starts in pending.items():
        for i in starts:
            hist = [e for e in events[i:] if e.get("sector") == sector and e.get("nr") in (nr, 0)]
            out.append((events[i]["ts"], sector, hist))
    return [(s, h) for _, s, h in sorted(out)]


def fmt(e):
    status = f" (nvme status {e['status']:#x}: aborted)" if e.get("status") else ""
    return f"{e['ts']:.6f} {e['task']}-{e['pid']} [{e['cpu']}] {e['event']}: {e['rest']}{status}"


def report(lab, node, log, keep_as=None):
    """Keeps ``node``'s trace so far in the run directory (``keep_as``)
    and logs every unfinished bio with its last events. Tracing goes on."""
    try:
        text = lab.check(node, f"cat {TRACING}/trace", timeout=300)
    except CommandFailed as e:
        log(f"I/O trace of {node}: unreadable ({e})")
        return
    if keep_as and lab.run_dir:
        with open(os.path.join(lab.run_dir, keep_as), "w") as f:
            f.write(text)
    events = parse(text)
    if not events:
        log(f"I/O trace of {node}: no events")
        return
    lost = unfinished(events)
    kept = f" (whole trace: {os.path.join(lab.run_dir, keep_as)})" if keep_as and lab.run_dir else ""
    for sector, hist in lost[:8]:
        log(f"I/O trace of {node}: bio at sector {sector}, its last events:")
        for e in hist[-10:]:
            log("    " + fmt(e))
    # The gist last: what a truncated log still shows.
    log(f"I/O trace of {node}: {len(events)} events from {events[0]['ts']:.3f}s to "
        f"{events[-1]['ts']:.3f}s, {len(lost)} bio(s) queued and never finished{kept}")
    for sector, hist in lost[:8]:
        last = hist[-1]
        log(f"  sector {sector}: queued at {hist[0]['ts']:.3f}s, last {last['event']} at {last['ts']:.3f}s"
            + (" (aborted: its bio waits to be sent again)" if last.get("status") else ""))
