// SPDX-License-Identifier: GPL-2.0

//! A short string formatted on the stack.
//!
//! Shared by rdmaip.ko and the selftest module (`#[path]`): core only.

use core::fmt;

/// A short string formatted on the stack (`write!` into it); output that
/// does not fit is cut.
pub(crate) struct StackString<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackString<N> {
    pub(crate) const fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        // In range: `self.len <= N` always (see `write_str`).
        &self.bytes[..self.len]
    }
}

impl<const N: usize> fmt::Write for StackString<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // In range by construction: `self.len <= N` always, and `n` fits
        // both what is left and `s`.
        let n = s.len().min(N - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
