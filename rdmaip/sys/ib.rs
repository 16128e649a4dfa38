// SPDX-License-Identifier: GPL-2.0

//! RDMA devices and IB client registration (wraps `ib_register_client()`,
//! `ib_device_get_netdev()`, `ib_get_cached_port_state()` and friends from
//! `include/rdma/ib_verbs.h`).
//!
//! An IB client is told about every RDMA device, present and future, through
//! its `add` callback, and about its removal through `remove`; ib_core
//! serialises both for one device and waits for running callbacks in
//! `ib_unregister_client()`.

use crate::logic::rtaddr::IpAddr;
use crate::sys::ffi;
use crate::sys::names::DevName;
use crate::sys::netdev::{NetDevRef, NetDevice};
use core::ffi::{c_int, c_void};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// An RDMA device (`struct ib_device`).
///
/// # Invariants
///
/// A `&IbDevice` is only handed out while the device is known to be valid:
/// inside an ib_client callback for it, or behind an [`IbDeviceRef`].
#[repr(transparent)]
pub(crate) struct IbDevice(Opaque<ffi::ib_device>);

/// Link layer of an RDMA port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkLayer {
    /// InfiniBand; the netdev behind the port is an IPoIB interface.
    InfiniBand,
    /// RoCE (Ethernet); the netdev is the one the GID table is built from.
    Ethernet,
    /// Anything else (iWARP reports unspecified).
    Other,
}

impl LinkLayer {
    /// Name as `rdma link show` prints it.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            LinkLayer::InfiniBand => "InfiniBand",
            LinkLayer::Ethernet => "Ethernet",
            LinkLayer::Other => "unspecified",
        }
    }
}

/// State of an RDMA port from the port attribute cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IbPortState {
    /// `IB_PORT_ACTIVE`.
    Active,
    /// Any other state.
    NotActive,
}

impl IbDevice {
    /// # Safety
    ///
    /// `ptr` must point to an `ib_device` that stays valid for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut ffi::ib_device) -> &'a Self {
        // SAFETY: `IbDevice` is a transparent wrapper of `ib_device`, and the
        // caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_ptr(&self) -> *mut ffi::ib_device {
        self.0.get()
    }

    /// The device index: unique among registered devices, never reused
    /// while this device is registered.
    pub(crate) fn index(&self) -> u32 {
        // SAFETY: `self` is valid by the type invariant.
        unsafe { ffi::rdmaip_ib_device_index(self.as_ptr()) }
    }

    /// The valid port numbers of the device.
    pub(crate) fn ports(&self) -> core::ops::RangeInclusive<u32> {
        // SAFETY: `self` is valid by the type invariant.
        let (first, last) = unsafe {
            (
                ffi::rdmaip_ib_first_port(self.as_ptr()),
                ffi::rdmaip_ib_last_port(self.as_ptr()),
            )
        };
        first..=last
    }

    /// The link layer of `port`.
    pub(crate) fn link_layer(&self, port: u32) -> LinkLayer {
        if !self.ports().contains(&port) {
            return LinkLayer::Other;
        }
        // SAFETY: `self` is valid and `port` is one of its ports (checked
        // above; the function itself does not check).
        let ll = unsafe { ffi::rdma_port_get_link_layer(self.as_ptr(), port) };
        match ll {
            ffi::rdma_link_layer_IB_LINK_LAYER_INFINIBAND => LinkLayer::InfiniBand,
            ffi::rdma_link_layer_IB_LINK_LAYER_ETHERNET => LinkLayer::Ethernet,
            _ => LinkLayer::Other,
        }
    }

    /// The state of `port` from ib_core's cache. ib_core updates the cache
    /// before it dispatches a port event to clients, so inside an event
    /// handler this is already the new state.
    pub(crate) fn cached_port_state(&self, port: u32) -> Result<IbPortState> {
        let mut state: ffi::ib_port_state = ffi::ib_port_state_IB_PORT_NOP;
        // SAFETY: `self` is valid and `state` is a valid out-pointer.
        to_result(unsafe { ffi::ib_get_cached_port_state(self.as_ptr(), port, &mut state) })?;
        Ok(if state == ffi::ib_port_state_IB_PORT_ACTIVE {
            IbPortState::Active
        } else {
            IbPortState::NotActive
        })
    }

    /// The port's live state, asked of the driver rather than read from
    /// ib_core's cache. Sleeps (rxe takes rtnl): call with no lock held.
    pub(crate) fn query_port_state(&self, port: u32) -> Result<IbPortState> {
        let mut active = false;
        // SAFETY: `self` is valid and `active` is a valid out-pointer; the
        // shim checks `port` (ib_query_port refuses invalid ports).
        to_result(unsafe { ffi::rdmaip_ib_query_port_state(self.as_ptr(), port, &mut active) })?;
        Ok(if active {
            IbPortState::Active
        } else {
            IbPortState::NotActive
        })
    }

    /// The netdev behind `port`, with a reference held for the caller.
    /// RoCE drivers (rxe included) register it with the port; for IPoIB
    /// ports ib_core has none, and the caller matches IPoIB netdevs itself.
    pub(crate) fn netdev(&self, port: u32) -> Option<NetDevRef> {
        // SAFETY: `self` is valid; the function checks `port` and returns
        // either NULL or a netdev with a reference (`dev_hold`) for us.
        let dev = unsafe { ffi::ib_device_get_netdev(self.as_ptr(), port) };
        // SAFETY: `dev` is NULL or carries one untracked reference that we
        // hand over.
        NonNull::new(dev).map(|dev| unsafe { NetDevRef::from_held(dev) })
    }

    /// Whether `port`'s GID table holds the RoCE GID of `addr` on `netdev`,
    /// of the type rdma_cm binds with. ib_core adds an address's GIDs from
    /// a work item after the address appears; until then
    /// `rdma_bind_addr()` to the address fails (ENODEV).
    pub(crate) fn has_roce_gid(&self, port: u32, netdev: &NetDevice, addr: &IpAddr) -> bool {
        if !self.ports().contains(&port) {
            return false;
        }
        // rdma_ip2gid(): IPv4 as an IPv4-mapped IPv6 address.
        let mut raw = [0u8; 16];
        match addr {
            IpAddr::V4(a) => {
                raw[10] = 0xff;
                raw[11] = 0xff;
                raw[12..].copy_from_slice(a);
            }
            IpAddr::V6(a) => raw = *a,
        }
        let gid = ffi::ib_gid { raw };
        // SAFETY: `self` and `netdev` are valid, `port` is one of the
        // device's ports (checked above), `gid` lives across the call; the
        // shim drops the reference the lookup takes.
        unsafe { ffi::rdmaip_ib_has_roce_gid(self.as_ptr(), port, netdev.as_ptr(), &gid) }
    }

    /// Takes a counted reference, unless the device is already being
    /// unregistered.
    pub(crate) fn get(&self) -> Option<IbDeviceRef> {
        // SAFETY: `self` is valid.
        if unsafe { ffi::rdmaip_ib_device_try_get(self.as_ptr()) } {
            // INVARIANT: we just took the reference the new object owns.
            Some(IbDeviceRef(NonNull::from(self)))
        } else {
            None
        }
    }
}

