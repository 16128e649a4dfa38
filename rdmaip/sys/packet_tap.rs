// SPDX-License-Identifier: GPL-2.0

//! Packet taps (wraps `dev_add_pack()` / `dev_remove_pack()` and `struct
//! packet_type` from `include/linux/netdevice.h`): a copy of every received
//! frame of one ethertype, on every netdev, next to the stack's own
//! handler.
//!
//! The receive path calls the tap in softirq context with an extra
//! reference on the frame, which the tap drops before it returns, so the
//! stack's own handler finds the frame unshared again. A listener reads a
//! few bytes from the network header and must not sleep.

use crate::sys::ffi;
use core::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

/// One received frame, for the duration of a [`FrameListener::frame`] call.
pub(crate) struct Frame<'a> {
    skb: &'a Opaque<ffi::sk_buff>,
    info: ffi::rdmaip_frame,
}

impl Frame<'_> {
    /// Index of the netdev it arrived on.
    pub(crate) fn ifindex(&self) -> i32 {
        self.info.ifindex
    }

    /// Whether it was sent to this netdev's own link-layer address (not
    /// broadcast, multicast or another host's).
    pub(crate) fn for_host(&self) -> bool {
        self.info.for_host
    }

    /// Whether it arrived in the initial network namespace.
    pub(crate) fn in_init_net(&self) -> bool {
        self.info.init_net
    }

    /// The receiving netdev's link-layer address.
    pub(crate) fn dev_addr(&self) -> &[u8] {
        self.info
            .dev_addr
            .get(..usize::from(self.info.addr_len))
            .unwrap_or(&[])
    }

    /// The first `N` bytes from the network header; `None` if it is shorter.
    pub(crate) fn head<const N: usize>(&self) -> Option<[u8; N]> {
        let mut buf = [0u8; N];
        self.read(&mut buf).then_some(buf)
    }

    /// Fills `buf` from the network header on; false if it is shorter.
    pub(crate) fn read(&self, buf: &mut [u8]) -> bool {
        let Ok(len) = u32::try_from(buf.len()) else {
            return false;
        };
        // SAFETY: the frame is valid for the call (`Frame`'s lifetime);
        // `buf` is writable for `len` bytes.
        unsafe { ffi::rdmaip_skb_copy_head(self.skb.get(), buf.as_mut_ptr().cast(), len) }
    }
}

/// What a tap does with each frame.
pub(crate) trait FrameListener: Send + Sync + 'static {
    /// Called in softirq context for every frame of the tap's ethertype:
    /// must not sleep, and should be quick.
    fn frame(&self, frame: &Frame<'_>);
}

/// A registered tap; removed on drop (which waits for running calls).
///
/// # Invariants
///
/// `pt` is registered with `dev_add_pack()` and its `func` is
/// `receive::<L>`.
#[pin_data(PinnedDrop)]
pub(crate) struct PacketTap<L: FrameListener> {
    #[pin]
    pt: Opaque<ffi::packet_type>,
    listener: L,
}

// SAFETY: once registered, `pt` is only touched by the receive path and
// `dev_remove_pack()`; the listener is `Send + Sync`.
unsafe impl<L: FrameListener> Send for PacketTap<L> {}
// SAFETY: as for `Send`.
unsafe impl<L: FrameListener> Sync for PacketTap<L> {}

impl<L: FrameListener> PacketTap<L> {
    /// Taps frames of `ethertype` (host order) on every netdev.
    pub(crate) fn register(ethertype: u16, listener: L) -> Result<Pin<KBox<Self>>> {
        let this = KBox::pin_init(
            pin_init!(Self {
                pt <- Opaque::ffi_init(|slot: *mut ffi::packet_type| {
                    // SAFETY: `slot` is writable for a `packet_type`.
                    unsafe { ffi::rdmaip_packet_type_init(slot, ethertype, Some(receive::<L>)) }
                }),
                listener,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: initialised and pinned in the box; removed in drop before
        // the box is freed.
        unsafe { ffi::dev_add_pack(this.pt.get()) };
        // INVARIANT: registered above, with `receive::<L>`.
        Ok(this)
    }
}

#[pinned_drop]
impl<L: FrameListener> PinnedDrop for PacketTap<L> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered (type invariant); `dev_remove_pack()` waits
        // (synchronize_net) until no receive call can still see it.
        unsafe { ffi::dev_remove_pack(self.pt.get()) };
    }
}

/// # Safety
///
/// Called by the receive path only, with `pt` the `pt` of a live registered
/// `PacketTap<L>`, and `skb` and `dev` valid, the tap owning one reference
/// on `skb`.
unsafe extern "C" fn receive<L: FrameListener>(
    skb: *mut ffi::sk_buff,
    dev: *mut ffi::net_device,
    pt: *mut ffi::packet_type,
    _orig_dev: *mut ffi::net_device,
) -> c_int {
    // SAFETY: `pt` is the field of a registered tap, which
    // `dev_remove_pack()` keeps alive until this call has returned.
    let this =
        unsafe { &*kernel::container_of!(pt.cast::<Opaque<ffi::packet_type>>(), PacketTap<L>, pt) };
    let mut info = ffi::rdmaip_frame::default();
    // SAFETY: `skb` and `dev` are valid for the call.
    unsafe { ffi::rdmaip_frame_read(skb, dev, &mut info) };
    // SAFETY: `skb` is valid for the call; `Opaque` is transparent.
    let skb_ref = unsafe { &*skb.cast::<Opaque<ffi::sk_buff>>() };
    let frame = Frame { skb: skb_ref, info };
    this.listener.frame(&frame);
    // SAFETY: the reference the receive path gave the tap, not used after.
    unsafe { ffi::rdmaip_consume_skb(skb) };
    0
}
