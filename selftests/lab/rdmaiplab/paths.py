# SPDX-License-Identifier: GPL-2.0
"""Where things are. The guests see the repository at its own path (a 9p
share), so every path here is valid on the host and in the guests."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# PID 1 of a lab VM (on its kernel command line); guest_agent.py next to it.
GUEST_INIT = os.path.join(ROOT, "tools", "lab", "guest-init.py")
# The lab tests' guest-side helpers (genl_raw.py, genl_fuzz.py, cm_reconnect.py).
LAB_TESTS = os.path.join(ROOT, "selftests", "lab")
# The consumers' guest-side programs (rds_send.py, nvmet.sh, iostat.py...).
CONSUMERS = os.path.join(LAB_TESTS, "consumers")

# The rdmaipctl the guests run. RDMAIP_RDMAIPCTL: another binary (a path
# the guests see: not under /tmp, /run or /root), e.g. a copy that a `cargo
# build` in the shared checkout cannot replace under a running lab (the
# guests cache the file: a binary rebuilt meanwhile was seen to crash in
# them).
RDMAIPCTL = os.environ.get("RDMAIP_RDMAIPCTL") or os.path.join(ROOT, "target", "debug", "rdmaipctl")
