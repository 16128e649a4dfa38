// SPDX-License-Identifier: GPL-2.0

//! Groups created and deleted, ports joining and leaving them.

use super::group::Group;
use super::group_name::GroupName;
use super::refusal::{refuse, Refusal};
use super::settings::Settings;
use super::tables::Tables;
use crate::logic::group::{on_detach, Member, OnDetach};
use crate::sys::errno::eopnotsupp;
use crate::sys::ib::LinkLayer;
use kernel::c_str;
use kernel::prelude::*;

impl Tables {
    /// Creates group `name`.
    pub(crate) fn group_new(
        &mut self,
        name: GroupName,
        settings: Settings,
    ) -> core::result::Result<(), Refusal> {
        if self.group_slot(&name).is_ok() {
            return refuse(EEXIST, c_str!("a group of that name exists"));
        }
        let group = Group::new(name, settings);
        match self.groups.iter_mut().find(|g| g.is_none()) {
            Some(slot) => *slot = Some(group),
            None => self
                .groups
                .push(Some(group), GFP_KERNEL)
                .or_else(|_| refuse(ENOMEM, c_str!("out of memory")))?,
        }
        Ok(())
    }

    /// Deletes a group; its ports leave it and its addresses are forgotten
    /// (they stay where they are configured).
    pub(crate) fn group_del(&mut self, slot: usize) {
        let Some(members) = self.group(slot).map(|g| g.members) else {
            return;
        };
        for port in members.into_iter().flatten() {
            self.detach(port);
        }
        if let Some(g) = self.groups.get_mut(slot) {
            *g = None;
        }
    }

    /// Port slot `port` joins group `slot`, after the checks that make
    /// members able to carry each other's addresses.
    pub(crate) fn port_add(
        &mut self,
        slot: usize,
        port: usize,
    ) -> core::result::Result<usize, Refusal> {
        let Some(p) = self.port(port) else {
            return refuse(ENODEV, c_str!("no such RDMA port"));
        };
        if p.group.is_some() {
            return if p.group == Some(slot) {
                refuse(EEXIST, c_str!("the port is already in this group"))
            } else {
                refuse(EBUSY, c_str!("the port is in another group"))
            };
        }
        if p.netdev.is_none() {
            return refuse(ENODEV, c_str!("the port has no netdev to carry addresses"));
        }
        let (ll, vlan) = (p.link_layer, p.vlan);
        if ll == LinkLayer::Other {
            return refuse(
                eopnotsupp(),
                c_str!("only InfiniBand and RoCE ports can join groups"),
            );
        }
        let Some(g) = self.group(slot) else {
            return refuse(ENOENT, c_str!("no such group"));
        };
        for o in g.member_ports().filter_map(|(_, other)| self.port(other)) {
            if o.link_layer != ll {
                return refuse(
                    EINVAL,
                    c_str!("the port's link layer differs from the group's"),
                );
            }
            if o.vlan != vlan {
                return refuse(EINVAL, c_str!("the port's VLAN differs from the group's"));
            }
        }
        let Some(member) = g.members.iter().position(|m| m.is_none()) else {
            return refuse(ENOSPC, c_str!("the group is full (16 ports)"));
        };
        let settings = g.settings.failback;
        let now = crate::sys::clock::mono_ns();
        let Some(p) = self.port_mut(port) else {
            return refuse(ENODEV, c_str!("no such RDMA port"));
        };
        p.group = Some(slot);
        p.member = Member::new();
        p.member
            .set_healthy(p.status.health().is_up(), now, &settings);
        let ifindex = p.netdev.as_ref().map(|n| n.ifindex());
        let Some(g) = self.group_mut(slot) else {
            return refuse(ENOENT, c_str!("no such group"));
        };
        if let Some(m) = g.members.get_mut(member) {
            *m = Some(port);
        }
        // Addresses configured on this netdev whose home port left the
        // group (its RDMA device went away) while they lived elsewhere are
        // homed here again; the next pass brings them back.
        let name = g.name;
        for a in g.addrs.iter_mut().flatten() {
            if Some(a.info.ifindex as i32) == ifindex && a.home != member {
                pr_info!(
                    "group {}: {} is homed on its own netdev again\n",
                    name,
                    a.info.addr
                );
                a.home = member;
            }
        }
        Ok(member)
    }

    /// Port slot `port` leaves its group, after the pass that placed what
    /// it carried (`Engine::depart`, or a device's removal): what becomes
    /// of each address is `logic::group::on_detach`'s decision.
    pub(crate) fn detach(&mut self, port: usize) {
        let Some(slot) = self.port(port).and_then(|p| p.group) else {
            return;
        };
        if let Some(g) = self.group_mut(slot) {
            if let Some(m) = g.member_of(port) {
                if let Some(member) = g.members.get_mut(m) {
                    *member = None;
                }
                let name = g.name;
                for rec in g.addrs.iter_mut() {
                    let Some(a) = rec.as_mut() else { continue };
                    match on_detach(&a.placement(), m) {
                        OnDetach::Keep => {}
                        OnDetach::Rehome(to) => {
                            pr_info!("group {}: {} stays where it is and is homed there: its home port left\n", name, a.info.addr);
                            a.home = to;
                        }
                        OnDetach::Forget => *rec = None,
                        OnDetach::Lost => {
                            pr_err!(
                                "group {}: {} is left on a port that leaves the group: no member could take it\n",
                                name,
                                a.info.addr
                            );
                            *rec = None;
                        }
                    }
                }
            }
        }
        if let Some(p) = self.port_mut(port) {
            p.group = None;
            p.member = Member::new();
        }
    }
}
