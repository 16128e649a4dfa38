#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Block device progress sampler for the lab's consumer tests (in a guest).

    iostat.py DEV[,DEV...] OUTFILE [--interval S]

Reads /sys/block/DEV/stat every S seconds (default 0.05) and writes a line
"<epoch> <reads completed> <writes completed>" whenever the completed
counts changed, until OUTFILE + ".stop" exists. Several devices (the
paths of a multipath namespace) are summed.
"""

import os
import sys
import time


def main():
    devs, out = sys.argv[1].split(","), sys.argv[2]
    interval = float(sys.argv[sys.argv.index("--interval") + 1]) if "--interval" in sys.argv else 0.05
    stop = out + ".stop"
    last = None
    with open(out, "w") as f:
        while not os.path.exists(stop):
            try:
                cur = (0, 0)
                for dev in devs:
                    with open(f"/sys/block/{dev}/stat") as st:
                        fields = st.read().split()
                    cur = (cur[0] + int(fields[0]), cur[1] + int(fields[4]))
            except (OSError, ValueError, IndexError):
                cur = None
            if cur is not None and cur != last:
                f.write(f"{time.time():.6f} {cur[0]} {cur[1]}\n")
                f.flush()
                last = cur
            time.sleep(interval)


if __name__ == "__main__":
    main()
