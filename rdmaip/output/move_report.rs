// SPDX-License-Identifier: GPL-2.0

//! The kernel log lines and monitor notifications for a pass's moves and
//! group changes.

use super::cm_events::CmDelivery;
use super::monitor;
use super::planned_move::Move;
use crate::logic::group::GroupHealth;
use crate::state::group_name::GroupName;
use crate::state::port::PortInfo;
use crate::sys::clock::{mono_ns, WallTime};
use kernel::prelude::*;

/// Logs and reports the moves (`done`: which were carried out).
pub(crate) fn moves(moves: &[Move], done: &[bool], cm: &CmDelivery) {
    let at = WallTime::now();
    for (i, (m, ok)) in moves.iter().zip(done.iter()).enumerate() {
        let latency_us = mono_ns().saturating_sub(m.since_ns) / 1000;
        let reason = m.reason.name();
        if *ok {
            let notified = cm.of(i);
            pr_info!(
                "group {}: {} moved {}/{} -> {}/{} ({}) in {} us at {}; rdma_cm ids notified: {}\n",
                m.group_name,
                m.info.addr,
                m.from.dev_name,
                m.from.port,
                m.to.dev_name,
                m.to.port,
                reason,
                latency_us,
                at,
                notified.map_or(-1, |(n, _)| i64::from(n))
            );
            monitor::addr_moved(
                &m.group_name,
                &m.info,
                &m.from,
                &m.to,
                m.reason,
                latency_us,
                notified,
                at,
            );
        } else {
            pr_err!(
                "group {}: could not move {} from {}/{} to {}/{} ({})\n",
                m.group_name,
                m.info.addr,
                m.from.dev_name,
                m.from.port,
                m.to.dev_name,
                m.to.port,
                reason
            );
        }
    }
}

/// Every address of `port` is home again.
pub(crate) fn home_again(group: &GroupName, port: &PortInfo) {
    pr_info!(
        "group {}: every address of {}/{} is home\n",
        group,
        port.dev_name,
        port.port
    );
    monitor::failback(group, port, WallTime::now());
}

/// A change of a group's state, found by an engine pass.
pub(crate) struct GroupEvent {
    pub(crate) name: GroupName,
    /// Whether some member can carry addresses, if that changed.
    pub(crate) up: Option<bool>,
    /// The group's health now.
    pub(crate) health: GroupHealth,
}

/// The name of a group's health, as `rdmaipctl` prints it.
pub(crate) fn health_name(h: GroupHealth) -> &'static str {
    match h {
        GroupHealth::Up => "up",
        GroupHealth::Degraded => "degraded",
        GroupHealth::Down => "down",
    }
}

/// A group's state changed: logged, and sent as group-state (and as
/// group-up or group-down when whether it can carry addresses changed).
pub(crate) fn group_state(event: &GroupEvent) {
    let at = WallTime::now();
    let name = &event.name;
    match event.health {
        GroupHealth::Down => pr_info!("group {} is down: no member can carry addresses\n", name),
        GroupHealth::Degraded => pr_info!("group {} is degraded: some members are down\n", name),
        GroupHealth::Up => pr_info!("group {} is up\n", name),
    }
    if let Some(up) = event.up {
        monitor::group_state(name, up, at);
    }
    monitor::group_health(name, event.health, at);
}
