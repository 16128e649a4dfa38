// SPDX-License-Identifier: GPL-2.0

//! Output formats. An object is a `Record`: an ordered list of fields named
//! as in the netlink spec. As text it is one line of `key value` pairs,
//! starting with the object's kind and name (`port rxe0/1 state up ...`);
//! as JSON it is an object with the same fields, keys in snake_case and
//! numbers unformatted.

use std::net::IpAddr;

use serde_json::{Map, Value as Json};

use crate::duration::format_ms;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(u64),
    /// A setting: `on`/`off` in text.
    Switch(bool),
    /// A state: `yes`/`no` in text.
    YesNo(bool),
    /// Milliseconds (key ends in `-ms`): `5s`/`300ms` in text, under the
    /// key without its `-ms`, which is how the command line takes it.
    Millis(u64),
    /// Wall-clock nanoseconds since the epoch (key ends in `-ns`):
    /// `seconds.nanoseconds` in text, under the key without its `-ns`.
    WallClockNs(u64),
    /// Comma-separated in text, left out of text when empty.
    List(Vec<String>),
    /// An address and its prefix length: `addr/len` in text; in JSON the
    /// address alone, plus `prefixlen` and `family` fields.
    Prefix(IpAddr, u8),
    /// An address without a prefix (a peer's): the address in text; in
    /// JSON the address, plus a `family` field.
    Addr(IpAddr),
    /// Flags: `0x..` in text.
    Hex(u32),
    /// Milliseconds since something happened (key ends in `-ms`), `None`
    /// if it never did: `120ms ago` or `never` in text, under the key
    /// without its `-ms`; a number or null in JSON.
    Ago(Option<u64>),
    /// Objects that belong to this one (a port's probe paths): in text,
    /// one indented line each after the object's line, without the key;
    /// in JSON, an array of objects (empty if none).
    Records(Vec<Record>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub fields: Vec<(&'static str, Value)>,
}

impl Record {
    pub fn new() -> Self {
        Record::default()
    }

    pub fn push(&mut self, key: &'static str, value: Value) -> &mut Self {
        self.fields.push((key, value));
        self
    }

    /// Adds the field only if there is a value.
    pub fn push_opt(&mut self, key: &'static str, value: Option<Value>) -> &mut Self {
        if let Some(v) = value {
            self.fields.push((key, v));
        }
        self
    }

    /// One line of `key value` pairs, then a line for each record of a
    /// `Records` field.
    pub fn to_text(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        let mut below = String::new();
        for (key, value) in &self.fields {
            let text = match value {
                Value::Records(records) => {
                    for r in records {
                        below += "\n    ";
                        below += &r.to_text().replace('\n', "\n    ");
                    }
                    continue;
                }
                Value::Ago(Some(ms)) => format!("{} ago", format_ms(*ms)),
                Value::Ago(None) => "never".to_string(),
                Value::Text(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Switch(b) => if *b { "on" } else { "off" }.to_string(),
                Value::YesNo(b) => if *b { "yes" } else { "no" }.to_string(),
                Value::Millis(ms) => format_ms(*ms),
                Value::WallClockNs(ns) => {
                    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
                }
                Value::List(items) if items.is_empty() => continue,
                Value::List(items) => items.join(","),
                Value::Prefix(addr, len) => format!("{addr}/{len}"),
                Value::Addr(addr) => addr.to_string(),
                Value::Hex(n) => format!("{n:#x}"),
            };
            let key = match value {
                Value::Millis(_) | Value::Ago(_) => key.strip_suffix("-ms").unwrap_or(key),
                Value::WallClockNs(_) => key.strip_suffix("-ns").unwrap_or(key),
                _ => key,
            };
            words.push(key.to_string());
            words.push(text);
        }
        words.join(" ") + &below
    }

    pub fn to_json(&self) -> Json {
        let mut map = Map::new();
        for (key, value) in &self.fields {
            let key = key.replace('-', "_");
            let json = match value {
                Value::Text(s) => Json::from(s.as_str()),
                Value::Number(n) | Value::Millis(n) | Value::WallClockNs(n) => Json::from(*n),
                Value::Switch(b) | Value::YesNo(b) => Json::from(*b),
                Value::List(items) => Json::from(items.clone()),
                Value::Hex(n) => Json::from(*n),
                Value::Ago(ms) => ms.map_or(Json::Null, Json::from),
                Value::Records(records) => {
                    Json::Array(records.iter().map(Record::to_json).collect())
                }
                Value::Prefix(addr, len) => {
                    map.insert(key, Json::from(addr.to_string()));
                    map.insert("prefixlen".into(), Json::from(*len));
                    map.insert("family".into(), Json::from(family(addr)));
                    continue;
                }
                Value::Addr(addr) => {
                    map.insert(key, Json::from(addr.to_string()));
                    map.insert("family".into(), Json::from(family(addr)));
                    continue;
                }
            };
            map.insert(key, json);
        }
        Json::Object(map)
    }
}

fn family(addr: &IpAddr) -> &'static str {
    if addr.is_ipv4() {
        "inet"
    } else {
        "inet6"
    }
}

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    PrettyJson,
}

