// SPDX-License-Identifier: GPL-2.0

//! rdma_cm ids (wraps `rdma_create_id()`, `rdma_bind_addr()`,
//! `rdma_listen()`, `rdma_resolve_addr()`, `rdma_resolve_route()`,
//! `rdma_connect_locked()`, `rdma_accept()` and `rdma_destroy_id()` from
//! `include/rdma/rdma_cm.h`).
//!
//! Every id carries a context `T` (its handler). The id owns one reference
//! to it (`Arc::into_raw` in `id->context`), released when the id is
//! destroyed: by dropping its owner [`CmId`], or by rdma_cm itself after the
//! handler returned [`Disposition::Destroy`], which can only be built by
//! surrendering that owner. So an id is destroyed exactly once, and never
//! with `rdma_destroy_id()` from inside its own handler.
//!
//! rdma_cm calls a handler with the id's handler mutex held, in process
//! context: it may sleep and allocate, but must not call anything that
//! takes that mutex again (`rdma_connect()`, `rdma_destroy_id()`). The
//! calls that need the mutex held (`rdma_connect_locked()`, `rdma_accept()`)
//! are therefore only offered on [`HandlerId`], which exists only inside a
//! handler.
//!
//! A connection request arrives on a new id that rdma_cm created, whose
//! context is still the listener's (borrowed, no reference of its own).
//! The handler adopts it with [`NewConn::adopt`], giving it a context of its
//! own; an id that is not adopted is destroyed by rdma_cm when the handler
//! returns.

use crate::ffi;
use core::cell::Cell;
use core::ffi::c_int;
use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::{from_err_ptr, to_result};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// An IPv4 or IPv6 socket address (`struct sockaddr_storage`).
#[derive(Clone, Copy)]
pub(crate) struct SockAddr(ffi::__kernel_sockaddr_storage);

// SAFETY: plain bytes; the pointer member of the C union is only there for
// alignment and never used as a pointer.
unsafe impl Send for SockAddr {}
// SAFETY: as for `Send`.
unsafe impl Sync for SockAddr {}

impl SockAddr {
    /// No address (family 0).
    pub(crate) fn none() -> Self {
        Self(ffi::__kernel_sockaddr_storage::default())
    }

    /// Parses `addr` (IPv4, or IPv6 with an optional `%scope`) and `port`.
    pub(crate) fn parse(addr: &str, port: u16) -> Result<Self> {
        let mut a = [0u8; 64];
        if addr.len() >= a.len() {
            return Err(EINVAL);
        }
        a[..addr.len()].copy_from_slice(addr.as_bytes());
        let mut p = [0u8; 8];
        let mut w = crate::text::Buf::<8>::new();
        let _ = fmt::Write::write_fmt(&mut w, format_args!("{}", port));
        p[..w.as_bytes().len()].copy_from_slice(w.as_bytes());
        let mut out = Self::none();
        // SAFETY: `a` and `p` are NUL-terminated (zero-filled beyond the
        // copied text) and `out.0` is a writable sockaddr_storage.
        to_result(unsafe {
            ffi::cmtest_parse_addr(a.as_ptr().cast(), p.as_ptr().cast(), &mut out.0)
        })?;
        Ok(out)
    }

    /// The same address with port 0.
    pub(crate) fn without_port(&self) -> Self {
        let mut out = *self;
        // Both sockaddr_in and sockaddr_in6 keep the port right after the
        // family, at byte offset 2.
        let bytes = core::ptr::from_mut(&mut out.0).cast::<u8>();
        // SAFETY: the storage is 128 bytes; bytes 2 and 3 are the port of
        // either family and plain bytes otherwise.
        unsafe {
            *bytes.add(2) = 0;
            *bytes.add(3) = 0;
        }
        out
    }

    fn as_sockaddr(&self) -> *mut ffi::sockaddr {
        core::ptr::from_ref(&self.0).cast_mut().cast()
    }

