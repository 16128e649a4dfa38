// SPDX-License-Identifier: GPL-2.0

//! rdma_cm ids bound to an address, and `RDMA_CM_EVENT_ADDR_CHANGE` for them
//! (wraps rdma_cm's resource tracking of ids: `rdma_restrack_get_byid()`,
//! `rdma_res_to_id()`, `rdma_lock_handler()`, `rdma_destroy_id()`).
//!
//! Mainline rdma_cm sends ADDR_CHANGE only for bonding failovers and has no
//! function to send it for an address that moved, so this module does what
//! rdma_cm's own `cma_netdev_change()` work does, from outside: for every id
//! on a device (ib_core's restrack keeps them in `dev->res[RDMA_RESTRACK_CM_ID]`)
//! it takes a restrack reference, then the id's handler mutex, checks the
//! id's state and bound source address, and calls the consumer's handler.
//! That needs `struct rdma_id_private` and `struct rdma_restrack_root`,
//! which are private to `drivers/infiniband/core`: bindgen reads their
//! layout from the kernel tree the module is built against (see `Kbuild`
//! and `Documentation/rdmaip.rst`, "rdma_cm internals"). Without those
//! headers [`AVAILABLE`] is false and nothing is delivered.
//!
//! Guarantees, the same as rdma_cm gives its own events:
//! - the handler runs with the id's handler mutex held, and never for an id
//!   whose state is `RDMA_CM_DESTROYING` (set under that mutex by
//!   `rdma_destroy_id()` before it tears the id down) or
//!   `RDMA_CM_DEVICE_REMOVAL`;
//! - `rdma_destroy_id()` cannot return while the restrack reference is held
//!   (`rdma_restrack_del()` waits for it), so the id is valid throughout;
//! - a handler that returns non-zero gets its id destroyed: as rdma_cm's
//!   `destroy_id_handler_unlock()` does, the state becomes DESTROYING under
//!   the handler mutex (so no other rdma_cm path calls its handler or
//!   destroys it), the pending address or route query is cancelled, and the
//!   id is destroyed once the reference is dropped.
//!
//! The caller holds no lock of its own and not rtnl: consumer handlers may
//! sleep, and may call into rdmaip.

use crate::logic::rtaddr::IpAddr;
use crate::sys::ib::IbDevice;

/// Whether local notification was built in.
pub(crate) const AVAILABLE: bool = cfg!(rdmaip_cm_internals);

/// Delivers `RDMA_CM_EVENT_ADDR_CHANGE` to every rdma_cm id on `dev`, in
/// `init_net`, whose bound source address `wanted` recognises (it returns
/// the index of the moved address); `delivered` is told the index for each
/// id whose handler ran.
pub(crate) fn notify_addr_change(
    dev: &IbDevice,
    wanted: &dyn Fn(&IpAddr) -> Option<usize>,
    delivered: &mut dyn FnMut(usize),
) {
    #[cfg(rdmaip_cm_internals)]
    internals::notify_addr_change(dev, wanted, delivered);
    #[cfg(not(rdmaip_cm_internals))]
    let _ = (dev, wanted, delivered);
}

#[cfg(rdmaip_cm_internals)]
mod internals {
    use super::*;
    use crate::sys::ffi;
    use core::ffi::c_ulong;
    use core::ptr;

    const AF_INET: u16 = 2;
    const AF_INET6: u16 = 10;

    /// Whether rdma_cm would call the handler of an id in `state`.
    fn deliverable(state: ffi::rdma_cm_state) -> bool {
        !matches!(
            state,
            ffi::rdma_cm_state_RDMA_CM_IDLE
                | ffi::rdma_cm_state_RDMA_CM_DESTROYING
                | ffi::rdma_cm_state_RDMA_CM_DEVICE_REMOVAL
        )
    }

    fn is_err<T>(p: *mut T) -> bool {
        p.is_null() || (p as usize) >= (-(kernel::bindings::MAX_ERRNO as isize)) as usize
    }

