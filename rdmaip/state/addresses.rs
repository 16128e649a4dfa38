// SPDX-License-Identifier: GPL-2.0

//! The groups' addresses brought in line with what the kernel has.

use super::group::{Addr, Group};
use super::tables::Tables;
use crate::logic::group::MAX_MEMBERS;
use crate::logic::reconcile::{reconcile, AddrRecords, MemberNetdev};
use crate::logic::rtaddr::{AddrInfo, IpAddr};
use crate::sys::names::IfName;
use kernel::alloc::AllocError;
use kernel::prelude::*;

/// A group's records, as `logic::reconcile` changes them.
struct GroupRecords<'a> {
    group: &'a mut Group,
    /// Each member's netdev name, for the log.
    names: [IfName; MAX_MEMBERS],
}

impl AddrRecords for GroupRecords<'_> {
    type Error = AllocError;

    fn forget_where(&mut self, member: usize, forget: &mut dyn FnMut(&IpAddr) -> bool) {
        let name = self.names.get(member).copied().unwrap_or(IfName::empty());
        let group = self.group.name;
        for slot in self.group.addrs.iter_mut() {
            if let Some(a) = slot {
                if a.current == member && forget(&a.info.addr) {
                    pr_info!(
                        "group {}: {} was removed from {}: forgotten\n",
                        group,
                        a.info.addr,
                        name
                    );
                    *slot = None;
                }
            }
        }
    }

    fn known(&self, addr: &IpAddr) -> bool {
        self.group.addrs().any(|known| known.info.addr == *addr)
    }

    fn adopt(&mut self, a: &AddrInfo, member: usize) -> core::result::Result<(), AllocError> {
        let addr = Addr {
            info: *a,
            home: member,
            current: member,
        };
        match self.group.addrs.iter_mut().find(|s| s.is_none()) {
            Some(s) => *s = Some(addr),
            None => self.group.addrs.push(Some(addr), GFP_KERNEL)?,
        }
        Ok(())
    }
}

impl Tables {
    /// Brings the groups' addresses in line with what the kernel has
    /// (`found`: every address of the namespace) after the admin changed
    /// addresses, as `logic::reconcile` decides: new movable addresses on
    /// a member are homed on it; an address missing from the healthy port
    /// that carries it was removed by the admin and is forgotten; a port
    /// that is down keeps what it lost with its link.
    pub(crate) fn reconcile(&mut self, found: &[AddrInfo]) -> Result {
        for gs in 0..self.groups.len() {
            let Some(g) = self.group(gs) else {
                continue;
            };
            let mut members = [None; MAX_MEMBERS];
            let mut names = [IfName::empty(); MAX_MEMBERS];
            for (m, port) in g.member_ports() {
                let Some(p) = self.port(port) else {
                    continue;
                };
                let Some(ifindex) = p.netdev.as_ref().map(|n| n.ifindex()) else {
                    continue;
                };
                if let (Some(member), Some(name)) = (members.get_mut(m), names.get_mut(m)) {
                    *member = Some(MemberNetdev {
                        ifindex: ifindex as u32,
                        healthy: p.status.health().is_up(),
                    });
                    *name = p.netdev_name;
                }
            }
            let Some(group) = self.group_mut(gs) else {
                continue;
            };
            reconcile(&members, found, &mut GroupRecords { group, names })?;
        }
        Ok(())
    }
}
