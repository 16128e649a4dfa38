// SPDX-License-Identifier: GPL-2.0

//! Text helpers: formatting into a fixed buffer or a growing `KVec`, and
//! splitting command lines.

use core::fmt;
use kernel::prelude::*;

/// A short string formatted on the stack; output that does not fit is cut.
pub(crate) struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Buf<N> {
    pub(crate) const fn new() -> Self {
        Self { bytes: [0; N], len: 0 }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}

impl<const N: usize> fmt::Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(N - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// A debugfs file's content, built with `write!`. Allocation failures make
/// `write!` fail, which the file reports as `ENOMEM`.
pub(crate) struct Out(pub(crate) KVec<u8>);

impl fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes(), GFP_KERNEL).map_err(|_| fmt::Error)
    }
}

/// Up to `N` whitespace-separated words of `line`; `None` if there are more.
pub(crate) fn words<const N: usize>(line: &str) -> Option<([&str; N], usize)> {
    let mut out = [""; N];
    let mut n = 0;
    for w in line.split_ascii_whitespace() {
        if n == N {
            return None;
        }
        out[n] = w;
        n += 1;
    }
    Some((out, n))
}
