# SPDX-License-Identifier: GPL-2.0
"""rdmaip's lab library: the two-node QEMU lab, the lab tests' fixtures
and their KTAP output. Python 3 standard library only; importing the
package imports nothing else (import the modules you need):

    paths       the repository, guest-side helpers, the rdmaipctl binary
    topology    nodes, NICs, addresses, netdev and rxe names, MACs
    host        errors, bounded host commands, the cached lab kernel
    qemu        one VM: QEMU, its guest agent's channel, QMP, console
    lab         Lab: both VMs on two switches; commands, link cuts
    ktap        Tap: KTAP version 1 output with the summary line CI reads
    kernel_log  rdmaip's kernel log lines, its complaints, kernel bugs
    monitor     load_rdmaip with an `rdmaipctl monitor` log per node
    nodes       setup_nic, add_rxe, guest_now
    evidence    collect_evidence: what a failed step leaves in the log
    node_state  the RDMA stack's state, for a consumer that stalls
    runner      run_in_lab: boot, run the steps, check the kernels
    group       group g0 on a node; waiting for ports and addresses
    failover    node A's group with IPv4 and IPv6 homes on both NICs
    cutter      cut/restore cycles around a moving address
    stalls      per-cut stalls from a consumer's progress timestamps
    rds         RDS over RDMA as a consumer (B sends, A receives)
    nvmeof      NVMe over RDMA as a consumer (target A, host B, fio)
    nvme_multipath  the same subsystem on both of A's ports, one head on B
    io_trace    B's block and nvme tracepoints: the bios that never finished

Tests in selftests/lab import it directly (their directory is on
sys.path); tools add selftests/lab to sys.path first. Guest-side programs
stay where the guests run them: tools/lab/guest-init.py and
guest_agent.py, selftests/lab/consumers/, selftests/lab/*.py helpers.
"""
