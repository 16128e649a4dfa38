// SPDX-License-Identifier: GPL-2.0

//! What each object shows, and in which order. Keys are the netlink spec's
//! attribute names; `details` (`-d`) adds counters and rarely needed fields.

use std::net::IpAddr;

use crate::model::{Addr, Event, Group, Port};
use crate::output::{Record, Value};
use crate::uapi::{cmd, down_reason, group_state, move_reason, port_state};

/// An enum value by its spec name; values a newer kernel added show as
/// `unknown-N` rather than failing.
fn enum_value(name: fn(u32) -> Option<&'static str>, raw: u32) -> Value {
    Value::Text(name(raw).map_or_else(|| format!("unknown-{raw}"), str::to_string))
}

fn text(s: &Option<String>) -> Option<Value> {
    s.clone().map(Value::Text)
}

fn millis(ms: Option<u32>) -> Option<Value> {
    ms.map(|ms| Value::Millis(ms.into()))
}

fn number(n: Option<u64>) -> Option<Value> {
    n.map(Value::Number)
}

/// The address with its prefix length; a missing one means a host route.
fn prefix(addr: IpAddr, len: Option<u8>) -> Value {
    let full = if addr.is_ipv4() { 32 } else { 128 };
    Value::Prefix(addr, len.unwrap_or(full))
}

pub fn group(g: &Group, details: bool) -> Record {
    let mut r = Record::new();
    r.push("group", Value::Text(g.name.clone()))
        .push_opt("state", g.state.map(|s| enum_value(group_state::name, s)))
        .push("ports", Value::List(g.ports.clone()))
        .push_opt("failback", g.failback.map(Value::Switch))
        .push_opt("failback-delay-ms", millis(g.failback_delay_ms))
        .push_opt("hold-down-max-ms", millis(g.hold_down_max_ms))
        .push_opt(
            "announce-count",
            g.announce_count.map(|n| Value::Number(n.into())),
        )
        .push_opt("announce-interval-ms", millis(g.announce_interval_ms));
    if details {
        r.push_opt("failovers", number(g.failovers))
            .push_opt("failbacks", number(g.failbacks))
            .push_opt(
                "last-failover-ns",
                g.last_failover_ns.map(Value::WallClockNs),
            );
    }
    r
}

pub fn port(p: &Port, details: bool) -> Record {
    let mut r = Record::new();
    r.push("port", Value::Text(p.name.clone()))
        .push_opt("ifname", text(&p.ifname));
    if details {
        r.push_opt("ifindex", p.ifindex.map(|i| Value::Number(i.into())));
    }
    r.push_opt("group", text(&p.group))
        .push_opt("state", p.state.map(|s| enum_value(port_state::name, s)))
        .push_opt(
            "down-reason",
            p.down_reason.map(|d| enum_value(down_reason::name, d)),
        )
        .push_opt("drained", p.drained.map(Value::YesNo))
        .push_opt("addrs-home", number(p.addrs_home))
        .push_opt("addrs-hosted", number(p.addrs_hosted));
    if details {
        r.push_opt("failures", number(p.failures));
    }
    r
}

pub fn addr(a: &Addr, details: bool) -> Record {
    let mut r = Record::new();
    r.push("addr", prefix(a.addr, a.prefixlen))
        .push_opt("group", text(&a.group))
        .push_opt("home-port", text(&a.home_port))
        .push_opt("current-port", text(&a.current_port))
        .push_opt("broadcast", a.broadcast.map(|b| Value::Text(b.to_string())))
        .push_opt("label", text(&a.label));
    if details {
        r.push_opt("ifa-flags", a.ifa_flags.map(Value::Hex));
    }
    r
}

/// The event's name: its notification's name without `-ntf`.
fn event_name(command: u8) -> String {
    match cmd::name(command) {
        Some(name) => name.trim_end_matches("-ntf").to_string(),
        None => format!("unknown-{command}"),
    }
}

