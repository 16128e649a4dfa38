// SPDX-License-Identifier: GPL-2.0

//! IPv4 and IPv6 address notifiers (wraps `register_inetaddr_notifier()`
//! and `register_inet6addr_notifier()` from `include/linux/inetdevice.h` and
//! `include/net/addrconf.h`).
//!
//! rdmaip only needs to know that some address changed, not which: it then
//! re-reads the addresses of its members. The IPv6 chain is an atomic
//! notifier chain, so the listener is called in atomic context and must not
//! sleep: it should only note the change and queue work.

use crate::sys::ffi;
use crate::sys::notifier::{Call, Chain, Notifier};
use core::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;

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

impl Chain for Family {
    unsafe fn register(&self, nb: *mut ffi::notifier_block) -> c_int {
        // SAFETY: `nb` stays valid until unregistered (caller's contract).
        unsafe {
            match self {
                Family::V4 => ffi::register_inetaddr_notifier(nb),
                Family::V6 => ffi::register_inet6addr_notifier(nb),
            }
        }
    }

    unsafe fn unregister(&self, nb: *mut ffi::notifier_block) {
        // SAFETY: registered on this chain (caller's contract); waits for
        // running callbacks (rtnl for IPv4, RCU for IPv6).
        unsafe {
            match self {
                Family::V4 => ffi::unregister_inetaddr_notifier(nb),
                Family::V6 => ffi::unregister_inet6addr_notifier(nb),
            };
        }
    }
}

/// Forwards every call of an address chain to the listener.
pub(crate) struct Changed<L>(L);

impl<L: AddrListener> Call for Changed<L> {
    unsafe fn call(&self, _action: c_ulong, _data: *mut c_void) {
        self.0.changed();
    }
}

/// A registered address notifier; unregistered on drop.
pub(crate) type AddrNotifier<L> = Notifier<Family, Changed<L>>;

/// Registers `listener` for `family` address changes of every interface.
pub(crate) fn register<L: AddrListener>(
    family: Family,
    listener: L,
) -> Result<Pin<KBox<AddrNotifier<L>>>> {
    Notifier::register(family, Changed(listener))
}
