# SPDX-License-Identifier: GPL-2.0
"""The connection manager's tracepoints on a node, in a trace instance of
its own: what rdma_cm (rdma_cma), the IB CM (ib_cma), the MAD layer
(ib_mad) and the neighbour table (neigh) did between a cut and the consumer's
reconnect, so that a slow reconnect shows where its time went (an address
or route resolution, a REQ sent again after its timeout, a reject).

The instance's clock is TAI, which the guests keep equal to their wall
clock (no leap-second offset is ever set in them): its timestamps compare
directly with the Cutter's marks (``date +%s.%N`` on the same node) and
with rdmaip's own ``at <time>`` in the kernel log. A separate instance
keeps these few events apart from the block layer's (io_trace), which
would overwrite them in a shared buffer."""

import os
import re

INSTANCE = "/sys/kernel/debug/tracing/instances/rdmaip-cm"
SYSTEMS = ("rdma_cma", "ib_cma", "ib_mad", "neigh")
TS = re.compile(r"\s(\d+\.\d+): ")


def start(lab, node, buffer_kb=4096):
    """Starts tracing on ``node`` (the systems whose modules are loaded)."""
    script = [f"mkdir -p {INSTANCE}", f"cd {INSTANCE}", "echo 0 > tracing_on", "echo tai > trace_clock",
              f"echo {buffer_kb} > buffer_size_kb", "echo > trace"]
    script += [f"{{ [ ! -d events/{s} ] || echo 1 > events/{s}/enable; }}" for s in SYSTEMS]
    script.append("echo 1 > tracing_on")
    lab.check(node, " && ".join(script))


def lines(lab, node):
    """The trace's event lines (header comments dropped)."""
    rc, out = lab.exec(node, f"cat {INSTANCE}/trace", timeout=120)
    return [] if rc else [line for line in out.splitlines() if line and not line.startswith("#")]


def window(trace, t0, t1, limit=200):
    """The lines of ``trace`` stamped from ``t0`` to ``t1`` (s, TAI), at most
    ``limit`` (the first ones: the start of a stall is what explains it)."""
    out = []
    for line in trace:
        m = TS.search(line)
        if m and t0 <= float(m.group(1)) <= t1:
            out.append(line)
            if len(out) >= limit:
                out.append("... (window cut short)")
                break
    return out


def keep(lab, node, trace, tag):
    """Keeps the whole trace in the run directory as <node>.<tag>.cm-trace.txt."""
    path = os.path.join(lab.run_dir, f"{node}.{tag}.cm-trace.txt")
    with open(path, "w") as f:
        f.write("\n".join(trace) + "\n")
    return path