    pub(super) fn notify_addr_change(
        dev: &IbDevice,
        wanted: &dyn Fn(&IpAddr) -> Option<usize>,
        delivered: &mut dyn FnMut(usize),
    ) {
        // SAFETY: `dev` is valid (type invariant); `res` is set up when the
        // device is allocated and freed with it.
        let roots = unsafe { ffi::rdmaip_ib_device_restrack(dev.as_ptr()) };
        if roots.is_null() {
            return;
        }
        // SAFETY: `res` is an array with one root per restrack type.
        let xa = unsafe {
            ptr::addr_of_mut!((*roots.add(ffi::rdma_restrack_type_RDMA_RESTRACK_CM_ID as usize)).xa)
        };
        let mut index: c_ulong = 0;
        loop {
            // SAFETY: `xa` is the device's cm_id xarray; xa_find() takes the
            // RCU read lock itself. Only the index is used.
            if unsafe { ffi::rdmaip_xa_find_present(xa, &mut index) }.is_null() {
                break;
            }
            // SAFETY: looks the entry up again under the xarray lock and
            // takes a reference, unless it is being deleted.
            let res = unsafe {
                ffi::rdma_restrack_get_byid(
                    dev.as_ptr(),
                    ffi::rdma_restrack_type_RDMA_RESTRACK_CM_ID,
                    index as u32,
                )
            };
            if !is_err(res) {
                // SAFETY: `res` is a cm_id entry and we hold a reference.
                unsafe { deliver(res, wanted, delivered) };
            }
            match index.checked_add(1) {
                Some(next) => index = next,
                None => break,
            }
        }
    }

    /// The state of the id, read under its spinlock, as rdma_cm does.
    ///
    /// # Safety
    ///
    /// `idp` must be valid.
    unsafe fn state(idp: *mut ffi::rdma_id_private) -> ffi::rdma_cm_state {
        // SAFETY: `idp` is valid, so is its lock.
        unsafe {
            let lock = ptr::addr_of_mut!((*idp).lock);
            let flags = ffi::rdmaip_spin_lock_irqsave(lock);
            let state = ptr::addr_of!((*idp).state).read();
            ffi::rdmaip_spin_unlock_irqrestore(lock, flags);
            state
        }
    }

    /// Marks the id DESTROYING under its spinlock (the caller holds the
    /// handler mutex) and returns the state it had.
    ///
    /// # Safety
    ///
    /// `idp` must be valid and its handler mutex held.
    unsafe fn mark_destroying(idp: *mut ffi::rdma_id_private) -> ffi::rdma_cm_state {
        // SAFETY: `idp` is valid, so is its lock.
        unsafe {
            let lock = ptr::addr_of_mut!((*idp).lock);
            let flags = ffi::rdmaip_spin_lock_irqsave(lock);
            let state = ptr::addr_of!((*idp).state).read();
            ptr::addr_of_mut!((*idp).state).write(ffi::rdma_cm_state_RDMA_CM_DESTROYING);
            ffi::rdmaip_spin_unlock_irqrestore(lock, flags);
            state
        }
    }

