// SPDX-License-Identifier: GPL-2.0

//! Netlink attributes for ports, groups and addresses, as the spec
//! (`Documentation/netlink/specs/rdmaip.yaml`) lays them out: shared by the
//! replies to requests and the monitor notifications.

use crate::logic::group::{group_health, GroupHealth};
use crate::logic::port::{FailReason, Health};
use crate::logic::probe::{IgnoreReason, PathInfo};
use crate::logic::rtaddr::IpAddr;
use crate::state::group::{Addr, Group};
use crate::state::peers::PeerCounters;
use crate::state::port::PortInfo;
use crate::state::tables::Tables;
use crate::sys::ffi;
use crate::sys::genl::Writer;
use crate::sys::stack_string::StackString;
use core::fmt::Write;
use kernel::prelude::*;

/// The spec's number for why a port is down.
pub(crate) fn reason_attr(r: FailReason) -> u32 {
    match r {
        FailReason::NetdevGone => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_NETDEV_GONE,
        FailReason::AdminDown => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_ADMIN_DOWN,
        FailReason::NoCarrier => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_NO_CARRIER,
        FailReason::RdmaInactive => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_RDMA_INACTIVE,
        FailReason::Probe => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_PROBE,
    }
}

/// The spec's number for a group's health.
pub(crate) fn group_state_attr(h: GroupHealth) -> u32 {
    match h {
        GroupHealth::Up => ffi::rdmaip_group_state_RDMAIP_GROUP_STATE_UP,
        GroupHealth::Degraded => ffi::rdmaip_group_state_RDMAIP_GROUP_STATE_DEGRADED,
        GroupHealth::Down => ffi::rdmaip_group_state_RDMAIP_GROUP_STATE_DOWN,
    }
}

/// Writes `rxe0/1` for a port as attribute `kind`.
pub(crate) fn put_port_name(w: &mut Writer<'_>, kind: u32, p: &PortInfo) -> Result {
    let mut name = StackString::<80>::new();
    // A `StackString` cuts what does not fit instead of failing (and a
    // device name is at most 63 bytes, a port number 10 digits).
    if write!(name, "{}/{}", p.dev_name, p.port).is_err() {
        pr_warn!("port name cut: {}/{}\n", p.dev_name, p.port);
    }
    w.put_str(kind, name.as_bytes())
}

/// A port object.
pub(crate) fn put_port(w: &mut Writer<'_>, p: &PortInfo) -> Result {
    put_port_name(w, ffi::RDMAIP_A_PORT_NAME, p)?;
    if let Some(ifindex) = p.ifindex {
        w.put_str(ffi::RDMAIP_A_PORT_IFNAME, p.netdev_name.as_bytes())?;
        w.put_u32(ffi::RDMAIP_A_PORT_IFINDEX, ifindex as u32)?;
    }
    match p.status.health() {
        Health::Up => w.put_u32(
            ffi::RDMAIP_A_PORT_STATE,
            ffi::rdmaip_port_state_RDMAIP_PORT_STATE_UP,
        )?,
        Health::Down(r) => {
            w.put_u32(
                ffi::RDMAIP_A_PORT_STATE,
                ffi::rdmaip_port_state_RDMAIP_PORT_STATE_DOWN,
            )?;
            w.put_u32(ffi::RDMAIP_A_PORT_DOWN_REASON, reason_attr(r))?;
        }
    }
    w.put_uint(ffi::RDMAIP_A_PORT_FAILURES, p.failures)?;
    if let Some(g) = &p.group {
        w.put_str(ffi::RDMAIP_A_PORT_GROUP, g.name.as_bytes())?;
        w.put(ffi::RDMAIP_A_PORT_DRAINED, &[u8::from(g.drained)])?;
        w.put_uint(ffi::RDMAIP_A_PORT_ADDRS_HOME, g.addrs_home)?;
        w.put_uint(ffi::RDMAIP_A_PORT_ADDRS_HOSTED, g.addrs_hosted)?;
    }
    Ok(())
}

/// A group object.
pub(crate) fn put_group(w: &mut Writer<'_>, t: &Tables, g: &Group) -> Result {
    let s = &g.settings;
    w.put_str(ffi::RDMAIP_A_GROUP_NAME, g.name.as_bytes())?;
    let state = group_state_attr(group_health(&t.members_of(g)));
    w.put_u32(ffi::RDMAIP_A_GROUP_STATE, state)?;
    w.put(
        ffi::RDMAIP_A_GROUP_FAILBACK,
        &[u8::from(s.failback.enabled)],
    )?;
    w.put_u32(ffi::RDMAIP_A_GROUP_FAILBACK_DELAY_MS, s.failback_delay_ms())?;
    w.put_u32(ffi::RDMAIP_A_GROUP_HOLD_DOWN_MAX_MS, s.hold_down_max_ms())?;
    w.put_u32(ffi::RDMAIP_A_GROUP_ANNOUNCE_COUNT, s.announce_count)?;
    w.put_u32(
        ffi::RDMAIP_A_GROUP_ANNOUNCE_INTERVAL_MS,
        s.announce_interval_ms,
    )?;
    for (_, port) in g.member_ports() {
        if let Some(info) = t.port_info(port) {
            put_port_name(w, ffi::RDMAIP_A_GROUP_PORT, &info)?;
        }
    }
    for waiting in g.waiting_ports() {
        let mut name = StackString::<80>::new();
        if write!(name, "{}", waiting).is_err() {
            pr_warn!("port name cut: {}\n", waiting);
        }
        w.put_str(ffi::RDMAIP_A_GROUP_WAITING_PORT, name.as_bytes())?;
    }
    put_probe_settings(w, g)?;
    w.put_uint(ffi::RDMAIP_A_GROUP_FAILOVERS, g.failovers)?;
    w.put_uint(ffi::RDMAIP_A_GROUP_FAILBACKS, g.failbacks)?;
    w.put_uint(ffi::RDMAIP_A_GROUP_LAST_FAILOVER_NS, g.last_failover_ns)
}