/// A counted reference to an RDMA device (`ib_device_try_get()` /
/// `ib_device_put()`). ib_core's unregistration waits for these after it has
/// called every client's `remove`, so one must be dropped by then.
///
/// # Invariants
///
/// The pointer is valid and this object owns one reference on the device.
pub(crate) struct IbDeviceRef(NonNull<IbDevice>);

// SAFETY: an ib_device reference may be taken and dropped on any CPU.
unsafe impl Send for IbDeviceRef {}
// SAFETY: `IbDevice`'s methods may be called concurrently.
unsafe impl Sync for IbDeviceRef {}

impl core::ops::Deref for IbDeviceRef {
    type Target = IbDevice;
    fn deref(&self) -> &IbDevice {
        // SAFETY: valid while we own a reference, by the type invariant.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for IbDeviceRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference, by the type invariant.
        unsafe { ffi::ib_device_put(self.0.as_ref().as_ptr()) };
    }
}

/// What an IB client does when devices come and go.
pub(crate) trait IbClient: Send + Sync + 'static {
    /// Per-device state, created in `add` and handed back to `remove`.
    type DeviceData: Send + Sync;

    /// Client name as ib_core shows it.
    const NAME: &'static CStr;

    /// A device appeared (or existed when the client registered).
    fn add(&self, dev: &IbDevice, name: &DevName) -> Result<KBox<Self::DeviceData>>;

    /// The device is going away; everything that refers to it must be
    /// released before this returns.
    fn remove(&self, dev: &IbDevice, data: KBox<Self::DeviceData>);

    /// The device was renamed.
    fn rename(&self, dev: &IbDevice, data: &Self::DeviceData, name: &DevName);
}

/// The one registered client of this module: ib_client's `add` callback
/// carries no context pointer, so the trampolines find their client here.
/// Set before `ib_register_client()` and cleared after
/// `ib_unregister_client()`, both of which fence every callback.
static CURRENT: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

#[pin_data]
struct Inner<T: IbClient> {
    #[pin]
    client: Opaque<ffi::ib_client>,
    ctx: Arc<T>,
}

// SAFETY: after initialisation the `ib_client` is only touched by ib_core,
// which serialises its own accesses; `ctx` is `Send + Sync` itself.
unsafe impl<T: IbClient> Send for Inner<T> {}
// SAFETY: as for `Send`; shared references only hand the client pointer to
// ib_core.
unsafe impl<T: IbClient> Sync for Inner<T> {}

/// A registered IB client; unregisters on drop, which calls `remove` for
/// every device still present.
///
/// # Invariants
///
/// `inner.client` is registered with ib_core and `CURRENT` points to `inner`.
pub(crate) struct Registration<T: IbClient> {
    inner: Pin<KBox<Inner<T>>>,
}

