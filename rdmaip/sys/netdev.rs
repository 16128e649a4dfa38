// SPDX-License-Identifier: GPL-2.0

//! Network devices and their references (wraps `netdev_hold()` /
//! `netdev_put()` with reference trackers, `netif_running()`,
//! `netif_carrier_ok()`, and `rtnl_lock()` from `include/linux/netdevice.h`
//! and `include/linux/rtnetlink.h`).

use crate::sys::ffi;
use crate::sys::names::IfName;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::types::Opaque;

/// Proof that the caller holds `rtnl_lock`: given to netdev notifier
/// callbacks, or made by [`RtnlGuard`]. Some netdev fields (the name) may
/// only be read under it.
pub(crate) struct Rtnl {
    _not_send: PhantomData<*mut ()>,
}

impl Rtnl {
    /// # Safety
    ///
    /// The caller must hold `rtnl_lock` for the lifetime of the result.
    pub(crate) unsafe fn assume_held() -> Self {
        Rtnl {
            _not_send: PhantomData,
        }
    }
}

/// Holds `rtnl_lock` until dropped. Take it only to snapshot netdev state,
/// never around anything that sends rtnetlink messages or calls consumers.
pub(crate) struct RtnlGuard(Rtnl);

impl RtnlGuard {
    /// Takes `rtnl_lock` (sleeps).
    pub(crate) fn lock() -> Self {
        // SAFETY: plain mutex acquisition in process context.
        unsafe { ffi::rtnl_lock() };
        // SAFETY: we hold it until `drop`.
        RtnlGuard(unsafe { Rtnl::assume_held() })
    }

    /// The proof of holding the lock.
    pub(crate) fn token(&self) -> &Rtnl {
        &self.0
    }
}

impl Drop for RtnlGuard {
    fn drop(&mut self) {
        // SAFETY: taken in `lock`.
        unsafe { ffi::rtnl_unlock() };
    }
}

/// A network device (`struct net_device`).
///
/// # Invariants
///
/// A `&NetDevice` is only handed out while the device is known to be valid:
/// inside a netdev notifier callback for it, or behind a [`NetDevRef`].
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<ffi::net_device>);

