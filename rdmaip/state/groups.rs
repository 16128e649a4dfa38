// SPDX-License-Identifier: GPL-2.0

//! Groups of ports and the addresses they carry.
//!
//! A group is a named set of up to [`MAX_MEMBERS`] ports, possibly of
//! different RDMA adapters, that can carry each other's addresses. Every
//! movable address configured on a member's netdev is homed on that member;
//! the group records, per address, its home member and the member that
//! carries it now. Decisions about where addresses go are made by
//! `logic::group`; this file keeps the tables those decisions read, under
//! the registry lock (see `ports.rs`).

use crate::logic::group::{
    on_detach, FailbackSettings, Member, OnDetach, Placement, MAX_MEMBERS, NS_PER_MS,
};
use crate::logic::rtaddr::AddrInfo;
use crate::state::ports::{Port, Tables};
use crate::sys::errno::eopnotsupp;
use crate::sys::ib::LinkLayer;
use crate::sys::names::Name;
use kernel::c_str;
use kernel::prelude::*;

/// A group name: 1 to 15 bytes of `[A-Za-z0-9_.-]`.
pub(crate) type GroupName = Name<16>;

/// Why a request was refused: the errno and what to tell the admin.
pub(crate) struct Refusal {
    pub(crate) err: Error,
    pub(crate) msg: &'static CStr,
}

fn refuse<T>(err: Error, msg: &'static CStr) -> core::result::Result<T, Refusal> {
    Err(Refusal { err, msg })
}

/// A group's settings.
#[derive(Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) failback: FailbackSettings,
    pub(crate) announce_count: u32,
    pub(crate) announce_interval_ms: u32,
}

impl Settings {
    /// Defaults, as documented in the spec and `Documentation/rdmaip.rst`.
    pub(crate) const DEFAULT: Self = Settings {
        failback: FailbackSettings::DEFAULT,
        announce_count: 3,
        announce_interval_ms: 300,
    };

    pub(crate) fn failback_delay_ms(&self) -> u32 {
        (self.failback.delay_ns / NS_PER_MS) as u32
    }

    pub(crate) fn hold_down_max_ms(&self) -> u32 {
        (self.failback.hold_down_max_ns / NS_PER_MS) as u32
    }
}

/// One address of a group.
#[derive(Clone, Copy)]
pub(crate) struct Addr {
    pub(crate) info: AddrInfo,
    /// Member slot the address belongs to.
    pub(crate) home: usize,
    /// Member slot that carries it now.
    pub(crate) current: usize,
}

/// A group.
pub(crate) struct Group {
    pub(crate) name: GroupName,
    pub(crate) settings: Settings,
    /// Port table slots of the members; the member index is the position.
    pub(crate) members: [Option<usize>; MAX_MEMBERS],
    pub(crate) addrs: KVec<Option<Addr>>,
    pub(crate) failovers: u64,
    pub(crate) failbacks: u64,
    pub(crate) last_failover_ns: u64,
    /// Whether some member could carry addresses at the last engine pass.
    pub(crate) up: bool,
}

impl Group {
    pub(crate) fn member_ports(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.members
            .iter()
            .enumerate()
            .filter_map(|(m, p)| p.map(|p| (m, p)))
    }

    pub(crate) fn addrs(&self) -> impl Iterator<Item = &Addr> {
        self.addrs.iter().flatten()
    }

    /// Member index of port slot `port`.
    pub(crate) fn member_of(&self, port: usize) -> Option<usize> {
        self.members.iter().position(|&p| p == Some(port))
    }
}

/// Parses and checks a group name from a request.
pub(crate) fn parse_name(raw: &[u8]) -> core::result::Result<GroupName, Refusal> {
    let ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    if raw.is_empty() || raw.len() > 15 || !raw.iter().all(ok) {
        return refuse(
            EINVAL,
            c_str!("group names are 1 to 15 characters of A-Z a-z 0-9 _ . -"),
        );
    }
    let mut name = GroupName::empty();
    name.buffer()[..raw.len()].copy_from_slice(raw);
    Ok(name)
}

