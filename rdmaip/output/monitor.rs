// SPDX-License-Identifier: GPL-2.0

//! Notifications to the `monitor` multicast group of the netlink family.
//!
//! Sent after rdmaip's own locks are released. A notification that cannot be
//! built or sent (no memory, a full listener socket) is dropped: listeners
//! learn about the gap from the socket's overrun error, as with any netlink
//! monitor, and can re-read the state with a dump.

use super::attrs::{group_state_attr, put_port_name, reason_attr};
use crate::logic::group::GroupHealth;
use crate::logic::port::{Health, HealthChange};
use crate::logic::rtaddr::{AddrInfo, IpAddr};
use crate::state::group_name::GroupName;
use crate::state::health_changes::HealthChanges;
use crate::state::port::PortInfo;
use crate::state::reason::Reason;
use crate::sys::clock::WallTime;
use crate::sys::ffi;
use crate::sys::genl::Message;
use kernel::prelude::*;

/// Ports' health changed (what an event did to the tables).
pub(crate) fn port_health_changes(changes: &HealthChanges) {
    for (info, change) in changes.iter() {
        port_health(info, *change, changes.at);
    }
}

/// A port's health changed.
fn port_health(port: &PortInfo, change: HealthChange, at: WallTime) {
    // Only UP <-> DOWN is news; a change of reason while down is not.
    let cmd = match (change.from, change.to) {
        (Health::Down(_), Health::Up) => ffi::RDMAIP_CMD_PORT_UP_NTF,
        (Health::Up, Health::Down(_)) => ffi::RDMAIP_CMD_PORT_DOWN_NTF,
        _ => return,
    };
    let send = || -> Result {
        let mut msg = Message::notification(cmd)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        put_port_name(&mut w, ffi::RDMAIP_A_EVENT_PORT, port)?;
        if let Health::Down(reason) = change.to {
            w.put_u32(ffi::RDMAIP_A_EVENT_DOWN_REASON, reason_attr(reason))?;
        }
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("port event not sent: {:?}\n", e);
    }
}

/// An address moved; `cm` is how many rdma_cm ids were told and how long
/// that took, when local notification is available.
#[allow(clippy::too_many_arguments)]
pub(crate) fn addr_moved(
    group: &GroupName,
    addr: &AddrInfo,
    from: &PortInfo,
    to: &PortInfo,
    reason: Reason,
    latency_us: u64,
    cm: Option<(u32, u64)>,
    at: WallTime,
) {
    let send = || -> Result {
        let mut msg = Message::notification(ffi::RDMAIP_CMD_ADDR_MOVED_NTF)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        w.put_str(ffi::RDMAIP_A_EVENT_GROUP, group.as_bytes())?;
        match addr.addr {
            IpAddr::V4(b) => w.put(ffi::RDMAIP_A_EVENT_IPV4, &b)?,
            IpAddr::V6(b) => w.put(ffi::RDMAIP_A_EVENT_IPV6, &b)?,
        }
        w.put(ffi::RDMAIP_A_EVENT_PREFIXLEN, &[addr.prefixlen])?;
        put_port_name(&mut w, ffi::RDMAIP_A_EVENT_FROM_PORT, from)?;
        put_port_name(&mut w, ffi::RDMAIP_A_EVENT_TO_PORT, to)?;
        w.put_u32(ffi::RDMAIP_A_EVENT_MOVE_REASON, reason.uapi())?;
        w.put_uint(ffi::RDMAIP_A_EVENT_LATENCY_US, latency_us)?;
        if let Some((ids, us)) = cm {
            w.put_u32(ffi::RDMAIP_A_EVENT_CM_IDS_NOTIFIED, ids)?;
            w.put_uint(ffi::RDMAIP_A_EVENT_CM_DELIVERY_US, us)?;
        }
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("address event not sent: {:?}\n", e);
    }
}

