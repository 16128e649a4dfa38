# SPDX-License-Identifier: GPL-2.0
"""A node's RDMA stack state, for the log when a consumer's traffic
does not come back."""


# What a node's RDMA stack looks like when a consumer's traffic does not
# come back (a bash snippet; each reader bounded, a wedged one must not hide
# the rest): QPs with their states (QP1 carries the CM's MADs), rxe's
# counters, the CM's per-message counters, the GIDs in use, addresses,
# neighbours, the log.
RDMA_STATE = r"""
timeout 10 rdma resource show qp
timeout 10 rdma resource show cm_id
timeout 10 rdma statistic show
for d in /sys/class/infiniband/*/ports/1; do
  for c in cm_tx_msgs cm_tx_retries cm_tx_duplicates cm_rx_msgs cm_rx_duplicates; do
    echo "${d#/sys/class/infiniband/} $c: $(cd $d/$c 2>/dev/null && grep -H . * | grep -v ':0$' | tr '\n' ' ')"
  done
done
grep -H -v -e '^0000:0000:0000:0000:0000:0000:0000:0000' -e '^fe80' \
  /sys/class/infiniband/*/ports/1/gids/* 2>/dev/null
ip -br addr; ip neigh show
dmesg | tail -n 30
"""


def log_node_state(lab, node, script, log):
    """Runs a diagnostic snippet on ``node`` and logs its output."""
    rc, out = lab.exec(node, script, timeout=120)
    log(f"node {node}:")
    for line in out.splitlines() + ([f"(rc {rc})"] if rc else []):
        log("  " + line)
