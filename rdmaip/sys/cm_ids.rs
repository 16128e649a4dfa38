// SPDX-License-Identifier: GPL-2.0

//! `RDMA_CM_EVENT_ADDR_CHANGE` for rdma_cm ids bound to an address that
//! moved here (local delivery), or connected to a remote address that moved
//! on the peer (peer delivery); wraps rdma_cm's resource tracking of ids:
//! `rdma_restrack_get_byid()`, `rdma_res_to_id()`, `rdma_lock_handler()`,
//! `rdma_destroy_id()`.
//!
//! Peer delivery only considers ids in `RDMA_CM_CONNECT` (connected, or an
//! active id waiting for its reply), whose destination address and path
//! rdma_cm no longer changes: it reads them once without the handler mutex,
//! to skip unrelated ids without taking every id's mutex, and again under it.
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

use crate::logic::peer::ConnectedId;
use crate::logic::rtaddr::IpAddr;
use crate::sys::ib::IbDevice;

/// Whether local notification was built in.
pub(crate) const AVAILABLE: bool = cfg!(rdmaip_cm_internals);

/// Delivers `RDMA_CM_EVENT_ADDR_CHANGE` to every rdma_cm id on `dev`, in
/// `init_net`, whose bound source address `wanted` recognises (it returns
/// the index of the moved address); `delivered` is told the index for each
/// id whose handler runs.
pub(crate) fn notify_addr_change(
    dev: &IbDevice,
    wanted: &dyn Fn(&IpAddr) -> Option<usize>,
    delivered: &mut dyn FnMut(usize),
) {
    #[cfg(rdmaip_cm_internals)]
    internals::for_each_id(dev, &mut |res, _key| {
        // SAFETY: `for_each_id` passes a cm_id entry with a reference.
        unsafe { internals::deliver_local(res, wanted, delivered) }
    });
    #[cfg(not(rdmaip_cm_internals))]
    let _ = (dev, wanted, delivered);
}

/// One rdma_cm id, across passes: its device, its restrack index and its
/// address (restrack reuses an index only after its cyclic allocator wraps
/// around; the address tells a reused index apart).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct IdKey {
    dev: u32,
    index: u32,
    id: usize,
}

/// Peer notification: for every connected rdma_cm id on `dev`, in
/// `init_net`, whose destination `interesting` accepts (asked without the
/// id's handler mutex, to skip unrelated ids cheaply), asks `decide` under
/// the handler mutex, with what the id leads to, whether to deliver
/// `RDMA_CM_EVENT_ADDR_CHANGE`, and delivers it if so.
pub(crate) fn notify_peer_moved(
    dev: &IbDevice,
    interesting: &dyn Fn(&IpAddr) -> bool,
    decide: &mut dyn FnMut(IdKey, &ConnectedId) -> bool,
) {
    #[cfg(rdmaip_cm_internals)]
    internals::for_each_id(dev, &mut |res, key| {
        // SAFETY: `for_each_id` passes a cm_id entry with a reference.
        unsafe { internals::deliver_peer(res, key, interesting, decide) }
    });
    #[cfg(not(rdmaip_cm_internals))]
    let _ = (dev, interesting, decide);
}

/// Calls `found` with (source, destination) of every connected rdma_cm id
/// on `dev` (`RDMA_CM_CONNECT`, or `RDMA_CM_DISCONNECT` when the peer just
/// disconnected it) whose bound source address `wanted` accepts: the
/// remote ends whose consumers will reconnect when that address moves.
/// Reads each id without its handler mutex (the addresses of an id that
/// got that far no longer change) and calls no handler.
pub(crate) fn connected_peers(
    dev: &IbDevice,
    wanted: &dyn Fn(&IpAddr) -> bool,
    found: &mut dyn FnMut(IpAddr, IpAddr),
) {
    #[cfg(rdmaip_cm_internals)]
    internals::for_each_id(dev, &mut |res, _key| {
        // SAFETY: `for_each_id` passes a cm_id entry with a reference.
        unsafe { internals::peer_pair(res, wanted, found) }
    });
    #[cfg(not(rdmaip_cm_internals))]
    let _ = (dev, wanted, found);
}

#[cfg(rdmaip_cm_internals)]
mod internals {
    use super::*;
    use crate::logic::peer::PeerPath;
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

