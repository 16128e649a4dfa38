// SPDX-License-Identifier: GPL-2.0

//! Path probing's state: each group's prober (decisions in
//! `logic::probe`), the replies the packet taps queued for it, and what one
//! probing round hands to the caller.
//!
//! Replies are queued by the taps in softirq context (under an
//! interrupt-safe spinlock, allocating with `GFP_ATOMIC`), stamped with
//! their arrival time, and fed to the probers by the next round, before it
//! resolves the probes they answer. Nothing wakes the prober for a reply:
//! only the round's deadline matters.

use super::group_name::GroupName;
use super::health_changes::{HealthChanges, Outcome};
use super::registry::PortRegistry;
use super::tables::Tables;
use crate::logic::group::MAX_MEMBERS;
use crate::logic::port::PortInput;
use crate::logic::probe::{
    Changes, MemberProbe, MemberStore, ProbeSettings, Prober, TargetsEvent, Verdict,
};
use crate::logic::rtaddr::IpAddr;
use crate::sys::irq_lock::IrqSpinLock;
use crate::sys::netdev::NetDevRef;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::prelude::*;

/// A prober's member slots, on the heap: a whole prober is some kilobytes
/// and must never be built on the kernel stack.
pub(crate) struct ProbeSlots(KVec<MemberProbe>);

impl MemberStore for ProbeSlots {
    fn slots(&self) -> &[MemberProbe] {
        &self.0
    }
    fn slots_mut(&mut self) -> &mut [MemberProbe] {
        &mut self.0
    }
}

/// A group's prober.
pub(crate) type GroupProber = Prober<ProbeSlots>;

/// A prober with these settings and no members.
pub(crate) fn new_prober(settings: ProbeSettings, seed: u32) -> Result<GroupProber> {
    let mut slots = KVec::with_capacity(MAX_MEMBERS, GFP_KERNEL)?;
    for _ in 0..MAX_MEMBERS {
        slots.push(MemberProbe::VACANT, GFP_KERNEL)?;
    }
    Ok(Prober::with_store(settings, seed, ProbeSlots(slots)))
}

/// A reply as a tap saw it.
#[derive(Clone, Copy)]
pub(crate) struct ProbeReply {
    /// The netdev it arrived on.
    pub(crate) ifindex: i32,
    /// The target it answers for (the ARP sender, the advertised target).
    pub(crate) from: IpAddr,
    /// When it arrived (monotonic ns).
    pub(crate) at_ns: u64,
}

/// Most replies waiting at once; more are dropped (and counted), so a
/// flood on the segment cannot grow the queue. A round has at most 16
/// members x 8 targets answers.
const MAX_PENDING: usize = 512;

/// The replies waiting for the next round, and whether any group probes.
#[pin_data]
pub(crate) struct ProbeReplies {
    /// Some group probes: the taps queue replies.
    active: AtomicBool,
    #[pin]
    pending: IrqSpinLock<KVec<ProbeReply>>,
    dropped: AtomicU64,
}

impl ProbeReplies {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            active: AtomicBool::new(false),
            pending <- IrqSpinLock::new(KVec::new()),
            dropped: AtomicU64::new(0),
        })
    }

    /// Whether some group probes (cheap: checked for every tapped frame).
    pub(crate) fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    pub(crate) fn set_active(&self, on: bool) {
        self.active.store(on, Ordering::Relaxed);
        if !on {
            drop(self.take());
        }
    }

    /// Queues a reply (atomic context).
    pub(crate) fn queue(&self, reply: ProbeReply) {
        let queued = self
            .pending
            .with(|q| q.len() < MAX_PENDING && q.push(reply, GFP_ATOMIC).is_ok());
        // A dropped reply makes a miss; said once per load (printk is
        // safe here).
        if !queued && self.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
            pr_warn!("probe replies dropped: more than 512 waiting, or no memory\n");
        }
    }

    /// Everything queued, oldest first.
    pub(crate) fn take(&self) -> KVec<ProbeReply> {
        self.pending.with(core::mem::take)
    }
}

/// One probe to send once the lock is released: from `netdevs[netdev]`
/// of its round to `target`.
pub(crate) struct ProbeToSend {
    pub(crate) netdev: usize,
    pub(crate) target: IpAddr,
}

/// A group's targets condition changed.
#[derive(Clone, Copy)]
pub(crate) struct TargetsChange {
    pub(crate) group: GroupName,
    pub(crate) unreachable: bool,
}

/// What one probing round did, for the caller to act on with no lock
/// held.
pub(crate) struct Round {
    pub(crate) outcome: Outcome,
    pub(crate) probes: KVec<ProbeToSend>,
    /// The member netdevs the probes go out of, one reference each per
    /// round (not per probe: a tracked reference costs an allocation).
    pub(crate) netdevs: KVec<NetDevRef>,
    pub(crate) targets: KVec<TargetsChange>,
    /// When the next round is due (monotonic ns); `None`: no group probes.
    pub(crate) next: Option<u64>,
}

