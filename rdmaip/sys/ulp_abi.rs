// SPDX-License-Identifier: GPL-2.0

//! The C side of the kernel API for ULPs (`include/rdmaip.h`): the
//! functions other modules call, which answer from a registered
//! [`UlpQueries`], and the notifier chain rdmaip calls for each move.
//!
//! The exported functions are plain `extern "C"` functions (the
//! `EXPORT_SYMBOL_GPL` lines are in `shim.c`); the notifier chain's head is
//! a static in `shim.c` too, since its initialiser is a macro.

use crate::logic::rtaddr::IpAddr;
use crate::sys::ffi;
use crate::sys::ib::IbDeviceRef;
use crate::sys::netdev::NetDevRef;
use core::ffi::{c_char, c_int, c_uint};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// What the exported query functions ask: implemented in safe code.
pub(crate) trait UlpQueries: Send + Sync + 'static {
    /// Calls `each` for every member port of group `group` (its name as
    /// the caller gave it); `EINVAL` for a bad name, `ENOENT` for no such
    /// group.
    fn group_ports(&self, group: &[u8], each: &mut dyn FnMut(ffi::rdmaip_port_info)) -> Result;
    /// Calls `each` for every address of group `group`; errors as
    /// [`UlpQueries::group_ports`].
    fn group_addrs(&self, group: &[u8], each: &mut dyn FnMut(ffi::rdmaip_addr_info)) -> Result;
}

/// What `QUERIES` points to.
struct Registered(Arc<dyn UlpQueries>);

/// The queries the exported functions answer from, while the module is
/// live.
///
/// A module that calls them depends on rdmaip (it resolved rdmaip's
/// symbols), so it cannot be loaded before rdmaip's init has finished, and
/// rdmaip cannot start unloading while it is loaded: no call overlaps the
/// registration's creation or drop.
static QUERIES: AtomicPtr<Registered> = AtomicPtr::new(ptr::null_mut());

/// Makes `UlpQueries` available to the exported functions until dropped.
///
/// # Invariants
///
/// While it exists, `QUERIES` points to `_registered`'s contents.
pub(crate) struct Registration {
    /// Owned here, used through the static pointer.
    _registered: KBox<Registered>,
}

impl Registration {
    pub(crate) fn new<Q: UlpQueries>(queries: Arc<Q>) -> Result<Self> {
        let queries: Arc<dyn UlpQueries> = queries;
        let registered = KBox::new(Registered(queries), GFP_KERNEL)?;
        QUERIES.store(
            ptr::from_ref::<Registered>(&registered).cast_mut(),
            Ordering::Release,
        );
        // INVARIANT: just stored.
        Ok(Registration {
            _registered: registered,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        QUERIES.store(ptr::null_mut(), Ordering::Release);
    }
}

/// Runs `f` on the registered queries; `ENODEV` when there are none.
fn with_queries(f: impl FnOnce(&dyn UlpQueries) -> c_int) -> c_int {
    let p = QUERIES.load(Ordering::Acquire);
    if p.is_null() {
        return ENODEV.to_errno();
    }
    // SAFETY: non-null only while the registration owns it, which outlives
    // every call (see `QUERIES`).
    f(unsafe { &*(*p).0 })
}

/// Copies `src` into `dst` as a NUL-terminated string, cut to fit.
fn copy_name<const N: usize>(dst: &mut [c_char; N], src: &[u8]) {
    let n = src.len().min(N.saturating_sub(1));
    for (d, s) in dst.iter_mut().zip(src.iter().take(n)) {
        *d = *s as c_char;
    }
    if let Some(end) = dst.get_mut(n) {
        *end = 0;
    }
}

/// A `rdmaip_port_info` naming RDMA device `ibdev_name` and netdev
/// `netdev_name`, the rest zero.
pub(crate) fn port_info(ibdev_name: &[u8], netdev_name: &[u8]) -> ffi::rdmaip_port_info {
    let mut out = ffi::rdmaip_port_info::default();
    copy_name(&mut out.ibdev_name, ibdev_name);
    copy_name(&mut out.netdev_name, netdev_name);
    out
}

/// A `sockaddr_in` / `sockaddr_in6` for `addr`, port 0, in a
/// `sockaddr_storage`.
pub(crate) fn sockaddr(addr: &IpAddr) -> ffi::__kernel_sockaddr_storage {
    let mut ss = ffi::__kernel_sockaddr_storage::default();
    let mut bytes = [0u8; 24];
    let (family, at, a): (u16, usize, &[u8]) = match addr {
        IpAddr::V4(a) => (2, 4, a),
        IpAddr::V6(a) => (10, 8, a),
    };
    bytes[..2].copy_from_slice(&family.to_ne_bytes());
    // In range by construction: 4 + 4 and 8 + 16 are at most 24.
    bytes[at..at + a.len()].copy_from_slice(a);
    let len = at + a.len();
    // SAFETY: `sockaddr_storage` is 128 bytes and `len` at most 24; the
    // uapi layouts put the family first, the IPv4 address at 4 and the
    // IPv6 address at 8.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), ptr::addr_of_mut!(ss).cast::<u8>(), len) };
    ss
}

/// Answers one query for the group a caller named: writes the first `max`
/// items to `out` and returns how many there are in all, the way
/// snprintf() counts (a caller whose array was too small learns the size it
/// needs), or an errno.
///
/// # Safety
///
/// `group` must be NULL or a NUL-terminated string; `out` has room for
/// `max` entries.
unsafe fn counted<T>(
    group: *const c_char,
    out: *mut T,
    max: c_uint,
    query: impl FnOnce(&dyn UlpQueries, &[u8], &mut dyn FnMut(T)) -> Result,
) -> c_int {
    if group.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: NUL-terminated, by the caller's contract.
    let name = unsafe { CStr::from_char_ptr(group.cast()) };
    with_queries(|q| {
        let mut n: usize = 0;
        let mut write = |item: T| {
            if n < max as usize {
                // SAFETY: `n < max`, and `out` has room for `max` (caller).
                unsafe { out.add(n).write(item) };
            }
            n += 1;
        };
        match query(q, name.as_bytes(), &mut write) {
            Ok(()) => n as c_int,
            Err(e) => e.to_errno(),
        }
    })
}

/// See `rdmaip_group_ports()` in `include/rdmaip.h`.
///
/// # Safety
///
/// `group` is a NUL-terminated string; `ports` has room for `max` entries.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdmaip_group_ports(
    group: *const c_char,
    ports: *mut ffi::rdmaip_port_info,
    max: c_uint,
) -> c_int {
    // SAFETY: by the caller's contract.
    unsafe { counted(group, ports, max, |q, g, each| q.group_ports(g, each)) }
}

/// See `rdmaip_group_addrs()` in `include/rdmaip.h`.
///
/// # Safety
///
/// `group` is a NUL-terminated string; `addrs` has room for `max` entries.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdmaip_group_addrs(
    group: *const c_char,
    addrs: *mut ffi::rdmaip_addr_info,
    max: c_uint,
) -> c_int {
    // SAFETY: by the caller's contract.
    unsafe { counted(group, addrs, max, |q, g, each| q.group_addrs(g, each)) }
}

