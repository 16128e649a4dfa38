// SPDX-License-Identifier: GPL-2.0

//! Syntax of group and port names, checked before anything is sent so the
//! error can say what a valid name looks like.

use crate::uapi::{GROUP_NAME_MAX_LEN, PORT_NAME_MAX_LEN};

/// Longest RDMA device name (`IB_DEVICE_NAME_MAX` - 1).
const DEVICE_NAME_MAX_LEN: usize = 63;

/// A group name: 1 to 15 characters out of `A-Z a-z 0-9 _ . -`.
pub fn check_group(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= GROUP_NAME_MAX_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid group name \"{name}\": use 1 to {GROUP_NAME_MAX_LEN} characters out of A-Z a-z 0-9 _ . -"
        ))
    }
}

/// Longest netdev name (`IFNAMSIZ` - 1).
const NETDEV_NAME_MAX_LEN: usize = 15;

/// A netdev name as the kernel allows it (`dev_valid_name()`): 1 to 15
/// bytes, not `.` or `..`, without `/`, `:` or white space.
pub fn is_netdev_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NETDEV_NAME_MAX_LEN
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
}

/// A port name: `<device>/<port number>`, as iproute2's rdma tool writes
/// it (`rxe0/1`), or the name of the port's netdev (`eth2`), which
/// `netdev::Resolver` turns into the former.
pub fn check_port(name: &str) -> Result<(), String> {
    let valid = match name.rsplit_once('/') {
        Some((device, number)) => {
            !device.is_empty()
                && device.len() <= DEVICE_NAME_MAX_LEN
                && device.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
                && (1..=3).contains(&number.len())
                && name.len() <= PORT_NAME_MAX_LEN
                && number.bytes().all(|b| b.is_ascii_digit())
                && !number.starts_with('0')
        }
        None => is_netdev_name(name),
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid port name \"{name}\": expected DEVICE/PORT, e.g. rxe0/1, or a netdev, e.g. eth2"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        for good in ["g0", "a", "A-b_c.9", "fifteen_chars_x"] {
            assert_eq!(check_group(good), Ok(()), "{good}");
        }
        for bad in ["", "sixteen_chars_xx", "g 0", "g/0", "grüppe", "g\n"] {
            let e = check_group(bad).unwrap_err();
            assert!(e.contains("invalid group name"), "{bad}: {e}");
        }
    }

    #[test]
    fn port_names() {
        for good in [
            "rxe0/1",
            "mlx5_0/2",
            "siw-eth0/1",
            "d/255",
            // netdevs
            "eth2",
            "rxe0",
            "enp1s0f1np1",
            "fifteen_chars_x",
            "vlan.100",
        ] {
            assert_eq!(check_port(good), Ok(()), "{good}");
        }
        let long_device = "d".repeat(63) + "/1";
        assert_eq!(check_port(&long_device), Ok(()));
        assert!(long_device.len() <= PORT_NAME_MAX_LEN);
        let too_long = "d".repeat(64) + "/1";
        for bad in [
            "",
            "rxe0/",
            "/1",
            "rxe0/0",
            "rxe0/01",
            "rxe0/1000",
            "rxe0/a",
            "a/b/1",
            "rx e/1",
            &too_long,
            // not netdevs
            ".",
            "..",
            "eth0:1",
            "sixteen_chars_xx",
            "eth\t0",
        ] {
            let e = check_port(bad).unwrap_err();
            assert!(e.contains("DEVICE/PORT"), "{bad}: {e}");
        }
    }
}