impl PortRegistry {
    /// One probing round at `now`: feeds `replies` to their groups'
    /// probers, ticks every prober that is due, folds the verdicts into
    /// the members' health, and collects the probes to send.
    pub(crate) fn probe_round(&self, replies: &[ProbeReply], now: u64) -> Round {
        let mut probes = KVec::new();
        let mut netdevs = KVec::new();
        let mut targets = KVec::new();
        let mut next = None;
        let outcome = self.with_changes(|t, changed, mono| {
            for r in replies.iter() {
                t.probe_reply(r);
            }
            let mut kick = false;
            for gs in 0..t.groups.len() {
                let mut sends = KVec::new();
                let Some(g) = t.group_mut(gs) else { continue };
                if g.prober.next_tick().is_some_and(|at| at <= now) {
                    let changes = g.prober.tick(now, |p| {
                        // Without memory the probe is not sent, and counts
                        // as missed.
                        let _ = sends.push((p.member, p.addr), GFP_KERNEL);
                    });
                    if let Some(e) = changes.targets() {
                        let _ = targets.push(
                            TargetsChange {
                                group: g.name,
                                unreachable: e == TargetsEvent::Unreachable,
                            },
                            GFP_KERNEL,
                        );
                    }
                    kick |= t.apply_verdicts(gs, &changes, changed, mono);
                }
                let Some(g) = t.group(gs) else { continue };
                if let Some(at) = g.prober.next_tick() {
                    next = Some(next.map_or(at, |n: u64| n.min(at)));
                }
                // One reference per member per round, taken at its first
                // probe.
                let mut refs: [Option<usize>; MAX_MEMBERS] = [None; MAX_MEMBERS];
                for (member, target) in sends.iter() {
                    let Some(slot) = refs.get_mut(*member) else {
                        continue;
                    };
                    if slot.is_none() {
                        let netdev = g
                            .member_port(*member)
                            .and_then(|p| t.port(p))
                            .and_then(|p| p.netdev.as_ref());
                        if let Some(n) = netdev {
                            if netdevs.push(NetDevRef::new(n), GFP_KERNEL).is_ok() {
                                *slot = Some(netdevs.len() - 1);
                            }
                        }
                    }
                    if let Some(netdev) = *slot {
                        let _ = probes.push(
                            ProbeToSend {
                                netdev,
                                target: *target,
                            },
                            GFP_KERNEL,
                        );
                    }
                }
            }
            kick
        });
        Round {
            outcome,
            probes,
            netdevs,
            targets,
            next,
        }
    }
}

impl PortRegistry {
    /// Gives group `name` new probe settings; a verdict that turning
    /// probing off (or a changed target list) clears is folded into its
    /// member's health. `None` if there is no such group.
    pub(crate) fn set_probing(&self, name: &GroupName, settings: ProbeSettings) -> Option<Outcome> {
        let mut found = false;
        let outcome = self.with_changes(|t, changed, mono| {
            let Ok(gs) = t.group_slot(name) else {
                return false;
            };
            let Some(g) = t.group_mut(gs) else {
                return false;
            };
            found = true;
            let changes = g.prober.set_settings(settings);
            t.apply_verdicts(gs, &changes, changed, mono)
        });
        found.then_some(outcome)
    }
}

impl Tables {
    /// Feeds one reply to the prober of the group whose member's netdev
    /// it arrived on.
    fn probe_reply(&mut self, r: &ProbeReply) {
        let Some((gs, member)) = self.ports.iter().enumerate().find_map(|(slot, p)| {
            let p = p.as_ref()?;
            if p.netdev.as_ref()?.ifindex() != r.ifindex {
                return None;
            }
            let gs = p.group?;
            Some((gs, self.group(gs)?.member_of(slot)?))
        }) else {
            return;
        };
        if let Some(g) = self.group_mut(gs) {
            g.prober.reply_without_token(member, r.from, r.at_ns);
        }
    }

    /// Folds `changes` of group `gs`'s prober into its members' health;
    /// returns whether the engine must run.
    pub(super) fn apply_verdicts(
        &mut self,
        gs: usize,
        changes: &Changes,
        changed: &mut HealthChanges,
        mono: u64,
    ) -> bool {
        let Some(members) = self.group(gs).map(|g| g.members) else {
            return false;
        };
        let mut kick = false;
        for c in changes.verdicts() {
            if let Some(slot) = members.get(c.member).copied().flatten() {
                let ok = c.to == Verdict::Reachable;
                kick |= self.record(slot, &[PortInput::PathOk(ok)], changed, mono);
            }
        }
        kick
    }
}