    /// Printable with its port (`10.1.0.1:7471`, `[fd00::1]:7471`).
    pub(crate) fn with_port(&self) -> AddrText {
        self.text(true)
    }

    /// Printable without its port.
    pub(crate) fn addr_only(&self) -> AddrText {
        self.text(false)
    }

    fn text(&self, with_port: bool) -> AddrText {
        let mut t = AddrText([0; 64]);
        // SAFETY: `self.0` is a valid sockaddr_storage and `t.0` a writable
        // buffer of its length; the result is NUL-terminated.
        unsafe { ffi::cmtest_format_addr(&self.0, with_port, t.0.as_mut_ptr().cast(), t.0.len()) };
        t
    }
}

/// A formatted address.
pub(crate) struct AddrText([u8; 64]);

impl fmt::Display for AddrText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        f.write_str(core::str::from_utf8(&self.0[..len]).unwrap_or("?"))
    }
}

/// The event types of `enum rdma_cm_event_type`, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    AddrResolved,
    AddrError,
    RouteResolved,
    RouteError,
    ConnectRequest,
    ConnectResponse,
    ConnectError,
    Unreachable,
    Rejected,
    Established,
    Disconnected,
    DeviceRemoval,
    MulticastJoin,
    MulticastError,
    AddrChange,
    TimewaitExit,
}

impl EventKind {
    /// Every event type, in `rdma_cm_event_type` order.
    pub(crate) const ALL: [EventKind; 16] = [
        Self::AddrResolved,
        Self::AddrError,
        Self::RouteResolved,
        Self::RouteError,
        Self::ConnectRequest,
        Self::ConnectResponse,
        Self::ConnectError,
        Self::Unreachable,
        Self::Rejected,
        Self::Established,
        Self::Disconnected,
        Self::DeviceRemoval,
        Self::MulticastJoin,
        Self::MulticastError,
        Self::AddrChange,
        Self::TimewaitExit,
    ];

    fn from_raw(raw: c_int) -> Option<Self> {
        usize::try_from(raw)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// Index in [`Self::ALL`] (the C value).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The C name without `RDMA_CM_EVENT_`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AddrResolved => "ADDR_RESOLVED",
            Self::AddrError => "ADDR_ERROR",
            Self::RouteResolved => "ROUTE_RESOLVED",
            Self::RouteError => "ROUTE_ERROR",
            Self::ConnectRequest => "CONNECT_REQUEST",
            Self::ConnectResponse => "CONNECT_RESPONSE",
            Self::ConnectError => "CONNECT_ERROR",
            Self::Unreachable => "UNREACHABLE",
            Self::Rejected => "REJECTED",
            Self::Established => "ESTABLISHED",
            Self::Disconnected => "DISCONNECTED",
            Self::DeviceRemoval => "DEVICE_REMOVAL",
            Self::MulticastJoin => "MULTICAST_JOIN",
            Self::MulticastError => "MULTICAST_ERROR",
            Self::AddrChange => "ADDR_CHANGE",
            Self::TimewaitExit => "TIMEWAIT_EXIT",
        }
    }

    /// The event named `name` (as [`Self::name`] prints it).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// One event delivered to a handler.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CmEvent {
    /// Its type; `None` for a value this module does not know.
    pub(crate) kind: Option<EventKind>,
    /// `event->status`.
    pub(crate) status: i32,
}

/// Proof that the owner of an id was given up, so that rdma_cm may destroy
/// the id when the handler returns.
pub(crate) struct Surrender(NonNull<ffi::rdma_cm_id>);

/// What the handler wants done with the id after an event.
pub(crate) enum Disposition {
    /// Keep the id.
    Keep,
    /// Let rdma_cm destroy the id (the handler returns non-zero).
    Destroy(Surrender),
}

