// SPDX-License-Identifier: GPL-2.0

//! A spinlock taken with interrupts off (wraps `spin_lock_init()`,
//! `spin_lock_irqsave()` and `spin_unlock_irqrestore()`), for data shared
//! between process context and atomic notifiers that run in softirq
//! context: 6.12's `kernel::sync::SpinLock` takes a plain `spin_lock()`,
//! which a softirq on the same CPU would deadlock against.

use crate::sys::ffi;
use core::cell::UnsafeCell;
use kernel::prelude::*;
use kernel::types::Opaque;

/// `T`, behind a spinlock taken with interrupts disabled.
///
/// # Invariants
///
/// `lock` is initialised; `data` is only accessed with `lock` held.
#[pin_data]
pub(crate) struct IrqSpinLock<T> {
    #[pin]
    lock: Opaque<ffi::spinlock_t>,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through the lock, so sharing the lock
// shares `T` between threads one at a time.
unsafe impl<T: Send> Send for IrqSpinLock<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for IrqSpinLock<T> {}

impl<T> IrqSpinLock<T> {
    /// A lock holding `data`.
    pub(crate) fn new(data: T) -> impl PinInit<Self> {
        pin_init!(Self {
            lock <- Opaque::ffi_init(|slot: *mut ffi::spinlock_t| {
                // SAFETY: `slot` is valid for writes; spin_lock_init()
                // initialises it in place.
                unsafe { ffi::rdmaip_spin_lock_init(slot) }
            }),
            data: UnsafeCell::new(data),
        })
    }

    /// Runs `f` on the data with the lock held and interrupts off: `f` must
    /// not sleep (allocate with `GFP_ATOMIC` only).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: initialised (type invariant).
        let flags = unsafe { ffi::rdmaip_spin_lock_irqsave(self.lock.get()) };
        // SAFETY: the lock is held, so this is the only reference.
        let r = f(unsafe { &mut *self.data.get() });
        // SAFETY: taken above with these flags.
        unsafe { ffi::rdmaip_spin_unlock_irqrestore(self.lock.get(), flags) };
        r
    }
}
