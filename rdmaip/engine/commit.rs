// SPDX-License-Identifier: GPL-2.0

//! Step 3 of a pass: under the registry lock again, record where the moved
//! addresses are now.

use super::Engine;
use crate::logic::group::{all_home, MoveReason};
use crate::output::planned_move::{carried_out, Move};
use crate::state::group::Addr;
use crate::state::group_name::GroupName;
use crate::state::port::PortInfo;
use crate::state::reason::Reason;
use crate::sys::clock::WallTime;
use kernel::prelude::*;

impl Engine {
    /// Records where the moves carried out (`done`) put the addresses;
    /// returns the ports that failbacks in `moves` brought all their
    /// addresses home to.
    #[inline(never)]
    pub(super) fn commit(&self, moves: &[Move], done: &[bool]) -> KVec<(GroupName, PortInfo)> {
        let now_wall = WallTime::now();
        let mut t = self.registry.lock();
        for (_, m) in carried_out(moves, done) {
            let Some(g) = t.group_mut(m.group) else {
                continue;
            };
            // Unless the group or the address changed meanwhile.
            let Some(a) = g.addrs.get_mut(m.addr_slot).and_then(Option::as_mut) else {
                continue;
            };
            if a.info.addr != m.info.addr {
                continue;
            }
            a.current = m.to_member;
            match m.reason {
                Reason::Plan(MoveReason::Failover) => {
                    g.failovers += 1;
                    g.last_failover_ns = now_wall.0;
                }
                Reason::Plan(MoveReason::Failback) => g.failbacks += 1,
                _ => {}
            }
        }
        for p in t.ports.iter_mut().flatten() {
            p.member.settle();
        }
        let mut home_again = KVec::new();
        for (i, m) in carried_out(moves, done) {
            // Once per port, and only when nothing of it is away any more.
            if !m.reason.is_homecoming()
                || moves.iter().take(i).any(|o| {
                    o.group == m.group && o.to_member == m.to_member && o.reason.is_homecoming()
                })
            {
                continue;
            }
            let Some(g) = t.group(m.group) else {
                continue;
            };
            if all_home(g.addrs().map(Addr::placement), m.to_member)
                && home_again.push((g.name, m.to), GFP_KERNEL).is_err()
            {
                pr_err!(
                    "out of memory: group {}: failback of {}/{} not reported\n",
                    g.name,
                    m.to.dev_name,
                    m.to.port
                );
            }
        }
        home_again
    }
}
