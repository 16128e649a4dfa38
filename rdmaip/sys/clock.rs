// SPDX-License-Identifier: GPL-2.0

//! Wall-clock timestamps for logs and events (wraps `ktime_get_real_ns()`),
//! the monotonic clock, and short sleeps (`usleep_range()`).
//!
//! Wall-clock time, not monotonic, so that a timestamp in rdmaip's log can be
//! compared with `date +%s.%N` taken by a test or an operator on the node.

use crate::sys::ffi;
use core::fmt;

/// Nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WallTime(pub u64);

impl WallTime {
    /// Now.
    pub(crate) fn now() -> Self {
        // SAFETY: reads the clock; callable from any context.
        WallTime(unsafe { ffi::rdmaip_ktime_get_real_ns() })
    }
}

impl fmt::Display for WallTime {
    /// `seconds.nanoseconds`, as `date +%s.%N` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

/// Nanoseconds of the monotonic clock, the time base of `logic::group`.
pub(crate) fn mono_ns() -> u64 {
    kernel::time::Ktime::ktime_get().to_ns() as u64
}

/// Sleeps between `min_us` and twice as long (an hrtimer sleep). Process
/// context only, with no spinlock held.
pub(crate) fn sleep_us(min_us: u32) {
    let min = u64::from(min_us);
    // SAFETY: sleeps; every caller runs in process context (the engine's
    // worker or a netlink request) with no spinlock held.
    unsafe { ffi::rdmaip_usleep_range(min as _, (2 * min) as _) }
}
