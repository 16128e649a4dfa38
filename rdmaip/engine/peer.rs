// SPDX-License-Identifier: GPL-2.0

//! The peer notifier: one pass over the neighbour updates queued since the
//! last, on its own worker, so that telling ids about a peer's move never
//! waits behind a local failover pass (or the reverse).
//!
//! 1. take the queued updates (`state::peers`);
//! 2. per netdev, keep them only if the netdev is behind an RDMA port, and
//!    find that port's devices (`state::registry`);
//! 3. with no lock held, tell the connected ids on those devices whose
//!    remote address moved (`output::remote_cm_events`, deciding with
//!    `logic::peer`);
//! 4. make again the neighbour entries the kernel removed while connected
//!    ids depend on them (`output::remote_cm_events`);
//! 5. count, log and report the moves.

use crate::logic::peer::NeighUpdate;
use crate::output::remote_cm_events::{self, Told};
use crate::state::peers::PeerState;
use crate::state::registry::PortRegistry;
use crate::sys::clock::mono_ns;
use crate::sys::workq::{Job, Worker};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// The peer notifier's job.
#[pin_data]
pub(crate) struct PeerNotifier {
    registry: Arc<PortRegistry>,
    peers: Arc<PeerState>,
    /// What each id was last told. Only passes use it, and they never
    /// overlap; it is taken out of the mutex while ids are told, so no
    /// rdmaip lock is held while consumers' handlers run.
    #[pin]
    told: Mutex<KVec<Told>>,
}

impl PeerNotifier {
    pub(crate) fn new(
        registry: Arc<PortRegistry>,
        peers: Arc<PeerState>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            registry,
            peers,
            told <- new_mutex!(KVec::new(), "rdmaip_peer_told"),
        }? Error)
    }

    /// Handles the updates of one netdev.
    fn netdev_pass(&self, ifindex: u32, batch: &[NeighUpdate]) {
        let Some((devs, ifname)) = self.registry.devices_on_netdev(ifindex) else {
            return;
        };
        let mut updates = KVec::new();
        for u in batch.iter().filter(|u| u.ifindex == ifindex) {
            if updates.push(*u, GFP_KERNEL).is_err() {
                pr_err!(
                    "out of memory: neighbour updates on {} not examined\n",
                    ifname
                );
                return;
            }
        }
        self.peers.count_updates(updates.len());
        if !self.peers.enabled() || devs.is_empty() {
            return;
        }
        let mut told = core::mem::take(&mut *self.told.lock());
        let start = mono_ns();
        let moves = remote_cm_events::deliver(&devs, &updates, &mut told);
        let delivery_us = mono_ns().saturating_sub(start) / 1000;
        *self.told.lock() = told;
        remote_cm_events::remake_entries(&moves);
        remote_cm_events::report(&ifname, &moves, delivery_us, &|ids| {
            self.peers.count_move(ids)
        });
    }
}

impl Job for PeerNotifier {
    fn run(&self, _worker: &Worker<Self>) {
        let batch = self.peers.take();
        for (i, u) in batch.iter().enumerate() {
            // Each netdev once, at its first update.
            if batch.iter().take(i).all(|e| e.ifindex != u.ifindex) {
                self.netdev_pass(u.ifindex, &batch);
            }
        }
    }
}
