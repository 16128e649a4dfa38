// SPDX-License-Identifier: GPL-2.0

//! The groups' addresses brought in line with what the kernel has.

use super::group::Addr;
use super::tables::Tables;
use crate::logic::rtaddr::AddrInfo;
use kernel::prelude::*;

impl Tables {
    /// Records the movable addresses found on member `member`'s netdev
    /// (`ifindex`) of group `slot` as homed on it, unless already known.
    pub(crate) fn adopt(
        &mut self,
        slot: usize,
        member: usize,
        ifindex: i32,
        found: &[AddrInfo],
    ) -> Result {
        let Some(g) = self.group_mut(slot) else {
            return Ok(());
        };
        for a in found
            .iter()
            .filter(|a| a.ifindex as i32 == ifindex && a.movable())
        {
            if g.addrs().any(|known| known.info.addr == a.addr) {
                continue;
            }
            let addr = Addr {
                info: *a,
                home: member,
                current: member,
            };
            match g.addrs.iter_mut().find(|s| s.is_none()) {
                Some(s) => *s = Some(addr),
                None => g.addrs.push(Some(addr), GFP_KERNEL)?,
            }
        }
        Ok(())
    }

    /// Brings the groups' addresses in line with what the kernel has
    /// (`found`: every address of the namespace) after the admin changed
    /// addresses: new movable addresses on a member are homed on it; an
    /// address missing from the healthy port that should carry it was
    /// removed by the admin and is forgotten, never resurrected. (A port
    /// that is down may have lost its IPv6 addresses to the link going
    /// down: those are kept, to move with the rest.)
    pub(crate) fn reconcile(&mut self, found: &[AddrInfo]) -> Result {
        for gs in 0..self.groups.len() {
            let Some(members) = self.group(gs).map(|g| g.members) else {
                continue;
            };
            for (m, port) in members
                .iter()
                .enumerate()
                .filter_map(|(m, p)| p.map(|p| (m, p)))
            {
                let Some(p) = self.port(port) else {
                    continue;
                };
                let Some(ifindex) = p.netdev.as_ref().map(|n| n.ifindex()) else {
                    continue;
                };
                let healthy = p.status.health().is_up();
                let name = p.netdev_name;
                let here = |addr| {
                    found
                        .iter()
                        .any(|f| f.ifindex as i32 == ifindex && f.addr == addr)
                };
                let Some(g) = self.group_mut(gs) else {
                    continue;
                };
                for slot in g.addrs.iter_mut() {
                    if let Some(a) = slot {
                        if a.current == m && healthy && !here(a.info.addr) {
                            pr_info!(
                                "group {}: {} was removed from {}: forgotten\n",
                                g.name,
                                a.info.addr,
                                name
                            );
                            *slot = None;
                        }
                    }
                }
                self.adopt(gs, m, ifindex, found)?;
            }
        }
        Ok(())
    }
}