pub fn event(e: &Event) -> Record {
    let mut r = Record::new();
    r.push("event", Value::Text(event_name(e.cmd)))
        .push_opt("time-ns", e.time_ns.map(Value::WallClockNs))
        .push_opt("group", text(&e.group))
        .push_opt("port", text(&e.port))
        .push_opt(
            "down-reason",
            e.down_reason.map(|d| enum_value(down_reason::name, d)),
        )
        .push_opt("addr", e.addr.map(|a| prefix(a, e.prefixlen)))
        .push_opt("from-port", text(&e.from_port))
        .push_opt("to-port", text(&e.to_port))
        .push_opt(
            "move-reason",
            e.move_reason.map(|m| enum_value(move_reason::name, m)),
        )
        .push_opt("latency-us", number(e.latency_us))
        .push_opt("cm-ids-notified", number(e.cm_ids_notified))
        .push_opt("cm-delivery-us", number(e.cm_delivery_us));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fake;

    #[test]
    fn group_text() {
        let g = Group::decode(&fake::group_g0()).unwrap();
        assert_eq!(
            group(&g, false).to_text(),
            "group g0 state up ports rxe0/1,rxe1/1 failback on failback-delay 5s \
             hold-down-max 60s announce-count 3 announce-interval 300ms"
        );
        assert!(group(&g, true)
            .to_text()
            .ends_with("failovers 2 failbacks 1 last-failover 1763729042.512000000"));
    }

    #[test]
    fn empty_group() {
        let g = Group {
            name: "g1".into(),
            state: Some(2),
            ..Group::default()
        };
        assert_eq!(group(&g, true).to_text(), "group g1 state down");
        assert_eq!(
            group(&g, false).to_json().to_string(),
            r#"{"group":"g1","state":"down","ports":[]}"#
        );
    }

    #[test]
    fn port_text_and_details() {
        let p = Port::decode(&fake::port_rxe0_down()).unwrap();
        assert_eq!(
            port(&p, false).to_text(),
            "port rxe0/1 ifname eth0 group g0 state down down-reason no-carrier drained no addrs-home 2 addrs-hosted 0"
        );
        assert_eq!(
            port(&p, true).to_text(),
            "port rxe0/1 ifname eth0 ifindex 2 group g0 state down down-reason no-carrier drained no \
             addrs-home 2 addrs-hosted 0 failures 1"
        );
    }

    #[test]
    fn port_json() {
        let p = Port::decode(&fake::port_rxe0_down()).unwrap();
        assert_eq!(
            port(&p, false).to_json().to_string(),
            r#"{"port":"rxe0/1","ifname":"eth0","group":"g0","state":"down","down_reason":"no-carrier","drained":false,"addrs_home":2,"addrs_hosted":0}"#
        );
    }

    #[test]
    fn addr_text() {
        let a = Addr::decode(&fake::addr_v4_moved()).unwrap();
        assert_eq!(
            addr(&a, false).to_text(),
            "addr 192.0.2.10/24 group g0 home-port rxe0/1 current-port rxe1/1 broadcast 192.0.2.255 label eth0"
        );
        let v6 = Addr {
            addr: "2001:db8::1".parse().unwrap(),
            prefixlen: None,
            group: None,
            broadcast: None,
            label: None,
            ifa_flags: Some(0x80),
            home_port: None,
            current_port: None,
        };
        assert_eq!(
            addr(&v6, true).to_text(),
            "addr 2001:db8::1/128 ifa-flags 0x80"
        );
    }

    #[test]
    fn event_text_and_json() {
        let e = Event::decode(&fake::addr_moved_event()).unwrap();
        assert_eq!(
            event(&e).to_text(),
            "event addr-moved time 1763729042.512000000 group g0 addr 2001:db8::10/64 from-port rxe0/1 \
             to-port rxe1/1 move-reason failover latency-us 1234 cm-ids-notified 3 cm-delivery-us 55"
        );
        let json = event(&e).to_json();
        assert_eq!(json["event"], "addr-moved");
        assert_eq!(json["addr"], "2001:db8::10");
        assert_eq!(json["family"], "inet6");
        assert_eq!(json["latency_us"], 1234);
        assert_eq!(json["time_ns"], 1_763_729_042_512_000_000u64);
    }

    #[test]
    fn every_notification_has_a_name() {
        for command in cmd::PORT_UP_NTF..=cmd::GROUP_UP_NTF {
            let name = event_name(command);
            assert!(
                !name.ends_with("-ntf") && !name.starts_with("unknown"),
                "{name}"
            );
        }
        assert_eq!(event_name(cmd::PORT_DOWN_NTF), "port-down");
        assert_eq!(event_name(99), "unknown-99");
    }

    #[test]
    fn unknown_enum_values() {
        let p = Port {
            name: "rxe0/1".into(),
            state: Some(9),
            down_reason: Some(0),
            ..Port::default()
        };
        assert_eq!(
            port(&p, false).to_text(),
            "port rxe0/1 state unknown-9 down-reason unknown-0"
        );
    }
}