impl Format {
    /// A whole listing: text lines, or one JSON array.
    pub fn listing(self, records: &[Record]) -> String {
        match self {
            Format::Text => records.iter().map(|r| r.to_text() + "\n").collect(),
            Format::Json | Format::PrettyJson => {
                let array = Json::Array(records.iter().map(Record::to_json).collect());
                self.json(&array) + "\n"
            }
        }
    }

    /// One record of a stream (events): a text line, or one JSON object
    /// (on one line unless pretty).
    pub fn streamed(self, record: &Record) -> String {
        self.single(record)
    }

    /// The only record there can be (`module show`): a text line, or one
    /// JSON object rather than an array.
    pub fn single(self, record: &Record) -> String {
        match self {
            Format::Text => record.to_text() + "\n",
            Format::Json | Format::PrettyJson => self.json(&record.to_json()) + "\n",
        }
    }

    fn json(self, value: &Json) -> String {
        let text = if self == Format::PrettyJson {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        };
        text.expect("JSON values built here always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        let mut r = Record::new();
        r.push("group", Value::Text("g0".into()))
            .push("state", Value::Text("up".into()))
            .push("ports", Value::List(vec!["rxe0/1".into(), "rxe1/1".into()]))
            .push("failback", Value::Switch(true))
            .push("failback-delay-ms", Value::Millis(5000))
            .push("announce-interval-ms", Value::Millis(300))
            .push("failovers", Value::Number(2))
            .push(
                "last-failover-ns",
                Value::WallClockNs(1_763_729_042_000_000_001),
            )
            .push_opt("missing", None);
        r
    }

    #[test]
    fn text_line() {
        assert_eq!(
            sample().to_text(),
            "group g0 state up ports rxe0/1,rxe1/1 failback on failback-delay 5s \
             announce-interval 300ms failovers 2 last-failover 1763729042.000000001"
        );
    }

    #[test]
    fn text_of_other_values() {
        let mut r = Record::new();
        r.push("addr", Value::Prefix("2001:db8::1".parse().unwrap(), 64))
            .push("drained", Value::YesNo(false))
            .push("ports", Value::List(vec![]))
            .push("ifa-flags", Value::Hex(0x80))
            .push_opt("label", Some(Value::Text("eth0:1".into())));
        assert_eq!(
            r.to_text(),
            "addr 2001:db8::1/64 drained no ifa-flags 0x80 label eth0:1"
        );
    }

    #[test]
    fn json_object() {
        let json = sample().to_json().to_string();
        assert_eq!(
            json,
            r#"{"group":"g0","state":"up","ports":["rxe0/1","rxe1/1"],"failback":true,"failback_delay_ms":5000,"announce_interval_ms":300,"failovers":2,"last_failover_ns":1763729042000000001}"#
        );
    }

    #[test]
    fn json_prefix_and_flags() {
        let mut r = Record::new();
        r.push("addr", Value::Prefix("192.0.2.10".parse().unwrap(), 24))
            .push("drained", Value::YesNo(true))
            .push("ports", Value::List(vec![]))
            .push("ifa-flags", Value::Hex(0x80));
        assert_eq!(
            r.to_json().to_string(),
            r#"{"addr":"192.0.2.10","prefixlen":24,"family":"inet","drained":true,"ports":[],"ifa_flags":128}"#
        );
    }

    #[test]
    fn address_without_prefix() {
        let mut r = Record::new();
        r.push("addr", Value::Addr("10.1.0.1".parse().unwrap()));
        assert_eq!(r.to_text(), "addr 10.1.0.1");
        assert_eq!(
            r.to_json().to_string(),
            r#"{"addr":"10.1.0.1","family":"inet"}"#
        );
        let mut r = Record::new();
        r.push("addr", Value::Addr("fe80::1".parse().unwrap()));
        assert_eq!(
            r.to_json().to_string(),
            r#"{"addr":"fe80::1","family":"inet6"}"#
        );
    }

    #[test]
    fn ago_and_nested_records() {
        let path = |ms| {
            let mut r = Record::new();
            r.push("target", Value::Addr("10.1.0.2".parse().unwrap()))
                .push("last-reply-ms", Value::Ago(ms));
            r
        };
        let mut r = Record::new();
        r.push("port", Value::Text("rxe0/1".into()))
            .push("probes", Value::Records(vec![path(Some(120)), path(None)]))
            .push("failures", Value::Number(1));
        assert_eq!(
            r.to_text(),
            "port rxe0/1 failures 1\n    target 10.1.0.2 last-reply 120ms ago\n    \
             target 10.1.0.2 last-reply never"
        );
        assert_eq!(
            r.to_json().to_string(),
            r#"{"port":"rxe0/1","probes":[{"target":"10.1.0.2","family":"inet","last_reply_ms":120},{"target":"10.1.0.2","family":"inet","last_reply_ms":null}],"failures":1}"#
        );
        assert_eq!(
            path(Some(5000)).to_text(),
            "target 10.1.0.2 last-reply 5s ago"
        );
        let mut empty = Record::new();
        empty
            .push("port", Value::Text("rxe0/1".into()))
            .push("probes", Value::Records(vec![]));
        assert_eq!(empty.to_text(), "port rxe0/1");
        assert_eq!(
            empty.to_json().to_string(),
            r#"{"port":"rxe0/1","probes":[]}"#
        );
        assert_eq!(Format::Text.listing(&[r.clone()]).lines().count(), 3);
    }

    #[test]
    fn single_record() {
        assert_eq!(Format::Text.single(&sample()), sample().to_text() + "\n");
        let json: Json = serde_json::from_str(&Format::Json.single(&sample())).unwrap();
        assert_eq!(json, sample().to_json());
        assert_eq!(Format::Json.single(&sample()).lines().count(), 1);
        assert!(Format::PrettyJson.single(&sample()).lines().count() > 1);
    }

    #[test]
    fn listings() {
        let records = [sample(), sample()];
        let text = Format::Text.listing(&records);
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        let json: Json = serde_json::from_str(&Format::Json.listing(&records)).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 2);
        let pretty = Format::PrettyJson.listing(&records);
        assert!(pretty.lines().count() > 10);
        assert_eq!(serde_json::from_str::<Json>(&pretty).unwrap(), json);
        assert_eq!(Format::Json.listing(&[]), "[]\n");
        assert_eq!(Format::Text.listing(&[]), "");
    }

    #[test]
    fn streams() {
        let line = Format::Json.streamed(&sample());
        assert_eq!(line.lines().count(), 1);
        assert!(serde_json::from_str::<Json>(&line).unwrap().is_object());
        assert!(Format::PrettyJson.streamed(&sample()).lines().count() > 1);
        assert_eq!(Format::Text.streamed(&sample()), sample().to_text() + "\n");
    }
}