/// Handles the events of ids whose context is `Self`.
pub(crate) trait CmHandler: Send + Sync + Sized + 'static {
    /// An event for the id `id` whose context is `this`.
    fn event(this: ArcBorrow<'_, Self>, id: &HandlerId<'_>, event: CmEvent) -> Disposition;

    /// A connection request on the listener whose context is `listener`;
    /// `req` is the new id. Unless the handler adopts it, rdma_cm destroys
    /// it when this returns.
    fn connect_request(
        listener: ArcBorrow<'_, Self>,
        req: &NewConn<'_, Self>,
        event: CmEvent,
    ) -> Disposition;
}

/// An id inside its event handler, with rdma_cm's handler mutex held.
///
/// # Invariants
///
/// `ptr` is a live id whose handler is running on this thread.
pub(crate) struct HandlerId<'a> {
    ptr: NonNull<ffi::rdma_cm_id>,
    _call: PhantomData<&'a ()>,
}

impl HandlerId<'_> {
    /// Source and destination address of the id.
    pub(crate) fn addrs(&self) -> (SockAddr, SockAddr) {
        id_addrs(self.ptr)
    }

    /// Starts route resolution (after `ADDR_RESOLVED`).
    pub(crate) fn resolve_route(&self, timeout_ms: u32) -> Result {
        // SAFETY: live id (type invariant); rdma_resolve_route does not take
        // the handler mutex and is meant to be called from the handler.
        to_result(unsafe { ffi::rdma_resolve_route(self.ptr.as_ptr(), timeout_ms as _) })
    }

    /// Sends the connection request (after `ROUTE_RESOLVED`) for a QP the
    /// caller manages itself: only its number `qp_num` goes on the wire.
    pub(crate) fn connect(&self, qp_num: u32) -> Result {
        let mut p = conn_param(qp_num);
        // SAFETY: live id, handler mutex held (type invariant), which is
        // what rdma_connect_locked requires; `p` is valid for the call.
        to_result(unsafe { ffi::rdma_connect_locked(self.ptr.as_ptr(), &mut p) })
    }

    /// Accepts a connection request (passive side), QP number `qp_num`.
    pub(crate) fn accept(&self, qp_num: u32) -> Result {
        let mut p = conn_param(qp_num);
        // SAFETY: live id, handler mutex held (type invariant), as
        // rdma_accept asserts; `p` is valid for the call.
        to_result(unsafe { ffi::rdma_accept(self.ptr.as_ptr(), &mut p) })
    }

    /// Completes an active connection without a QP on the id (after
    /// `CONNECT_RESPONSE`): `rdma_accept(id, NULL)` sends the RTU. No
    /// `ESTABLISHED` event follows on this side.
    pub(crate) fn accept_response(&self) -> Result {
        // SAFETY: live id, handler mutex held (type invariant); a NULL
        // conn_param is how rdma_accept completes a connection response.
        to_result(unsafe { ffi::rdma_accept(self.ptr.as_ptr(), core::ptr::null_mut()) })
    }
}

fn conn_param(qp_num: u32) -> ffi::rdma_conn_param {
    ffi::rdma_conn_param {
        responder_resources: 1,
        initiator_depth: 1,
        flow_control: 1,
        retry_count: 7,
        rnr_retry_count: 7,
        qp_num: qp_num & 0xff_ffff,
        ..Default::default()
    }
}

fn id_addrs(ptr: NonNull<ffi::rdma_cm_id>) -> (SockAddr, SockAddr) {
    let (mut src, mut dst) = (SockAddr::none(), SockAddr::none());
    // SAFETY: callers pass a live id; both outputs are writable.
    unsafe { ffi::cmtest_id_addrs(ptr.as_ptr(), &mut src.0, &mut dst.0) };
    (src, dst)
}

/// A new id for an incoming connection request, not yet adopted.
pub(crate) struct NewConn<'a, T: CmHandler> {
    id: HandlerId<'a>,
    adopted: Cell<bool>,
    _ctx: PhantomData<T>,
}

