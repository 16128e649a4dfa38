// SPDX-License-Identifier: GPL-2.0

//! Error codes that 6.12's `kernel::error::code` does not define.

use crate::sys::ffi;
use kernel::error::Error;

/// `EMSGSIZE`: a netlink message is full.
pub(crate) fn emsgsize() -> Error {
    Error::from_errno(-(ffi::EMSGSIZE as i32))
}

/// `EOPNOTSUPP`: the operation is not supported.
pub(crate) fn eopnotsupp() -> Error {
    Error::from_errno(-(ffi::EOPNOTSUPP as i32))
}

/// `EADDRNOTAVAIL`: no such address.
pub(crate) fn eaddrnotavail() -> Error {
    Error::from_errno(-(ffi::EADDRNOTAVAIL as i32))
}
