// SPDX-License-Identifier: GPL-2.0

//! `RDMA_CM_EVENT_ADDR_CHANGE` for every rdma_cm id bound to a moved
//! address (see `sys/cm_ids.rs`).

use super::moved_index;
use super::planned_move::Move;
use crate::logic::rtaddr::IpAddr;
use crate::state::registry::PortRegistry;
use crate::sys::clock::mono_ns;
use crate::sys::cm_ids;
use kernel::prelude::*;

/// What local consumers were told about the moves of one pass.
pub(crate) struct CmDelivery {
    /// Per move: how many rdma_cm ids got ADDR_CHANGE.
    counts: KVec<u32>,
    /// How long delivering to every id took (all moves of the pass).
    delivery_us: u64,
}

impl CmDelivery {
    /// How many ids were told about move `i`.
    pub(crate) fn count(&self, i: usize) -> u32 {
        self.counts.get(i).copied().unwrap_or(0)
    }

    /// (ids notified, delivery time) for move `i`, when local notification
    /// is available.
    pub(crate) fn of(&self, i: usize) -> Option<(u32, u64)> {
        cm_ids::AVAILABLE.then(|| (self.count(i), self.delivery_us))
    }
}

/// Tells every rdma_cm id bound to an address the moves carried out
/// (`done`) moved: one scan of each device's ids for all of them. No lock
/// is held: consumers' handlers may sleep and call into rdmaip.
pub(crate) fn deliver(registry: &PortRegistry, moves: &[Move], done: &[bool]) -> CmDelivery {
    // Without memory for the counts, ids are still notified; the counts
    // read 0.
    let counts = match KVec::from_elem(0u32, moves.len(), GFP_KERNEL) {
        Ok(c) => c,
        Err(_) => {
            pr_warn!("out of memory: rdma_cm ids notified are not counted\n");
            KVec::new()
        }
    };
    let mut cm = CmDelivery {
        counts,
        delivery_us: 0,
    };
    let start = mono_ns();
    if cm_ids::AVAILABLE && done.iter().any(|ok| *ok) {
        let moved = moved_index::of_done(moves, done);
        let wanted = |a: &IpAddr| moved.find(a, |_| true);
        for dev in registry.cm_devices().iter() {
            cm_ids::notify_addr_change(dev, &wanted, &mut |i| {
                if let Some(c) = cm.counts.get_mut(i) {
                    *c += 1;
                }
            });
        }
    }
    cm.delivery_us = mono_ns().saturating_sub(start) / 1000;
    cm
}
