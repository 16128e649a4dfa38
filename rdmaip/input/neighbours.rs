// SPDX-License-Identifier: GPL-2.0

//! Neighbour updates (atomic context) queued for the peer notifier.

use crate::engine::peer::PeerNotifier;
use crate::logic::peer::NeighUpdate;
use crate::state::peers::PeerState;
use crate::sys::neigh_notifier::NeighListener;
use crate::sys::workq::Worker;
use kernel::sync::Arc;

/// Queues neighbour updates and wakes the peer notifier.
pub(crate) struct Neighbours {
    pub(crate) peers: Arc<PeerState>,
    pub(crate) notifier: Arc<Worker<PeerNotifier>>,
}

impl NeighListener for Neighbours {
    fn updated(&self, update: &NeighUpdate) {
        // One wake-up per batch, not per update: a burst of announcements
        // costs one `mod_delayed_work()`.
        if self.peers.enabled() && self.peers.queue(update) {
            self.notifier.kick();
        }
    }
}
