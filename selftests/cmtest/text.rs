// SPDX-License-Identifier: GPL-2.0

//! Text helpers: formatting into a fixed buffer or a growing `KVVec`, and
//! splitting command lines.

use core::fmt;
use kernel::alloc::KVVec;
use kernel::prelude::*;

/// A short string formatted on the stack (rdmaip's own).
pub(crate) type Buf<const N: usize> = crate::stack_string::StackString<N>;

/// The text of `b`; a line cut inside a UTF-8 sequence shows as `?`.
pub(crate) fn as_str<const N: usize>(b: &Buf<N>) -> &str {
    core::str::from_utf8(b.as_bytes()).unwrap_or("?")
}

/// A debugfs file's content, built with `write!`. Allocation failures make
/// `write!` fail, which the file reports as `ENOMEM`. `kvmalloc`-backed:
/// the `ids` report of 10,000 ids is megabytes, more than `kmalloc` may
/// be asked for (a page allocator WARN).
pub(crate) struct Out(pub(crate) KVVec<u8>);

impl fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| fmt::Error)
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
