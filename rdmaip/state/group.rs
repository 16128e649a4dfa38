// SPDX-License-Identifier: GPL-2.0

//! A group of ports and the addresses it carries.
//!
//! A group is a named set of up to [`MAX_MEMBERS`] ports, possibly of
//! different RDMA adapters, that can carry each other's addresses. Every
//! movable address configured on a member's netdev is homed on that member;
//! the group records, per address, its home member and the member that
//! carries it now. Decisions about where addresses go are made by
//! `logic::group`.

use super::group_name::GroupName;
use super::port::parse_u32;
use super::probing::{new_prober, GroupProber};
use super::settings::Settings;
use crate::logic::group::{GroupHealth, Placement, MAX_MEMBERS};
use crate::logic::probe::ProbeSettings;
use crate::logic::rtaddr::AddrInfo;
use crate::sys::names::DevName;
use kernel::prelude::*;

/// One address of a group.
#[derive(Clone, Copy)]
pub(crate) struct Addr {
    pub(crate) info: AddrInfo,
    /// Member slot the address belongs to.
    pub(crate) home: usize,
    /// Member slot that carries it now.
    pub(crate) current: usize,
}

impl Addr {
    /// Where the address belongs and where it is, as the core sees it.
    pub(crate) fn placement(&self) -> Placement {
        Placement {
            home: self.home,
            current: self.current,
        }
    }
}

/// A member port that is not there: its RDMA device was removed, or has
/// not been added yet. It joins the group when a device of that name with
/// that port appears (a driver reload, a firmware reset, `rdma link add`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitingPort {
    pub(crate) dev_name: DevName,
    pub(crate) port: u32,
}

impl WaitingPort {
    /// A port named "<device>/<port>"; `None` if the name is malformed.
    pub(crate) fn parse(name: &[u8]) -> Option<Self> {
        let slash = name.iter().rposition(|&b| b == b'/')?;
        let (dev, num) = name.split_at(slash);
        Some(WaitingPort {
            dev_name: DevName::from_bytes(dev)?,
            port: parse_u32(num.get(1..)?)?,
        })
    }
}

impl core::fmt::Display for WaitingPort {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.dev_name, self.port)
    }
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
    /// The group's health at the last engine pass.
    pub(crate) health: GroupHealth,
    /// Members whose port is not there (they count towards the group's
    /// size).
    pub(crate) waiting: [Option<WaitingPort>; MAX_MEMBERS],
    /// Path probing: its settings, and the members' probe state and
    /// verdicts (member index as in `members`).
    pub(crate) prober: GroupProber,
}

impl Group {
    /// An empty group; `seed` starts its probes' sequence numbers.
    pub(crate) fn new(
        name: GroupName,
        settings: Settings,
        probe: ProbeSettings,
        seed: u32,
    ) -> Result<Self> {
        Ok(Group {
            name,
            settings,
            members: [None; MAX_MEMBERS],
            addrs: KVec::new(),
            failovers: 0,
            failbacks: 0,
            last_failover_ns: 0,
            up: false,
            health: GroupHealth::Down,
            waiting: [None; MAX_MEMBERS],
            prober: new_prober(probe, seed)?,
        })
    }

    /// (member index, port slot) of every member.
    pub(crate) fn member_ports(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.members
            .iter()
            .enumerate()
            .filter_map(|(m, p)| p.map(|p| (m, p)))
    }

    /// The port slot of member `member`, if there is one.
    pub(crate) fn member_port(&self, member: usize) -> Option<usize> {
        self.members.get(member).copied().flatten()
    }

    pub(crate) fn addrs(&self) -> impl Iterator<Item = &Addr> {
        self.addrs.iter().flatten()
    }

    /// The members whose port is not there.
    pub(crate) fn waiting_ports(&self) -> impl Iterator<Item = &WaitingPort> {
        self.waiting.iter().flatten()
    }

    /// How many members it has, waiting ones included.
    pub(crate) fn size(&self) -> usize {
        self.member_ports().count() + self.waiting_ports().count()
    }

    /// Member index of port slot `port`.
    pub(crate) fn member_of(&self, port: usize) -> Option<usize> {
        self.members.iter().position(|&p| p == Some(port))
    }
}
