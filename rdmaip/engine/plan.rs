// SPDX-License-Identifier: GPL-2.0

//! Step 1 of a pass: under the registry lock, the core's plan for every
//! group, turned into moves that carry what they need to be carried out
//! without the lock.

use super::{Engine, Mode};
use crate::logic::group::{
    group_health, group_up, next_deadline, plan, Member, MoveReason, Placement, MAX_MEMBERS,
};
use crate::output::move_report::{health_name, GroupEvent};
use crate::output::planned_move::Move;
use crate::state::group::{Addr, Group};
use crate::state::reason::Reason;
use crate::state::tables::Tables;
use crate::sys::netdev::NetDevRef;
use kernel::prelude::*;

/// The planner's view of a group: members, placements, and the address
/// slot behind each placement.
struct Snapshot {
    members: [Member; MAX_MEMBERS],
    places: KVec<Placement>,
    slots: KVec<usize>,
}

impl Snapshot {
    fn of(t: &Tables, g: &Group) -> Result<Self> {
        // A slot without a port can hold nothing: a record that still names
        // one is placed again.
        let members = t.members_of(g);
        let mut places = KVec::new();
        let mut slots = KVec::new();
        for (i, a) in g.addrs.iter().enumerate() {
            if let Some(a) = a {
                places.push(a.placement(), GFP_KERNEL)?;
                slots.push(i, GFP_KERNEL)?;
            }
        }
        Ok(Snapshot {
            members,
            places,
            slots,
        })
    }
}

impl Engine {
    /// Plans every group under the lock: the moves to carry out, and the
    /// groups that went down or came back up. Not inlined: its locals
    /// must not stay on the stack while the moves run.
    #[inline(never)]
    pub(super) fn plan_all(
        &self,
        now: u64,
        mode: Mode,
        moves: &mut KVec<Move>,
        group_events: &mut KVec<GroupEvent>,
    ) {
        let mut t = self.registry.lock();
        for gs in 0..t.groups.len() {
            let Some(g) = t.group(gs) else {
                continue;
            };
            let Ok(s) = Snapshot::of(&t, g) else {
                pr_err!("out of memory planning group {}\n", g.name);
                continue;
            };
            let up = group_up(&s.members);
            let health = group_health(&s.members);
            let mut planned = KVec::new();
            let mut dropped = 0usize;
            plan(&s.members, &s.places, &g.settings.failback, now, |mv| {
                if planned.push(mv, GFP_KERNEL).is_err() {
                    dropped += 1;
                }
            });
            if dropped > 0 {
                pr_err!(
                    "out of memory: {} moves of group {} are postponed\n",
                    dropped,
                    g.name
                );
            }
            for mv in planned.iter() {
                let Some(slot) = s.slots.get(mv.addr).copied() else {
                    continue;
                };
                let Some(a) = g.addrs.get(slot).and_then(Option::as_ref) else {
                    continue;
                };
                // Failovers date from the port event; others from now.
                let since = match mv.reason {
                    MoveReason::Failover => g
                        .member_port(mv.from)
                        .and_then(|p| t.port(p))
                        .map_or(now, |p| p.changed_ns),
                    _ => now,
                };
                let reason = match (mode, mv.reason) {
                    (Mode::Unload, MoveReason::Admin) => Reason::Unload,
                    (_, r) => Reason::Plan(r),
                };
                match make_move(&t, gs, g, slot, a, mv.to, reason, since) {
                    Some(m) => {
                        if moves.push(m, GFP_KERNEL).is_err() {
                            pr_err!("out of memory: a move of group {} is postponed\n", g.name);
                        }
                    }
                    // Never silently: an address that cannot be moved now
                    // waits for the next event, and the admin must know.
                    None => pr_err!(
                        "group {}: cannot move {} ({}): a port or its device is gone\n",
                        g.name,
                        a.info.addr,
                        reason.name()
                    ),
                }
            }
            let has_members = g.member_ports().next().is_some();
            let Some(g) = t.group_mut(gs) else {
                continue;
            };
            if mode == Mode::Normal && has_members && (up != g.up || health != g.health) {
                let event = GroupEvent {
                    name: g.name,
                    up: (up != g.up).then_some(up),
                    health,
                };
                g.up = up;
                g.health = health;
                if group_events.push(event, GFP_KERNEL).is_err() {
                    pr_err!(
                        "out of memory: group {} is {} but not reported\n",
                        g.name,
                        health_name(health)
                    );
                }
            }
        }
    }

    /// When the next failback is due, over all groups.
    #[inline(never)]
    pub(super) fn next_failback(&self, now: u64) -> Option<u64> {
        let t = self.registry.read();
        t.groups
            .iter()
            .flatten()
            .filter_map(|g| match Snapshot::of(&t, g) {
                Ok(s) => next_deadline(&s.members, &s.places, &g.settings.failback, now),
                Err(_) => {
                    pr_err!(
                        "out of memory: group {}'s next failback is not scheduled\n",
                        g.name
                    );
                    None
                }
            })
            .min()
    }
}

#[allow(clippy::too_many_arguments)]
fn make_move(
    t: &Tables,
    gs: usize,
    g: &Group,
    slot: usize,
    a: &Addr,
    to: usize,
    reason: Reason,
    since: u64,
) -> Option<Move> {
    let from_port = g.member_port(a.current)?;
    let to_port = g.member_port(to)?;
    let from = t.port_info(from_port)?;
    let to_info = t.port_info(to_port)?;
    let from_port_ref = t.port(from_port)?;
    let to_port_ref = t.port(to_port)?;
    let to_dev = NetDevRef::new(to_port_ref.netdev.as_ref()?);
    Some(Move {
        group: gs,
        group_name: g.name,
        addr_slot: slot,
        to_member: to,
        reason,
        info: a.info,
        from_ifindex: from.ifindex,
        to_name: to_info.netdev_name,
        from,
        to: to_info,
        to_dev,
        from_dev: from_port_ref.netdev.as_ref().map(|d| NetDevRef::new(d)),
        from_ib: from_port_ref.ibdev.get()?,
        to_ib: to_port_ref.ibdev.get()?,
        since_ns: since,
        announce_count: g.settings.announce_count,
        announce_interval_ms: g.settings.announce_interval_ms,
    })
}
