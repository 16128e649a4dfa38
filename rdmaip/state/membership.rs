// SPDX-License-Identifier: GPL-2.0

//! Groups created and deleted, ports joining and leaving them.

use super::group::{Group, WaitingPort};
use super::group_name::GroupName;
use super::refusal::{refuse, Refusal};
use super::settings::Settings;
use super::tables::Tables;
use crate::logic::group::{on_detach, Member, OnDetach, MAX_MEMBERS};
use crate::logic::port::PortInput;
use crate::logic::probe::ProbeSettings;
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
        probe: ProbeSettings,
    ) -> core::result::Result<(), Refusal> {
        if self.group_slot(&name).is_ok() {
            return refuse(EEXIST, c_str!("a group of that name exists"));
        }
        // Tokens need not be secret (see logic::probe), only differ
        // between groups and loads.
        let seed = crate::sys::clock::mono_ns() as u32;
        let Ok(group) = Group::new(name, settings, probe, seed) else {
            return refuse(ENOMEM, c_str!("out of memory"));
        };
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
        if p.group == Some(slot) {
            // Already there (it rejoined by itself, or the request is
            // repeated): nothing to do, as for `ip link set master`.
            if let Some(member) = self.group(slot).and_then(|g| g.member_of(port)) {
                return Ok(member);
            }
        }
        if p.group.is_some() {
            return refuse(EBUSY, c_str!("the port is in another group"));
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
        let Some(member) = g
            .members
            .iter()
            .position(|m| m.is_none())
            .filter(|_| g.size() < MAX_MEMBERS)
        else {
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
        // Probed from the next round on; reachable until probes say not.
        g.prober.set_member(member, true);
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

    /// The group that waits for port `w`, if one does.
    pub(crate) fn waiting_group(&self, w: &WaitingPort) -> Option<usize> {
        self.groups.iter().position(|g| {
            g.as_ref()
                .is_some_and(|g| g.waiting_ports().any(|x| x == w))
        })
    }

    /// Group `slot` waits for port `w`, which is not there: it joins when
    /// it appears.
    pub(crate) fn wait_for(
        &mut self,
        slot: usize,
        w: WaitingPort,
    ) -> core::result::Result<(), Refusal> {
        match self.waiting_group(&w) {
            Some(other) if other == slot => return Ok(()),
            Some(_) => return refuse(EBUSY, c_str!("the port is in another group")),
            None => {}
        }
        let Some(g) = self.group_mut(slot) else {
            return refuse(ENOENT, c_str!("no such group"));
        };
        if g.size() >= MAX_MEMBERS {
            return refuse(ENOSPC, c_str!("the group is full (16 ports)"));
        }
        match g.waiting.iter_mut().find(|x| x.is_none()) {
            Some(free) => *free = Some(w),
            None => return refuse(ENOSPC, c_str!("the group is full (16 ports)")),
        }
        Ok(())
    }

    /// Port slot `port`, a member, is going away with its device: its
    /// group waits for it to come back.
    pub(crate) fn wait_to_rejoin(&mut self, port: usize) {
        let Some((slot, w)) = self.port(port).and_then(|p| {
            let w = WaitingPort {
                dev_name: p.dev_name,
                port: p.port,
            };
            p.group.map(|g| (g, w))
        }) else {
            return;
        };
        // Its member slot is still taken, so the group has room: the
        // member becomes a waiting one.
        let name = self.group(slot).map(|g| g.name);
        if let Some(g) = self.group_mut(slot) {
            if let Some(free) = g.waiting.iter_mut().find(|x| x.is_none()) {
                *free = Some(w);
            }
        }
        if let Some(name) = name {
            pr_info!(
                "group {}: port {} waits to rejoin when its device is back\n",
                name,
                w
            );
        }
    }

    /// Port slot `port` was just added: if a group waits for it, it joins;
    /// returns whether it did.
    pub(crate) fn rejoin(&mut self, port: usize) -> bool {
        let Some(w) = self.port(port).map(|p| WaitingPort {
            dev_name: p.dev_name,
            port: p.port,
        }) else {
            return false;
        };
        let Some(slot) = self.unwait(&w) else {
            return false;
        };
        let name = self.group(slot).map(|g| g.name);
        let Some(name) = name else {
            return false;
        };
        match self.port_add(slot, port) {
            Ok(_) => {
                pr_info!("group {}: port {} is back and rejoined\n", name, w);
                true
            }
            Err(r) => {
                pr_err!(
                    "group {}: port {} is back but cannot rejoin: {} (error {}); it keeps waiting\n",
                    name,
                    w,
                    r.msg,
                    r.err.to_errno()
                );
                if self.wait_for(slot, w).is_err() {
                    pr_err!("group {}: port {} no longer waits\n", name, w);
                }
                false
            }
        }
    }

    /// No group waits for port `w` any more; returns the one that did.
    pub(crate) fn unwait(&mut self, w: &WaitingPort) -> Option<usize> {
        let slot = self.waiting_group(w)?;
        if let Some(g) = self.group_mut(slot) {
            for x in g.waiting.iter_mut() {
                if x.as_ref() == Some(w) {
                    *x = None;
                }
            }
        }
        Some(slot)
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
                g.prober.set_member(m, false);
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
            // Outside a group nothing probes it: its health is its own.
            p.status.apply(PortInput::PathOk(true));
        }
    }
}
