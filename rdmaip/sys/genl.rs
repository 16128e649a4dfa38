// SPDX-License-Identifier: GPL-2.0

//! The rdmaip generic netlink family (wraps `genl_register_family()`, the
//! genlmsg/nla helpers of `include/net/genetlink.h` and
//! `include/net/netlink.h`, and the policy tables and ops that
//! `tools/ynl-gen.sh` generates into `nl_gen.c` from the YAML spec).
//!
//! The generated ops call fixed C symbols (`rdmaip_nl_<op>_doit/_dumpit`);
//! [`genl_ops!`] defines them as trampolines into safe methods of the
//! registered [`Handlers`] implementation. genetlink validates every
//! attribute against the spec's policy and checks `CAP_NET_ADMIN` for
//! admin operations before a handler runs.
//!
//! Handlers run in process context, concurrently (`parallel_ops`), under
//! genetlink's callback rwsem, which `genl_unregister_family()` takes for
//! writing: unregistering waits for every running handler.

use crate::sys::errno::emsgsize;
use crate::sys::ffi;
use core::ffi::{c_int, c_void};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// An attribute of a request, validated by the policy.
///
/// # Invariants
///
/// Only handed out by reference while the request is being handled.
#[repr(transparent)]
pub(crate) struct Attr(Opaque<ffi::nlattr>);

impl Attr {
    fn as_ptr(&self) -> *const ffi::nlattr {
        self.0.get()
    }

    /// The payload.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the attribute is valid (type invariant); genetlink checked
        // that its length fits the message, so data/len describe readable
        // memory that lives as long as `self`.
        unsafe {
            let len = ffi::rdmaip_nla_len(self.as_ptr()).max(0) as usize;
            core::slice::from_raw_parts(ffi::rdmaip_nla_data(self.as_ptr()).cast::<u8>(), len)
        }
    }

    /// A `u8`, `u16`, `u32` or `uint` payload (the policy fixed its size).
    pub(crate) fn uint(&self) -> u64 {
        match *self.bytes() {
            [a] => a.into(),
            [a, b] => u16::from_ne_bytes([a, b]).into(),
            [a, b, c, d] => u32::from_ne_bytes([a, b, c, d]).into(),
            [a, b, c, d, e, f, g, h] => u64::from_ne_bytes([a, b, c, d, e, f, g, h]),
            _ => 0,
        }
    }

    /// A string payload without its terminating NUL (the policy bounds the
    /// length; a NUL is optional for `NLA_STRING`).
    pub(crate) fn str_bytes(&self) -> &[u8] {
        let b = self.bytes();
        b.split(|&c| c == 0).next().unwrap_or(b)
    }
}

/// A request being handled by a `doit` handler.
///
/// # Invariants
///
/// Wraps the `genl_info` genetlink passed to the handler, valid for the call.
#[repr(transparent)]
pub(crate) struct Request(Opaque<ffi::genl_info>);

impl Request {
    fn as_ptr(&self) -> *mut ffi::genl_info {
        self.0.get()
    }

    /// Attribute `kind` of the request, if present.
    pub(crate) fn attr(&self, kind: u32) -> Option<&Attr> {
        // SAFETY: valid info (type invariant); returns NULL or an attribute
        // inside the request, which outlives `self`.
        let a = unsafe { ffi::rdmaip_genl_attr(self.as_ptr(), kind) };
        // SAFETY: `Attr` is a transparent wrapper; valid while `self` is.
        NonNull::new(a.cast_mut()).map(|a| unsafe { &*a.as_ptr().cast::<Attr>() })
    }

