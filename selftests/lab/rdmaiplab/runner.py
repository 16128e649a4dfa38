# SPDX-License-Identifier: GPL-2.0
"""run_in_lab: a lab test's frame, printing KTAP."""

import traceback

from .evidence import collect_evidence
from .kernel_log import complaints
from .ktap import Tap
from .lab import Lab
from .monitor import start_monitors
from .topology import NODES


def run_in_lab(steps):
    """Boots the lab, runs ``steps(tap, lab)``, then fails if either node's
    kernel warned, oopsed or reported a lockdep problem. Every failed step
    leaves its evidence in the log (collect_evidence) and keeps the run
    directory. Prints KTAP and returns the exit code."""
    tap = Tap()
    booted = False
    try:
        with Lab() as lab:
            booted = True
            tap.ok(True, "lab: both nodes booted")
            tap.on_fail = lambda name: collect_evidence(lab, tap.diag, f"not ok {tap.n} {name}")
            try:
                start_monitors(lab)
                steps(tap, lab)
            except Exception as e:  # a step outside tap.run: report it with its evidence
                tap.ok(False, "steps: the test ran to its end",
                       f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
            for node in NODES:
                found = complaints(lab, node)
                if found:
                    tap.diag(f"node {node}: rdmaip logged {len(found)} error(s) or warning(s):\n"
                             + "\n".join(found[:20]) + ("\n..." if len(found) > 20 else ""))
            problems = {node: lab.kernel_problems(node) for node in NODES}
            tap.ok(not any(problems.values()), "kernel: no WARN, lockdep report or oops on either node",
                   problems)
            tap.on_fail = None
    except Exception as e:  # the lab itself failed: report, do not hide it
        tap.on_fail = None
        tap.ok(False, "lab: both nodes booted" if not booted else "lab: torn down",
               f"{type(e).__name__}: {e}")
    return tap.finish()
