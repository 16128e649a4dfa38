// SPDX-License-Identifier: GPL-2.0

//! What each object shows, and in which order. Keys are the netlink spec's
//! attribute names; `details` (`-d`) adds counters and rarely needed fields.

use std::net::IpAddr;

use crate::model::{Addr, Event, Group, Module, Port, ProbePath};
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
    // The probe settings (targets: none while probing is off), and the
    // targets' state while it is on.
    let probing = !g.probe_targets.is_empty();
    let targets = g.probe_targets.iter().map(IpAddr::to_string).collect();
    // A module without probing reports none of them.
    let knows_probing = probing || g.probe_interval_ms.is_some();
    r.push_opt(
        "probe-targets",
        knows_probing.then_some(Value::List(targets)),
    )
    .push_opt("probe-interval-ms", millis(g.probe_interval_ms))
    .push_opt(
        "probe-misses",
        g.probe_misses.map(|n| Value::Number(n.into())),
    )
    .push_opt(
        "probe-successes",
        g.probe_successes.map(|n| Value::Number(n.into())),
    );
    if probing {
        r.push_opt(
            "probe-targets-unreachable",
            g.probe_targets_unreachable.map(Value::YesNo),
        );
    }
    if details {
        r.push_opt("failovers", number(g.failovers))
            .push_opt("failbacks", number(g.failbacks))
            .push_opt(
                "last-failover-ns",
                g.last_failover_ns.map(Value::WallClockNs),
            );
        if probing {
            r.push_opt("probe-replies-ignored", number(g.probe_replies_ignored));
        }
    }
    r
}

/// A port; `details` adds its counters and its probe paths (`probes`, the
/// paths of `paths` whose port is this one; none for a port whose group
/// does not probe).
pub fn port(p: &Port, details: bool, paths: &[ProbePath]) -> Record {
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
        let mine = paths
            .iter()
            .filter(|path| path.port == p.name)
            .filter(|path| p.group.is_none() || path.group == p.group)
            .map(|path| probe_path(path, false))
            .collect();
        r.push("probes", Value::Records(mine));
    }
    r
}