    /// Every instance of a repeated attribute `kind`, in order. genetlink
    /// validated each against the policy; only the last one is in the
    /// parsed table, so this walks the message itself.
    pub(crate) fn each(&self, kind: u32) -> impl Iterator<Item = &[u8]> {
        let mut len = 0;
        // SAFETY: valid info; returns the attribute area of the request,
        // readable for `len` bytes while the request is handled.
        let data = unsafe { ffi::rdmaip_genl_payload(self.as_ptr(), &mut len) };
        // SAFETY: as above.
        let stream = unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len.max(0) as usize) };
        AttrStream { rest: stream }
            .filter(move |(k, _)| *k == kind)
            .map(|(_, v)| v)
    }

    /// Rejects the request with `err`, telling the caller why (and which
    /// attribute, if any) through the extended ack.
    pub(crate) fn reject(&self, err: Error, msg: &'static CStr, attr: Option<&Attr>) -> Error {
        let a = attr.map_or(ptr::null(), Attr::as_ptr);
        // SAFETY: valid info; `msg` is static, as extack requires.
        unsafe { ffi::rdmaip_genl_set_err(self.as_ptr(), msg.as_char_ptr().cast(), a) };
        err
    }

    /// The required attribute `kind`, or an `EINVAL` rejection naming it.
    pub(crate) fn require(&self, kind: u32, missing: &'static CStr) -> Result<&Attr> {
        self.attr(kind)
            .ok_or_else(|| self.reject(EINVAL, missing, None))
    }

    /// Whether the request came from the initial network namespace, the
    /// only one RDMA devices (and so rdmaip) work in.
    pub(crate) fn in_init_net(&self) -> bool {
        // SAFETY: valid info.
        unsafe { ffi::rdmaip_genl_info_in_init_net(self.as_ptr()) }
    }

    /// Starts a reply to this request.
    pub(crate) fn reply(&self) -> Result<Message> {
        let mut hdr = ptr::null_mut();
        // SAFETY: valid info; `hdr` is writable.
        let skb = unsafe { ffi::rdmaip_genl_reply_new(self.as_ptr(), &mut hdr) };
        // INVARIANT: a fresh skb with a started header that we own.
        Ok(Message {
            skb: NonNull::new(skb).ok_or(ENOMEM)?,
            hdr,
        })
    }

    /// Sends a finished reply.
    pub(crate) fn send(&self, msg: Message) -> Result {
        let skb = msg.finish();
        // SAFETY: valid info; `genlmsg_reply` consumes the skb.
        to_result(unsafe { ffi::rdmaip_genlmsg_reply(skb.as_ptr(), self.as_ptr()) })
    }
}

/// Walks a stream of netlink attributes (`nla_len`, `nla_type`, payload,
/// padded to 4 bytes); stops at anything inconsistent.
struct AttrStream<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for AttrStream<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let head = self.rest.get(..4)?;
        // Indexes 0 to 3 of a slice of 4 bytes: in range by construction.
        let len = u16::from_ne_bytes([head[0], head[1]]) as usize;
        let kind = u32::from(u16::from_ne_bytes([head[2], head[3]]) & 0x3fff);
        let payload = self.rest.get(4..len)?;
        self.rest = self.rest.get((len + 3) & !3..).unwrap_or(&[]);
        Some((kind, payload))
    }
}

/// Writes attributes into a netlink message.
///
/// # Invariants
///
/// `skb` is a valid socket buffer the writer may append to.
pub(crate) struct Writer<'a> {
    skb: NonNull<ffi::sk_buff>,
    _lifetime: core::marker::PhantomData<&'a mut ffi::sk_buff>,
}

impl Writer<'_> {
    /// Appends attribute `kind` with `data` as payload (`EMSGSIZE` when the
    /// message is full).
    pub(crate) fn put(&mut self, kind: u32, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| emsgsize())?;
        // SAFETY: valid skb (type invariant); `data` is readable for `len`.
        to_result(unsafe {
            ffi::nla_put(self.skb.as_ptr(), kind as c_int, len, data.as_ptr().cast())
        })
    }

    /// A NUL-terminated string attribute.
    pub(crate) fn put_str(&mut self, kind: u32, s: &[u8]) -> Result {
        let mut buf = [0u8; 80];
        // In range by construction: `n` is at most `s.len()` and
        // `buf.len() - 1`.
        let n = s.len().min(buf.len() - 1);
        buf[..n].copy_from_slice(&s[..n]);
        self.put(kind, &buf[..=n])
    }

    /// A `u32` attribute.
    pub(crate) fn put_u32(&mut self, kind: u32, v: u32) -> Result {
        self.put(kind, &v.to_ne_bytes())
    }

    /// A variable-width `uint` attribute (`NLA_UINT`).
    pub(crate) fn put_uint(&mut self, kind: u32, v: u64) -> Result {
        // SAFETY: valid skb.
        to_result(unsafe { ffi::rdmaip_nla_put_uint(self.skb.as_ptr(), kind as c_int, v) })
    }
}