/// See `rdmaip_register_notifier()` in `include/rdmaip.h`.
///
/// # Safety
///
/// `nb` is a valid notifier block that stays valid until unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdmaip_register_notifier(nb: *mut ffi::notifier_block) -> c_int {
    if nb.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: by the caller's contract.
    unsafe { ffi::rdmaip_ulp_chain_register(nb) }
}

/// See `rdmaip_unregister_notifier()` in `include/rdmaip.h`.
///
/// # Safety
///
/// `nb` is NULL or a notifier block.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdmaip_unregister_notifier(nb: *mut ffi::notifier_block) -> c_int {
    if nb.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: by the caller's contract; the chain's rwsem waits for calls
    // in progress.
    unsafe { ffi::rdmaip_ulp_chain_unregister(nb) }
}

/// One end of a move, for the notifier.
pub(crate) struct MoveEnd<'a> {
    pub(crate) netdev: Option<&'a NetDevRef>,
    pub(crate) ibdev: &'a IbDeviceRef,
    pub(crate) port: u32,
    pub(crate) ifindex: Option<i32>,
}

impl MoveEnd<'_> {
    fn to_c(&self) -> ffi::rdmaip_port_ref {
        ffi::rdmaip_port_ref {
            netdev: self.netdev.map_or(ptr::null_mut(), |d| d.as_ptr()),
            ibdev: self.ibdev.as_ptr(),
            port_num: self.port,
            ifindex: self.ifindex.unwrap_or(0),
        }
    }
}

/// Tells the registered ULPs that `addr` of `group` moved. Call with no
/// lock held: the notifiers may sleep and call back into rdmaip.
pub(crate) fn notify_move(
    group: &[u8],
    addr: &IpAddr,
    prefixlen: u8,
    from: MoveEnd<'_>,
    to: MoveEnd<'_>,
    reason: u32,
    cm_ids_notified: u32,
) {
    let mut name = [0 as c_char; 17];
    copy_name(&mut name, group);
    let mut mv = ffi::rdmaip_move {
        group: name.as_ptr(),
        addr: sockaddr(addr),
        prefixlen,
        from: from.to_c(),
        to: to.to_c(),
        reason,
        cm_ids_notified,
    };
    // SAFETY: `mv` and the pointers in it (name, netdevs and devices, held
    // by the caller) are valid for the call.
    unsafe {
        ffi::rdmaip_ulp_chain_call(
            ffi::rdmaip_notifier_event_RDMAIP_EVENT_ADDR_MOVED as _,
            ptr::addr_of_mut!(mv).cast(),
        )
    };
}
