// SPDX-License-Identifier: GPL-2.0

//! Group names, and the check a name from a request must pass.

use super::refusal::{refuse, Refusal};
use crate::sys::names::Name;
use kernel::c_str;
use kernel::prelude::*;

/// A group name: 1 to 15 bytes of `[A-Za-z0-9_.-]`.
pub(crate) type GroupName = Name<16>;

/// Parses and checks a group name from a request.
pub(crate) fn parse_name(raw: &[u8]) -> core::result::Result<GroupName, Refusal> {
    let ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    if raw.is_empty() || raw.len() > 15 || !raw.iter().all(ok) {
        return refuse(
            EINVAL,
            c_str!("group names are 1 to 15 characters of A-Z a-z 0-9 _ . -"),
        );
    }
    let mut name = GroupName::empty();
    let Some(dst) = name.buffer().get_mut(..raw.len()) else {
        return refuse(EINVAL, c_str!("group name too long"));
    };
    dst.copy_from_slice(raw);
    Ok(name)
}
