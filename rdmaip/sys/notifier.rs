// SPDX-License-Identifier: GPL-2.0

//! Notifier blocks (`struct notifier_block`, `include/linux/notifier.h`) on
//! any notifier chain.
//!
//! A chain is a set of registration functions (netdevice, inetaddr,
//! rdmaip's own move chain, ...); a [`Notifier`] owns one pinned block
//! registered on one chain, forwards the chain's calls to its [`Call`], and
//! unregisters on drop. Unregistration waits for calls in progress (each
//! chain's lock, or RCU for atomic chains), so the target outlives them.
//!
//! Shared by rdmaip.ko and the selftest module (`#[path]`): it needs only
//! `notifier_block` and `NOTIFY_DONE` from the `ffi` module next to it.

use super::ffi;
use core::ffi::{c_int, c_ulong, c_void};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A notifier chain.
pub(crate) trait Chain: Send + Sync + 'static {
    /// Adds `nb` to the chain; returns 0 or a negative errno.
    ///
    /// # Safety
    ///
    /// `nb` is an initialised block that stays pinned and valid until
    /// [`Chain::unregister`] has returned for it.
    unsafe fn register(&self, nb: *mut ffi::notifier_block) -> c_int;

    /// Removes `nb`; returns once no call on it is running.
    ///
    /// # Safety
    ///
    /// `nb` was registered on this chain with [`Chain::register`].
    unsafe fn unregister(&self, nb: *mut ffi::notifier_block);
}

/// What a block does when its chain calls it.
pub(crate) trait Call: Send + Sync + 'static {
    /// The chain called with `action` and `data`.
    ///
    /// # Safety
    ///
    /// `data` is what the chain passes with `action`, valid for the call.
    unsafe fn call(&self, action: c_ulong, data: *mut c_void);
}

/// A block registered on chain `C` that calls `T`; unregistered on drop.
///
/// # Invariants
///
/// `nb` is registered on `chain` and its `notifier_call` is
/// `callback::<C, T>`.
#[pin_data(PinnedDrop)]
pub(crate) struct Notifier<C: Chain, T: Call> {
    #[pin]
    nb: Opaque<ffi::notifier_block>,
    chain: C,
    target: T,
}

// SAFETY: once registered the block is only touched by its chain; the chain
// handle and the target are `Send + Sync`.
unsafe impl<C: Chain, T: Call> Send for Notifier<C, T> {}
// SAFETY: as for `Send`.
unsafe impl<C: Chain, T: Call> Sync for Notifier<C, T> {}

impl<C: Chain, T: Call> Notifier<C, T> {
    /// Registers a block on `chain` that calls `target`.
    pub(crate) fn register(chain: C, target: T) -> Result<Pin<KBox<Self>>> {
        let this = KBox::pin_init(
            pin_init!(Self {
                nb <- Opaque::ffi_init(|slot: *mut ffi::notifier_block| {
                    // SAFETY: `slot` is writable; a zeroed block with a
                    // callback and default priority is valid.
                    unsafe {
                        slot.write(core::mem::zeroed());
                        (*slot).notifier_call = Some(callback::<C, T>);
                    }
                }),
                chain,
                target,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: initialised, pinned in the box, and unregistered in drop
        // before it is freed.
        to_result(unsafe { this.chain.register(this.nb.get()) })?;
        // INVARIANT: registered above, with `callback::<C, T>`.
        Ok(this)
    }
}

#[pinned_drop]
impl<C: Chain, T: Call> PinnedDrop for Notifier<C, T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered on `chain` (type invariant).
        unsafe { self.chain.unregister(self.nb.get()) };
    }
}

/// # Safety
///
/// Called by a notifier chain only, with `nb` the block of a live
/// registered `Notifier<C, T>` and the chain's `data` for `action`.
unsafe extern "C" fn callback<C: Chain, T: Call>(
    nb: *mut ffi::notifier_block,
    action: c_ulong,
    data: *mut c_void,
) -> c_int {
    // Only registered `Notifier<C, T>`s use this callback, and their
    // unregistration waits for it to return.
    // SAFETY: `nb` is the `nb` field of such a notifier, alive for the call.
    let this = unsafe { &*kernel::container_of!(nb, Notifier<C, T>, nb) };
    // SAFETY: the chain passes `data` for `action`, valid for the call.
    unsafe { this.target.call(action, data) };
    ffi::NOTIFY_DONE as c_int
}
