// SPDX-License-Identifier: GPL-2.0

//! Small kernel services: sleeping, random numbers, the monotonic clock
//! (wraps `msleep()` and `get_random_u32()`).

use crate::ffi;

/// Sleeps for at least `ms` milliseconds. Process context only.
pub(crate) fn msleep(ms: u32) {
    // SAFETY: `msleep` has no preconditions beyond process context, which
    // every caller in this module is in (debugfs writes).
    unsafe { ffi::msleep(ms) }
}

/// A random number (`get_random_u32()`).
pub(crate) fn random() -> u32 {
    // SAFETY: no preconditions; usable in any context.
    unsafe { ffi::get_random_u32() }
}

/// Monotonic time in milliseconds.
pub(crate) fn now_ms() -> i64 {
    kernel::time::Ktime::ktime_get().to_ms()
}
