// SPDX-License-Identifier: GPL-2.0

//! The objects the kernel reports (groups, ports, addresses, the module,
//! probe paths, events),
//! decoded from generic netlink messages. Attributes a newer kernel adds
//! are ignored; enum values are kept raw so that unknown ones can still be
//! shown.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::netlink::attr::{Attr, DecodeError};
use crate::netlink::message::GenlMsg;
use crate::uapi::{addr_attr, cmd, event_attr, group_attr, module_attr, port_attr, probe_attr};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub state: Option<u32>,
    pub failback: Option<bool>,
    pub failback_delay_ms: Option<u32>,
    pub hold_down_max_ms: Option<u32>,
    pub announce_count: Option<u32>,
    pub announce_interval_ms: Option<u32>,
    pub ports: Vec<String>,
    /// Members whose port is not there (yet): they join when it appears.
    pub waiting: Vec<String>,
    pub failovers: Option<u64>,
    pub failbacks: Option<u64>,
    pub last_failover_ns: Option<u64>,
    /// Probing is off while there are none.
    pub probe_targets: Vec<IpAddr>,
    pub probe_interval_ms: Option<u32>,
    pub probe_misses: Option<u32>,
    pub probe_successes: Option<u32>,
    /// No member reaches any target (nothing moves).
    pub probe_targets_unreachable: Option<bool>,
    pub probe_replies_ignored: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub ifname: Option<String>,
    pub ifindex: Option<u32>,
    pub group: Option<String>,
    pub state: Option<u32>,
    pub down_reason: Option<u32>,
    pub drained: Option<bool>,
    pub addrs_home: Option<u64>,
    pub addrs_hosted: Option<u64>,
    pub failures: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub addr: IpAddr,
    pub prefixlen: Option<u8>,
    pub group: Option<String>,
    pub broadcast: Option<Ipv4Addr>,
    pub label: Option<String>,
    pub ifa_flags: Option<u32>,
    pub home_port: Option<String>,
    pub current_port: Option<String>,
}

/// The module's settings and counters (`module-get`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Module {
    pub peer_notify: Option<bool>,
    pub remote_moves: Option<u64>,
    pub remote_ids_notified: Option<u64>,
    pub neigh_updates: Option<u64>,
    pub neigh_updates_dropped: Option<u64>,
}

/// The probe state of one member port towards one probe target
/// (`probe-get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePath {
    pub group: Option<String>,
    pub port: String,
    pub target: IpAddr,
    pub misses: Option<u32>,
    pub successes: Option<u32>,
    /// Milliseconds since the last valid reply; `None`: none came yet.
    pub last_reply_ms: Option<u64>,
    pub sent: Option<u64>,
    pub replies: Option<u64>,
    pub missed: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The notification's command (`cmd::*_NTF`).
    pub cmd: u8,
    pub time_ns: Option<u64>,
    pub port: Option<String>,
    pub group: Option<String>,
    pub down_reason: Option<u32>,
    pub addr: Option<IpAddr>,
    pub prefixlen: Option<u8>,
    pub from_port: Option<String>,
    pub to_port: Option<String>,
    pub move_reason: Option<u32>,
    pub latency_us: Option<u64>,
    pub cm_ids_notified: Option<u64>,
    pub cm_delivery_us: Option<u64>,
    pub ifname: Option<String>,
    pub ifindex: Option<u32>,
    /// Link-layer addresses, as the kernel sent them (6 bytes for
    /// Ethernet, 20 for InfiniBand).
    pub lladdr_old: Option<Vec<u8>>,
    pub lladdr_new: Option<Vec<u8>>,
    pub neigh_latency_us: Option<u64>,
    pub group_state: Option<u32>,
    pub probe_targets_unreachable: Option<bool>,
}

fn ipv4(a: &Attr<'_>) -> Result<Ipv4Addr, DecodeError> {
    a.u32_be().map(Ipv4Addr::from)
}

