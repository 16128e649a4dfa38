// SPDX-License-Identifier: GPL-2.0

//! rdmaip.ko's kernel API (wraps `rdmaip_register_notifier()`,
//! `rdmaip_unregister_notifier()`, `rdmaip_group_ports()` and
//! `rdmaip_group_addrs()` from `include/rdmaip.h`): the module depends on
//! rdmaip.ko.

use crate::cm::SockAddr;
use crate::ffi;
use crate::notifier::{Call, Chain, Notifier};
use core::ffi::{c_int, c_ulong, c_void};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::str::CString;

/// One address move, copied out of `struct rdmaip_move`.
pub(crate) struct Move {
    pub(crate) addr: SockAddr,
    pub(crate) from_ifindex: i32,
    pub(crate) to_ifindex: i32,
    pub(crate) reason: u32,
    pub(crate) cm_ids: u32,
}

/// Told about every move.
pub(crate) trait MoveListener: Send + Sync + 'static {
    /// In process context, no rdmaip lock held; may sleep.
    fn moved(&self, m: &Move);
}

/// rdmaip's move notifier chain.
pub(crate) struct MoveChain;

impl Chain for MoveChain {
    unsafe fn register(&self, nb: *mut ffi::notifier_block) -> c_int {
        // SAFETY: `nb` stays valid until unregistered (caller's contract).
        unsafe { ffi::rdmaip_register_notifier(nb) }
    }

    unsafe fn unregister(&self, nb: *mut ffi::notifier_block) {
        // SAFETY: registered (caller's contract); returns once no call runs.
        unsafe { ffi::rdmaip_unregister_notifier(nb) };
    }
}

/// Copies each move out of `struct rdmaip_move` for the listener.
pub(crate) struct Moves<L>(L);

impl<L: MoveListener> Call for Moves<L> {
    unsafe fn call(&self, action: c_ulong, data: *mut c_void) {
        if action != ffi::rdmaip_notifier_event_RDMAIP_EVENT_ADDR_MOVED as c_ulong || data.is_null()
        {
            return;
        }
        // SAFETY: for this event rdmaip passes a valid `struct rdmaip_move`.
        let m = unsafe { &*data.cast::<ffi::rdmaip_move>() };
        // SAFETY: `addr` is a sockaddr_storage by value; same layout as ours.
        let addr = unsafe { core::mem::transmute_copy::<_, SockAddr>(&m.addr) };
        self.0.moved(&Move {
            addr,
            from_ifindex: m.from.ifindex,
            to_ifindex: m.to.ifindex,
            reason: m.reason,
            cm_ids: m.cm_ids_notified,
        });
    }
}

/// A registered rdmaip notifier; unregisters on drop.
pub(crate) type MoveNotifier<L> = Notifier<MoveChain, Moves<L>>;

/// Registers `listener` for every move rdmaip makes.
pub(crate) fn register<L: MoveListener>(listener: L) -> Result<Pin<KBox<MoveNotifier<L>>>> {
    Notifier::register(MoveChain, Moves(listener))
}

/// A group member (`struct rdmaip_port_info`).
pub(crate) type PortInfo = ffi::rdmaip_port_info;
/// A group address (`struct rdmaip_addr_info`).
pub(crate) type AddrInfo = ffi::rdmaip_addr_info;

/// The members of `group` now.
pub(crate) fn group_ports(group: &CString) -> Result<KVec<PortInfo>> {
    query(group, |g, buf, max| {
        // SAFETY: `g` is NUL-terminated and `buf` has room for `max`.
        unsafe { ffi::rdmaip_group_ports(g, buf, max) }
    })
}

/// The addresses of `group` and where they are now.
pub(crate) fn group_addrs(group: &CString) -> Result<KVec<AddrInfo>> {
    query(group, |g, buf, max| {
        // SAFETY: as in `group_ports`.
        unsafe { ffi::rdmaip_group_addrs(g, buf, max) }
    })
}

/// Asks for the count, then for that many (again if it grew meanwhile).
fn query<T: Default + Copy>(
    group: &CString,
    call: impl Fn(*const core::ffi::c_char, *mut T, u32) -> c_int,
) -> Result<KVec<T>> {
    let g = group.as_char_ptr().cast();
    let mut n = call(g, core::ptr::null_mut(), 0);
    for _ in 0..4 {
        to_result(n.min(0))?;
        let want = n as usize;
        let mut v = KVec::from_elem(T::default(), want, GFP_KERNEL)?;
        n = call(g, v.as_mut_ptr(), want as u32);
        to_result(n.min(0))?;
        if n as usize <= want {
            // SAFETY: shrinking; the dropped elements are `Copy` (no drop).
            unsafe { v.set_len(n as usize) };
            return Ok(v);
        }
    }
    Err(EAGAIN)
}

/// A C string field as text.
pub(crate) fn cstr_field(bytes: &[core::ffi::c_char]) -> &str {
    // SAFETY: `c_char` and `u8` have the same size and alignment.
    let b = unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast::<u8>(), bytes.len()) };
    let len = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(&b[..len]).unwrap_or("?")
}

/// The address of an `AddrInfo`.
pub(crate) fn addr_of(a: &AddrInfo) -> SockAddr {
    // SAFETY: a sockaddr_storage by value; same layout as ours.
    unsafe { core::mem::transmute_copy::<_, SockAddr>(&a.addr) }
}