    /// The id's bound source address, if it is IPv4 or IPv6.
    ///
    /// # Safety
    ///
    /// `id` must be valid, bound (not IDLE) and its handler mutex held:
    /// rdma_cm writes the source address of a bound id only under it.
    unsafe fn src_addr(id: *mut ffi::rdma_cm_id) -> Option<IpAddr> {
        // SAFETY: `src_addr` is a 128-byte `sockaddr_storage` holding a
        // `sockaddr_in` or `sockaddr_in6` (uapi layouts: family first,
        // IPv4 address at 4, IPv6 address at 8).
        let ss: [u8; 24] = unsafe {
            ptr::addr_of!((*id).route.addr.src_addr)
                .cast::<[u8; 24]>()
                .read()
        };
        // Constant indexes into a 24-byte array: in range by construction.
        match u16::from_ne_bytes([ss[0], ss[1]]) {
            AF_INET => Some(IpAddr::V4([ss[4], ss[5], ss[6], ss[7]])),
            AF_INET6 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&ss[8..24]);
                Some(IpAddr::V6(a))
            }
            _ => None,
        }
    }

    /// Delivers the event to the id behind `res` if its address is wanted,
    /// and drops the reference.
    ///
    /// # Safety
    ///
    /// `res` must be a `RDMA_RESTRACK_CM_ID` entry on which the caller holds
    /// a restrack reference, which this function consumes.
    unsafe fn deliver(
        res: *mut ffi::rdma_restrack_entry,
        wanted: &dyn Fn(&IpAddr) -> Option<usize>,
        delivered: &mut dyn FnMut(usize),
    ) {
        // SAFETY: a cm_id's restrack entry is the `res` field of its
        // `rdma_id_private`, whose `id` field rdma_res_to_id() returns.
        let id = unsafe { ffi::rdma_res_to_id(res) };
        // SAFETY: as above: `id` is the `id` field of an `rdma_id_private`,
        // valid while we hold the reference.
        let idp = unsafe { kernel::container_of!(id, ffi::rdma_id_private, id) }.cast_mut();
        // rdma_cm's own listeners on each device, behind a wildcard
        // listener, are not consumers' ids.
        // SAFETY: valid; `internal_id` is set before the id is tracked.
        if unsafe { ptr::addr_of!((*idp).internal_id).read() } != 0 {
            // SAFETY: we own the reference.
            unsafe { ffi::rdma_restrack_put(res) };
            return;
        }
        let mut destroy_from = None;
        // SAFETY: valid id; the handler mutex is the one rdma_cm holds
        // around its own handler calls.
        unsafe { ffi::rdma_lock_handler(id) };
        // SAFETY: valid id, handler mutex held for the reads below.
        unsafe {
            let net = ptr::addr_of!((*id).route.addr.dev_addr.net).read();
            let in_init_net = ptr::eq(net, ptr::addr_of!(ffi::init_net));
            if in_init_net && deliverable(state(idp)) {
                if let Some(i) = src_addr(id).as_ref().and_then(wanted) {
                    if let Some(handler) = ptr::addr_of!((*id).event_handler).read() {
                        let mut event: ffi::rdma_cm_event = core::mem::zeroed();
                        event.event = ffi::rdma_cm_event_type_RDMA_CM_EVENT_ADDR_CHANGE;
                        let ret = handler(id, &mut event);
                        delivered(i);
                        if ret != 0 {
                            destroy_from = Some(mark_destroying(idp));
                        }
                    }
                }
            }
            ffi::rdma_unlock_handler(id);
        }
        if let Some(old) = destroy_from {
            // What `cma_cancel_operation()` does for these states; the
            // other states have nothing pending for a bound address.
            // SAFETY: valid id, now DESTROYING: no rdma_cm path touches the
            // query any more except to finish it.
            unsafe {
                match old {
                    ffi::rdma_cm_state_RDMA_CM_ADDR_QUERY => {
                        ffi::rdma_addr_cancel(ptr::addr_of_mut!((*id).route.addr.dev_addr))
                    }
                    ffi::rdma_cm_state_RDMA_CM_ROUTE_QUERY => {
                        let query = ptr::addr_of!((*idp).query).read();
                        if !query.is_null() {
                            ffi::ib_sa_cancel_query(ptr::addr_of!((*idp).query_id).read(), query);
                        }
                    }
                    _ => {}
                }
            }
        }
        // SAFETY: we own the reference; the id stays valid until destroyed
        // below, if it is, because no one else destroys a DESTROYING id
        // whose handler asked rdma_cm to destroy it.
        unsafe { ffi::rdma_restrack_put(res) };
        if destroy_from.is_some() {
            // SAFETY: see above; rdma_destroy_id() sees DESTROYING and tears
            // the id down.
            unsafe { ffi::rdma_destroy_id(id) };
        }
    }
}
