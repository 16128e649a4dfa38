// SPDX-License-Identifier: GPL-2.0

//! Announcements of moved addresses to the peers: a gratuitous ARP for
//! each IPv4 address and an unsolicited neighbour advertisement for each
//! IPv6 address of a netdev (`NETDEV_NOTIFY_PEERS`), repeated
//! `announce-count` times `announce-interval` apart.

use super::planned_move::{carried_out, Move};
use crate::logic::announce::redundant;
use crate::logic::group::NS_PER_MS;
use crate::sys::netdev::NetDevRef;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Announcements still to repeat on a netdev.
struct Announce {
    dev: NetDevRef,
    left: u32,
    interval_ns: u64,
    next_ns: u64,
}

/// The pending announcements.
#[pin_data]
pub(crate) struct Announcer {
    #[pin]
    pending: Mutex<KVec<Announce>>,
}

impl Announcer {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            pending <- new_mutex!(KVec::new(), "rdmaip_announces"),
        })
    }

    /// Schedules announcements, from `now` on, of the netdevs that the
    /// moves carried out put addresses on.
    pub(crate) fn schedule(&self, moves: &[Move], done: &[bool], now: u64) {
        let mut list = self.pending.lock();
        for (_, m) in carried_out(moves, done) {
            // One announcement covers every address of the netdev.
            let pending = list
                .iter()
                .filter(|a| a.dev.is(&m.to_dev))
                .map(|a| a.next_ns);
            if redundant(pending, now) {
                continue;
            }
            let announce = Announce {
                dev: NetDevRef::new(&m.to_dev),
                left: m.announce_count,
                interval_ns: u64::from(m.announce_interval_ms) * NS_PER_MS,
                next_ns: now,
            };
            if list.push(announce, GFP_KERNEL).is_err() {
                pr_err!(
                    "out of memory: {} is not announced on {}\n",
                    m.info.addr,
                    m.to_name
                );
            }
        }
    }

    /// Sends the announcements that are due (with no lock held: it takes
    /// rtnl) and returns when the next one is.
    pub(crate) fn send_due(&self) -> Option<u64> {
        loop {
            let now = crate::sys::clock::mono_ns();
            let due = {
                let mut list = self.pending.lock();
                list.iter_mut()
                    .find(|a| a.left > 0 && a.next_ns <= now)
                    .map(|a| {
                        a.left -= 1;
                        a.next_ns = now + a.interval_ns;
                        NetDevRef::new(&a.dev)
                    })
            };
            match due {
                Some(dev) => dev.notify_peers(),
                None => break,
            }
        }
        let mut list = self.pending.lock();
        // Drop finished ones: rebuild, since `KVec` cannot remove.
        if list.iter().any(|a| a.left == 0) {
            let mut keep = KVec::new();
            for a in core::mem::take(&mut *list) {
                if a.left > 0 && keep.push(a, GFP_KERNEL).is_err() {
                    pr_err!("out of memory: an announcement repeat is dropped\n");
                }
            }
            *list = keep;
        }
        list.iter().map(|a| a.next_ns).min()
    }
}
