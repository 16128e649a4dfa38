// SPDX-License-Identifier: GPL-2.0

//! What each object shows, and in which order. Keys are the netlink spec's
//! attribute names; `details` (`-d`) adds counters and rarely needed fields.

use std::net::IpAddr;

use crate::model::{Addr, Event, Group, Module, Port};
use crate::output::{Record, Value};
use crate::uapi::{cmd, down_reason, group_state, move_reason, port_state, FAMILY_NAME};

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
        .push("ports", Value::List(g.ports.clone()));
    if !g.waiting.is_empty() {
        r.push("waiting", Value::List(g.waiting.clone()));
    }
    r.push_opt("failback", g.failback.map(Value::Switch))
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

/// The module, named as it is loaded; `details` adds its counters.
pub fn module(m: &Module, details: bool) -> Record {
    let mut r = Record::new();
    r.push("module", Value::Text(FAMILY_NAME.to_string()))
        .push_opt("peer-notify", m.peer_notify.map(Value::Switch));
    if details {
        r.push_opt("remote-moves", number(m.remote_moves))
            .push_opt("remote-ids-notified", number(m.remote_ids_notified))
            .push_opt("neigh-updates", number(m.neigh_updates))
            .push_opt("neigh-updates-dropped", number(m.neigh_updates_dropped));
    }
    r
}

/// A link-layer address as `ip link` writes it: lowercase hex bytes
/// separated by colons. An empty one is left out.
fn lladdr(bytes: &Option<Vec<u8>>) -> Option<Value> {
    let bytes = bytes.as_ref().filter(|b| !b.is_empty())?;
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(Value::Text(hex.join(":")))
}

/// The event's name: its notification's name without `-ntf`.
fn event_name(command: u8) -> String {
    match cmd::name(command) {
        Some(name) => name.trim_end_matches("-ntf").to_string(),
        None => format!("unknown-{command}"),
    }
}

/// An event's address: with its prefix length when the event is about a
/// local address (`addr-moved`), alone when it is a peer's (`remote-move`).
fn event_addr(e: &Event) -> Option<Value> {
    let addr = e.addr?;
    Some(match e.prefixlen {
        Some(len) => Value::Prefix(addr, len),
        None => Value::Addr(addr),
    })
}

