// SPDX-License-Identifier: GPL-2.0

//! One RDMA port, the netdev behind it, and its health.
//!
//! A port's health is recomputed from the live state of each layer
//! whenever any layer reports a change (see `logic::port`), and every
//! change of health is logged with a wall-clock timestamp.

use super::group::WaitingPort;
use super::group_name::GroupName;
use crate::logic::group::Member;
use crate::logic::port::{Health, HealthChange, PortInput, PortStatus, RdmaState};
use crate::sys::clock::WallTime;
use crate::sys::ib::{IbDevice, IbDeviceRef, IbPortState, LinkLayer};
use crate::sys::names::{DevName, IfName};
use crate::sys::netdev::{NetDevRef, NetDevice};
use kernel::prelude::*;

/// One RDMA port and the netdev behind it.
pub(crate) struct Port {
    pub(super) dev_index: u32,
    /// Held so the device stays valid for rdma_cm delivery and the ULP
    /// notifier; dropped when ib_core removes the device.
    pub(crate) ibdev: IbDeviceRef,
    /// ib_core is removing the device: rdma_cm is about to tell its ids
    /// itself, so rdmaip no longer delivers anything to them.
    pub(crate) dev_going: bool,
    pub(super) dev_name: DevName,
    pub(super) port: u32,
    pub(crate) link_layer: LinkLayer,
    /// Held so the netdev cannot go away under us; dropped on
    /// `NETDEV_UNREGISTER` so that unregistration does not wait for us.
    pub(crate) netdev: Option<NetDevRef>,
    pub(crate) netdev_name: IfName,
    /// VLAN id of the netdev, if it is a VLAN device.
    pub(crate) vlan: Option<u16>,
    pub(crate) status: PortStatus,
    /// Group slot, if the port is a member of a group.
    pub(crate) group: Option<usize>,
    /// Failover state as a group member (health timeline, drain).
    pub(crate) member: Member,
    /// When its health last changed (monotonic ns): failover latencies
    /// are measured from here.
    pub(crate) changed_ns: u64,
    /// How many times it went from UP to DOWN.
    pub(super) failures: u64,
    /// The health its live state gave at the last audit, if that differed
    /// from what its events said.
    pub(super) audit_suspect: Option<Health>,
}

impl Port {
    /// Port `port` of `dev`, with the netdev ib_core gives for it and its
    /// name (read under rtnl by the caller); DOWN until its state is read.
    pub(super) fn new(
        dev: &IbDevice,
        dev_name: &DevName,
        port: u32,
        netdev: Option<NetDevRef>,
        netdev_name: IfName,
    ) -> Result<Self> {
        Ok(Port {
            dev_index: dev.index(),
            ibdev: dev.get().ok_or(ENODEV)?,
            dev_going: false,
            dev_name: *dev_name,
            port,
            link_layer: dev.link_layer(port),
            vlan: netdev.as_ref().and_then(|n| n.vlan_id()),
            netdev,
            netdev_name,
            status: PortStatus::new(),
            group: None,
            member: Member::new(),
            changed_ns: 0,
            failures: 0,
            audit_suspect: None,
        })
    }

    pub(super) fn is(&self, dev_index: u32, port: u32) -> bool {
        self.dev_index == dev_index && self.port == port
    }

    pub(super) fn has_netdev(&self, dev: &NetDevice) -> bool {
        self.netdev.as_ref().is_some_and(|n| n.is(dev))
    }

    /// Applies `inputs` together and reports the net change of health.
    pub(super) fn update(&mut self, inputs: &[PortInput]) -> Option<HealthChange> {
        let from = self.status.health();
        for &input in inputs {
            self.status.apply(input);
        }
        let to = self.status.health();
        if from.is_up() && !to.is_up() {
            self.failures += 1;
        }
        (from != to).then_some(HealthChange { from, to })
    }

    /// Reads every layer's live state (after discovery, when no event can
    /// be trusted to have been seen yet).
    pub(super) fn refresh(&mut self, dev: &IbDevice) -> Option<HealthChange> {
        let rdma = rdma_state(dev, self.port);
        let inputs = match &self.netdev {
            Some(n) => [
                PortInput::Rdma(rdma),
                PortInput::AdminUp(n.is_running()),
                PortInput::Carrier(n.carrier_ok()),
            ],
            None => [
                PortInput::NetdevGone,
                PortInput::AdminUp(false),
                PortInput::Carrier(false),
            ],
        };
        self.update(&inputs)
    }

    pub(super) fn log_change(&self, change: HealthChange, at: WallTime) {
        pr_info!(
            "port {}/{} netdev {}: {} -> {} [{}] at {}\n",
            self.dev_name,
            self.port,
            self.netdev_name,
            change.from,
            change.to,
            self.status,
            at
        );
    }

    /// A snapshot of the port, without its part in a group.
    pub(super) fn info(&self) -> PortInfo {
        PortInfo {
            dev_name: self.dev_name,
            dev_index: self.dev_index,
            port: self.port,
            netdev_name: self.netdev_name,
            ifindex: self.netdev.as_ref().map(|n| n.ifindex()),
            status: self.status,
            failures: self.failures,
            group: None,
        }
    }

    /// Whether this port is called `name` (`rxe0/1`, as `rdma link` names it).
    pub(super) fn named(&self, name: &[u8]) -> bool {
        WaitingPort::parse(name).is_some_and(|w| w.dev_name == self.dev_name && w.port == self.port)
    }
}

/// The RDMA state of `port` in ib_core's cache.
pub(super) fn rdma_state(dev: &IbDevice, port: u32) -> RdmaState {
    match dev.cached_port_state(port) {
        Ok(IbPortState::Active) => RdmaState::Active,
        Ok(IbPortState::NotActive) => RdmaState::Inactive,
        Err(_) => RdmaState::Unknown,
    }
}

pub(super) fn parse_u32(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then_some(())?;
        acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
    })
}

/// A snapshot of one port, for the netlink API.
#[derive(Clone, Copy)]
pub(crate) struct PortInfo {
    pub(crate) dev_name: DevName,
    pub(crate) dev_index: u32,
    pub(crate) port: u32,
    pub(crate) netdev_name: IfName,
    pub(crate) ifindex: Option<i32>,
    pub(crate) status: PortStatus,
    pub(crate) failures: u64,
    pub(crate) group: Option<PortGroupInfo>,
}

/// A port's part in its group.
#[derive(Clone, Copy)]
pub(crate) struct PortGroupInfo {
    pub(crate) name: GroupName,
    pub(crate) drained: bool,
    pub(crate) addrs_home: u64,
    pub(crate) addrs_hosted: u64,
}
