// SPDX-License-Identifier: GPL-2.0

//! Netdevice notifier (wraps `register_netdevice_notifier()` /
//! `unregister_netdevice_notifier()` from `include/linux/netdevice.h`).
//!
//! Callbacks run in process context with `rtnl_lock` held: they may sleep,
//! but must not send rtnetlink messages or wait for anything that needs rtnl.
//! Registering replays REGISTER/UP for existing devices and unregistering
//! replays DOWN/UNREGISTER, so a listener must not treat those replays as
//! real events once it has stopped caring.

use crate::sys::ffi;
use crate::sys::netdev::{NetDevice, Rtnl};
use crate::sys::notifier::{Call, Chain, Notifier};
use core::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;

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

/// The netdevice notifier chain.
pub(crate) struct NetdevChain;

impl Chain for NetdevChain {
    unsafe fn register(&self, nb: *mut ffi::notifier_block) -> c_int {
        // SAFETY: `nb` stays valid until unregistered (caller's contract).
        // Takes rtnl; callers do not hold it.
        unsafe { ffi::register_netdevice_notifier(nb) }
    }

    unsafe fn unregister(&self, nb: *mut ffi::notifier_block) {
        // SAFETY: registered (caller's contract). Returns after every
        // running callback has finished (the chain is protected by rtnl).
        unsafe { ffi::unregister_netdevice_notifier(nb) };
    }
}

/// Decodes netdev events for the listener.
pub(crate) struct Decode<L>(L);

impl<L: NetdevListener> Call for Decode<L> {
    unsafe fn call(&self, action: c_ulong, info: *mut c_void) {
        use ffi::netdev_cmd as cmd;
        let event = match action as u32 {
            cmd::NETDEV_UP => NetdevEvent::Up,
            cmd::NETDEV_DOWN => NetdevEvent::Down,
            cmd::NETDEV_CHANGE => NetdevEvent::Change,
            cmd::NETDEV_CHANGENAME => NetdevEvent::ChangeName,
            cmd::NETDEV_UNREGISTER => NetdevEvent::Unregister,
            _ => return,
        };
        // SAFETY: for these events `info` is a `netdev_notifier_info` whose
        // device is valid for the duration of the call.
        let dev = unsafe { NetDevice::from_raw(ffi::rdmaip_netdev_from_info(info)) };
        // SAFETY: netdev notifier callbacks run with rtnl held.
        let rtnl = unsafe { Rtnl::assume_held() };
        self.0.event(event, dev, &rtnl);
    }
}

/// A registered netdevice notifier; unregisters on drop.
pub(crate) type NetdevNotifier<L> = Notifier<NetdevChain, Decode<L>>;

/// Registers `listener` for events of every netdev in every namespace.
pub(crate) fn register<L: NetdevListener>(listener: L) -> Result<Pin<KBox<NetdevNotifier<L>>>> {
    Notifier::register(NetdevChain, Decode(listener))
}