/// A whole generic netlink message under construction (reply or
/// notification); freed if dropped unsent.
///
/// # Invariants
///
/// We own `skb`; `hdr` is the genetlink header started in it.
pub(crate) struct Message {
    skb: NonNull<ffi::sk_buff>,
    hdr: *mut c_void,
}

impl Message {
    /// Starts a notification with command `cmd`.
    pub(crate) fn notification(cmd: u32) -> Result<Self> {
        let mut hdr = ptr::null_mut();
        // SAFETY: `hdr` is writable; `cmd` is one of the family's commands.
        let skb = unsafe { ffi::rdmaip_genl_ntf_new(cmd as u8, &mut hdr) };
        // INVARIANT: fresh skb with a started header.
        Ok(Message {
            skb: NonNull::new(skb).ok_or(ENOMEM)?,
            hdr,
        })
    }

    /// The attribute writer.
    pub(crate) fn writer(&mut self) -> Writer<'_> {
        // INVARIANT: we own the skb for the writer's lifetime.
        Writer {
            skb: self.skb,
            _lifetime: core::marker::PhantomData,
        }
    }

    fn finish(self) -> NonNull<ffi::sk_buff> {
        let skb = self.skb;
        // SAFETY: our skb and its header.
        unsafe { ffi::rdmaip_genlmsg_end(skb.as_ptr(), self.hdr) };
        core::mem::forget(self);
        skb
    }

    /// Sends a finished notification to multicast group `group` (if anyone
    /// listens; a missing listener is not an error).
    pub(crate) fn multicast(self, group: u32) -> Result {
        // Events raised while the module loads or unloads, when the family
        // is not registered, have nobody to go to.
        if HANDLERS.load(Ordering::Acquire).is_null() {
            return Ok(());
        }
        // SAFETY: the family is a static that outlives the module's code;
        // the module registers it before any event source and unregisters it
        // after all of them, so it is registered here.
        if !unsafe { ffi::rdmaip_genl_has_listeners(group) } {
            return Ok(());
        }
        let skb = self.finish();
        // SAFETY: consumes the skb.
        match unsafe { ffi::rdmaip_genl_multicast(skb.as_ptr(), group) } {
            0 => Ok(()),
            e if e == -(ESRCH.to_errno()) => Ok(()),
            e => Err(Error::from_errno(e)),
        }
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        // SAFETY: we own the skb and it was never sent.
        unsafe { ffi::rdmaip_nlmsg_free(self.skb.as_ptr()) };
    }
}

/// A dump in progress: objects are appended until the buffer is full, and
/// the dump is resumed from the position kept in the callback's scratch
/// space.
///
/// # Invariants
///
/// `skb` and `cb` are the buffer and callback genetlink passed to the
/// `dumpit` handler, valid for the call.
pub(crate) struct Dump {
    skb: NonNull<ffi::sk_buff>,
    cb: NonNull<ffi::netlink_callback>,
}

impl Dump {
    /// The position to resume from (0 at the start of the dump).
    pub(crate) fn position(&self) -> u64 {
        // SAFETY: `cb->ctx` is scratch space owned by this dump, at least
        // 8 bytes and suitably aligned.
        unsafe { *self.ctx() }
    }

    /// Records the position to resume from.
    pub(crate) fn set_position(&mut self, pos: u64) {
        // SAFETY: as in `position`.
        unsafe { *self.ctx() = pos };
    }

    /// Sets the generation of the state this part of the dump reads (never
    /// 0): an object written after the generation changed since the
    /// previous part is flagged `NLM_F_DUMP_INTR`, so the reader knows to
    /// dump again.
    pub(crate) fn set_generation(&mut self, generation: u32) {
        // SAFETY: valid callback (type invariant), owned by this dump.
        unsafe { ffi::rdmaip_genl_dump_set_seq(self.cb.as_ptr(), generation) };
    }