impl<'a, T: CmHandler> NewConn<'a, T> {
    /// The new id, for `accept` and its addresses.
    pub(crate) fn id(&self) -> &HandlerId<'a> {
        &self.id
    }

    /// Gives the new id the context `ctx` and returns its owner. Only once.
    pub(crate) fn adopt(&self, ctx: Arc<T>) -> Result<CmId<T>> {
        if self.adopted.replace(true) {
            return Err(EBUSY);
        }
        let raw = Arc::into_raw(ctx);
        // SAFETY: live id whose handler runs on this thread: nothing else
        // reads its context now. From here the id owns that reference.
        unsafe { ffi::cmtest_id_set_context(self.id.ptr.as_ptr(), raw.cast_mut().cast()) };
        // INVARIANT: a live id we now own, context `raw`.
        Ok(CmId {
            ptr: self.id.ptr,
            ctx: raw,
        })
    }
}

/// The owner of an rdma_cm id; destroys it when dropped.
///
/// # Invariants
///
/// `ptr` is a live id created by this module (or adopted), not yet
/// destroyed, whose context is `ctx`, one reference of an `Arc<T>` owned by
/// the id.
pub(crate) struct CmId<T: CmHandler> {
    ptr: NonNull<ffi::rdma_cm_id>,
    ctx: *const T,
}

// SAFETY: rdma_cm ids may be used and destroyed from any thread; `T` is
// `Send + Sync`.
unsafe impl<T: CmHandler> Send for CmId<T> {}
// SAFETY: the methods on `&CmId` are rdma_cm calls that do their own locking.
unsafe impl<T: CmHandler> Sync for CmId<T> {}

impl<T: CmHandler> CmId<T> {
    /// Creates an id in `init_net`, port space TCP, for an RC QP, with
    /// context `ctx`.
    pub(crate) fn create(ctx: Arc<T>) -> Result<Self> {
        let raw = Arc::into_raw(ctx);
        // SAFETY: `handler::<T>` matches rdma_cm's handler type and reads
        // the context as an `Arc<T>` reference, which `raw` is.
        let id = unsafe { ffi::cmtest_create_id(Some(handler::<T>), raw.cast_mut().cast()) };
        match from_err_ptr(id).ok().and_then(NonNull::new) {
            // INVARIANT: created just now with context `raw`.
            Some(ptr) => Ok(Self { ptr, ctx: raw }),
            None => {
                // SAFETY: the id was not created; the reference is ours again.
                drop(unsafe { Arc::from_raw(raw) });
                Err(from_err_ptr(id).err().unwrap_or(ENOMEM))
            }
        }
    }

    /// `rdma_bind_addr()`: binds to `addr` (port 0: any free port).
    pub(crate) fn bind(&self, addr: &SockAddr) -> Result {
        // SAFETY: live id (type invariant); `addr` is valid for the call.
        to_result(unsafe { ffi::rdma_bind_addr(self.ptr.as_ptr(), addr.as_sockaddr()) })
    }

    /// `rdma_listen()` on the bound address.
    pub(crate) fn listen(&self, backlog: i32) -> Result {
        // SAFETY: live id (type invariant).
        to_result(unsafe { ffi::rdma_listen(self.ptr.as_ptr(), backlog) })
    }

    /// `rdma_resolve_addr()` from `src` to `dst`; the handler continues
    /// with `ADDR_RESOLVED`.
    pub(crate) fn resolve_addr(&self, src: &SockAddr, dst: &SockAddr, timeout_ms: u32) -> Result {
        // SAFETY: live id (type invariant); addresses valid for the call.
        to_result(unsafe {
            ffi::rdma_resolve_addr(
                self.ptr.as_ptr(),
                src.as_sockaddr(),
                dst.as_sockaddr(),
                timeout_ms as _,
            )
        })
    }

    /// Source and destination address (read after `bind`, to learn the
    /// port rdma_cm chose).
    pub(crate) fn addrs(&self) -> (SockAddr, SockAddr) {
        id_addrs(self.ptr)
    }

    /// Gives up the owner from inside the id's own handler, so that
    /// rdma_cm destroys the id when the handler returns.
    pub(crate) fn surrender(self) -> Surrender {
        let s = Surrender(self.ptr);
        // The id's context reference is released by the handler trampoline.
        core::mem::forget(self);
        s
    }
}

