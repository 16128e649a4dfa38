# SPDX-License-Identifier: GPL-2.0
"""KTAP (version 1) output for rdmaip's lab tests.

Prints ``KTAP version 1``, the plan ``1..N`` (first if the count is
known, else after the last result), one ``ok``/``not ok`` line per test
with the diagnostics of a failure as ``#`` lines, then kselftest's totals
line ``# Totals: pass:P fail:F xfail:0 xpass:0 skip:S error:0`` and last
the summary line ``N passed, N failed`` (``, N skipped`` if any) that
selftests/run.sh and soak.sh read.

``on_fail``, if set, is called with a failed test's name right after its
``not ok`` line and diagnostics (the lab tests print their evidence there);
whatever it raises is printed as diagnostics, not propagated.
"""

import sys
import time
import traceback


class Tap:
    def __init__(self, planned=None, out=sys.stdout):
        self.out = out
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.planned = planned
        self.on_fail = None
        self._in_on_fail = False
        self._print("KTAP version 1")
        if planned is not None:
            self._print(f"1..{planned}")

    def _print(self, line):
        print(line, file=self.out, flush=True)

    def diag(self, text):
        for line in str(text).rstrip().splitlines():
            self._print(f"# {line}")

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            self.passed += 1
            self._print(f"ok {self.n} {name}")
        else:
            self.failed += 1
            self._print(f"not ok {self.n} {name}")
            if diag:
                self.diag(diag)
            self._failed_hook(name)
        return cond

    def _failed_hook(self, name):
        if self.on_fail is None or self._in_on_fail:
            return
        self._in_on_fail = True
        try:
            self.on_fail(name)
        except Exception as e:  # evidence is best effort: never hide the failure
            self.diag(f"(collecting evidence failed: {type(e).__name__}: {e})")
        finally:
            self._in_on_fail = False

    def skip(self, name, reason):
        self.n += 1
        self.skipped += 1
        self._print(f"ok {self.n} {name} # SKIP {reason}")

    def run(self, name, fn, *args, **kwargs):
        """Runs ``fn``; it passes unless it raises. Returns its result."""
        start = time.monotonic()
        try:
            result = fn(*args, **kwargs)
        except Exception as e:  # a failing test must not stop the others
            self.ok(False, name, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
                    f"{name}: failed after {time.monotonic() - start:.1f}s")
            return None
        self.diag(f"{name}: {time.monotonic() - start:.1f}s")
        self.ok(True, name)
        return result

    def finish(self):
        if self.planned is None:
            self._print(f"1..{self.n}")
        elif self.n != self.planned:
            self.failed += self.planned - self.n if self.planned > self.n else 0
            self.diag(f"planned {self.planned} tests, ran {self.n}")
        self._print(f"# Totals: pass:{self.passed} fail:{self.failed} xfail:0 xpass:0 "
                    f"skip:{self.skipped} error:0")
        summary = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            summary += f", {self.skipped} skipped"
        self._print(summary)
        return 0 if self.failed == 0 else 1