/// The probe state of one member towards one target, with its counters
/// (`probe show` is itself the detailed view, and a port's paths are shown
/// with `-d` only); `owner` starts with the group and port (`probe show`),
/// which a port's own paths leave out.
pub fn probe_path(p: &ProbePath, owner: bool) -> Record {
    let mut r = Record::new();
    if owner {
        r.push_opt("group", text(&p.group))
            .push("port", Value::Text(p.port.clone()));
    }
    r.push("target", Value::Addr(p.target))
        .push_opt("misses", p.misses.map(|n| Value::Number(n.into())))
        .push_opt("successes", p.successes.map(|n| Value::Number(n.into())))
        .push("last-reply-ms", Value::Ago(p.last_reply_ms))
        .push_opt("sent", number(p.sent))
        .push_opt("replies", number(p.replies))
        .push_opt("missed", number(p.missed));
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
    )
    .push_opt(
        "probe-targets-unreachable",
        e.probe_targets_unreachable.map(Value::YesNo),
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
    fn group_probing() {
        let g = Group::decode(&fake::group_g0_probing()).unwrap();
        let base = "group g0 state up ports rxe0/1,rxe1/1 failback on failback-delay 5s \
                    hold-down-max 60s announce-count 3 announce-interval 300ms \
                    probe-targets 10.1.0.2,fd00:1::2 probe-interval 200ms probe-misses 4 \
                    probe-successes 1 probe-targets-unreachable no";
        assert_eq!(group(&g, false).to_text(), base);
        assert_eq!(
            group(&g, true).to_text(),
            format!(
                "{base} failovers 2 failbacks 1 last-failover 1763729042.512000000 \
                 probe-replies-ignored 7"
            )
        );
        let json = group(&g, true).to_json();
        assert_eq!(
            json["probe_targets"],
            serde_json::json!(["10.1.0.2", "fd00:1::2"])
        );
        assert_eq!(json["probe_interval_ms"], 200);
        assert_eq!(json["probe_misses"], 4);
        assert_eq!(json["probe_successes"], 1);
        assert_eq!(json["probe_targets_unreachable"], false);
        assert_eq!(json["probe_replies_ignored"], 7);
        assert!(group(&g, false)
            .to_json()
            .get("probe_replies_ignored")
            .is_none());
        // Probing off: the settings, no targets' state.
        let off = Group {
            probe_targets: vec![],
            probe_targets_unreachable: Some(false),
            ..g
        };
        assert!(group(&off, true).to_text().ends_with(
            "announce-interval 300ms probe-interval 200ms probe-misses 4 probe-successes 1 \
             failovers 2 failbacks 1 last-failover 1763729042.512000000"
        ));
        let json = group(&off, true).to_json();
        assert_eq!(json["probe_targets"], serde_json::json!([]));
        assert!(json.get("probe_targets_unreachable").is_none());
        assert!(json.get("probe_replies_ignored").is_none());
    }

    fn paths() -> Vec<ProbePath> {
        [
            fake::probe_path("rxe0/1", "10.1.0.2".parse().unwrap(), Some(120)),
            fake::probe_path("rxe1/1", "10.1.0.2".parse().unwrap(), Some(5000)),
            fake::probe_path("rxe0/1", "fd00:1::2".parse().unwrap(), None),
        ]
        .iter()
        .map(|p| ProbePath::decode(p).unwrap())
        .collect()
    }

    #[test]
    fn port_probe_paths() {
        let p = Port::decode(&fake::port_rxe0_down()).unwrap();
        assert_eq!(
            port(&p, true, &paths()).to_text(),
            "port rxe0/1 ifname eth0 ifindex 2 group g0 state down down-reason no-carrier drained no \
             addrs-home 2 addrs-hosted 0 failures 1\n    \
             target 10.1.0.2 misses 0 successes 12 last-reply 120ms ago sent 100 replies 98 missed 2\n    \
             target fd00:1::2 misses 0 successes 12 last-reply never sent 100 replies 98 missed 2"
        );
        // Without -d, no paths (they are not even asked for).
        assert!(!port(&p, false, &paths()).to_text().contains('\n'));
        let json = port(&p, true, &paths()).to_json();
        assert_eq!(
            json["probes"],
            serde_json::json!([
                {"target": "10.1.0.2", "family": "inet", "misses": 0, "successes": 12,
                 "last_reply_ms": 120, "sent": 100, "replies": 98, "missed": 2},
                {"target": "fd00:1::2", "family": "inet6", "misses": 0, "successes": 12,
                 "last_reply_ms": null, "sent": 100, "replies": 98, "missed": 2},
            ])
        );
        assert_eq!(
            port(&p, true, &[]).to_json()["probes"],
            serde_json::json!([])
        );
        // Another group's path of a port of that name is not this port's.
        let elsewhere = Port {
            group: Some("g1".into()),
            ..p
        };
        assert_eq!(
            port(&elsewhere, true, &paths()).to_json()["probes"],
            serde_json::json!([])
        );
    }

    #[test]
    fn probe_show_lines() {
        let paths = paths();
        assert_eq!(
            probe_path(&paths[1], true).to_text(),
            "group g0 port rxe1/1 target 10.1.0.2 misses 0 successes 12 last-reply 5s ago \
             sent 100 replies 98 missed 2"
        );
        assert_eq!(
            probe_path(&paths[2], true).to_text(),
            "group g0 port rxe0/1 target fd00:1::2 misses 0 successes 12 last-reply never \
             sent 100 replies 98 missed 2"
        );
        assert_eq!(
            probe_path(&paths[0], true).to_json().to_string(),
            r#"{"group":"g0","port":"rxe0/1","target":"10.1.0.2","family":"inet","misses":0,"successes":12,"last_reply_ms":120,"sent":100,"replies":98,"missed":2}"#
        );
    }

    #[test]
    fn probe_events() {
        let e = Event::decode(&fake::probe_targets_event(true)).unwrap();
        assert_eq!(
            event(&e, false).to_text(),
            "event probe-targets time 1763729042.512000000 group g0 probe-targets-unreachable yes"
        );
        assert_eq!(
            event(&e, false).to_json().to_string(),
            r#"{"event":"probe-targets","time_ns":1763729042512000000,"group":"g0","probe_targets_unreachable":true}"#
        );
        let e = Event::decode(&fake::probe_targets_event(false)).unwrap();
        assert!(event(&e, false)
            .to_text()
            .ends_with("group g0 probe-targets-unreachable no"));
        let down = Event {
            cmd: cmd::PORT_DOWN_NTF,
            port: Some("rxe0/1".into()),
            down_reason: Some(down_reason::PROBE),
            ..Event::default()
        };
        assert_eq!(
            event(&down, false).to_text(),
            "event port-down port rxe0/1 down-reason probe"
        );
        let p = Port {
            name: "rxe0/1".into(),
            state: Some(2),
            down_reason: Some(down_reason::PROBE),
            ..Port::default()
        };
        assert_eq!(
            port(&p, false, &[]).to_text(),
            "port rxe0/1 state down down-reason probe"
        );
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
            port(&p, false, &[]).to_text(),
            "port rxe0/1 ifname eth0 group g0 state down down-reason no-carrier drained no addrs-home 2 addrs-hosted 0"
        );
        assert_eq!(
            port(&p, true, &[]).to_text(),
            "port rxe0/1 ifname eth0 ifindex 2 group g0 state down down-reason no-carrier drained no \
             addrs-home 2 addrs-hosted 0 failures 1"
        );
    }

    #[test]
    fn port_json() {
        let p = Port::decode(&fake::port_rxe0_down()).unwrap();
        assert_eq!(
            port(&p, false, &[]).to_json().to_string(),
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
        assert_eq!(event_name(cmd::PROBE_TARGETS_NTF), "probe-targets");
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
            port(&p, false, &[]).to_text(),
            "port rxe0/1 state unknown-9 down-reason unknown-0"
        );
    }
}