impl NetDevice {
    /// # Safety
    ///
    /// `ptr` must point to a `net_device` that stays valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut ffi::net_device) -> &'a Self {
        // SAFETY: transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_ptr(&self) -> *mut ffi::net_device {
        self.0.get()
    }

    /// Sends an ARP probe for `target` (sender address 0.0.0.0, RFC 5227:
    /// the target answers to this netdev's link-layer address and records
    /// nothing about the sender). Process context.
    pub(crate) fn arp_probe(&self, target: [u8; 4]) {
        // SAFETY: the device is valid (type invariant); `target` is 4 bytes.
        unsafe { ffi::rdmaip_arp_probe(self.as_ptr(), target.as_ptr()) }
    }

    /// Sends a neighbour solicitation for `target` from this netdev's
    /// link-local address; `EADDRNOTAVAIL` if it has none. Process context.
    pub(crate) fn ns_probe(&self, target: &[u8; 16]) -> kernel::error::Result {
        // SAFETY: the device is valid (type invariant); `target` is 16 bytes.
        kernel::error::to_result(unsafe { ffi::rdmaip_ns_probe(self.as_ptr(), target.as_ptr()) })
    }

    /// Whether `self` and `other` are the same device.
    pub(crate) fn is(&self, other: &NetDevice) -> bool {
        core::ptr::eq(self, other)
    }

    /// Administratively up (`IFF_UP`, i.e. opened).
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: valid by the type invariant; reads an atomic state bit.
        unsafe { ffi::rdmaip_netdev_running(self.as_ptr()) }
    }

    /// Has carrier.
    pub(crate) fn carrier_ok(&self) -> bool {
        // SAFETY: valid by the type invariant; reads an atomic state bit.
        unsafe { ffi::rdmaip_netdev_carrier_ok(self.as_ptr()) }
    }

    /// The interface index (stable while the device stays in its
    /// namespace, which RDMA netdevs do: rxe works in `init_net` only).
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: valid by the type invariant.
        unsafe { ffi::rdmaip_netdev_ifindex(self.as_ptr()) }
    }

    /// Tells the link's peers about every address of the device: a
    /// gratuitous ARP per IPv4 address, an unsolicited neighbour
    /// advertisement per IPv6 address (`NETDEV_NOTIFY_PEERS`). Takes
    /// `rtnl_lock` itself: the caller must not hold it.
    pub(crate) fn notify_peers(&self) {
        // SAFETY: valid device; the function takes rtnl itself.
        unsafe { ffi::netdev_notify_peers(self.as_ptr()) };
    }

    /// The VLAN id if this is a VLAN device.
    pub(crate) fn vlan_id(&self) -> Option<u16> {
        // SAFETY: valid by the type invariant; the VLAN id is fixed at
        // creation.
        let id = unsafe { ffi::rdmaip_netdev_vlan_id(self.as_ptr()) };
        u16::try_from(id).ok()
    }

    /// A copy of the name; renames happen under rtnl, which the caller holds.
    pub(crate) fn name(&self, _rtnl: &Rtnl) -> IfName {
        let mut name = IfName::empty();
        let buf = name.buffer();
        // SAFETY: valid device, writable buffer of `buf.len()` bytes, rtnl
        // held (proved by the token).
        unsafe { ffi::rdmaip_netdev_name(self.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        name
    }
}

/// A counted, tracked reference to a network device. With
/// `CONFIG_NET_DEV_REFCNT_TRACKER` a leaked one is reported, with the stack
/// that took it, when the device is unregistered.
///
/// # Invariants
///
/// `dev` is valid and this object owns one reference on it, recorded in
/// `tracker`.
pub(crate) struct NetDevRef {
    dev: NonNull<NetDevice>,
    tracker: ffi::netdevice_tracker,
}

// SAFETY: netdev references may be taken and dropped on any CPU, and the
// tracker is only touched by `drop`, which has `&mut self`.
unsafe impl Send for NetDevRef {}
// SAFETY: shared access only reads device state through atomic accessors.
unsafe impl Sync for NetDevRef {}

impl NetDevRef {
    /// Adopts a reference taken with plain `dev_hold()` (as
    /// `ib_device_get_netdev()` returns) and attaches a tracker to it.
    ///
    /// # Safety
    ///
    /// `dev` must be valid and carry one untracked reference, which the new
    /// object takes over.
    pub(crate) unsafe fn from_held(dev: NonNull<ffi::net_device>) -> Self {
        let mut tracker = empty_tracker();
        // SAFETY: `dev` is valid and referenced; `tracker` is writable.
        unsafe { ffi::rdmaip_netdev_track(dev.as_ptr(), core::ptr::from_mut(&mut tracker).cast()) };
        // INVARIANT: we own the adopted reference, now tracked.
        NetDevRef {
            dev: dev.cast(),
            tracker,
        }
    }
}

/// A tracker slot holding nothing yet.
fn empty_tracker() -> ffi::netdevice_tracker {
    // SAFETY: `netdevice_tracker` is either a pointer (tracking on) or an
    // empty struct (tracking off); all-zero is the empty state of both.
    unsafe { core::mem::zeroed() }
}

impl NetDevRef {
    /// Takes a new reference on a device the caller can see.
    pub(crate) fn new(dev: &NetDevice) -> Self {
        let mut tracker = empty_tracker();
        // SAFETY: `dev` is valid; `tracker` is writable.
        unsafe { ffi::rdmaip_netdev_hold(dev.as_ptr(), core::ptr::from_mut(&mut tracker).cast()) };
        // INVARIANT: we own the reference just taken.
        NetDevRef {
            dev: NonNull::from(dev),
            tracker,
        }
    }
}

impl core::ops::Deref for NetDevRef {
    type Target = NetDevice;
    fn deref(&self) -> &NetDevice {
        // SAFETY: valid while referenced, by the type invariant.
        unsafe { self.dev.as_ref() }
    }
}

impl Drop for NetDevRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference recorded in `tracker`.
        unsafe {
            ffi::rdmaip_netdev_put(
                self.dev.as_ref().as_ptr(),
                core::ptr::from_mut(&mut self.tracker).cast(),
            )
        };
    }
}
