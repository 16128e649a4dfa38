// SPDX-License-Identifier: GPL-2.0

//! The rdmaip requests, one builder per operation of the spec. Changes and
//! single-object gets are `do` requests that ask for an ack (so that
//! success is confirmed and failures come with an extended ACK); listings
//! are dumps.

use std::net::IpAddr;

use crate::cli::{ModuleSettings, Settings};
use crate::netlink::message::{Request, NLM_F_ACK, NLM_F_DUMP};
use crate::uapi::{addr_attr, cmd, group_attr, module_attr, port_attr, probe_attr, FAMILY_VERSION};

fn do_request(family: u16, command: u8) -> Request {
    Request::new(family, command, FAMILY_VERSION, NLM_F_ACK)
}

fn dump_request(family: u16, command: u8) -> Request {
    Request::new(family, command, FAMILY_VERSION, NLM_F_DUMP)
}

fn put_settings(req: &mut Request, s: &Settings) {
    if let Some(on) = s.failback {
        req.put_u8(group_attr::FAILBACK, u8::from(on));
    }
    if let Some(ms) = s.failback_delay_ms {
        req.put_u32(group_attr::FAILBACK_DELAY_MS, ms);
    }
    if let Some(ms) = s.hold_down_max_ms {
        req.put_u32(group_attr::HOLD_DOWN_MAX_MS, ms);
    }
    if let Some(n) = s.announce_count {
        req.put_u32(group_attr::ANNOUNCE_COUNT, n);
    }
    if let Some(ms) = s.announce_interval_ms {
        req.put_u32(group_attr::ANNOUNCE_INTERVAL_MS, ms);
    }
    match s.probe_targets.as_deref() {
        // No targets: probing off.
        Some([]) => req.put_flag(group_attr::PROBE_OFF),
        // One attribute per target; they replace the group's.
        Some(targets) => {
            for target in targets {
                match target {
                    IpAddr::V4(a) => req.put_bytes(group_attr::PROBE_TARGET, &a.octets()),
                    IpAddr::V6(a) => req.put_bytes(group_attr::PROBE_TARGET, &a.octets()),
                }
            }
        }
        None => {}
    }
    if let Some(ms) = s.probe_interval_ms {
        req.put_u32(group_attr::PROBE_INTERVAL_MS, ms);
    }
    if let Some(n) = s.probe_misses {
        req.put_u32(group_attr::PROBE_MISSES, n);
    }
    if let Some(n) = s.probe_successes {
        req.put_u32(group_attr::PROBE_SUCCESSES, n);
    }
}

pub fn group_new(family: u16, name: &str, settings: &Settings) -> Request {
    let mut req = do_request(family, cmd::GROUP_NEW);
    req.put_str(group_attr::NAME, name);
    put_settings(&mut req, settings);
    req
}

pub fn group_del(family: u16, name: &str) -> Request {
    let mut req = do_request(family, cmd::GROUP_DEL);
    req.put_str(group_attr::NAME, name);
    req
}

pub fn group_set(family: u16, name: &str, settings: &Settings) -> Request {
    let mut req = do_request(family, cmd::GROUP_SET);
    req.put_str(group_attr::NAME, name);
    put_settings(&mut req, settings);
    req
}

/// One group by name, or a dump of all groups.
pub fn group_get(family: u16, name: Option<&str>) -> Request {
    match name {
        Some(name) => {
            let mut req = do_request(family, cmd::GROUP_GET);
            req.put_str(group_attr::NAME, name);
            req
        }
        None => dump_request(family, cmd::GROUP_GET),
    }
}

pub fn port_add(family: u16, group: &str, ports: &[String]) -> Request {
    let mut req = do_request(family, cmd::PORT_ADD);
    req.put_str(group_attr::NAME, group);
    for port in ports {
        req.put_str(group_attr::PORT, port);
    }
    req
}

pub fn port_del(family: u16, group: Option<&str>, ports: &[String]) -> Request {
    let mut req = do_request(family, cmd::PORT_DEL);
    if let Some(group) = group {
        req.put_str(group_attr::NAME, group);
    }
    for port in ports {
        req.put_str(group_attr::PORT, port);
    }
    req
}

/// One port by name, or a dump of all ports (of one group, if given).
pub fn port_get(family: u16, port: Option<&str>, group: Option<&str>) -> Request {
    match port {
        Some(port) => {
            let mut req = do_request(family, cmd::PORT_GET);
            req.put_str(port_attr::NAME, port);
            req
        }
        None => {
            let mut req = dump_request(family, cmd::PORT_GET);
            if let Some(group) = group {
                req.put_str(port_attr::GROUP, group);
            }
            req
        }
    }
}

pub fn port_drain(family: u16, port: &str) -> Request {
    let mut req = do_request(family, cmd::PORT_DRAIN);
    req.put_str(port_attr::NAME, port);
    req
}

