// SPDX-License-Identifier: GPL-2.0

//! The rdmaip netlink API: the values of `include/uapi/linux/rdmaip.h`
//! (generated from `Documentation/netlink/specs/rdmaip.yaml`), with each
//! value's name as the spec spells it. A test checks every value against
//! the generated header, so this file cannot drift from the spec silently.

/// Declares consecutive values starting at 1, as ynl numbers commands,
/// attributes and the spec's enums.
macro_rules! numbered {
    ($ty:ty; $n:expr;) => {};
    ($ty:ty; $n:expr; $id:ident $(, $rest:ident)*) => {
        pub const $id: $ty = $n;
        numbered!($ty; $n + 1; $($rest),*);
    };
}

/// A module with one constant per value and `NAMES`, the spec's names
/// indexed by value.
macro_rules! spec_enum {
    ($(#[$doc:meta])* $module:ident: $ty:ty { $($id:ident = $name:literal,)* }) => {
        $(#[$doc])*
        pub mod $module {
            /// The spec's names, indexed by value; value 0 is unused.
            pub const NAMES: &[&str] = &["", $($name),*];
            numbered!($ty; 1; $($id),*);

            /// The spec's name of `value`.
            pub fn name(value: $ty) -> Option<&'static str> {
                let index = usize::try_from(value).ok()?;
                NAMES.get(index).copied().filter(|n| !n.is_empty())
            }
        }
    };
}

pub const FAMILY_NAME: &str = "rdmaip";
pub const FAMILY_VERSION: u8 = 1;
pub const MCGRP_MONITOR: &str = "monitor";
/// Longest group name, without the NUL (`RDMAIP_GROUP_NAME_MAX_LEN`).
pub const GROUP_NAME_MAX_LEN: usize = 15;
/// Longest port name, without the NUL (`RDMAIP_PORT_NAME_MAX_LEN`).
pub const PORT_NAME_MAX_LEN: usize = 67;

spec_enum! {
    /// Commands (`RDMAIP_CMD_*`); replies reuse the request's command.
    cmd: u8 {
        GROUP_NEW = "group-new",
        GROUP_DEL = "group-del",
        GROUP_GET = "group-get",
        GROUP_SET = "group-set",
        PORT_ADD = "port-add",
        PORT_DEL = "port-del",
        PORT_GET = "port-get",
        ADDR_GET = "addr-get",
        PORT_DRAIN = "port-drain",
        PORT_UNDRAIN = "port-undrain",
        PORT_UP_NTF = "port-up-ntf",
        PORT_DOWN_NTF = "port-down-ntf",
        ADDR_MOVED_NTF = "addr-moved-ntf",
        FAILBACK_NTF = "failback-ntf",
        GROUP_DOWN_NTF = "group-down-ntf",
        GROUP_UP_NTF = "group-up-ntf",
    }
}

spec_enum! {
    /// Attributes of the `group` set (`RDMAIP_A_GROUP_*`).
    group_attr: u16 {
        NAME = "name",
        STATE = "state",
        FAILBACK = "failback",
        FAILBACK_DELAY_MS = "failback-delay-ms",
        HOLD_DOWN_MAX_MS = "hold-down-max-ms",
        ANNOUNCE_COUNT = "announce-count",
        ANNOUNCE_INTERVAL_MS = "announce-interval-ms",
        PORT = "port",
        FAILOVERS = "failovers",
        FAILBACKS = "failbacks",
        LAST_FAILOVER_NS = "last-failover-ns",
    }
}

spec_enum! {
    /// Attributes of the `port` set (`RDMAIP_A_PORT_*`).
    port_attr: u16 {
        NAME = "name",
        IFNAME = "ifname",
        IFINDEX = "ifindex",
        GROUP = "group",
        STATE = "state",
        DOWN_REASON = "down-reason",
        DRAINED = "drained",
        ADDRS_HOME = "addrs-home",
        ADDRS_HOSTED = "addrs-hosted",
        FAILURES = "failures",
    }
}

spec_enum! {
    /// Attributes of the `addr` set (`RDMAIP_A_ADDR_*`).
    addr_attr: u16 {
        GROUP = "group",
        IPV4 = "ipv4",
        IPV6 = "ipv6",
        PREFIXLEN = "prefixlen",
        BROADCAST = "broadcast",
        LABEL = "label",
        IFA_FLAGS = "ifa-flags",
        HOME_PORT = "home-port",
        CURRENT_PORT = "current-port",
    }
}

spec_enum! {
    /// Attributes of the `event` set (`RDMAIP_A_EVENT_*`).
    event_attr: u16 {
        TIME_NS = "time-ns",
        PORT = "port",
        GROUP = "group",
        DOWN_REASON = "down-reason",
        IPV4 = "ipv4",
        IPV6 = "ipv6",
        PREFIXLEN = "prefixlen",
        FROM_PORT = "from-port",
        TO_PORT = "to-port",
        MOVE_REASON = "move-reason",
        LATENCY_US = "latency-us",
        CM_IDS_NOTIFIED = "cm-ids-notified",
        CM_DELIVERY_US = "cm-delivery-us",
    }
}

spec_enum! {
    /// `enum rdmaip_port_state`.
    port_state: u32 {
        UP = "up",
        DOWN = "down",
    }
}

spec_enum! {
    /// `enum rdmaip_down_reason`.
    down_reason: u32 {
        NETDEV_GONE = "netdev-gone",
        ADMIN_DOWN = "admin-down",
        NO_CARRIER = "no-carrier",
        RDMA_INACTIVE = "rdma-inactive",
    }
}

spec_enum! {
    /// `enum rdmaip_group_state`.
    group_state: u32 {
        UP = "up",
        DOWN = "down",
    }
}

spec_enum! {
    /// `enum rdmaip_move_reason`.
    move_reason: u32 {
        FAILOVER = "failover",
        FAILBACK = "failback",
        DRAIN = "drain",
        UNDRAIN = "undrain",
        UNLOAD = "unload",
        ADMIN = "admin",
    }
}

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
        _ => &[],
    }
}

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
        assert!(request_attr_names(cmd::GROUP_UP_NTF).is_empty());
    }
}
