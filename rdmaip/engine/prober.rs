// SPDX-License-Identifier: GPL-2.0

//! Path probing's rounds, on a worker of their own, so that a long
//! failover pass never delays a probe (a late round only delays the next:
//! misses count probes, not time).
//!
//! One run:
//!
//! 1. taps for replies exist exactly while some group probes (taking and
//!    removing them needs no rdmaip lock);
//! 2. under the registry lock, feed the queued replies to their probers,
//!    tick the probers that are due, fold verdict changes into the
//!    members' health, and take a reference on each netdev to probe from
//!    (`state::probing`);
//! 3. with no lock held, send the probes, report health and targets
//!    changes, and let the failover engine act on the new health;
//! 4. arm the timer for the next round.

use super::Engine;
use crate::logic::group::NS_PER_MS;
use crate::logic::rtaddr::IpAddr;
use crate::output::monitor;
use crate::state::probing::ProbeReplies;
use crate::state::registry::PortRegistry;
use crate::sys::clock::{mono_ns, WallTime};
use crate::sys::workq::{Job, Worker};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// What receives probe replies (the input layer's packet taps).
pub(crate) trait ReplyTaps: Send + Sync + 'static {
    /// Puts the taps in place (`on`) or removes them; may sleep. Called
    /// with no rdmaip lock held.
    fn set(&self, on: bool);
}

/// The prober's job.
#[pin_data]
pub(crate) struct ProbeRounds {
    registry: Arc<PortRegistry>,
    replies: Arc<ProbeReplies>,
    engine: Arc<Worker<Engine>>,
    taps: Arc<dyn ReplyTaps>,
    /// IPv6 probes not sent because the member's netdev had no link-local
    /// address.
    no_source: AtomicU64,
}

impl ProbeRounds {
    pub(crate) fn new(
        registry: Arc<PortRegistry>,
        replies: Arc<ProbeReplies>,
        engine: Arc<Worker<Engine>>,
        taps: Arc<dyn ReplyTaps>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            registry,
            replies,
            engine,
            taps,
            no_source: AtomicU64::new(0),
        }? Error)
    }

    /// Removes the taps (module unload, with the worker stopped).
    pub(crate) fn shut_down(&self) {
        self.taps.set(false);
    }
}

impl Job for ProbeRounds {
    fn run(&self, worker: &Worker<Self>) {
        let replies = self.replies.take();
        let round = self.registry.probe_round(&replies, mono_ns());
        // Taps exist while some group probes.
        self.taps.set(round.next.is_some());
        for p in round.probes.iter() {
            let Some(netdev) = round.netdevs.get(p.netdev) else {
                continue;
            };
            match p.target {
                IpAddr::V4(a) => netdev.arp_probe(a),
                IpAddr::V6(a) => {
                    // Unsent, it counts as a miss; said once per load.
                    if netdev.ns_probe(&a).is_err()
                        && self.no_source.fetch_add(1, Ordering::Relaxed) == 0
                    {
                        pr_warn!("IPv6 probes need a link-local address on each member's netdev; one has none\n");
                    }
                }
            }
        }
        drop(round.netdevs);
        monitor::port_health_changes(&round.outcome.health);
        let at = WallTime::now();
        for c in round.targets.iter() {
            monitor::probe_targets(&c.group, c.unreachable, at);
        }
        if round.outcome.engine_must_run {
            self.engine.kick();
        }
        if let Some(next) = round.next {
            let ms = next
                .saturating_sub(mono_ns())
                .div_ceil(NS_PER_MS)
                .min(u64::from(u32::MAX)) as u32;
            worker.kick_in(ms.max(1));
        }
    }
}
