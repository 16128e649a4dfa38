# SPDX-License-Identifier: GPL-2.0
"""The evidence a failed lab step leaves in the test log."""

import os
import re

from .monitor import MONITOR_LOG
from .paths import RDMAIPCTL
from .topology import NODES


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
    for node in NODES:
        mon_from, _ = marks.get(node, (1, 0))
        if lab.alive(node):
            script = (EVIDENCE.replace("@R@", RDMAIPCTL).replace("@LOG@", MONITOR_LOG)
                      .replace("@FROM@", str(mon_from)))
            try:
                pending[node] = lab.exec_async(node, script, timeout=60)
            except Exception as e:
                pending[node] = e
    text = [f"==== evidence{': ' + why if why else ''} (run directory, kept: {lab.run_dir})"]
    for node in NODES:
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
