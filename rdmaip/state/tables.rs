// SPDX-License-Identifier: GPL-2.0

//! The port and group tables, under one lock (`registry.rs`) so that a
//! port's health and its group membership always change together.
//!
//! Slots are emptied on removal and reused: 6.12's `KVec` cannot remove
//! elements, and the tables are small. Slot numbers are how groups refer to
//! ports and ports to groups.

use super::group::{Addr, Group};
use super::group_name::GroupName;
use super::health_changes::HealthChanges;
use super::port::{Port, PortGroupInfo, PortInfo};
use super::refusal::{refuse, Refusal};
use crate::logic::group::{Member, MAX_MEMBERS};
use crate::logic::port::PortInput;
use kernel::c_str;
use kernel::prelude::*;

/// The ports and groups.
pub(crate) struct Tables {
    pub(crate) ports: KVec<Option<Port>>,
    pub(crate) groups: KVec<Option<Group>>,
}

impl Tables {
    pub(super) const fn new() -> Self {
        Tables {
            ports: KVec::new(),
            groups: KVec::new(),
        }
    }

    /// The port in `slot`, if there is one.
    pub(crate) fn port(&self, slot: usize) -> Option<&Port> {
        self.ports.get(slot)?.as_ref()
    }

    pub(crate) fn port_mut(&mut self, slot: usize) -> Option<&mut Port> {
        self.ports.get_mut(slot)?.as_mut()
    }

    /// The group in `slot`, if there is one.
    pub(crate) fn group(&self, slot: usize) -> Option<&Group> {
        self.groups.get(slot)?.as_ref()
    }

    pub(crate) fn group_mut(&mut self, slot: usize) -> Option<&mut Group> {
        self.groups.get_mut(slot)?.as_mut()
    }

    /// Slot of the port called `name` (`rxe0/1`).
    pub(crate) fn port_slot(&self, name: &[u8]) -> Option<usize> {
        self.ports
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.named(name)))
    }

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

    /// Slot and contents of the group called `name`.
    pub(crate) fn group_named(
        &self,
        name: &GroupName,
    ) -> core::result::Result<(usize, &Group), Refusal> {
        let slot = self.group_slot(name)?;
        match self.group(slot) {
            Some(g) => Ok((slot, g)),
            None => refuse(ENOENT, c_str!("no such group")),
        }
    }

    /// Snapshot of the port in `slot`, with its part in its group.
    pub(crate) fn port_info(&self, slot: usize) -> Option<PortInfo> {
        let port = self.port(slot)?;
        let mut info = port.info();
        if let Some(g) = port.group.and_then(|g| self.group(g)) {
            let m = g.member_of(slot);
            let count = |f: &dyn Fn(&Addr) -> bool| g.addrs().filter(|a| f(a)).count() as u64;
            info.group = Some(PortGroupInfo {
                name: g.name,
                drained: port.member.drained(),
                addrs_home: count(&|a| Some(a.home) == m),
                addrs_hosted: count(&|a| Some(a.current) == m),
            });
        }
        Some(info)
    }

    /// The failover state of every member of `g` (vacant where a member
    /// slot has no port).
    pub(crate) fn members_of(&self, g: &Group) -> [Member; MAX_MEMBERS] {
        let mut members = [Member::vacant(); MAX_MEMBERS];
        for (slot, port) in members.iter_mut().zip(g.members.iter()) {
            if let Some(p) = port.and_then(|p| self.port(p)) {
                *slot = p.member;
            }
        }
        members
    }

    /// Applies `inputs` to the port in `slot`; a change of health is
    /// logged, collected for the caller to report, and fed to its group.
    /// Returns whether the engine must run.
    pub(super) fn record(
        &mut self,
        slot: usize,
        inputs: &[PortInput],
        changed: &mut HealthChanges,
        mono: u64,
    ) -> bool {
        let Some(port) = self.port_mut(slot) else {
            return false;
        };
        let Some(change) = port.update(inputs) else {
            return false;
        };
        port.log_change(change, changed.at);
        changed.push(port.info(), change);
        self.member_health(slot, mono)
    }

    /// A port's health changed: if it is a group member, the group's
    /// timeline learns it. Returns whether the engine must run.
    fn member_health(&mut self, slot: usize, now: u64) -> bool {
        let Some(port) = self.port_mut(slot) else {
            return false;
        };
        port.changed_ns = now;
        let Some(group) = port.group else {
            return false;
        };
        let Some(settings) = self.group(group).map(|g| g.settings.failback) else {
            return false;
        };
        if let Some(port) = self.port_mut(slot) {
            let up = port.status.health().is_up();
            port.member.set_healthy(up, now, &settings);
        }
        true
    }
}
