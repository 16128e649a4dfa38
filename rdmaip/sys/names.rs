// SPDX-License-Identifier: GPL-2.0

//! Fixed-size copies of kernel object names (netdevs, RDMA devices).
//!
//! Names of kernel objects can change (rename) and may only be read under the
//! lock that protects them; rdmaip copies them at well-defined moments and
//! keeps the copy, so logging never touches the live object.

use core::fmt;

/// A NUL-padded copy of a C string of at most `N - 1` bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name<const N: usize> {
    bytes: [u8; N],
}

/// A netdev name (`IFNAMSIZ`).
pub(crate) type IfName = Name<16>;
/// An RDMA device name (`IB_DEVICE_NAME_MAX`).
pub(crate) type DevName = Name<64>;

impl<const N: usize> Name<N> {
    /// An empty name.
    pub(crate) const fn empty() -> Self {
        Self { bytes: [0; N] }
    }

    /// A copy of `name`; `None` if it is empty, contains a NUL or does not
    /// fit (with its terminating NUL).
    pub(crate) fn from_bytes(name: &[u8]) -> Option<Self> {
        if name.is_empty() || name.contains(&0) {
            return None;
        }
        let mut n = Self::empty();
        n.bytes
            .get_mut(..name.len())
            .filter(|_| name.len() < N)?
            .copy_from_slice(name);
        Some(n)
    }

    /// Buffer for C code to fill with a NUL-terminated string.
    pub(crate) fn buffer(&mut self) -> &mut [u8; N] {
        &mut self.bytes
    }

    /// The name's bytes, up to the first NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.split(|&b| b == 0).next().unwrap_or(&self.bytes)
    }
}

impl<const N: usize> fmt::Display for Name<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Kernel object names are ASCII in practice; anything else is shown
        // escaped rather than trusted.
        for &b in self.as_bytes() {
            if b.is_ascii_graphic() {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{:02x}", b)?;
            }
        }
        Ok(())
    }
}