fn ipv6(a: &Attr<'_>) -> Result<Ipv6Addr, DecodeError> {
    let bytes: [u8; 16] = a
        .payload
        .try_into()
        .map_err(|_| DecodeError::new(format!("IPv6 address of {} bytes", a.payload.len())))?;
    Ok(Ipv6Addr::from(bytes))
}

/// A binary address attribute: 4 bytes for IPv4, 16 for IPv6.
fn ip(a: &Attr<'_>) -> Result<IpAddr, DecodeError> {
    match a.payload.len() {
        4 => ipv4(a).map(IpAddr::V4),
        16 => ipv6(a).map(IpAddr::V6),
        n => Err(DecodeError::new(format!("address of {n} bytes"))),
    }
}

fn flag(a: &Attr<'_>) -> Result<bool, DecodeError> {
    a.u8().map(|v| v != 0)
}

/// Runs `each` over the attributes of a message of command `expected`.
fn for_each_attr(
    payload: &[u8],
    expected: u8,
    mut each: impl FnMut(&Attr<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let msg = GenlMsg::parse(payload)?;
    if msg.cmd != expected {
        return Err(DecodeError::new(format!(
            "expected a reply to command {expected}, got command {}",
            msg.cmd
        )));
    }
    for a in msg.attrs {
        each(&a?)?;
    }
    Ok(())
}

fn required<T>(value: Option<T>, what: &str) -> Result<T, DecodeError> {
    value.ok_or_else(|| DecodeError::new(format!("{what} without a name")))
}

impl Group {
    pub fn decode(payload: &[u8]) -> Result<Group, DecodeError> {
        let mut g = Group::default();
        let mut name = None;
        for_each_attr(payload, cmd::GROUP_GET, |a| {
            match a.kind {
                group_attr::NAME => name = Some(a.string()?),
                group_attr::STATE => g.state = Some(a.u32()?),
                group_attr::FAILBACK => g.failback = Some(flag(a)?),
                group_attr::FAILBACK_DELAY_MS => g.failback_delay_ms = Some(a.u32()?),
                group_attr::HOLD_DOWN_MAX_MS => g.hold_down_max_ms = Some(a.u32()?),
                group_attr::ANNOUNCE_COUNT => g.announce_count = Some(a.u32()?),
                group_attr::ANNOUNCE_INTERVAL_MS => g.announce_interval_ms = Some(a.u32()?),
                group_attr::PORT => g.ports.push(a.string()?),
                group_attr::WAITING_PORT => g.waiting.push(a.string()?),
                group_attr::FAILOVERS => g.failovers = Some(a.uint()?),
                group_attr::FAILBACKS => g.failbacks = Some(a.uint()?),
                group_attr::LAST_FAILOVER_NS => g.last_failover_ns = Some(a.uint()?),
                group_attr::PROBE_TARGET => g.probe_targets.push(ip(a)?),
                group_attr::PROBE_INTERVAL_MS => g.probe_interval_ms = Some(a.u32()?),
                group_attr::PROBE_MISSES => g.probe_misses = Some(a.u32()?),
                group_attr::PROBE_SUCCESSES => g.probe_successes = Some(a.u32()?),
                group_attr::PROBE_TARGETS_UNREACHABLE => {
                    g.probe_targets_unreachable = Some(flag(a)?)
                }
                group_attr::PROBE_REPLIES_IGNORED => g.probe_replies_ignored = Some(a.uint()?),
                _ => {}
            }
            Ok(())
        })?;
        g.name = required(name, "group")?;
        Ok(g)
    }
}

impl Port {
    pub fn decode(payload: &[u8]) -> Result<Port, DecodeError> {
        let mut p = Port::default();
        let mut name = None;
        for_each_attr(payload, cmd::PORT_GET, |a| {
            match a.kind {
                port_attr::NAME => name = Some(a.string()?),
                port_attr::IFNAME => p.ifname = Some(a.string()?),
                port_attr::IFINDEX => p.ifindex = Some(a.u32()?),
                port_attr::GROUP => p.group = Some(a.string()?),
                port_attr::STATE => p.state = Some(a.u32()?),
                port_attr::DOWN_REASON => p.down_reason = Some(a.u32()?),
                port_attr::DRAINED => p.drained = Some(flag(a)?),
                port_attr::ADDRS_HOME => p.addrs_home = Some(a.uint()?),
                port_attr::ADDRS_HOSTED => p.addrs_hosted = Some(a.uint()?),
                port_attr::FAILURES => p.failures = Some(a.uint()?),
                _ => {}
            }
            Ok(())
        })?;
        p.name = required(name, "port")?;
        Ok(p)
    }
}

impl Addr {
    pub fn decode(payload: &[u8]) -> Result<Addr, DecodeError> {
        let mut addr = None;
        // Filled in field by field; the address itself must be present and
        // replaces the placeholder below.
        let mut entry = Addr {
            addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            prefixlen: None,
            group: None,
            broadcast: None,
            label: None,
            ifa_flags: None,
            home_port: None,
            current_port: None,
        };
        for_each_attr(payload, cmd::ADDR_GET, |a| {
            match a.kind {
                addr_attr::GROUP => entry.group = Some(a.string()?),
                addr_attr::IPV4 => addr = Some(IpAddr::V4(ipv4(a)?)),
                addr_attr::IPV6 => addr = Some(IpAddr::V6(ipv6(a)?)),
                addr_attr::PREFIXLEN => entry.prefixlen = Some(a.u8()?),
                addr_attr::BROADCAST => entry.broadcast = Some(ipv4(a)?),
                addr_attr::LABEL => entry.label = Some(a.string()?),
                addr_attr::IFA_FLAGS => entry.ifa_flags = Some(a.u32()?),
                addr_attr::HOME_PORT => entry.home_port = Some(a.string()?),
                addr_attr::CURRENT_PORT => entry.current_port = Some(a.string()?),
                _ => {}
            }
            Ok(())
        })?;
        entry.addr = addr.ok_or_else(|| DecodeError::new("address entry without an address"))?;
        Ok(entry)
    }
}

impl ProbePath {
    pub fn decode(payload: &[u8]) -> Result<ProbePath, DecodeError> {
        let (mut group, mut port, mut target) = (None, None, None);
        let (mut misses, mut successes, mut last_reply_ms) = (None, None, None);
        let (mut sent, mut replies, mut missed) = (None, None, None);
        for_each_attr(payload, cmd::PROBE_GET, |a| {
            match a.kind {
                probe_attr::GROUP => group = Some(a.string()?),
                probe_attr::PORT => port = Some(a.string()?),
                probe_attr::TARGET => target = Some(ip(a)?),
                probe_attr::MISSES => misses = Some(a.u32()?),
                probe_attr::SUCCESSES => successes = Some(a.u32()?),
                probe_attr::LAST_REPLY_MS => last_reply_ms = Some(a.uint()?),
                probe_attr::SENT => sent = Some(a.uint()?),
                probe_attr::REPLIES => replies = Some(a.uint()?),
                probe_attr::MISSED => missed = Some(a.uint()?),
                _ => {}
            }
            Ok(())
        })?;
        Ok(ProbePath {
            group,
            port: required(port, "probe path")?,
            target: target.ok_or_else(|| DecodeError::new("probe path without a target"))?,
            misses,
            successes,
            last_reply_ms,
            sent,
            replies,
            missed,
        })
    }
}

impl Module {
    pub fn decode(payload: &[u8]) -> Result<Module, DecodeError> {
        let mut m = Module::default();
        for_each_attr(payload, cmd::MODULE_GET, |a| {
            match a.kind {
                module_attr::PEER_NOTIFY => m.peer_notify = Some(flag(a)?),
                module_attr::REMOTE_MOVES => m.remote_moves = Some(a.uint()?),
                module_attr::REMOTE_IDS_NOTIFIED => m.remote_ids_notified = Some(a.uint()?),
                module_attr::NEIGH_UPDATES => m.neigh_updates = Some(a.uint()?),
                module_attr::NEIGH_UPDATES_DROPPED => m.neigh_updates_dropped = Some(a.uint()?),
                _ => {}
            }
            Ok(())
        })?;
        Ok(m)
    }
}

impl Event {
    /// Decodes a notification of any command; the caller decides what to
    /// do with commands it does not know.
    pub fn decode(payload: &[u8]) -> Result<Event, DecodeError> {
        let msg = GenlMsg::parse(payload)?;
        let mut e = Event {
            cmd: msg.cmd,
            ..Event::default()
        };
        for a in msg.attrs {
            let a = a?;
            match a.kind {
                event_attr::TIME_NS => e.time_ns = Some(a.uint()?),
                event_attr::PORT => e.port = Some(a.string()?),
                event_attr::GROUP => e.group = Some(a.string()?),
                event_attr::DOWN_REASON => e.down_reason = Some(a.u32()?),
                event_attr::IPV4 => e.addr = Some(IpAddr::V4(ipv4(&a)?)),
                event_attr::IPV6 => e.addr = Some(IpAddr::V6(ipv6(&a)?)),
                event_attr::PREFIXLEN => e.prefixlen = Some(a.u8()?),
                event_attr::FROM_PORT => e.from_port = Some(a.string()?),
                event_attr::TO_PORT => e.to_port = Some(a.string()?),
                event_attr::MOVE_REASON => e.move_reason = Some(a.u32()?),
                event_attr::LATENCY_US => e.latency_us = Some(a.uint()?),
                event_attr::CM_IDS_NOTIFIED => e.cm_ids_notified = Some(a.uint()?),
                event_attr::CM_DELIVERY_US => e.cm_delivery_us = Some(a.uint()?),
                event_attr::IFNAME => e.ifname = Some(a.string()?),
                event_attr::IFINDEX => e.ifindex = Some(a.u32()?),
                event_attr::LLADDR_OLD => e.lladdr_old = Some(a.payload.to_vec()),
                event_attr::LLADDR_NEW => e.lladdr_new = Some(a.payload.to_vec()),
                event_attr::NEIGH_LATENCY_US => e.neigh_latency_us = Some(a.uint()?),
                event_attr::GROUP_STATE => e.group_state = Some(a.u32()?),
                event_attr::PROBE_TARGETS_UNREACHABLE => {
                    e.probe_targets_unreachable = Some(flag(&a)?)
                }
                _ => {}
            }
        }
        Ok(e)
    }
}

/// Builders of kernel replies, shared by the tests of this crate.
#[cfg(test)]
pub mod fake {
    use super::*;
    use crate::netlink::attr::AttrWriter;

    /// A generic netlink payload (header and attributes) of command `cmd`.
    pub fn payload(cmd: u8, fill: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
        let mut p = vec![cmd, 1, 0, 0];
        fill(&mut AttrWriter::new(&mut p));
        p
    }

    pub fn group_g0() -> Vec<u8> {
        payload(cmd::GROUP_GET, |w| {
            w.put_str(group_attr::NAME, "g0");
            w.put_u32(group_attr::STATE, 1);
            w.put_u8(group_attr::FAILBACK, 1);
            w.put_u32(group_attr::FAILBACK_DELAY_MS, 5000);
            w.put_u32(group_attr::HOLD_DOWN_MAX_MS, 60000);
            w.put_u32(group_attr::ANNOUNCE_COUNT, 3);
            w.put_u32(group_attr::ANNOUNCE_INTERVAL_MS, 300);
            w.put_str(group_attr::PORT, "rxe0/1");
            w.put_str(group_attr::PORT, "rxe1/1");
            w.put_u32(group_attr::FAILOVERS, 2);
            w.put(group_attr::FAILBACKS, &1u64.to_ne_bytes());
            w.put(
                group_attr::LAST_FAILOVER_NS,
                &1_763_729_042_512_000_000u64.to_ne_bytes(),
            );
        })
    }

    /// g0 probing 10.1.0.2 and fd00:1::2 every 200 ms, 4 misses, 1 success.
    pub fn group_g0_probing() -> Vec<u8> {
        let mut p = group_g0();
        let mut w = AttrWriter::new(&mut p);
        w.put(group_attr::PROBE_TARGET, &[10, 1, 0, 2]);
        let v6: Ipv6Addr = "fd00:1::2".parse().unwrap();
        w.put(group_attr::PROBE_TARGET, &v6.octets());
        w.put_u32(group_attr::PROBE_INTERVAL_MS, 200);
        w.put_u32(group_attr::PROBE_MISSES, 4);
        w.put_u32(group_attr::PROBE_SUCCESSES, 1);
        w.put_u8(group_attr::PROBE_TARGETS_UNREACHABLE, 0);
        w.put(group_attr::PROBE_REPLIES_IGNORED, &7u64.to_ne_bytes());
        p
    }

    /// `port`'s path to `target` in g0; `last_reply_ms` absent: never.
    pub fn probe_path(port: &str, target: IpAddr, last_reply_ms: Option<u64>) -> Vec<u8> {
        payload(cmd::PROBE_GET, |w| {
            w.put_str(probe_attr::GROUP, "g0");
            w.put_str(probe_attr::PORT, port);
            match target {
                IpAddr::V4(a) => w.put(probe_attr::TARGET, &a.octets()),
                IpAddr::V6(a) => w.put(probe_attr::TARGET, &a.octets()),
            };
            w.put_u32(probe_attr::MISSES, 0);
            w.put_u32(probe_attr::SUCCESSES, 12);
            if let Some(ms) = last_reply_ms {
                w.put(probe_attr::LAST_REPLY_MS, &ms.to_ne_bytes());
            }
            w.put(probe_attr::SENT, &100u64.to_ne_bytes());
            w.put_u32(probe_attr::REPLIES, 98);
            w.put_u32(probe_attr::MISSED, 2);
        })
    }

    pub fn probe_targets_event(unreachable: bool) -> Vec<u8> {
        payload(cmd::PROBE_TARGETS_NTF, |w| {
            w.put(
                event_attr::TIME_NS,
                &1_763_729_042_512_000_000u64.to_ne_bytes(),
            );
            w.put_str(event_attr::GROUP, "g0");
            w.put_u8(event_attr::PROBE_TARGETS_UNREACHABLE, u8::from(unreachable));
        })
    }

    pub fn port_rxe0_down() -> Vec<u8> {
        payload(cmd::PORT_GET, |w| {
            w.put_str(port_attr::NAME, "rxe0/1");
            w.put_str(port_attr::IFNAME, "eth0");
            w.put_u32(port_attr::IFINDEX, 2);
            w.put_str(port_attr::GROUP, "g0");
            w.put_u32(port_attr::STATE, 2);
            w.put_u32(port_attr::DOWN_REASON, 3);
            w.put_u8(port_attr::DRAINED, 0);
            w.put_u32(port_attr::ADDRS_HOME, 2);
            w.put_u32(port_attr::ADDRS_HOSTED, 0);
            w.put_u32(port_attr::FAILURES, 1);
        })
    }

    pub fn addr_v4_moved() -> Vec<u8> {
        payload(cmd::ADDR_GET, |w| {
            w.put_str(addr_attr::GROUP, "g0");
            w.put(addr_attr::IPV4, &[192, 0, 2, 10]);
            w.put_u8(addr_attr::PREFIXLEN, 24);
            w.put(addr_attr::BROADCAST, &[192, 0, 2, 255]);
            w.put_str(addr_attr::LABEL, "eth0");
            w.put_str(addr_attr::HOME_PORT, "rxe0/1");
            w.put_str(addr_attr::CURRENT_PORT, "rxe1/1");
        })
    }

    pub fn module_counters() -> Vec<u8> {
        payload(cmd::MODULE_GET, |w| {
            w.put_u8(module_attr::PEER_NOTIFY, 1);
            w.put_u32(module_attr::REMOTE_MOVES, 3);
            w.put_u32(module_attr::REMOTE_IDS_NOTIFIED, 12);
            w.put(module_attr::NEIGH_UPDATES, &40u64.to_ne_bytes());
            w.put_u32(module_attr::NEIGH_UPDATES_DROPPED, 0);
        })
    }

    /// A peer's 10.1.0.1 moved from 52:54:00:0a:01:01 to ...:02, seen on eth0.
    pub fn remote_move_event() -> Vec<u8> {
        payload(cmd::REMOTE_MOVE_NTF, |w| {
            w.put(
                event_attr::TIME_NS,
                &1_763_729_042_512_000_000u64.to_ne_bytes(),
            );
            w.put_str(event_attr::IFNAME, "eth0");
            w.put_u32(event_attr::IFINDEX, 2);
            w.put(event_attr::IPV4, &[10, 1, 0, 1]);
            w.put(event_attr::LLADDR_OLD, &[0x52, 0x54, 0, 0x0a, 1, 1]);
            w.put(event_attr::LLADDR_NEW, &[0x52, 0x54, 0, 0x0a, 1, 2]);
            w.put_u32(event_attr::CM_IDS_NOTIFIED, 3);
            w.put_u32(event_attr::CM_DELIVERY_US, 120);
            w.put(event_attr::NEIGH_LATENCY_US, &800u64.to_ne_bytes());
        })
    }

    pub fn addr_moved_event() -> Vec<u8> {
        payload(cmd::ADDR_MOVED_NTF, |w| {
            w.put(
                event_attr::TIME_NS,
                &1_763_729_042_512_000_000u64.to_ne_bytes(),
            );
            w.put_str(event_attr::GROUP, "g0");
            let v6: Ipv6Addr = "2001:db8::10".parse().unwrap();
            w.put(event_attr::IPV6, &v6.octets());
            w.put_u8(event_attr::PREFIXLEN, 64);
            w.put_str(event_attr::FROM_PORT, "rxe0/1");
            w.put_str(event_attr::TO_PORT, "rxe1/1");
            w.put_u32(event_attr::MOVE_REASON, 1);
            w.put_u32(event_attr::LATENCY_US, 1234);
            w.put_u32(event_attr::CM_IDS_NOTIFIED, 3);
            w.put_u32(event_attr::CM_DELIVERY_US, 55);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn group() {
        let g = Group::decode(&fake::group_g0()).unwrap();
        assert_eq!(g.name, "g0");
        assert_eq!(g.state, Some(1));
        assert_eq!(g.failback, Some(true));
        assert_eq!(g.failback_delay_ms, Some(5000));
        assert_eq!(g.hold_down_max_ms, Some(60000));
        assert_eq!(g.announce_count, Some(3));
        assert_eq!(g.announce_interval_ms, Some(300));
        assert_eq!(g.ports, ["rxe0/1", "rxe1/1"]);
        assert_eq!(g.failovers, Some(2));
        assert_eq!(g.failbacks, Some(1));
        assert_eq!(g.last_failover_ns, Some(1_763_729_042_512_000_000));
        assert!(g.probe_targets.is_empty());
        assert_eq!(g.probe_interval_ms, None);
    }

    #[test]
    fn group_probing() {
        let g = Group::decode(&fake::group_g0_probing()).unwrap();
        assert_eq!(
            g.probe_targets,
            [
                "10.1.0.2".parse::<IpAddr>().unwrap(),
                "fd00:1::2".parse().unwrap()
            ]
        );
        assert_eq!(
            (g.probe_interval_ms, g.probe_misses, g.probe_successes),
            (Some(200), Some(4), Some(1))
        );
        assert_eq!(g.probe_targets_unreachable, Some(false));
        assert_eq!(g.probe_replies_ignored, Some(7));
        let bad = fake::payload(cmd::GROUP_GET, |w| {
            w.put_str(group_attr::NAME, "g0");
            w.put(group_attr::PROBE_TARGET, &[10, 1, 0]);
        });
        assert!(Group::decode(&bad)
            .unwrap_err()
            .0
            .contains("address of 3 bytes"));
    }

    #[test]
    fn probe_path() {
        let v4: IpAddr = "10.1.0.2".parse().unwrap();
        let p = ProbePath::decode(&fake::probe_path("rxe0/1", v4, Some(120))).unwrap();
        assert_eq!(
            p,
            ProbePath {
                group: Some("g0".into()),
                port: "rxe0/1".into(),
                target: v4,
                misses: Some(0),
                successes: Some(12),
                last_reply_ms: Some(120),
                sent: Some(100),
                replies: Some(98),
                missed: Some(2),
            }
        );
        let v6: IpAddr = "fd00:1::2".parse().unwrap();
        let p = ProbePath::decode(&fake::probe_path("rxe1/1", v6, None)).unwrap();
        assert_eq!((p.target, p.last_reply_ms), (v6, None));
        let no_target = fake::payload(cmd::PROBE_GET, |w| {
            w.put_str(probe_attr::PORT, "rxe0/1");
        });
        assert!(ProbePath::decode(&no_target)
            .unwrap_err()
            .0
            .contains("without a target"));
        assert!(ProbePath::decode(&fake::group_g0()).is_err());
    }

    #[test]
    fn probe_targets_event() {
        let e = Event::decode(&fake::probe_targets_event(true)).unwrap();
        assert_eq!(e.cmd, cmd::PROBE_TARGETS_NTF);
        assert_eq!(e.group.as_deref(), Some("g0"));
        assert_eq!(e.probe_targets_unreachable, Some(true));
        let e = Event::decode(&fake::probe_targets_event(false)).unwrap();
        assert_eq!(e.probe_targets_unreachable, Some(false));
    }

    #[test]
    fn port() {
        let p = Port::decode(&fake::port_rxe0_down()).unwrap();
        assert_eq!(p.name, "rxe0/1");
        assert_eq!(p.ifname.as_deref(), Some("eth0"));
        assert_eq!(p.ifindex, Some(2));
        assert_eq!(p.group.as_deref(), Some("g0"));
        assert_eq!((p.state, p.down_reason), (Some(2), Some(3)));
        assert_eq!(p.drained, Some(false));
        assert_eq!(
            (p.addrs_home, p.addrs_hosted, p.failures),
            (Some(2), Some(0), Some(1))
        );
    }

    #[test]
    fn addr() {
        let a = Addr::decode(&fake::addr_v4_moved()).unwrap();
        assert_eq!(a.addr, "192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(a.prefixlen, Some(24));
        assert_eq!(a.broadcast, Some(Ipv4Addr::new(192, 0, 2, 255)));
        assert_eq!(a.label.as_deref(), Some("eth0"));
        assert_eq!(a.home_port.as_deref(), Some("rxe0/1"));
        assert_eq!(a.current_port.as_deref(), Some("rxe1/1"));
        assert_eq!(a.ifa_flags, None);
    }

    #[test]
    fn event() {
        let e = Event::decode(&fake::addr_moved_event()).unwrap();
        assert_eq!(e.cmd, cmd::ADDR_MOVED_NTF);
        assert_eq!(e.addr, Some("2001:db8::10".parse().unwrap()));
        assert_eq!(e.prefixlen, Some(64));
        assert_eq!(e.move_reason, Some(1));
        assert_eq!(
            (e.latency_us, e.cm_ids_notified, e.cm_delivery_us),
            (Some(1234), Some(3), Some(55))
        );
    }

    #[test]
    fn module() {
        let m = Module::decode(&fake::module_counters()).unwrap();
        assert_eq!(
            m,
            Module {
                peer_notify: Some(true),
                remote_moves: Some(3),
                remote_ids_notified: Some(12),
                neigh_updates: Some(40),
                neigh_updates_dropped: Some(0),
            }
        );
        let empty = fake::payload(cmd::MODULE_GET, |_| {});
        assert_eq!(Module::decode(&empty).unwrap(), Module::default());
        let off = fake::payload(cmd::MODULE_GET, |w| {
            w.put_u8(module_attr::PEER_NOTIFY, 0);
        });
        assert_eq!(Module::decode(&off).unwrap().peer_notify, Some(false));
        assert!(Module::decode(&fake::group_g0())
            .unwrap_err()
            .0
            .contains("expected a reply"));
        let wide = fake::payload(cmd::MODULE_GET, |w| {
            w.put_u32(module_attr::PEER_NOTIFY, 1);
        });
        assert!(Module::decode(&wide).is_err());
    }

    #[test]
    fn remote_move_event() {
        let e = Event::decode(&fake::remote_move_event()).unwrap();
        assert_eq!(e.cmd, cmd::REMOTE_MOVE_NTF);
        assert_eq!(e.time_ns, Some(1_763_729_042_512_000_000));
        assert_eq!(e.ifname.as_deref(), Some("eth0"));
        assert_eq!(e.ifindex, Some(2));
        assert_eq!(e.addr, Some("10.1.0.1".parse().unwrap()));
        assert_eq!(e.prefixlen, None);
        assert_eq!(
            e.lladdr_old.as_deref(),
            Some(&[0x52, 0x54, 0, 0x0a, 1, 1][..])
        );
        assert_eq!(
            e.lladdr_new.as_deref(),
            Some(&[0x52, 0x54, 0, 0x0a, 1, 2][..])
        );
        assert_eq!(
            (e.cm_ids_notified, e.cm_delivery_us, e.neigh_latency_us),
            (Some(3), Some(120), Some(800))
        );
        assert_eq!((e.group, e.port, e.move_reason), (None, None, None));
    }

    #[test]
    fn unknown_attributes_are_ignored() {
        let p = fake::payload(cmd::PORT_GET, |w| {
            w.put_str(port_attr::NAME, "rxe0/1");
            w.put_u32(200, 7);
        });
        assert_eq!(Port::decode(&p).unwrap().name, "rxe0/1");
    }

    #[test]
    fn missing_names_are_errors() {
        let p = fake::payload(cmd::GROUP_GET, |w| {
            w.put_u32(group_attr::STATE, 1);
        });
        assert_eq!(Group::decode(&p).unwrap_err().0, "group without a name");
        let p = fake::payload(cmd::PORT_GET, |_| {});
        assert_eq!(Port::decode(&p).unwrap_err().0, "port without a name");
        let p = fake::payload(cmd::ADDR_GET, |w| {
            w.put_str(addr_attr::GROUP, "g0");
        });
        assert!(Addr::decode(&p)
            .unwrap_err()
            .0
            .contains("without an address"));
    }

    #[test]
    fn wrong_command_and_sizes_are_errors() {
        assert!(Group::decode(&fake::port_rxe0_down())
            .unwrap_err()
            .0
            .contains("expected a reply"));
        let p = fake::payload(cmd::ADDR_GET, |w| {
            w.put(addr_attr::IPV6, &[0; 15]);
        });
        assert!(Addr::decode(&p)
            .unwrap_err()
            .0
            .contains("IPv6 address of 15 bytes"));
        let p = fake::payload(cmd::PORT_GET, |w| {
            w.put_str(port_attr::NAME, "rxe0/1");
            w.put_u32(port_attr::DRAINED, 1);
        });
        assert!(Port::decode(&p).is_err());
        assert!(Event::decode(&[1]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(
            cmd in 0u8..24,
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut p = vec![cmd, 1, 0, 0];
            p.extend(body);
            let _ = Group::decode(&p);
            let _ = Port::decode(&p);
            let _ = Addr::decode(&p);
            let _ = Module::decode(&p);
            let _ = ProbePath::decode(&p);
            let _ = Event::decode(&p);
        }
    }
}