impl Tables {
    /// Slot of the group called `name`.
    pub(crate) fn group_slot(&self, name: &GroupName) -> core::result::Result<usize, Refusal> {
        match self
            .groups
            .iter()
            .position(|g| g.as_ref().is_some_and(|g| g.name == *name))
        {
            Some(i) => Ok(i),
            None => refuse(ENOENT, c_str!("no such group")),
        }
    }

    pub(crate) fn group(&self, slot: usize) -> &Group {
        self.groups[slot].as_ref().expect("live group slot")
    }

    pub(crate) fn group_mut(&mut self, slot: usize) -> &mut Group {
        self.groups[slot].as_mut().expect("live group slot")
    }

    /// Creates group `name`.
    pub(crate) fn group_new(
        &mut self,
        name: GroupName,
        settings: Settings,
    ) -> core::result::Result<(), Refusal> {
        if self.group_slot(&name).is_ok() {
            return refuse(EEXIST, c_str!("a group of that name exists"));
        }
        let group = Group {
            name,
            settings,
            members: [None; MAX_MEMBERS],
            addrs: KVec::new(),
            failovers: 0,
            failbacks: 0,
            last_failover_ns: 0,
            up: false,
        };
        let alloc_failed = || Refusal {
            err: ENOMEM,
            msg: c_str!("out of memory"),
        };
        match self.groups.iter_mut().find(|g| g.is_none()) {
            Some(slot) => *slot = Some(group),
            None => self
                .groups
                .push(Some(group), GFP_KERNEL)
                .map_err(|_| alloc_failed())?,
        }
        Ok(())
    }

    /// Deletes a group; its ports leave it and its addresses are forgotten
    /// (they stay where they are configured).
    pub(crate) fn group_del(&mut self, slot: usize) {
        let members = self.group(slot).members;
        for port in members.into_iter().flatten() {
            self.detach(port);
        }
        self.groups[slot] = None;
    }

    /// Port slot `port` joins group `slot`, after the checks that make
    /// members able to carry each other's addresses.
    pub(crate) fn port_add(
        &mut self,
        slot: usize,
        port: usize,
    ) -> core::result::Result<usize, Refusal> {
        let p = self.port(port);
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
        let g = self.group(slot);
        for (_, other) in g.member_ports() {
            let o = self.port(other);
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
        self.group_mut(slot).members[member] = Some(port);
        let now = crate::sys::clock::mono_ns();
        let settings = self.group(slot).settings.failback;
        let p = self.port_mut(port);
        p.group = Some(slot);
        p.member = Member::new();
        p.member
            .set_healthy(p.status.health().is_up(), now, &settings);
        // Addresses configured on this netdev whose home port left the
        // group (its RDMA device went away) while they lived elsewhere are
        // homed here again; the next pass brings them back.
        let ifindex = p.netdev.as_ref().map(|n| n.ifindex());
        let g = self.group_mut(slot);
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
        let Some(slot) = self.port(port).group else {
            return;
        };
        let g = self.group_mut(slot);
        if let Some(m) = g.member_of(port) {
            g.members[m] = None;
            let name = g.name;
            for rec in g.addrs.iter_mut() {
                let Some(a) = rec.as_mut() else { continue };
                match on_detach(
                    &Placement {
                        home: a.home,
                        current: a.current,
                    },
                    m,
                ) {
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
        let p = self.port_mut(port);
        p.group = None;
        p.member = Member::new();
    }

    /// Records the movable addresses found on member `member`'s netdev
    /// (`ifindex`) as homed on it, unless already known.
    pub(crate) fn adopt(
        &mut self,
        slot: usize,
        member: usize,
        ifindex: i32,
        found: &[AddrInfo],
    ) -> Result {
        let g = self.group_mut(slot);
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
            let Some(g) = self.groups[gs].as_ref() else {
                continue;
            };
            let members = g.members;
            for (m, port) in members
                .iter()
                .enumerate()
                .filter_map(|(m, p)| p.map(|p| (m, p)))
            {
                let Some(p) = self.ports[port].as_ref() else {
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
                let g = self.group_mut(gs);
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

    fn port(&self, slot: usize) -> &Port {
        self.ports[slot].as_ref().expect("live port slot")
    }

    fn port_mut(&mut self, slot: usize) -> &mut Port {
        self.ports[slot].as_mut().expect("live port slot")
    }
}