/// An address object.
pub(crate) fn put_addr(w: &mut Writer<'_>, t: &Tables, g: &Group, a: &Addr) -> Result {
    let i = &a.info;
    w.put_str(ffi::RDMAIP_A_ADDR_GROUP, g.name.as_bytes())?;
    match i.addr {
        // Big-endian u32: the address bytes as they are.
        IpAddr::V4(b) => w.put(ffi::RDMAIP_A_ADDR_IPV4, &b)?,
        IpAddr::V6(b) => w.put(ffi::RDMAIP_A_ADDR_IPV6, &b)?,
    }
    w.put(ffi::RDMAIP_A_ADDR_PREFIXLEN, &[i.prefixlen])?;
    if let Some(b) = i.broadcast {
        w.put(ffi::RDMAIP_A_ADDR_BROADCAST, &b)?;
    }
    if !i.label().is_empty() {
        w.put_str(ffi::RDMAIP_A_ADDR_LABEL, i.label())?;
    }
    w.put_u32(ffi::RDMAIP_A_ADDR_IFA_FLAGS, i.flags)?;
    for (kind, member) in [
        (ffi::RDMAIP_A_ADDR_HOME_PORT, a.home),
        (ffi::RDMAIP_A_ADDR_CURRENT_PORT, a.current),
    ] {
        if let Some(info) = g.member_port(member).and_then(|p| t.port_info(p)) {
            put_port_name(w, kind, &info)?;
        }
    }
    Ok(())
}

/// The module object: its settings and counters.
pub(crate) fn put_module(w: &mut Writer<'_>, peer_notify: bool, c: &PeerCounters) -> Result {
    w.put(ffi::RDMAIP_A_MODULE_PEER_NOTIFY, &[u8::from(peer_notify)])?;
    w.put_uint(ffi::RDMAIP_A_MODULE_REMOTE_MOVES, c.remote_moves)?;
    w.put_uint(ffi::RDMAIP_A_MODULE_REMOTE_IDS_NOTIFIED, c.ids_notified)?;
    w.put_uint(ffi::RDMAIP_A_MODULE_NEIGH_UPDATES, c.neigh_updates)?;
    w.put_uint(
        ffi::RDMAIP_A_MODULE_NEIGH_UPDATES_DROPPED,
        c.neigh_updates_dropped,
    )
}

/// An IP address as a binary attribute (4 or 16 bytes).
fn put_ip(w: &mut Writer<'_>, kind: u32, ip: &IpAddr) -> Result {
    match ip {
        IpAddr::V4(b) => w.put(kind, b),
        IpAddr::V6(b) => w.put(kind, b),
    }
}

/// A group's probe settings and state.
fn put_probe_settings(w: &mut Writer<'_>, g: &Group) -> Result {
    let s = g.prober.settings();
    for t in s.targets() {
        put_ip(w, ffi::RDMAIP_A_GROUP_PROBE_TARGET, t)?;
    }
    w.put_u32(ffi::RDMAIP_A_GROUP_PROBE_INTERVAL_MS, s.interval_ms())?;
    w.put_u32(ffi::RDMAIP_A_GROUP_PROBE_MISSES, s.misses())?;
    w.put_u32(ffi::RDMAIP_A_GROUP_PROBE_SUCCESSES, s.successes())?;
    w.put(
        ffi::RDMAIP_A_GROUP_PROBE_TARGETS_UNREACHABLE,
        &[u8::from(g.prober.targets_unreachable())],
    )?;
    let ignored = IgnoreReason::ALL
        .iter()
        .map(|r| g.prober.ignored(*r))
        .fold(0u64, u64::saturating_add);
    w.put_uint(ffi::RDMAIP_A_GROUP_PROBE_REPLIES_IGNORED, ignored)
}

/// The probe state of member `port` of `g` towards one target; `now` to
/// age the last reply (monotonic ns).
pub(crate) fn put_probe_path(
    w: &mut Writer<'_>,
    g: &Group,
    port: &PortInfo,
    path: &PathInfo,
    now: u64,
) -> Result {
    w.put_str(ffi::RDMAIP_A_PROBE_GROUP, g.name.as_bytes())?;
    put_port_name(w, ffi::RDMAIP_A_PROBE_PORT, port)?;
    put_ip(w, ffi::RDMAIP_A_PROBE_TARGET, &path.addr)?;
    w.put_u32(ffi::RDMAIP_A_PROBE_MISSES, path.misses)?;
    w.put_u32(ffi::RDMAIP_A_PROBE_SUCCESSES, path.successes)?;
    if let Some(at) = path.last_reply {
        w.put_uint(
            ffi::RDMAIP_A_PROBE_LAST_REPLY_MS,
            now.saturating_sub(at) / 1_000_000,
        )?;
    }
    w.put_uint(ffi::RDMAIP_A_PROBE_SENT, path.sent)?;
    w.put_uint(ffi::RDMAIP_A_PROBE_REPLIES, path.replies)?;
    w.put_uint(ffi::RDMAIP_A_PROBE_MISSED, path.missed)
}