pub fn port_undrain(family: u16, port: &str) -> Request {
    let mut req = do_request(family, cmd::PORT_UNDRAIN);
    req.put_str(port_attr::NAME, port);
    req
}

/// A dump of the tracked addresses (of one group, if given).
pub fn addr_get(family: u16, group: Option<&str>) -> Request {
    let mut req = dump_request(family, cmd::ADDR_GET);
    if let Some(group) = group {
        req.put_str(addr_attr::GROUP, group);
    }
    req
}

/// A dump of the probe state of every member and target (of one group,
/// if given).
pub fn probe_get(family: u16, group: Option<&str>) -> Request {
    let mut req = dump_request(family, cmd::PROBE_GET);
    if let Some(group) = group {
        req.put_str(probe_attr::GROUP, group);
    }
    req
}

/// The module's settings and counters.
pub fn module_get(family: u16) -> Request {
    do_request(family, cmd::MODULE_GET)
}

pub fn module_set(family: u16, settings: &ModuleSettings) -> Request {
    let mut req = do_request(family, cmd::MODULE_SET);
    if let Some(on) = settings.peer_notify {
        req.put_u8(module_attr::PEER_NOTIFY, u8::from(on));
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::message::{NlMsgs, NLM_F_REQUEST};

    const FAMILY: u16 = 0x21;

    /// Header flags, command and the attributes as (type, payload).
    fn decode(mut req: Request) -> (u16, u8, Vec<(u16, Vec<u8>)>) {
        let bytes = req.bytes(1).to_vec();
        let msg = NlMsgs::new(&bytes).next().unwrap().unwrap();
        assert_eq!(msg.kind, FAMILY);
        assert_eq!(msg.payload[1], FAMILY_VERSION);
        let attrs = req
            .attrs()
            .map(|a| a.map(|a| (a.kind, a.payload.to_vec())))
            .collect::<Result<_, _>>()
            .unwrap();
        (msg.flags, msg.payload[0], attrs)
    }

    fn s(text: &str) -> Vec<u8> {
        let mut v = text.as_bytes().to_vec();
        v.push(0);
        v
    }

    const DO: u16 = NLM_F_REQUEST | NLM_F_ACK;
    const DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;

    #[test]
    fn group_new_with_every_setting() {
        let settings = Settings {
            failback: Some(false),
            failback_delay_ms: Some(5000),
            hold_down_max_ms: Some(60000),
            announce_count: Some(3),
            announce_interval_ms: Some(300),
            ..Settings::default()
        };
        let (flags, command, attrs) = decode(group_new(FAMILY, "g0", &settings));
        assert_eq!((flags, command), (DO, cmd::GROUP_NEW));
        assert_eq!(
            attrs,
            [
                (group_attr::NAME, s("g0")),
                (group_attr::FAILBACK, vec![0]),
                (
                    group_attr::FAILBACK_DELAY_MS,
                    5000u32.to_ne_bytes().to_vec()
                ),
                (
                    group_attr::HOLD_DOWN_MAX_MS,
                    60000u32.to_ne_bytes().to_vec()
                ),
                (group_attr::ANNOUNCE_COUNT, 3u32.to_ne_bytes().to_vec()),
                (
                    group_attr::ANNOUNCE_INTERVAL_MS,
                    300u32.to_ne_bytes().to_vec()
                ),
            ]
        );
    }

    #[test]
    fn probe_settings() {
        let settings = Settings {
            probe_targets: Some(vec![
                "10.1.0.2".parse().unwrap(),
                "fd00:1::2".parse().unwrap(),
            ]),
            probe_interval_ms: Some(200),
            probe_misses: Some(4),
            probe_successes: Some(1),
            ..Settings::default()
        };
        let v6: std::net::Ipv6Addr = "fd00:1::2".parse().unwrap();
        let (flags, command, attrs) = decode(group_set(FAMILY, "g0", &settings));
        assert_eq!((flags, command), (DO, cmd::GROUP_SET));
        assert_eq!(
            attrs,
            [
                (group_attr::NAME, s("g0")),
                (group_attr::PROBE_TARGET, vec![10, 1, 0, 2]),
                (group_attr::PROBE_TARGET, v6.octets().to_vec()),
                (group_attr::PROBE_INTERVAL_MS, 200u32.to_ne_bytes().to_vec()),
                (group_attr::PROBE_MISSES, 4u32.to_ne_bytes().to_vec()),
                (group_attr::PROBE_SUCCESSES, 1u32.to_ne_bytes().to_vec()),
            ]
        );
        // No targets: the probe-off flag, without a payload.
        let off = Settings {
            probe_targets: Some(vec![]),
            ..Settings::default()
        };
        let (_, command, attrs) = decode(group_new(FAMILY, "g0", &off));
        assert_eq!(command, cmd::GROUP_NEW);
        assert_eq!(
            attrs,
            [(group_attr::NAME, s("g0")), (group_attr::PROBE_OFF, vec![])]
        );
    }

    #[test]
    fn probe_dump() {
        assert_eq!(
            decode(probe_get(FAMILY, None)),
            (DUMP, cmd::PROBE_GET, vec![])
        );
        assert_eq!(
            decode(probe_get(FAMILY, Some("g0"))),
            (DUMP, cmd::PROBE_GET, vec![(probe_attr::GROUP, s("g0"))])
        );
    }

    #[test]
    fn unset_settings_are_left_out() {
        let (_, _, attrs) = decode(group_new(FAMILY, "g0", &Settings::default()));
        assert_eq!(attrs, [(group_attr::NAME, s("g0"))]);
        let only_failback = Settings {
            failback: Some(true),
            ..Settings::default()
        };
        let (flags, command, attrs) = decode(group_set(FAMILY, "g0", &only_failback));
        assert_eq!((flags, command), (DO, cmd::GROUP_SET));
        assert_eq!(
            attrs,
            [(group_attr::NAME, s("g0")), (group_attr::FAILBACK, vec![1])]
        );
    }

    #[test]
    fn group_del_and_get() {
        assert_eq!(
            decode(group_del(FAMILY, "g0")),
            (DO, cmd::GROUP_DEL, vec![(group_attr::NAME, s("g0"))])
        );
        assert_eq!(
            decode(group_get(FAMILY, Some("g0"))),
            (DO, cmd::GROUP_GET, vec![(group_attr::NAME, s("g0"))])
        );
        assert_eq!(
            decode(group_get(FAMILY, None)),
            (DUMP, cmd::GROUP_GET, vec![])
        );
    }

    #[test]
    fn port_membership() {
        let ports = ["rxe0/1".to_string(), "rxe1/1".to_string()];
        assert_eq!(
            decode(port_add(FAMILY, "g0", &ports)),
            (
                DO,
                cmd::PORT_ADD,
                vec![
                    (group_attr::NAME, s("g0")),
                    (group_attr::PORT, s("rxe0/1")),
                    (group_attr::PORT, s("rxe1/1"))
                ]
            )
        );
        assert_eq!(
            decode(port_del(FAMILY, None, &ports[..1])),
            (DO, cmd::PORT_DEL, vec![(group_attr::PORT, s("rxe0/1"))])
        );
        assert_eq!(
            decode(port_del(FAMILY, Some("g0"), &ports[..1])),
            (
                DO,
                cmd::PORT_DEL,
                vec![(group_attr::NAME, s("g0")), (group_attr::PORT, s("rxe0/1"))]
            )
        );
    }

    #[test]
    fn port_get_drain_undrain() {
        assert_eq!(
            decode(port_get(FAMILY, Some("rxe0/1"), None)),
            (DO, cmd::PORT_GET, vec![(port_attr::NAME, s("rxe0/1"))])
        );
        assert_eq!(
            decode(port_get(FAMILY, None, None)),
            (DUMP, cmd::PORT_GET, vec![])
        );
        assert_eq!(
            decode(port_get(FAMILY, None, Some("g0"))),
            (DUMP, cmd::PORT_GET, vec![(port_attr::GROUP, s("g0"))])
        );
        assert_eq!(
            decode(port_drain(FAMILY, "rxe0/1")),
            (DO, cmd::PORT_DRAIN, vec![(port_attr::NAME, s("rxe0/1"))])
        );
        assert_eq!(
            decode(port_undrain(FAMILY, "rxe0/1")),
            (DO, cmd::PORT_UNDRAIN, vec![(port_attr::NAME, s("rxe0/1"))])
        );
    }

    #[test]
    fn addr_dump() {
        assert_eq!(
            decode(addr_get(FAMILY, None)),
            (DUMP, cmd::ADDR_GET, vec![])
        );
        assert_eq!(
            decode(addr_get(FAMILY, Some("g0"))),
            (DUMP, cmd::ADDR_GET, vec![(addr_attr::GROUP, s("g0"))])
        );
    }

    #[test]
    fn module_get_and_set() {
        assert_eq!(decode(module_get(FAMILY)), (DO, cmd::MODULE_GET, vec![]));
        for (on, byte) in [(true, 1), (false, 0)] {
            let settings = ModuleSettings {
                peer_notify: Some(on),
            };
            assert_eq!(
                decode(module_set(FAMILY, &settings)),
                (
                    DO,
                    cmd::MODULE_SET,
                    vec![(module_attr::PEER_NOTIFY, vec![byte])]
                )
            );
        }
        assert_eq!(
            decode(module_set(FAMILY, &ModuleSettings::default())),
            (DO, cmd::MODULE_SET, vec![])
        );
    }
}