    /// Calls `f` for every cm_id entry of `dev`, with a restrack reference
    /// that `f` consumes, and its key.
    pub(super) fn for_each_id(
        dev: &IbDevice,
        f: &mut dyn FnMut(*mut ffi::rdma_restrack_entry, IdKey),
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
                let key = IdKey {
                    dev: dev.index(),
                    index: index as u32,
                    // SAFETY: a cm_id entry: rdma_res_to_id() returns its id.
                    id: unsafe { ffi::rdma_res_to_id(res) } as usize,
                };
                f(res, key);
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
    /// `id` must be valid, bound (not IDLE), and either its handler mutex
    /// held (rdma_cm writes the source address of a bound id only under
    /// it) or in `RDMA_CM_CONNECT` or `RDMA_CM_DISCONNECT` (past every
    /// write).
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

    /// Where a connected id leads, read with the shim.
    ///
    /// # Safety
    ///
    /// `id` must be valid and in `RDMA_CM_CONNECT` or `RDMA_CM_DISCONNECT`,
    /// whose destination and path rdma_cm no longer changes.
    unsafe fn peer_of(id: *mut ffi::rdma_cm_id) -> Option<ConnectedId> {
        let mut p = ffi::rdmaip_cm_peer::default();
        // SAFETY: by the caller's contract.
        unsafe { ffi::rdmaip_cm_id_peer(id, &mut p) };
        let dst = match p.family {
            AF_INET => IpAddr::V4([p.dst[0], p.dst[1], p.dst[2], p.dst[3]]),
            AF_INET6 => IpAddr::V6(p.dst),
            _ => return None,
        };
        let path = match p.ll_kind {
            1 => PeerPath::Roce([p.ll[0], p.ll[1], p.ll[2], p.ll[3], p.ll[4], p.ll[5]]),
            2 => PeerPath::Ib(p.ll),
            _ => PeerPath::Unknown,
        };
        Some(ConnectedId {
            ifindex: p.ifindex,
            dst,
            path,
        })
    }

    /// [`super::connected_peers`] for the id behind `res`.
    ///
    /// # Safety
    ///
    /// As for [`deliver_local`].
    pub(super) unsafe fn peer_pair(
        res: *mut ffi::rdma_restrack_entry,
        wanted: &dyn Fn(&IpAddr) -> bool,
        found: &mut dyn FnMut(IpAddr, IpAddr),
    ) {
        // SAFETY: a cm_id's restrack entry is the `res` field of its
        // `rdma_id_private`, whose `id` field rdma_res_to_id() returns; both
        // valid while we hold the reference.
        let id = unsafe { ffi::rdma_res_to_id(res) };
        // SAFETY: as above.
        let idp = unsafe { kernel::container_of!(id, ffi::rdma_id_private, id) }.cast_mut();
        // SAFETY: valid while the reference is held. rdma_cm writes an
        // id's source and destination only before it reaches CONNECT
        // (bind, address resolution, or the passive side's new id), and
        // DISCONNECT comes only after CONNECT, so they are stable without
        // the handler mutex; `internal_id` is set before the id is tracked.
        unsafe {
            if ptr::addr_of!((*idp).internal_id).read() == 0
                && matches!(
                    state(idp),
                    ffi::rdma_cm_state_RDMA_CM_CONNECT | ffi::rdma_cm_state_RDMA_CM_DISCONNECT
                )
            {
                if let (Some(src), Some(peer)) = (src_addr(id), peer_of(id)) {
                    if wanted(&src) {
                        found(src, peer.dst);
                    }
                }
            }
            ffi::rdma_restrack_put(res);
        }
    }

    /// Local delivery: to the id behind `res` if its bound source address
    /// is wanted.
    ///
    /// # Safety
    ///
    /// `res` must be a `RDMA_RESTRACK_CM_ID` entry on which the caller holds
    /// a restrack reference, which this function consumes.
    pub(super) unsafe fn deliver_local(
        res: *mut ffi::rdma_restrack_entry,
        wanted: &dyn Fn(&IpAddr) -> Option<usize>,
        delivered: &mut dyn FnMut(usize),
    ) {
        let pick = &mut |id: *mut ffi::rdma_cm_id, state| {
            if !deliverable(state) {
                return false;
            }
            // SAFETY: valid, bound id, handler mutex held (`deliver_if`).
            match unsafe { src_addr(id) }.as_ref().and_then(wanted) {
                Some(i) => {
                    delivered(i);
                    true
                }
                None => false,
            }
        };
        // SAFETY: by the caller's contract.
        unsafe { deliver_if(res, &|_| true, pick) }
    }

    /// Peer delivery: to the id behind `res` if it is connected, leads to
    /// an interesting destination, and `decide` says so.
    ///
    /// # Safety
    ///
    /// As for [`deliver_local`].
    pub(super) unsafe fn deliver_peer(
        res: *mut ffi::rdma_restrack_entry,
        key: IdKey,
        interesting: &dyn Fn(&IpAddr) -> bool,
        decide: &mut dyn FnMut(IdKey, &ConnectedId) -> bool,
    ) {
        let pre = |idp: *mut ffi::rdma_id_private| {
            // SAFETY: valid while the reference is held; a CONNECT id's
            // destination and path are stable.
            unsafe {
                state(idp) == ffi::rdma_cm_state_RDMA_CM_CONNECT
                    && peer_of(ptr::addr_of_mut!((*idp).id)).is_some_and(|p| interesting(&p.dst))
            }
        };
        let pick = &mut |id: *mut ffi::rdma_cm_id, state| {
            if state != ffi::rdma_cm_state_RDMA_CM_CONNECT {
                return false;
            }
            // SAFETY: valid, CONNECT, handler mutex held (`deliver_if`).
            unsafe { peer_of(id) }.is_some_and(|p| decide(key, &p))
        };
        // SAFETY: by the caller's contract.
        unsafe { deliver_if(res, &pre, pick) }
    }

    /// Delivers ADDR_CHANGE to the id behind `res` if `pre` (asked with no
    /// lock held) and then `pick` (asked under the handler mutex, with the
    /// id's state, for ids of `init_net` with a handler) agree, and drops
    /// the reference.
    ///
    /// # Safety
    ///
    /// As for [`deliver_local`].
    unsafe fn deliver_if(
        res: *mut ffi::rdma_restrack_entry,
        pre: &dyn Fn(*mut ffi::rdma_id_private) -> bool,
        pick: &mut dyn FnMut(*mut ffi::rdma_cm_id, ffi::rdma_cm_state) -> bool,
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
        if unsafe { ptr::addr_of!((*idp).internal_id).read() } != 0 || !pre(idp) {
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
            let handler = ptr::addr_of!((*id).event_handler).read();
            if let Some(handler) = handler.filter(|_| in_init_net) {
                if pick(id, state(idp)) {
                    let mut event: ffi::rdma_cm_event = core::mem::zeroed();
                    event.event = ffi::rdma_cm_event_type_RDMA_CM_EVENT_ADDR_CHANGE;
                    if handler(id, &mut event) != 0 {
                        destroy_from = Some(mark_destroying(idp));
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
