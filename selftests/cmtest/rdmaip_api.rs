// SPDX-License-Identifier: GPL-2.0

//! rdmaip.ko's kernel API (wraps `rdmaip_register_notifier()`,
//! `rdmaip_unregister_notifier()`, `rdmaip_group_ports()` and
//! `rdmaip_group_addrs()` from `include/rdmaip.h`): the module depends on
//! rdmaip.ko.

use crate::cm::SockAddr;
use crate::ffi;
use core::ffi::{c_int, c_ulong, c_void};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::types::Opaque;

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

/// A registered rdmaip notifier; unregisters on drop.
///
/// # Invariants
///
/// `nb` is registered with rdmaip.
#[pin_data(PinnedDrop)]
pub(crate) struct MoveNotifier<L: MoveListener> {
    #[pin]
    nb: Opaque<ffi::notifier_block>,
    listener: L,
}

// SAFETY: the notifier block is only touched by rdmaip once registered; the
// listener is `Send + Sync`.
unsafe impl<L: MoveListener> Send for MoveNotifier<L> {}
// SAFETY: as for `Send`.
unsafe impl<L: MoveListener> Sync for MoveNotifier<L> {}

impl<L: MoveListener> MoveNotifier<L> {
    pub(crate) fn register(listener: L) -> Result<Pin<KBox<Self>>> {
        let this = KBox::pin_init(
            pin_init!(Self {
                nb <- Opaque::ffi_init(|slot: *mut ffi::notifier_block| {
                    // SAFETY: `slot` is writable; a zeroed notifier_block
                    // with a callback is valid.
                    unsafe {
                        slot.write(core::mem::zeroed());
                        (*slot).notifier_call = Some(callback::<L>);
                    }
                }),
                listener,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `nb` is initialised, pinned and unregistered before it is
        // freed.
        to_result(unsafe { ffi::rdmaip_register_notifier(this.nb.get()) })?;
        // INVARIANT: registered above.
        Ok(this)
    }
}

#[pinned_drop]
impl<L: MoveListener> PinnedDrop for MoveNotifier<L> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered (type invariant); returns once no call runs.
        unsafe { ffi::rdmaip_unregister_notifier(self.nb.get()) };
    }
}

unsafe extern "C" fn callback<L: MoveListener>(nb: *mut ffi::notifier_block, action: c_ulong, data: *mut c_void) -> c_int {
    if action != ffi::rdmaip_notifier_event_RDMAIP_EVENT_ADDR_MOVED as c_ulong || data.is_null() {
        return ffi::NOTIFY_DONE as c_int;
    }
    // SAFETY: `nb` is the `nb` field of a registered `MoveNotifier<L>`,
    // alive until unregistration, which waits for us.
    let this = unsafe { &*kernel::container_of!(nb, MoveNotifier<L>, nb) };
    // SAFETY: for this event rdmaip passes a valid `struct rdmaip_move`.
    let m = unsafe { &*data.cast::<ffi::rdmaip_move>() };
    // SAFETY: `addr` is a sockaddr_storage by value; same layout as ours.
    let addr = unsafe { core::mem::transmute_copy::<_, SockAddr>(&m.addr) };
    this.listener.moved(&Move {
        addr,
        from_ifindex: m.from.ifindex,
        to_ifindex: m.to.ifindex,
        reason: m.reason as u32,
        cm_ids: m.cm_ids_notified,
    });
    ffi::NOTIFY_DONE as c_int
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
