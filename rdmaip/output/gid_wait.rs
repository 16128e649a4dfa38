// SPDX-License-Identifier: GPL-2.0

//! Before rdma_cm ids hear that their address moved: the moved addresses'
//! GIDs in their new RoCE ports' GID tables.
//!
//! A consumer told `ADDR_CHANGE` may bind to the address again at once
//! (nvmet-rdma re-creates its listener from a work item without delay),
//! and `rdma_bind_addr()` finds the RDMA device by the address's GID.
//! ib_core adds that GID from a work item of its own after the address
//! appears on the netdev; a consumer that binds first fails with ENODEV,
//! and nvmet-rdma tries again only 5 s later. The wait is bounded: a GID
//! that never comes (a full GID table) must not hold the events back.

use super::planned_move::Move;
use crate::sys::clock::{mono_ns, sleep_us};
use crate::sys::ib::LinkLayer;
use kernel::prelude::*;

/// The longest wait, for all moves of one pass together.
const WAIT_MAX_NS: u64 = 200_000_000;
/// Between two looks at the GID tables.
const POLL_US: u32 = 500;

/// Whether move `m`'s address still lacks its GID on its new port.
fn gid_missing(m: &Move) -> bool {
    m.to_ib.link_layer(m.to.port) == LinkLayer::Ethernet
        && !m.to_ib.has_roce_gid(m.to.port, &m.to_dev, &m.info.addr)
}

/// Returns once every address moved (`done`) to a RoCE port has its GID
/// there, or after `WAIT_MAX_NS`. Sleeps: call with no lock held.
pub(crate) fn wait_for_gids(moves: &[Move], done: &[bool]) {
    let start = mono_ns();
    loop {
        let missing = moves
            .iter()
            .zip(done)
            .filter(|(m, ok)| **ok && gid_missing(m))
            .count();
        if missing == 0 {
            return;
        }
        if mono_ns().saturating_sub(start) >= WAIT_MAX_NS {
            pr_warn!(
                "{} moved address(es) without their GID after {} ms; rdma_cm ids told anyway\n",
                missing,
                WAIT_MAX_NS / 1_000_000
            );
            return;
        }
        sleep_us(POLL_US);
    }
}
