// SPDX-License-Identifier: GPL-2.0

//! The rdmaip netlink API: the values of `include/uapi/linux/rdmaip.h`
//! (generated from `Documentation/netlink/specs/rdmaip.yaml`), with each
//! value's name as the spec spells it.
//!
//! The numbers are not written here: `build.rs` reads them out of the
//! header at build time (`build/uapi_header.rs`) and this file includes
//! the result, one module per enum of the header (`cmd`, `group_attr`,
//! `port_state`, ...), each with a constant per value, `NAMES` and
//! `name()`. What is written here by hand is which `#define`s rdmaipctl
//! uses, with their Rust types, and which attribute set each command's
//! requests use.

/// A module with one constant per value and `NAMES`, the spec's names
/// indexed by value. Called by the generated code below.
macro_rules! spec_enum {
    (
        $(#[$doc:meta])*
        $module:ident: $ty:ty;
        [$($name:literal),* $(,)?];
        $($id:ident = $value:literal,)*
    ) => {
        $(#[$doc])*
        pub mod $module {
            /// The spec's names, indexed by value; "" where no value has a
            /// name (value 0, usually).
            pub const NAMES: &[&str] = &[$($name),*];
            $(pub const $id: $ty = $value;)*

            /// The spec's name of `value`.
            pub fn name(value: $ty) -> Option<&'static str> {
                let index = usize::try_from(value).ok()?;
                NAMES.get(index).copied().filter(|n| !n.is_empty())
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/rdmaip_uapi.rs"));

/// Narrows a `#define` to the type rdmaipctl uses it as; a value that does
/// not fit fails the build (the check runs at compile time).
const fn narrow(value: i64, max: u64) -> u64 {
    assert!(value >= 0 && value as u64 <= max, "uapi value out of range");
    value as u64
}

pub const FAMILY_NAME: &str = defines::RDMAIP_FAMILY_NAME;
pub const FAMILY_VERSION: u8 = narrow(defines::RDMAIP_FAMILY_VERSION, u8::MAX as u64) as u8;
pub const MCGRP_MONITOR: &str = defines::RDMAIP_MCGRP_MONITOR;
/// Longest group name, without the NUL (`RDMAIP_GROUP_NAME_MAX_LEN`).
pub const GROUP_NAME_MAX_LEN: usize =
    narrow(defines::RDMAIP_GROUP_NAME_MAX_LEN, u16::MAX as u64) as usize;
/// Longest port name, without the NUL (`RDMAIP_PORT_NAME_MAX_LEN`).
pub const PORT_NAME_MAX_LEN: usize =
    narrow(defines::RDMAIP_PORT_NAME_MAX_LEN, u16::MAX as u64) as usize;

/// The attribute names of the set a command's requests use, to name the
/// attribute the kernel complains about.
pub fn request_attr_names(command: u8) -> &'static [&'static str] {
    match command {
        cmd::GROUP_NEW
        | cmd::GROUP_DEL
        | cmd::GROUP_GET
        | cmd::GROUP_SET
        | cmd::PORT_ADD
        | cmd::PORT_DEL => group_attr::NAMES,
        cmd::PORT_GET | cmd::PORT_DRAIN | cmd::PORT_UNDRAIN => port_attr::NAMES,
        cmd::ADDR_GET => addr_attr::NAMES,
        cmd::MODULE_GET | cmd::MODULE_SET => module_attr::NAMES,
        cmd::PROBE_GET => probe_attr::NAMES,
        _ => &[],
    }
}

/// The generator's parser, compiled in here so that its tests run with
/// the crate's.
#[cfg(test)]
#[path = "../build/uapi_header.rs"]
mod uapi_header;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const HEADER: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../include/uapi/linux/rdmaip.h"
    );

    /// Every enumerator and `#define` of the generated header, with its value.
    fn header_values() -> BTreeMap<String, i64> {
        let text = std::fs::read_to_string(HEADER).expect("generated uapi header");
        let mut values = BTreeMap::new();
        let mut next = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with("enum") {
                next = Some(0);
            } else if line.starts_with('}') {
                next = None;
            } else if let Some(rest) = line.strip_prefix("#define ") {
                let mut parts = rest.split_whitespace();
                if let (Some(name), Some(value)) = (parts.next(), parts.next()) {
                    if let Ok(v) = value.parse() {
                        values.insert(name.to_string(), v);
                    }
                }
            } else if let Some(n) = next {
                let line = line.trim_end_matches(',');
                if line.is_empty() || line.starts_with("__") || line.contains("_MAX =") {
                    continue;
                }
                let (name, value) = match line.split_once(" = ") {
                    Some((name, v)) => (name, v.parse().expect("numeric enumerator")),
                    None => (line, n),
                };
                values.insert(name.to_string(), value);
                next = Some(value + 1);
            }
        }
        values
    }

    fn check(prefix: &str, names: &[&str]) {
        let header = header_values();
        let in_header: Vec<_> = header.keys().filter(|k| k.starts_with(prefix)).collect();
        assert_eq!(
            in_header.len(),
            names.len() - 1,
            "{prefix}*: header has {in_header:?}, uapi.rs has {names:?}"
        );
        for (value, name) in names.iter().enumerate().skip(1) {
            let c_name = format!("{prefix}{}", name.to_uppercase().replace('-', "_"));
            assert_eq!(header.get(&c_name), Some(&(value as i64)), "{c_name}");
        }
    }

    #[test]
    fn commands_match_the_header() {
        check("RDMAIP_CMD_", cmd::NAMES);
    }

    #[test]
    fn attributes_match_the_header() {
        check("RDMAIP_A_GROUP_", group_attr::NAMES);
        check("RDMAIP_A_PORT_", port_attr::NAMES);
        check("RDMAIP_A_ADDR_", addr_attr::NAMES);
        check("RDMAIP_A_MODULE_", module_attr::NAMES);
        check("RDMAIP_A_PROBE_", probe_attr::NAMES);
        check("RDMAIP_A_EVENT_", event_attr::NAMES);
    }

    #[test]
    fn enums_match_the_header() {
        check("RDMAIP_PORT_STATE_", port_state::NAMES);
        check("RDMAIP_DOWN_REASON_", down_reason::NAMES);
        check("RDMAIP_GROUP_STATE_", group_state::NAMES);
        check("RDMAIP_MOVE_REASON_", move_reason::NAMES);
    }

    #[test]
    fn family_matches_the_header() {
        let text = std::fs::read_to_string(HEADER).unwrap();
        assert!(text.contains(&format!("#define RDMAIP_FAMILY_NAME\t\"{FAMILY_NAME}\"")));
        assert!(text.contains(&format!(
            "#define RDMAIP_MCGRP_MONITOR\t\"{MCGRP_MONITOR}\""
        )));
        assert_eq!(
            header_values()["RDMAIP_FAMILY_VERSION"],
            i64::from(FAMILY_VERSION)
        );
    }

    #[test]
    fn constants_follow_the_names() {
        assert_eq!(cmd::GROUP_NEW, 1);
        assert_eq!(cmd::GROUP_UP_NTF, 16);
        assert_eq!(group_attr::LAST_FAILOVER_NS, 11);
        assert_eq!(
            event_attr::name(event_attr::CM_DELIVERY_US),
            Some("cm-delivery-us")
        );
        assert_eq!(port_state::name(0), None);
        assert_eq!(port_state::name(3), None);
        assert_eq!(move_reason::name(move_reason::ADMIN), Some("admin"));
    }

    #[test]
    fn known_constants() {
        // Values as include/uapi/linux/rdmaip.h has them, written out.
        assert_eq!(FAMILY_NAME, "rdmaip");
        assert_eq!(FAMILY_VERSION, 1);
        assert_eq!(MCGRP_MONITOR, "monitor");
        assert_eq!(GROUP_NAME_MAX_LEN, 15);
        assert_eq!(PORT_NAME_MAX_LEN, 67);
        assert_eq!(defines::RDMAIP_DELAY_MAX_MS, 3_600_000);
        assert_eq!(cmd::PORT_ADD, 5);
        assert_eq!(cmd::PORT_UNDRAIN, 10);
        assert_eq!(group_attr::PORT, 8);
        assert_eq!(port_attr::DRAINED, 7);
        assert_eq!(addr_attr::CURRENT_PORT, 9);
        assert_eq!(event_attr::MOVE_REASON, 10);
        assert_eq!(port_state::DOWN, 2);
        assert_eq!(down_reason::RDMA_INACTIVE, 4);
        assert_eq!(group_state::UP, 1);
        assert_eq!(move_reason::UNLOAD, 5);
        assert_eq!(cmd::name(cmd::ADDR_MOVED_NTF), Some("addr-moved-ntf"));
        assert_eq!(cmd::MODULE_GET, 17);
        assert_eq!(cmd::MODULE_SET, 18);
        assert_eq!(cmd::REMOTE_MOVE_NTF, 19);
        assert_eq!(module_attr::PEER_NOTIFY, 1);
        assert_eq!(module_attr::NEIGH_UPDATES_DROPPED, 5);
        assert_eq!(event_attr::IFNAME, 14);
        assert_eq!(event_attr::NEIGH_LATENCY_US, 18);
        assert_eq!(defines::RDMAIP_PEER_NOTIFY_DEFAULT, 1);
        assert_eq!(down_reason::PROBE, 5);
        assert_eq!(down_reason::NAMES.len(), 6);
        assert_eq!(group_attr::PROBE_TARGET, 13);
        assert_eq!(group_attr::PROBE_OFF, 14);
        assert_eq!(group_attr::PROBE_REPLIES_IGNORED, 19);
        assert_eq!(probe_attr::GROUP, 1);
        assert_eq!(probe_attr::MISSED, 9);
        assert_eq!(event_attr::PROBE_TARGETS_UNREACHABLE, 20);
        assert_eq!(cmd::PROBE_GET, 21);
        assert_eq!(cmd::PROBE_TARGETS_NTF, 22);
        assert_eq!(defines::RDMAIP_PROBE_TARGETS_MAX, 8);
        assert_eq!(defines::RDMAIP_PROBE_INTERVAL_MS_DEFAULT, 100);
        assert_eq!(defines::RDMAIP_PROBE_MISSES_DEFAULT, 3);
        assert_eq!(defines::RDMAIP_PROBE_SUCCESSES_DEFAULT, 2);
    }

    #[test]
    fn generated_from_the_header() {
        // What build.rs wrote is what the generator makes of the header now.
        let text = std::fs::read_to_string(HEADER).unwrap();
        let parsed = uapi_header::parse(&text).unwrap();
        let source =
            uapi_header::generate(&parsed, "RDMAIP_", "include/uapi/linux/rdmaip.h").unwrap();
        let built = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/rdmaip_uapi.rs")).unwrap();
        assert_eq!(source, built);
        assert_eq!(parsed.enums.len(), 11);
    }

    #[test]
    fn request_sets() {
        assert_eq!(
            request_attr_names(cmd::PORT_ADD)[usize::from(group_attr::PORT)],
            "port"
        );
        assert_eq!(
            request_attr_names(cmd::PORT_DRAIN)[usize::from(port_attr::NAME)],
            "name"
        );
        assert_eq!(
            request_attr_names(cmd::ADDR_GET)[usize::from(addr_attr::GROUP)],
            "group"
        );
        assert_eq!(
            request_attr_names(cmd::MODULE_SET)[usize::from(module_attr::PEER_NOTIFY)],
            "peer-notify"
        );
        assert_eq!(
            request_attr_names(cmd::PROBE_GET)[usize::from(probe_attr::GROUP)],
            "group"
        );
        assert_eq!(
            request_attr_names(cmd::GROUP_SET)[usize::from(group_attr::PROBE_INTERVAL_MS)],
            "probe-interval-ms"
        );
        assert!(request_attr_names(cmd::GROUP_UP_NTF).is_empty());
        assert!(request_attr_names(cmd::REMOTE_MOVE_NTF).is_empty());
    }
}
