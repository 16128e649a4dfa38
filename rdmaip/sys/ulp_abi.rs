// SPDX-License-Identifier: GPL-2.0

//! The kernel API for ULPs (`include/rdmaip.h`): the functions other modules
//! call, and the notifier chain rdmaip calls for each move.
//!
//! The exported functions are plain `extern "C"` functions (the
//! `EXPORT_SYMBOL_GPL` lines are in `shim.c`); the notifier chain's head is
//! a static in `shim.c` too, since its initialiser is a macro.

use crate::logic::rtaddr::IpAddr;
use crate::state::groups::parse_name;
use crate::state::ports::{PortRegistry, Tables};
use crate::sys::ffi;
use crate::sys::ib::IbDeviceRef;
use crate::sys::netdev::NetDevRef;
use core::ffi::{c_char, c_int, c_uint};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The registry the exported functions read, while the module is live.
///
/// A module that calls them depends on rdmaip (it resolved rdmaip's
/// symbols), so it cannot be loaded before rdmaip's init has finished, and
/// rdmaip cannot start unloading while it is loaded: no call overlaps the
/// registration's creation or drop.
static REGISTRY: AtomicPtr<PortRegistry> = AtomicPtr::new(ptr::null_mut());

/// Makes the registry available to the exported functions until dropped.
///
/// # Invariants
///
/// While it exists, `REGISTRY` holds a pointer obtained from
/// `Arc::into_raw` that this object owns.
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new(registry: Arc<PortRegistry>) -> Self {
        REGISTRY.store(Arc::into_raw(registry).cast_mut(), Ordering::Release);
        // INVARIANT: just stored.
        Registration(())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let p = REGISTRY.swap(ptr::null_mut(), Ordering::AcqRel);
        if !p.is_null() {
            // SAFETY: by the type invariant, `p` came from `Arc::into_raw`
            // and this object owned it.
            drop(unsafe { Arc::from_raw(p) });
        }
    }
}

fn with_registry<R>(f: impl FnOnce(&PortRegistry) -> R) -> Option<R> {
    let p = REGISTRY.load(Ordering::Acquire);
    // SAFETY: non-null only while the registration owns a reference, which
    // outlives every call (see `REGISTRY`).
    (!p.is_null()).then(|| f(unsafe { &*p }))
}

const EINVAL: c_int = 22;
const ENOENT: c_int = 2;
const ENODEV: c_int = 19;

fn copy_name<const N: usize>(dst: &mut [c_char; N], src: &[u8]) {
    let n = src.len().min(N - 1);
    for (d, s) in dst.iter_mut().zip(src[..n].iter()) {
        *d = *s as c_char;
    }
    dst[n] = 0;
}

/// A `sockaddr_in` / `sockaddr_in6` for `addr`, port 0, in a
/// `sockaddr_storage`.
fn sockaddr(addr: &IpAddr) -> ffi::__kernel_sockaddr_storage {
    let mut ss = ffi::__kernel_sockaddr_storage::default();
    let mut bytes = [0u8; 24];
    let len = match addr {
        IpAddr::V4(a) => {
            bytes[..2].copy_from_slice(&2u16.to_ne_bytes());
            bytes[4..8].copy_from_slice(a);
            8
        }
        IpAddr::V6(a) => {
            bytes[..2].copy_from_slice(&10u16.to_ne_bytes());
            bytes[8..24].copy_from_slice(a);
            24
        }
    };
    // SAFETY: `sockaddr_storage` is 128 bytes; the uapi layouts put the
    // family first, the IPv4 address at 4 and the IPv6 address at 8.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), ptr::addr_of_mut!(ss).cast::<u8>(), len) };
    ss
}

/// The group name a caller passed, or an errno.
///
/// # Safety
///
/// `group` must be NULL or a NUL-terminated string.
unsafe fn group_arg(
    group: *const c_char,
) -> core::result::Result<crate::state::groups::GroupName, c_int> {
    if group.is_null() {
        return Err(-EINVAL);
    }
    // SAFETY: NUL-terminated, by the caller's contract.
    let name = unsafe { CStr::from_char_ptr(group.cast()) };
    parse_name(name.as_bytes()).map_err(|_| -EINVAL)
}

/// Runs `f` on the tables, locked, and the slot of the group a caller
/// named; returns what `f` does, or an errno.
///
/// # Safety
///
/// `group` must be NULL or a NUL-terminated string.
unsafe fn with_group(group: *const c_char, f: impl FnOnce(&Tables, usize) -> c_int) -> c_int {
    // SAFETY: by the caller's contract.
    let name = match unsafe { group_arg(group) } {
        Ok(n) => n,
        Err(e) => return e,
    };
    with_registry(|r| {
        let t = r.lock();
        match t.group_slot(&name) {
            Ok(slot) => f(&t, slot),
            Err(_) => -ENOENT,
        }
    })
    .unwrap_or(-ENODEV)
}

/// Writes the first `max` of `items` to `out` and returns how many there
/// are in all, the way snprintf() counts: a caller whose array was too
/// small learns the size it needs.
///
/// # Safety
///
/// `out` has room for `max` entries.
unsafe fn write_counted<T>(out: *mut T, max: c_uint, items: impl Iterator<Item = T>) -> c_int {
    let mut n: usize = 0;
    for item in items {
        if n < max as usize {
            // SAFETY: `n < max`, and `out` has room for `max` (caller).
            unsafe { out.add(n).write(item) };
        }
        n += 1;
    }
    n as c_int
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
    let fill = |t: &Tables, slot: usize| {
        let infos = t
            .group(slot)
            .member_ports()
            .filter_map(|(_, port)| t.port_info(port))
            .map(|p| {
                let mut out = ffi::rdmaip_port_info::default();
                copy_name(&mut out.ibdev_name, p.dev_name.as_bytes());
                out.ibdev_index = p.dev_index;
                out.port_num = p.port;
                copy_name(&mut out.netdev_name, p.netdev_name.as_bytes());
                out.ifindex = p.ifindex.unwrap_or(0);
                let g = p.group.as_ref();
                out.healthy = u8::from(p.status.health().is_up() && !g.is_some_and(|g| g.drained));
                out.addrs_hosted = g.map_or(0, |g| g.addrs_hosted as u32);
                out
            });
        // SAFETY: `ports` has room for `max` (caller's contract).
        unsafe { write_counted(ports, max, infos) }
    };
    // SAFETY: by the caller's contract.
    unsafe { with_group(group, fill) }
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
    let fill = |t: &Tables, slot: usize| {
        let g = t.group(slot);
        let ifindex = |member: usize| {
            g.members[member]
                .and_then(|p| t.port_info(p))
                .and_then(|p| p.ifindex)
                .unwrap_or(0)
        };
        let infos = g.addrs().map(|a| ffi::rdmaip_addr_info {
            addr: sockaddr(&a.info.addr),
            prefixlen: a.info.prefixlen,
            home_ifindex: ifindex(a.home),
            current_ifindex: ifindex(a.current),
        });
        // SAFETY: `addrs` has room for `max` (caller's contract).
        unsafe { write_counted(addrs, max, infos) }
    };
    // SAFETY: by the caller's contract.
    unsafe { with_group(group, fill) }
}

/// See `rdmaip_register_notifier()` in `include/rdmaip.h`.
///
/// # Safety
///
/// `nb` is a valid notifier block that stays valid until unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdmaip_register_notifier(nb: *mut ffi::notifier_block) -> c_int {
    if nb.is_null() {
        return -EINVAL;
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
        return -EINVAL;
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
