// SPDX-License-Identifier: GPL-2.0

//! Just enough netlink and generic netlink for rdmaipctl, written out
//! rather than pulled from a framework: the wire format is small and fixed.

pub mod attr;
pub mod ctrl;
pub mod message;
pub mod rdma;
pub mod session;
pub mod socket;

/// `libc`'s netlink constants are `c_int`s, but the header fields they go
/// in are `u16`s (message type and flags, attribute type): converted at
/// compile time, a value that does not fit fails the build.
pub(crate) const fn c_u16(value: libc::c_int) -> u16 {
    assert!(value >= 0 && value <= u16::MAX as libc::c_int);
    value as u16
}

/// As `c_u16`, for the `u8` command of `struct genlmsghdr`.
pub(crate) const fn c_u8(value: libc::c_int) -> u8 {
    assert!(value >= 0 && value <= u8::MAX as libc::c_int);
    value as u8
}