/// A group went down (no member can carry addresses) or came back up.
pub(crate) fn group_state(group: &GroupName, up: bool, at: WallTime) {
    let cmd = if up {
        ffi::RDMAIP_CMD_GROUP_UP_NTF
    } else {
        ffi::RDMAIP_CMD_GROUP_DOWN_NTF
    };
    let send = || -> Result {
        let mut msg = Message::notification(cmd)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        w.put_str(ffi::RDMAIP_A_EVENT_GROUP, group.as_bytes())?;
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("group event not sent: {:?}\n", e);
    }
}

/// A group's health changed (up, degraded, down).
pub(crate) fn group_health(group: &GroupName, health: GroupHealth, at: WallTime) {
    let send = || -> Result {
        let mut msg = Message::notification(ffi::RDMAIP_CMD_GROUP_STATE_NTF)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        w.put_str(ffi::RDMAIP_A_EVENT_GROUP, group.as_bytes())?;
        w.put_u32(ffi::RDMAIP_A_EVENT_GROUP_STATE, group_state_attr(health))?;
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("group state event not sent: {:?}\n", e);
    }
}

/// Every address of a recovered (or undrained) port is home again.
pub(crate) fn failback(group: &GroupName, port: &PortInfo, at: WallTime) {
    let send = || -> Result {
        let mut msg = Message::notification(ffi::RDMAIP_CMD_FAILBACK_NTF)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        w.put_str(ffi::RDMAIP_A_EVENT_GROUP, group.as_bytes())?;
        put_port_name(&mut w, ffi::RDMAIP_A_EVENT_PORT, port)?;
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("failback event not sent: {:?}\n", e);
    }
}

/// A remote address that rdma_cm ids were connected to moved to another
/// link-layer address, and `ids` of them were told (see
/// `output::remote_cm_events`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn remote_move(
    ifname: &[u8],
    ifindex: u32,
    ip: &IpAddr,
    old: Option<&[u8]>,
    new: &[u8],
    ids: u32,
    delivery_us: u64,
    neigh_latency_us: u64,
    at: WallTime,
) {
    let send = || -> Result {
        let mut msg = Message::notification(ffi::RDMAIP_CMD_REMOTE_MOVE_NTF)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        w.put_str(ffi::RDMAIP_A_EVENT_IFNAME, ifname)?;
        w.put_u32(ffi::RDMAIP_A_EVENT_IFINDEX, ifindex)?;
        match ip {
            IpAddr::V4(b) => w.put(ffi::RDMAIP_A_EVENT_IPV4, b)?,
            IpAddr::V6(b) => w.put(ffi::RDMAIP_A_EVENT_IPV6, b)?,
        }
        if let Some(old) = old {
            w.put(ffi::RDMAIP_A_EVENT_LLADDR_OLD, old)?;
        }
        w.put(ffi::RDMAIP_A_EVENT_LLADDR_NEW, new)?;
        w.put_u32(ffi::RDMAIP_A_EVENT_CM_IDS_NOTIFIED, ids)?;
        w.put_uint(ffi::RDMAIP_A_EVENT_CM_DELIVERY_US, delivery_us)?;
        w.put_uint(ffi::RDMAIP_A_EVENT_NEIGH_LATENCY_US, neigh_latency_us)?;
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("remote move event not sent: {:?}\n", e);
    }
}

/// No member of `group` reaches any probe target any more (`unreachable`),
/// or one reaches a target again.
pub(crate) fn probe_targets(group: &GroupName, unreachable: bool, at: WallTime) {
    if unreachable {
        pr_warn!(
            "group {}: no member reaches any probe target: the targets are down or unreachable, not the ports; nothing moves\n",
            group
        );
    } else {
        pr_info!("group {}: a member reaches a probe target again\n", group);
    }
    let send = || -> Result {
        let mut msg = Message::notification(ffi::RDMAIP_CMD_PROBE_TARGETS_NTF)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        w.put_str(ffi::RDMAIP_A_EVENT_GROUP, group.as_bytes())?;
        w.put(
            ffi::RDMAIP_A_EVENT_PROBE_TARGETS_UNREACHABLE,
            &[u8::from(unreachable)],
        )?;
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("probe targets event not sent: {:?}\n", e);
    }
}
