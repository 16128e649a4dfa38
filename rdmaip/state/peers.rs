// SPDX-License-Identifier: GPL-2.0

//! The peer side's state: whether peer notification is on, the neighbour
//! updates waiting for the peer notifier, and its counters.
//!
//! The queue is filled by the neighbour notifier in atomic context (under
//! an interrupt-safe spinlock, allocating with `GFP_ATOMIC`) and emptied by
//! the peer notifier's worker. Updates of one entry that arrive before the
//! worker runs are folded into one: only the entry's latest state matters.

use crate::logic::peer::NeighUpdate;
use crate::sys::irq_lock::IrqSpinLock;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::prelude::*;

/// Most distinct entries waiting at once; more are dropped (and counted).
/// Bounds the time the notifier spends searching the queue with
/// interrupts off.
const MAX_PENDING: usize = 1024;

/// Counters of the peer side, as `module-get` reports them.
#[derive(Clone, Copy, Default)]
pub(crate) struct PeerCounters {
    pub(crate) remote_moves: u64,
    pub(crate) ids_notified: u64,
    pub(crate) neigh_updates: u64,
    pub(crate) neigh_updates_dropped: u64,
}

/// The peer side's state.
#[pin_data]
pub(crate) struct PeerState {
    enabled: AtomicBool,
    #[pin]
    pending: IrqSpinLock<KVec<NeighUpdate>>,
    remote_moves: AtomicU64,
    ids_notified: AtomicU64,
    neigh_updates: AtomicU64,
    dropped: AtomicU64,
}

impl PeerState {
    /// On, with nothing queued.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            enabled: AtomicBool::new(true),
            pending <- IrqSpinLock::new(KVec::new()),
            remote_moves: AtomicU64::new(0),
            ids_notified: AtomicU64::new(0),
            neigh_updates: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    /// Whether peer notification is on.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns peer notification on or off; off also drops what is queued.
    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            drop(self.take());
        }
    }

    /// Queues `update` (atomic context), or folds it into a queued update
    /// of the same entry; returns whether the queue was empty before, when
    /// the worker must be woken (otherwise a run that will take the queue
    /// is already pending: the worker takes it first thing).
    pub(crate) fn queue(&self, update: &NeighUpdate) -> bool {
        let (queued, was_empty) = self.pending.with(|q| {
            let was_empty = q.is_empty();
            if let Some(e) = q.iter_mut().find(|e| e.same_entry(update)) {
                e.merge(update);
                return (true, false);
            }
            let queued = q.len() < MAX_PENDING && q.push(*update, GFP_ATOMIC).is_ok();
            (queued, was_empty)
        });
        if !queued {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queued && was_empty
    }

    /// Everything queued, oldest first; the queue is left empty.
    pub(crate) fn take(&self) -> KVec<NeighUpdate> {
        self.pending.with(core::mem::take)
    }

    /// Counts `n` neighbour updates examined.
    pub(crate) fn count_updates(&self, n: usize) {
        self.neigh_updates.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts a remote move whose ids were told (`ids` of them).
    pub(crate) fn count_move(&self, ids: u32) {
        self.remote_moves.fetch_add(1, Ordering::Relaxed);
        self.ids_notified
            .fetch_add(u64::from(ids), Ordering::Relaxed);
    }

    /// The counters now.
    pub(crate) fn counters(&self) -> PeerCounters {
        PeerCounters {
            remote_moves: self.remote_moves.load(Ordering::Relaxed),
            ids_notified: self.ids_notified.load(Ordering::Relaxed),
            neigh_updates: self.neigh_updates.load(Ordering::Relaxed),
            neigh_updates_dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}
