// SPDX-License-Identifier: GPL-2.0

//! Neighbour updates (wraps `register_netevent_notifier()` from
//! `include/net/netevent.h` for `NETEVENT_NEIGH_UPDATE`, and reads the
//! `struct neighbour` it passes).
//!
//! The netevent chain is an atomic notifier chain: the neighbour code calls
//! it after every change of an entry's state or link-layer address, from
//! softirq (ARP and neighbour discovery input, neighbour timers) or process
//! context (`ip neigh`). The listener is called in atomic context and must
//! not sleep: it should note the update and queue work.

use crate::logic::peer::{LinkAddr, NeighUpdate};
use crate::logic::rtaddr::IpAddr;
use crate::sys::ffi;
use crate::sys::notifier::{Call, Chain, Notifier};
use core::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Told about every neighbour update of an IPv4 or IPv6 entry, in
/// `init_net`, on an Ethernet or InfiniBand netdev.
pub(crate) trait NeighListener: Send + Sync + 'static {
    /// Called in atomic context: must not sleep.
    fn updated(&self, update: &NeighUpdate);
}

/// The netevent chain.
pub(crate) struct NetEvents;

impl Chain for NetEvents {
    unsafe fn register(&self, nb: *mut ffi::notifier_block) -> c_int {
        // SAFETY: `nb` stays valid until unregistered (caller's contract).
        unsafe { ffi::register_netevent_notifier(nb) }
    }

    unsafe fn unregister(&self, nb: *mut ffi::notifier_block) {
        // SAFETY: registered on this chain (caller's contract); an atomic
        // chain's unregistration waits for running callbacks (RCU).
        unsafe { ffi::unregister_netevent_notifier(nb) };
    }
}

/// Reads the neighbour entry of a `NETEVENT_NEIGH_UPDATE` and forwards the
/// updates the listener cares about.
pub(crate) struct Updates<L> {
    listener: L,
    clock: fn() -> u64,
}

impl<L: NeighListener> Call for Updates<L> {
    unsafe fn call(&self, action: c_ulong, data: *mut c_void) {
        if action != c_ulong::from(ffi::netevent_notif_type_NETEVENT_NEIGH_UPDATE) || data.is_null()
        {
            return;
        }
        let mut n = ffi::rdmaip_neigh::default();
        // SAFETY: for NETEVENT_NEIGH_UPDATE the chain passes a `struct
        // neighbour` that the caller holds a reference on for the call.
        unsafe { ffi::rdmaip_neigh_read(data.cast(), &mut n) };
        if !n.init_net
            || !(u32::from(n.dev_type) == ffi::ARPHRD_ETHER
                || u32::from(n.dev_type) == ffi::ARPHRD_INFINIBAND)
        {
            return;
        }
        let ip = match n.family {
            AF_INET => IpAddr::V4([n.key[0], n.key[1], n.key[2], n.key[3]]),
            AF_INET6 => IpAddr::V6(n.key),
            _ => return,
        };
        let Some(lladdr) = n.ha.get(..usize::from(n.ha_len)).and_then(LinkAddr::new) else {
            return;
        };
        self.listener.updated(&NeighUpdate {
            ifindex: n.ifindex,
            ip,
            lladdr,
            valid: n.valid,
            removed: n.dead,
            at_ns: (self.clock)(),
        });
    }
}

/// A registered neighbour notifier; unregistered on drop.
pub(crate) type NeighNotifier<L> = Notifier<NetEvents, Updates<L>>;

/// Registers `listener` for neighbour updates; `clock` stamps each update
/// (monotonic ns).
pub(crate) fn register<L: NeighListener>(
    listener: L,
    clock: fn() -> u64,
) -> Result<Pin<KBox<NeighNotifier<L>>>> {
    Notifier::register(NetEvents, Updates { listener, clock })
}