/// An event; `details` adds the netdev's ifindex.
pub fn event(e: &Event, details: bool) -> Record {
    let mut r = Record::new();
    r.push("event", Value::Text(event_name(e.cmd)))
        .push_opt("time-ns", e.time_ns.map(Value::WallClockNs))
        .push_opt("group", text(&e.group))
        .push_opt("port", text(&e.port))
        .push_opt("ifname", text(&e.ifname));
    if details {
        r.push_opt("ifindex", e.ifindex.map(|i| Value::Number(i.into())));
    }
    r.push_opt(
        "down-reason",
        e.down_reason.map(|d| enum_value(down_reason::name, d)),
    )
    .push_opt("addr", event_addr(e))
    .push_opt("from-port", text(&e.from_port))
    .push_opt("to-port", text(&e.to_port))
    .push_opt(
        "move-reason",
        e.move_reason.map(|m| enum_value(move_reason::name, m)),
    )
    .push_opt("lladdr-old", lladdr(&e.lladdr_old))
    .push_opt("lladdr-new", lladdr(&e.lladdr_new))
    .push_opt("latency-us", number(e.latency_us))
    .push_opt("cm-ids-notified", number(e.cm_ids_notified))
    .push_opt("cm-delivery-us", number(e.cm_delivery_us))
    .push_opt("neigh-latency-us", number(e.neigh_latency_us))
    .push_opt(
        "state",
        e.group_state.map(|s| enum_value(group_state::name, s)),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fake;

    #[test]
    fn group_with_waiting_members() {
        let mut g = Group::decode(&fake::group_g0()).unwrap();
        g.waiting = vec!["rxe9/1".to_string()];
        assert!(group(&g, false)
            .to_text()
            .starts_with("group g0 state up ports rxe0/1,rxe1/1 waiting rxe9/1 failback on"));
    }

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
        assert_eq!(event(&e, true).to_text(), event(&e, false).to_text());
        assert_eq!(
            event(&e, false).to_text(),
            "event addr-moved time 1763729042.512000000 group g0 addr 2001:db8::10/64 from-port rxe0/1 \
             to-port rxe1/1 move-reason failover latency-us 1234 cm-ids-notified 3 cm-delivery-us 55"
        );
        let json = event(&e, false).to_json();
        assert_eq!(json["event"], "addr-moved");
        assert_eq!(json["addr"], "2001:db8::10");
        assert_eq!(json["family"], "inet6");
        assert_eq!(json["latency_us"], 1234);
        assert_eq!(json["time_ns"], 1_763_729_042_512_000_000u64);
    }

    #[test]
    fn remote_move_text_and_json() {
        let e = Event::decode(&fake::remote_move_event()).unwrap();
        assert_eq!(
            event(&e, false).to_text(),
            "event remote-move time 1763729042.512000000 ifname eth0 addr 10.1.0.1 \
             lladdr-old 52:54:00:0a:01:01 lladdr-new 52:54:00:0a:01:02 cm-ids-notified 3 \
             cm-delivery-us 120 neigh-latency-us 800"
        );
        assert_eq!(
            event(&e, true).to_text(),
            "event remote-move time 1763729042.512000000 ifname eth0 ifindex 2 addr 10.1.0.1 \
             lladdr-old 52:54:00:0a:01:01 lladdr-new 52:54:00:0a:01:02 cm-ids-notified 3 \
             cm-delivery-us 120 neigh-latency-us 800"
        );
        assert_eq!(
            event(&e, false).to_json().to_string(),
            r#"{"event":"remote-move","time_ns":1763729042512000000,"ifname":"eth0","addr":"10.1.0.1","family":"inet","lladdr_old":"52:54:00:0a:01:01","lladdr_new":"52:54:00:0a:01:02","cm_ids_notified":3,"cm_delivery_us":120,"neigh_latency_us":800}"#
        );
        assert_eq!(event(&e, true).to_json()["ifindex"], 2);
    }

    #[test]
    fn remote_move_ipv6_and_infiniband() {
        let ib: Vec<u8> = (0..20).collect();
        let e = Event {
            cmd: cmd::REMOTE_MOVE_NTF,
            addr: Some("2001:db8::2".parse().unwrap()),
            lladdr_old: Some(vec![]),
            lladdr_new: Some(ib),
            ..Event::default()
        };
        assert_eq!(
            event(&e, false).to_text(),
            "event remote-move addr 2001:db8::2 lladdr-new \
             00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13"
        );
        let json = event(&e, false).to_json();
        assert_eq!(json["family"], "inet6");
        assert!(json.get("prefixlen").is_none());
        assert!(json.get("lladdr_old").is_none());
    }

    #[test]
    fn module_text_and_json() {
        let m = Module::decode(&fake::module_counters()).unwrap();
        assert_eq!(module(&m, false).to_text(), "module rdmaip peer-notify on");
        assert_eq!(
            module(&m, true).to_text(),
            "module rdmaip peer-notify on remote-moves 3 remote-ids-notified 12 \
             neigh-updates 40 neigh-updates-dropped 0"
        );
        assert_eq!(
            module(&m, false).to_json().to_string(),
            r#"{"module":"rdmaip","peer_notify":true}"#
        );
        assert_eq!(
            module(&m, true).to_json().to_string(),
            r#"{"module":"rdmaip","peer_notify":true,"remote_moves":3,"remote_ids_notified":12,"neigh_updates":40,"neigh_updates_dropped":0}"#
        );
        let off = Module {
            peer_notify: Some(false),
            ..Module::default()
        };
        assert_eq!(
            module(&off, true).to_text(),
            "module rdmaip peer-notify off"
        );
    }

    #[test]
    fn every_notification_has_a_name() {
        assert_eq!(event_name(cmd::REMOTE_MOVE_NTF), "remote-move");
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