impl<T: IbClient> Registration<T> {
    /// Registers `ctx` as an IB client. Only one client may be registered
    /// at a time (`EBUSY` otherwise).
    pub(crate) fn register(ctx: Arc<T>) -> Result<Self> {
        let inner = KBox::pin_init(
            pin_init!(Inner {
                client <- Opaque::ffi_init(|slot: *mut ffi::ib_client| {
                    // An all-zero `ib_client` is what ib_core expects before
                    // registration (no callbacks, zero counters).
                    // SAFETY: `slot` is valid for writes.
                    unsafe {
                        slot.write(core::mem::zeroed());
                        (*slot).name = T::NAME.as_char_ptr().cast();
                        (*slot).add = Some(add_callback::<T>);
                        (*slot).remove = Some(remove_callback::<T>);
                        (*slot).rename = Some(rename_callback::<T>);
                    }
                }),
                ctx,
            }),
            GFP_KERNEL,
        )?;
        let raw = ptr::from_ref::<Inner<T>>(&inner)
            .cast_mut()
            .cast::<c_void>();
        CURRENT
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| EBUSY)?;
        // SAFETY: `inner.client` is initialised and pinned, and outlives the
        // registration (it is dropped only after `ib_unregister_client`).
        let ret = unsafe { ffi::ib_register_client(inner.client.get()) };
        if ret != 0 {
            CURRENT.store(ptr::null_mut(), Ordering::Release);
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: registered above, `CURRENT` set.
        Ok(Self { inner })
    }
}

impl<T: IbClient> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered, by the type invariant. This waits for running
        // callbacks and calls `remove` for every device.
        unsafe { ffi::ib_unregister_client(self.inner.client.get()) };
        CURRENT.store(ptr::null_mut(), Ordering::Release);
    }
}

/// # Safety
///
/// Only called by ib_core while a `Registration<T>` is registered.
unsafe fn current<'a, T: IbClient>() -> &'a Inner<T> {
    // SAFETY: while a `Registration<T>` is registered, `CURRENT` points to
    // its pinned `Inner<T>` (type invariant), which outlives every callback.
    unsafe { &*CURRENT.load(Ordering::Acquire).cast::<Inner<T>>() }
}

/// Copies the device name; only valid inside client callbacks, where ib_core
/// holds the lock that device renames take.
fn device_name(dev: &IbDevice) -> DevName {
    let mut name = DevName::empty();
    let buf = name.buffer();
    // SAFETY: `dev` is valid and `buf` is a writable buffer of `buf.len()`.
    unsafe { ffi::rdmaip_ib_device_name(dev.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    name
}

/// # Safety
///
/// Called by ib_core only, for a client registered with this callback, with
/// a valid device (and the data `add_callback` stored for it).
unsafe extern "C" fn add_callback<T: IbClient>(dev: *mut ffi::ib_device) -> c_int {
    // SAFETY: ib_core calls this only while our client is registered.
    let inner = unsafe { current::<T>() };
    // SAFETY: ib_core keeps `dev` valid for the duration of the callback.
    let dev = unsafe { IbDevice::from_raw(dev) };
    from_result(|| {
        let data = inner.ctx.add(dev, &device_name(dev))?;
        let data = KBox::into_raw(data);
        // SAFETY: `dev` and the client are valid; ib_core stores `data` and
        // hands it back to `remove`/`rename` for this device only.
        unsafe { ffi::ib_set_client_data(dev.as_ptr(), inner.client.get(), data.cast()) };
        Ok(0)
    })
}

/// # Safety
///
/// Called by ib_core only, for a client registered with this callback, with
/// a valid device (and the data `add_callback` stored for it).
unsafe extern "C" fn remove_callback<T: IbClient>(dev: *mut ffi::ib_device, data: *mut c_void) {
    // SAFETY: as in `add_callback`.
    let inner = unsafe { current::<T>() };
    // SAFETY: as in `add_callback`.
    let dev = unsafe { IbDevice::from_raw(dev) };
    if data.is_null() {
        return;
    }
    // SAFETY: `data` came from `KBox::into_raw` in `add_callback` and ib_core
    // hands it back exactly once, here.
    let data = unsafe { KBox::from_raw(data.cast::<T::DeviceData>()) };
    inner.ctx.remove(dev, data);
}

/// # Safety
///
/// Called by ib_core only, for a client registered with this callback, with
/// a valid device (and the data `add_callback` stored for it).
unsafe extern "C" fn rename_callback<T: IbClient>(dev: *mut ffi::ib_device, data: *mut c_void) {
    // SAFETY: as in `add_callback`.
    let inner = unsafe { current::<T>() };
    // SAFETY: as in `add_callback`.
    let dev = unsafe { IbDevice::from_raw(dev) };
    if data.is_null() {
        return;
    }
    // SAFETY: `data` is our live per-device state; `remove` cannot run
    // concurrently for the same device.
    let data = unsafe { &*data.cast::<T::DeviceData>() };
    inner.ctx.rename(dev, data, &device_name(dev));
}
