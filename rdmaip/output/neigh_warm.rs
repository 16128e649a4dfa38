// SPDX-License-Identifier: GPL-2.0

//! Before rdma_cm ids hear that their address moved: the neighbours they
//! are connected to, resolved from the address's new netdev.
//!
//! A consumer told `ADDR_CHANGE` reconnects through `rdma_resolve_addr()`.
//! In 6.12, `rdma_resolve_ip()` finds the neighbour entry not valid
//! (`dst_fetch_ha()`), sends the request (`neigh_event_send()`), and only
//! then queues itself on the list that a neighbour update wakes
//! (`queue_req()`). A reply processed in between, even inside
//! `neigh_event_send()` (the receive softirq runs when it re-enables
//! bottom halves), wakes nothing, and the resolution completes when its
//! timeout comes round: 3 s later for nvme-rdma. After a move the new
//! netdev usually has no entry for the peer (a carrier loss flushes them),
//! so every reconnect runs that race; in the lab the reply won it in 19
//! of 150 host-side NVMe-oF cuts and restores (test_nvmeof's cm trace:
//! the ARP reply 9 ms after the request, `ADDR_RESOLVED` 3.4 s after it).
//! rdmaip resolves those entries itself, right after the move and its
//! first announcement, and waits for them, briefly, before it tells the
//! ids: a consumer that finds the entry valid uses it at once and sends no
//! request of its own.

use super::moved_index;
use super::planned_move::Move;
use crate::logic::rtaddr::IpAddr;
use crate::state::registry::PortRegistry;
use crate::sys::clock::{mono_ns, sleep_us};
use crate::sys::cm_ids;
use crate::sys::neigh_resolve::{self, Neigh};
use kernel::prelude::*;

/// The longest wait for the entries, from the start of their resolution:
/// a peer that does not answer (down itself) must not hold the events
/// back for long.
const WAIT_MAX_NS: u64 = 50_000_000;
/// Between two looks at the entries.
const POLL_US: u32 = 1000;

/// The (moved address, peer) pairs whose neighbour entries were not yet
/// valid, and when their resolution started.
pub(crate) struct Warming {
    pending: KVec<(IpAddr, IpAddr)>,
    start: u64,
}

/// Starts resolving, from their new netdevs, the neighbours that the
/// connected rdma_cm ids of the addresses moved (`done`) lead to. Call
/// with no lock held, after the moves (and their first announcement).
pub(crate) fn start(registry: &PortRegistry, moves: &[Move], done: &[bool]) -> Warming {
    let mut w = Warming {
        pending: KVec::new(),
        start: mono_ns(),
    };
    if !cm_ids::AVAILABLE || !done.iter().any(|ok| *ok) {
        return w;
    }
    let moved = moved_index::of_done(moves, done);
    let wanted = |a: &IpAddr| moved.find(a, |_| true).is_some();
    let mut pairs: KVec<(IpAddr, IpAddr)> = KVec::new();
    for dev in registry.cm_devices().iter() {
        cm_ids::connected_peers(dev, &wanted, &mut |src, dst| {
            // An optimisation: without memory, consumers resolve the
            // neighbour themselves as before.
            let _ = pairs.push((src, dst), GFP_KERNEL);
        });
    }
    // Many ids share a peer: each entry once.
    pairs.sort_unstable();
    let mut last = None;
    for pair in pairs.iter() {
        if last == Some(pair) {
            continue;
        }
        last = Some(pair);
        if neigh_resolve::resolve(&pair.0, &pair.1) == Ok(Neigh::Resolving) {
            let _ = w.pending.push(*pair, GFP_KERNEL);
        }
    }
    w
}

impl Warming {
    /// Returns once every entry started is valid, or `WAIT_MAX_NS` after
    /// the start. Sleeps: call with no lock held.
    pub(crate) fn wait(self) {
        let still = |(src, dst): &(IpAddr, IpAddr)| {
            neigh_resolve::resolve(src, dst) == Ok(Neigh::Resolving)
        };
        while self.pending.iter().any(still) && mono_ns().saturating_sub(self.start) < WAIT_MAX_NS {
            sleep_us(POLL_US);
        }
    }
}
