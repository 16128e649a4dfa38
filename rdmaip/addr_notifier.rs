// SPDX-License-Identifier: GPL-2.0

//! IPv4 and IPv6 address notifiers (wraps `register_inetaddr_notifier()`
//! and `register_inet6addr_notifier()` from `include/linux/inetdevice.h` and
//! `include/net/addrconf.h`).
//!
//! rdmaip only needs to know that some address changed, not which: it then
//! re-reads the addresses of its members. The IPv6 chain is an atomic
//! notifier chain, so the listener is called in atomic context and must not
//! sleep: it should only note the change and queue work.

use crate::ffi;
use core::ffi::{c_int, c_ulong, c_void};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Told that an address was added to or removed from some interface.
pub(crate) trait AddrListener: Send + Sync + 'static {
    /// Called in atomic context (IPv6) or with rtnl held (IPv4): must not
    /// sleep or take rtnl.
    fn changed(&self);
}

/// Which address chain a notifier is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// IPv4: blocking chain, called with rtnl held.
    V4,
    /// IPv6: atomic chain.
    V6,
}

/// A registered address notifier; unregistered on drop.
///
/// # Invariants
///
/// `nb` is registered on the chain of `family`.
#[pin_data(PinnedDrop)]
pub(crate) struct AddrNotifier<L: AddrListener> {
    #[pin]
    nb: Opaque<ffi::notifier_block>,
    family: Family,
    listener: L,
}

// SAFETY: the notifier block is only touched by its chain once registered;
// the listener is `Send + Sync`.
unsafe impl<L: AddrListener> Send for AddrNotifier<L> {}
// SAFETY: as for `Send`.
unsafe impl<L: AddrListener> Sync for AddrNotifier<L> {}

impl<L: AddrListener> AddrNotifier<L> {
    /// Registers `listener` for `family` address changes of every interface.
    pub(crate) fn register(family: Family, listener: L) -> Result<Pin<KBox<Self>>> {
        let this = KBox::pin_init(
            pin_init!(Self {
                nb <- Opaque::ffi_init(|slot: *mut ffi::notifier_block| {
                    // SAFETY: `slot` is writable; a zeroed block with a
                    // callback and default priority is valid.
                    unsafe {
                        slot.write(core::mem::zeroed());
                        (*slot).notifier_call = Some(callback::<L>);
                    }
                }),
                family,
                listener,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: initialised, pinned, unregistered before being freed.
        to_result(unsafe {
            match family {
                Family::V4 => ffi::register_inetaddr_notifier(this.nb.get()),
                Family::V6 => ffi::register_inet6addr_notifier(this.nb.get()),
            }
        })?;
        // INVARIANT: registered above.
        Ok(this)
    }
}

#[pinned_drop]
impl<L: AddrListener> PinnedDrop for AddrNotifier<L> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered on this chain (type invariant); unregistering
        // waits for running callbacks (rtnl for IPv4, RCU for IPv6).
        unsafe {
            match self.family {
                Family::V4 => ffi::unregister_inetaddr_notifier(self.nb.get()),
                Family::V6 => ffi::unregister_inet6addr_notifier(self.nb.get()),
            };
        }
    }
}

unsafe extern "C" fn callback<L: AddrListener>(nb: *mut ffi::notifier_block, _e: c_ulong, _p: *mut c_void) -> c_int {
    // SAFETY: `nb` is the `nb` field of a registered `AddrNotifier<L>`,
    // alive until unregistration, which waits for us.
    let this = unsafe { &*kernel::container_of!(nb, AddrNotifier<L>, nb) };
    this.listener.changed();
    ffi::NOTIFY_DONE as c_int
}
