// SPDX-License-Identifier: GPL-2.0

//! Netdevice notifier (wraps `register_netdevice_notifier()` /
//! `unregister_netdevice_notifier()` from `include/linux/netdevice.h`).
//!
//! Callbacks run in process context with `rtnl_lock` held: they may sleep,
//! but must not send rtnetlink messages or wait for anything that needs rtnl.
//! Registering replays REGISTER/UP for existing devices and unregistering
//! replays DOWN/UNREGISTER, so a listener must not treat those replays as
//! real events once it has stopped caring.

use crate::ffi;
use crate::netdev::{NetDevice, Rtnl};
use core::ffi::{c_int, c_ulong, c_void};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::Opaque;

/// The netdev events rdmaip acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NetdevEvent {
    /// Opened (`NETDEV_UP`).
    Up,
    /// Closed (`NETDEV_DOWN`).
    Down,
    /// Carrier or other state changed (`NETDEV_CHANGE`).
    Change,
    /// Renamed (`NETDEV_CHANGENAME`).
    ChangeName,
    /// Going away (`NETDEV_UNREGISTER`): drop every reference now, or
    /// unregistration waits for it.
    Unregister,
}

/// Receives netdev events.
pub(crate) trait NetdevListener: Send + Sync + 'static {
    /// Called with rtnl held, proved by `rtnl`.
    fn event(&self, event: NetdevEvent, dev: &NetDevice, rtnl: &Rtnl);
}

/// A registered netdevice notifier; unregisters on drop.
///
/// # Invariants
///
/// `nb` is registered with the netdev notifier chain.
#[pin_data(PinnedDrop)]
pub(crate) struct NetdevNotifier<L: NetdevListener> {
    #[pin]
    nb: Opaque<ffi::notifier_block>,
    listener: L,
}

// SAFETY: the notifier block is only touched by the notifier chain (under
// rtnl) once registered; the listener is `Send + Sync`.
unsafe impl<L: NetdevListener> Send for NetdevNotifier<L> {}
// SAFETY: as for `Send`.
unsafe impl<L: NetdevListener> Sync for NetdevNotifier<L> {}

impl<L: NetdevListener> NetdevNotifier<L> {
    /// Registers `listener` for events of every netdev in every namespace.
    pub(crate) fn register(listener: L) -> Result<Pin<KBox<Self>>> {
        let this = KBox::pin_init(
            pin_init!(Self {
                nb <- Opaque::ffi_init(|slot: *mut ffi::notifier_block| {
                    // SAFETY: `slot` is writable; a zeroed notifier_block
                    // with a callback and default priority is valid.
                    unsafe {
                        slot.write(core::mem::zeroed());
                        (*slot).notifier_call = Some(notifier_callback::<L>);
                    }
                }),
                listener,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `nb` is initialised, pinned, and unregistered before it
        // is freed. Takes rtnl; our caller does not hold it.
        to_result(unsafe { ffi::register_netdevice_notifier(this.nb.get()) })?;
        // INVARIANT: registered above.
        Ok(this)
    }
}

#[pinned_drop]
impl<L: NetdevListener> PinnedDrop for NetdevNotifier<L> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by the type invariant. Returns after every
        // running callback has finished (the chain is protected by rtnl).
        unsafe { ffi::unregister_netdevice_notifier(self.nb.get()) };
    }
}

unsafe extern "C" fn notifier_callback<L: NetdevListener>(
    nb: *mut ffi::notifier_block,
    action: c_ulong,
    info: *mut c_void,
) -> c_int {
    use ffi::netdev_cmd as cmd;
    let event = match action as u32 {
        cmd::NETDEV_UP => NetdevEvent::Up,
        cmd::NETDEV_DOWN => NetdevEvent::Down,
        cmd::NETDEV_CHANGE => NetdevEvent::Change,
        cmd::NETDEV_CHANGENAME => NetdevEvent::ChangeName,
        cmd::NETDEV_UNREGISTER => NetdevEvent::Unregister,
        _ => return ffi::NOTIFY_DONE as c_int,
    };
    // SAFETY: `nb` is the `nb` field of a registered `NetdevNotifier<L>`,
    // which stays alive until unregistration, which waits for us.
    let this = unsafe { &*kernel::container_of!(nb, NetdevNotifier<L>, nb) };
    // SAFETY: for these events `info` is a `netdev_notifier_info` whose
    // device is valid for the duration of the call.
    let dev = unsafe { NetDevice::from_raw(ffi::rdmaip_netdev_from_info(info)) };
    // SAFETY: netdev notifier callbacks run with rtnl held.
    let rtnl = unsafe { Rtnl::assume_held() };
    this.listener.event(event, dev, &rtnl);
    ffi::NOTIFY_DONE as c_int
}