    /// Attribute `kind` of the dump request (a filter), if present.
    /// genetlink validated it against the dump's policy.
    pub(crate) fn attr(&self, kind: u32) -> Option<&Attr> {
        // SAFETY: valid callback (type invariant); returns NULL or an
        // attribute inside the request, which outlives the dump call.
        let a = unsafe { ffi::rdmaip_genl_dump_attr(self.cb.as_ptr(), kind) };
        // SAFETY: `Attr` is a transparent wrapper; valid while `self` is.
        NonNull::new(a.cast_mut()).map(|a| unsafe { &*a.as_ptr().cast::<Attr>() })
    }

    /// Whether the dump was asked for from the initial network namespace.
    pub(crate) fn in_init_net(&self) -> bool {
        // SAFETY: valid callback; its skb and socket live for the call.
        unsafe { ffi::rdmaip_genl_dump_in_init_net(self.cb.as_ptr()) }
    }

    fn ctx(&self) -> *mut u64 {
        let mut len = 0;
        // SAFETY: valid callback.
        let ctx = unsafe { ffi::rdmaip_genl_dump_ctx(self.cb.as_ptr(), &mut len) };
        kernel::build_assert!(core::mem::size_of::<u64>() <= 48);
        ctx.cast()
    }

    /// Appends one object written by `fill`. Returns `Ok(false)`, with the
    /// partial object removed, when the buffer is full: the caller stops and
    /// genetlink calls again with an empty buffer.
    pub(crate) fn object(&mut self, fill: impl FnOnce(&mut Writer<'_>) -> Result) -> Result<bool> {
        // SAFETY: valid skb and callback.
        let hdr = unsafe { ffi::rdmaip_genl_dump_put(self.skb.as_ptr(), self.cb.as_ptr()) };
        if hdr.is_null() {
            return Ok(false);
        }
        let mut w = Writer {
            skb: self.skb,
            _lifetime: core::marker::PhantomData,
        };
        match fill(&mut w) {
            Ok(()) => {
                // SAFETY: the header we just started.
                unsafe { ffi::rdmaip_genlmsg_end(self.skb.as_ptr(), hdr) };
                Ok(true)
            }
            Err(e) => {
                // SAFETY: as above; removes the partial object.
                unsafe { ffi::rdmaip_genlmsg_cancel(self.skb.as_ptr(), hdr) };
                if e == emsgsize() {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// What the `dumpit` handler returns: the bytes written so far (0 ends
    /// the dump).
    fn result(&self) -> c_int {
        // SAFETY: valid skb.
        unsafe { ffi::rdmaip_skb_len(self.skb.as_ptr()) as c_int }
    }
}

/// The operations of the family, implemented in safe code.
pub(crate) trait Handlers: Send + Sync + 'static {
    /// Handles a `doit` request; `Ok` sends nothing unless the handler
    /// replied itself.
    fn doit(&self, op: Op, req: &Request) -> Result;
    /// Appends objects to a dump, from `dump.position()` on, until done or
    /// the buffer is full; genetlink calls again until nothing is added.
    fn dumpit(&self, op: Op, dump: &mut Dump) -> Result;
}

/// The family's operations, as the spec names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    GroupNew,
    GroupDel,
    GroupGet,
    GroupSet,
    PortAdd,
    PortDel,
    PortGet,
    AddrGet,
    PortDrain,
    PortUndrain,
    ModuleGet,
    ModuleSet,
    ProbeGet,
}

/// What `HANDLERS` points to: the registered handlers, of any type.
struct Registered(Arc<dyn Handlers>);

/// The registered handlers: the generated ops carry no context pointer.
/// Set before `genl_register_family()`, cleared after unregistering, which
/// waits for every running handler.
static HANDLERS: AtomicPtr<Registered> = AtomicPtr::new(ptr::null_mut());

/// A registered family; unregisters on drop.
///
/// # Invariants
///
/// `rdmaip_nl_family` is registered and `HANDLERS` points to `_registered`'s
/// contents.
pub(crate) struct Registration {
    /// Owned here, used through the static pointer.
    _registered: KBox<Registered>,
}

impl Registration {
    /// Registers the family with `handlers` serving its operations. Only
    /// one registration may exist (`EBUSY`).
    pub(crate) fn register<T: Handlers>(handlers: Arc<T>) -> Result<Self> {
        let handlers: Arc<dyn Handlers> = handlers;
        let registered = KBox::new(Registered(handlers), GFP_KERNEL)?;
        let raw = ptr::from_ref::<Registered>(&registered).cast_mut();
        HANDLERS
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| EBUSY)?;
        // SAFETY: the generated family is a valid static; registering it
        // once is what it is for.
        let ret = unsafe { ffi::genl_register_family(ptr::addr_of_mut!(ffi::rdmaip_nl_family)) };
        if ret != 0 {
            HANDLERS.store(ptr::null_mut(), Ordering::Release);
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: registered, `HANDLERS` set.
        Ok(Self {
            _registered: registered,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered by the type invariant; waits for handlers.
        unsafe { ffi::genl_unregister_family(ptr::addr_of!(ffi::rdmaip_nl_family)) };
        HANDLERS.store(ptr::null_mut(), Ordering::Release);
    }
}

/// # Safety
///
/// Only called from a generated op while the family is registered.
unsafe fn handlers<'a>() -> &'a dyn Handlers {
    // SAFETY: set to a live `Registered` for as long as the family is
    // registered.
    unsafe { &*(*HANDLERS.load(Ordering::Acquire)).0 }
}

/// # Safety
///
/// `info` must be the request genetlink passed to a doit handler of the
/// registered family.
unsafe fn doit(op: Op, info: *mut ffi::genl_info) -> c_int {
    // SAFETY: by the caller's contract.
    let (h, req) = unsafe { (handlers(), &*info.cast::<Request>()) };
    match h.doit(op, req) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// `skb` and `cb` must be what genetlink passed to a dumpit handler of the
/// registered family.
unsafe fn dumpit(op: Op, skb: *mut ffi::sk_buff, cb: *mut ffi::netlink_callback) -> c_int {
    let (Some(skb), Some(cb)) = (NonNull::new(skb), NonNull::new(cb)) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: genetlink's buffer and callback, valid for this call.
    let mut dump = Dump { skb, cb };
    // SAFETY: by the caller's contract.
    let h = unsafe { handlers() };
    // A call that adds nothing returns 0, which ends the dump.
    match h.dumpit(op, &mut dump) {
        Ok(()) => dump.result(),
        Err(e) => e.to_errno(),
    }
}

/// Defines the C entry points the generated ops call (`nl_gen.h`),
/// forwarding each to [`doit`] / [`dumpit`] with its [`Op`].
macro_rules! genl_ops {
    (doit: $($d:ident => $dop:ident),* ; dumpit: $($u:ident => $uop:ident),* $(,)?) => {
        $(
            /// # Safety
            ///
            /// Called by genetlink only, for the registered family.
            #[no_mangle]
            unsafe extern "C" fn $d(_skb: *mut ffi::sk_buff, info: *mut ffi::genl_info) -> c_int {
                // SAFETY: called by genetlink for the registered family.
                unsafe { doit(Op::$dop, info) }
            }
        )*
        $(
            /// # Safety
            ///
            /// Called by genetlink only, for the registered family.
            #[no_mangle]
            unsafe extern "C" fn $u(skb: *mut ffi::sk_buff, cb: *mut ffi::netlink_callback) -> c_int {
                // SAFETY: called by genetlink for the registered family.
                unsafe { dumpit(Op::$uop, skb, cb) }
            }
        )*
    };
}

genl_ops!(
    doit:
        rdmaip_nl_group_new_doit => GroupNew,
        rdmaip_nl_group_del_doit => GroupDel,
        rdmaip_nl_group_get_doit => GroupGet,
        rdmaip_nl_group_set_doit => GroupSet,
        rdmaip_nl_port_add_doit => PortAdd,
        rdmaip_nl_port_del_doit => PortDel,
        rdmaip_nl_port_get_doit => PortGet,
        rdmaip_nl_port_drain_doit => PortDrain,
        rdmaip_nl_port_undrain_doit => PortUndrain,
        rdmaip_nl_module_get_doit => ModuleGet,
        rdmaip_nl_module_set_doit => ModuleSet;
    dumpit:
        rdmaip_nl_group_get_dumpit => GroupGet,
        rdmaip_nl_port_get_dumpit => PortGet,
        rdmaip_nl_addr_get_dumpit => AddrGet,
        rdmaip_nl_probe_get_dumpit => ProbeGet,
);