impl<T: CmHandler> Drop for CmId<T> {
    fn drop(&mut self) {
        // SAFETY: live id we own (type invariant). Must not run inside this
        // id's own handler: `surrender` is the way out there. Waits for a
        // running handler; none runs for the id afterwards.
        unsafe { ffi::rdma_destroy_id(self.ptr.as_ptr()) };
        // SAFETY: the id owned this reference and is gone.
        drop(unsafe { Arc::from_raw(self.ctx) });
    }
}

/// Turns the handler's disposition into its return value, releasing the
/// id's context reference when rdma_cm is to destroy the id.
///
/// # Safety
///
/// `id` is live and its handler is running on this thread (and returns the
/// value next); `owned` says whether its context `ctx` is an `Arc<T>`
/// reference the id owns (false for a connection request not adopted).
unsafe fn finish<T: CmHandler>(
    id: *mut ffi::rdma_cm_id,
    d: Disposition,
    owned: bool,
    ctx: *const T,
) -> c_int {
    match d {
        Disposition::Keep if owned => 0,
        // Not adopted: the context is the listener's, nothing to release;
        // rdma_cm destroys the new id.
        Disposition::Keep => 1,
        Disposition::Destroy(Surrender(p)) if p.as_ptr() == id => {
            if owned {
                // SAFETY: rdma_cm destroys the id when we return non-zero
                // and calls no handler for it any more; the id owned this
                // reference (caller).
                drop(unsafe { Arc::from_raw(ctx) });
            }
            1
        }
        Disposition::Destroy(_) => {
            pr_err!("handler surrendered another id than its own: leaked\n");
            if owned {
                0
            } else {
                1
            }
        }
    }
}

/// # Safety
///
/// Called by rdma_cm only, for an id created with this handler, with a
/// valid event.
unsafe extern "C" fn handler<T: CmHandler>(
    id: *mut ffi::rdma_cm_id,
    event: *mut ffi::rdma_cm_event,
) -> c_int {
    // SAFETY: rdma_cm passes a valid event for the duration of the call.
    let ev = unsafe {
        CmEvent {
            kind: EventKind::from_raw(ffi::cmtest_event_type(event)),
            status: ffi::cmtest_event_status(event),
        }
    };
    let Some(ptr) = NonNull::new(id) else {
        return 0;
    };
    // INVARIANT: rdma_cm runs this handler with the id live and its handler
    // mutex held.
    let hid = HandlerId {
        ptr,
        _call: PhantomData,
    };
    // SAFETY: live id.
    let ctx = unsafe { ffi::cmtest_id_context(id) }.cast_const();
    if ev.kind == Some(EventKind::ConnectRequest) {
        // SAFETY: a new id's context is its listener's: an `Arc<T>`
        // reference owned by the listener id, which rdma_cm keeps alive
        // (it holds the listener's handler mutex, which rdma_destroy_id of
        // the listener waits for) while this runs.
        let listener = unsafe { ArcBorrow::from_raw(ctx.cast::<T>()) };
        let req = NewConn::<T> {
            id: hid,
            adopted: Cell::new(false),
            _ctx: PhantomData,
        };
        let d = T::connect_request(listener, &req, ev);
        // SAFETY: live id; its context now is the adopted reference, if any.
        let ctx = unsafe { ffi::cmtest_id_context(id) }.cast_const();
        // SAFETY: as required; the handler has returned.
        return unsafe { finish(id, d, req.adopted.get(), ctx.cast::<T>()) };
    }
    // SAFETY: the context is the `Arc<T>` reference the id owns; it is
    // released only after the id is destroyed, which waits for us.
    let this = unsafe { ArcBorrow::from_raw(ctx.cast::<T>()) };
    let d = T::event(this, &hid, ev);
    // SAFETY: as required; `this` is not used any more.
    unsafe { finish(id, d, true, ctx.cast::<T>()) }
}
