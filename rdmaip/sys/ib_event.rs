// SPDX-License-Identifier: GPL-2.0

//! IB asynchronous event handlers (wraps `ib_register_event_handler()` /
//! `ib_unregister_event_handler()` from `include/rdma/ib_verbs.h`).
//!
//! ib_core calls handlers from a workqueue, in process context, holding the
//! device's event-handler rwsem for reading; unregistering takes it for
//! writing, so it waits for a running handler. Never unregister from inside
//! the handler, and never hold a lock the handler takes while unregistering.

use crate::sys::ffi;
use crate::sys::ib::{IbDevice, IbDeviceRef};
use kernel::prelude::*;
use kernel::types::Opaque;

/// An IB async event, reduced to what rdmaip acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IbEvent {
    /// `IB_EVENT_PORT_ACTIVE` on this port.
    PortActive(u32),
    /// `IB_EVENT_PORT_ERR` on this port.
    PortError(u32),
    /// Any other event (QP, CQ, GID change, ...): ignored.
    Other,
}

/// Receives the async events of one RDMA device.
pub(crate) trait IbEventHandler: Send + Sync + 'static {
    /// Called in process context; may sleep.
    fn handle(&self, dev: &IbDevice, event: IbEvent);
}

/// A registered event handler for one device; unregisters on drop.
///
/// # Invariants
///
/// `raw` is registered with ib_core for `dev`, which stays valid because we
/// hold a reference on it.
#[pin_data(PinnedDrop)]
pub(crate) struct EventHandlerRegistration<H: IbEventHandler> {
    #[pin]
    raw: Opaque<ffi::ib_event_handler>,
    dev: IbDeviceRef,
    handler: H,
}

// SAFETY: the C handler struct is only touched by ib_core under its own
// rwsem once registered; the device reference and handler are thread-safe.
unsafe impl<H: IbEventHandler> Send for EventHandlerRegistration<H> {}
// SAFETY: as for `Send`.
unsafe impl<H: IbEventHandler> Sync for EventHandlerRegistration<H> {}

impl<H: IbEventHandler> EventHandlerRegistration<H> {
    /// Starts delivering `dev`'s async events to `handler`.
    pub(crate) fn new(dev: &IbDevice, handler: H) -> Result<Pin<KBox<Self>>> {
        let dev_ref = dev.get().ok_or(ENODEV)?;
        let reg = KBox::pin_init(
            pin_init!(Self {
                raw <- Opaque::ffi_init(|slot: *mut ffi::ib_event_handler| {
                    // SAFETY: `slot` is valid for writes; this initialises
                    // every field (device, handler, list head).
                    unsafe {
                        ffi::rdmaip_ib_init_event_handler(slot, dev.as_ptr(), Some(handle_callback::<H>))
                    }
                }),
                dev: dev_ref,
                handler,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `raw` is initialised and pinned and outlives the
        // registration (unregistered in `drop` before it is freed).
        unsafe { ffi::ib_register_event_handler(reg.raw.get()) };
        // INVARIANT: registered above; `dev` holds the device reference.
        Ok(reg)
    }
}

#[pinned_drop]
impl<H: IbEventHandler> PinnedDrop for EventHandlerRegistration<H> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered, by the type invariant; this waits for a
        // running handler to return.
        unsafe { ffi::ib_unregister_event_handler(self.raw.get()) };
    }
}

/// # Safety
///
/// Called by ib_core only, with `raw` the handler of a live
/// `EventHandlerRegistration<H>` and a valid `event`.
unsafe extern "C" fn handle_callback<H: IbEventHandler>(
    raw: *mut ffi::ib_event_handler,
    event: *mut ffi::ib_event,
) {
    // Only registered `EventHandlerRegistration<H>`s use this callback, and
    // their unregistration waits for it to return.
    // SAFETY: `raw` is the `raw` field of such a registration, alive for the call.
    let reg = unsafe { &*kernel::container_of!(raw, EventHandlerRegistration<H>, raw) };
    // SAFETY: ib_core passes a valid event for the duration of the call.
    let event = unsafe { &*event };
    // SAFETY: reading the union's `port_num` is only done for port events,
    // for which ib_core sets it.
    let port = || unsafe { event.element.port_num };
    let ev = match event.event {
        ffi::ib_event_type_IB_EVENT_PORT_ACTIVE => IbEvent::PortActive(port()),
        ffi::ib_event_type_IB_EVENT_PORT_ERR => IbEvent::PortError(port()),
        _ => IbEvent::Other,
    };
    reg.handler.handle(&reg.dev, ev);
}
