// SPDX-License-Identifier: GPL-2.0

//! The test's rdma_cm ids: a table of named ids, what each one received,
//! and the commands that create and destroy them. Safe code on top of
//! [`crate::cm`].
//!
//! Locking: the table mutex is never held across an rdma_cm call, because
//! handlers (which run with rdma_cm's handler mutex held) take it to add
//! accepted ids; an id's owner slot is a spinlock held only to put the
//! owner in or take it out, and the owner is dropped (`rdma_destroy_id()`)
//! after the lock is released. Whoever takes the owner out destroys the
//! id: the control path by dropping it, a handler by surrendering it to
//! rdma_cm. Contexts stay alive after their id is destroyed (in the table,
//! or in the graveyard for ids that left it) until the module unloads, so
//! that an event delivered to a destroyed id is counted (`late_events`)
//! instead of touching freed memory.

use crate::cm::{CmEvent, CmHandler, CmId, Disposition, EventKind, HandlerId, NewConn, SockAddr};
use crate::sys;
use crate::text::Out;
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, ArcBorrow, Mutex, SpinLock};
use kernel::{fmt, new_mutex, new_spinlock};

const ROUTE_TIMEOUT_MS: u32 = 2000;
const ADDR_TIMEOUT_MS: u32 = 2000;

/// What an id is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Listener,
    Bound,
    Active,
    Child,
    Stress,
}

/// Where an id is in its life (as `ids` prints it).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum State {
    Idle = 0,
    Bound,
    Listening,
    Resolving,
    Connecting,
    Connected,
    Disconnected,
    Error,
}

impl State {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Bound,
            2 => Self::Listening,
            3 => Self::Resolving,
            4 => Self::Connecting,
            5 => Self::Connected,
            6 => Self::Disconnected,
            7 => Self::Error,
            _ => Self::Idle,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Bound => "bound",
            Self::Listening => "listening",
            Self::Resolving => "resolving",
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Error => "error",
        }
    }
}

const ALIVE: u8 = 0;
const DESTROYED_BY_USER: u8 = 1;
const DESTROYED_BY_HANDLER: u8 = 2;

/// One id's context: its handler, counters and owner.
#[pin_data]
pub(crate) struct Ctx {
    tester: Arc<Tester>,
    name: CString,
    role: Role,
    state: AtomicU8,
    /// `ALIVE`, or who destroyed the id.
    destroyed: AtomicU8,
    /// Events (bit per [`EventKind`]) after which the handler asks rdma_cm
    /// to destroy the id.
    destroy_on: AtomicU32,
    counts: [AtomicU64; 16],
    late: AtomicU64,
    /// Accepted connections, for naming them.
    children: AtomicU32,
    last_status: AtomicU32,
    #[pin]
    addrs: SpinLock<(SockAddr, SockAddr)>,
    #[pin]
    owner: SpinLock<Option<CmId<Ctx>>>,
}

impl Ctx {
    fn new(tester: &Arc<Tester>, name: CString, role: Role, destroy_on: u32) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                tester: tester.clone(),
                name,
                role,
                state: AtomicU8::new(State::Idle as u8),
                destroyed: AtomicU8::new(ALIVE),
                destroy_on: AtomicU32::new(destroy_on),
                counts: [const { AtomicU64::new(0) }; 16],
                late: AtomicU64::new(0),
                children: AtomicU32::new(0),
                last_status: AtomicU32::new(0),
                addrs <- new_spinlock!((SockAddr::none(), SockAddr::none())),
                owner <- new_spinlock!(None),
            }),
            GFP_KERNEL,
        )
    }

    fn set_state(&self, s: State) {
        self.state.store(s as u8, Relaxed);
    }

    fn set_addrs(&self, a: (SockAddr, SockAddr)) {
        *self.addrs.lock() = a;
    }

    fn is_destroyed(&self) -> bool {
        self.destroyed.load(Relaxed) != ALIVE
    }

    /// Destroys the id from the control path, unless a handler already
    /// gave it to rdma_cm. Returns whether this call destroyed it.
    fn destroy(&self) -> bool {
        let owner = self.owner.lock().take();
        match owner {
            Some(owner) => {
                // rdma_destroy_id(); no handler runs for the id afterwards.
                drop(owner);
                self.destroyed.store(DESTROYED_BY_USER, Relaxed);
                true
            }
            None => false,
        }
    }

    /// From inside the id's handler: hands the id to rdma_cm for
    /// destruction, if the control path is not destroying it right now.
    fn surrender(&self) -> Disposition {
        let owner = self.owner.lock().take();
        match owner {
            Some(owner) => {
                self.destroyed.store(DESTROYED_BY_HANDLER, Relaxed);
                Disposition::Destroy(owner.surrender())
            }
            None => Disposition::Keep,
        }
    }

    /// Counts an event; `false` if the id was already destroyed (a late
    /// event, which must never happen).
    fn count(&self, event: &CmEvent) -> bool {
        if self.is_destroyed() {
            self.late.fetch_add(1, Relaxed);
            self.tester.late.fetch_add(1, Relaxed);
            pr_err!(
                "{}: event {} after the id was destroyed\n",
                self.name.to_str().unwrap_or("?"),
                event.kind.map_or("?", EventKind::name)
            );
            return false;
        }
        if let Some(k) = event.kind {
            self.counts[k.index()].fetch_add(1, Relaxed);
        }
        if event.status != 0 {
            self.last_status.store(event.status as u32, Relaxed);
        }
        if self.role == Role::Stress {
            let s = &self.tester.stress;
            s.events.fetch_add(1, Relaxed);
            if event.kind == Some(EventKind::AddrChange) {
                s.addr_change.fetch_add(1, Relaxed);
            }
        }
        true
    }

    fn wants_destroy(&self, kind: Option<EventKind>) -> bool {
        match kind {
            // The consumer must let go of a removed device's ids.
            Some(EventKind::DeviceRemoval) => true,
            Some(k) => self.destroy_on.load(Relaxed) & (1 << k.index()) != 0,
            None => false,
        }
    }

    fn report(&self, out: &mut Out) -> core::fmt::Result {
        let (src, dst) = *self.addrs.lock();
        write!(
            out,
            "{} state={} addr={}",
            self.name.to_str().unwrap_or("?"),
            State::from_u8(self.state.load(Relaxed)).name(),
            src.with_port()
        )?;
        if matches!(self.role, Role::Active | Role::Child) {
            write!(out, " peer={}", dst.with_port())?;
        }
        out.write_str(" events:")?;
        for k in EventKind::ALL {
            write!(
                out,
                " {}={}",
                k.name(),
                self.counts[k.index()].load(Relaxed)
            )?;
        }
        let destroyed = self.destroyed.load(Relaxed);
        write!(
            out,
            " late={} status={}",
            self.late.load(Relaxed),
            self.last_status.load(Relaxed) as i32
        )?;
        if self.role == Role::Listener {
            write!(out, " children={}", self.children.load(Relaxed))?;
        }
        let by = match destroyed {
            DESTROYED_BY_USER => " destroyed_by=user",
            DESTROYED_BY_HANDLER => " destroyed_by=handler",
            _ => "",
        };
        writeln!(out, " destroyed={}{}", (destroyed != ALIVE) as u8, by)
    }
}

impl CmHandler for Ctx {
    fn event(this: ArcBorrow<'_, Self>, id: &HandlerId<'_>, event: CmEvent) -> Disposition {
        if !this.count(&event) {
            return Disposition::Keep;
        }
        match event.kind {
            Some(EventKind::AddrResolved) => {
                this.set_addrs(id.addrs());
                if id.resolve_route(ROUTE_TIMEOUT_MS).is_err() {
                    this.set_state(State::Error);
                }
            }
            Some(EventKind::RouteResolved) => {
                let s = if id.connect(this.tester.next_qpn()).is_ok() {
                    State::Connecting
                } else {
                    State::Error
                };
                this.set_state(s);
            }
            // No QP on the id: rdma_cm leaves the RTU to us.
            Some(EventKind::ConnectResponse) => {
                let s = if id.accept_response().is_ok() {
                    State::Connected
                } else {
                    State::Error
                };
                this.set_state(s);
            }
            Some(EventKind::Established) => this.set_state(State::Connected),
            Some(EventKind::Disconnected) => this.set_state(State::Disconnected),
            Some(
                EventKind::AddrError
                | EventKind::RouteError
                | EventKind::ConnectError
                | EventKind::Unreachable
                | EventKind::Rejected,
            ) => this.set_state(State::Error),
            _ => {}
        }
        if this.wants_destroy(event.kind) {
            this.surrender()
        } else {
            Disposition::Keep
        }
    }

    fn connect_request(
        listener: ArcBorrow<'_, Self>,
        req: &NewConn<'_, Self>,
        event: CmEvent,
    ) -> Disposition {
        if listener.is_destroyed() {
            listener.count(&event);
            return Disposition::Keep; // not adopted: rdma_cm destroys it
        }
        let n = listener.children.fetch_add(1, Relaxed);
        let name = match CString::try_from_fmt(fmt!(
            "{}.child{}",
            listener.name.to_str().unwrap_or("?"),
            n
        )) {
            Ok(n) => n,
            Err(_) => return Disposition::Keep,
        };
        let destroy_on =
            listener.destroy_on.load(Relaxed) & !(1 << EventKind::ConnectRequest.index());
        let Ok(child) = Ctx::new(&listener.tester, name, Role::Child, destroy_on) else {
            return Disposition::Keep;
        };
        child.count(&event);
        child.set_addrs(req.id().addrs());
        let Ok(owner) = req.adopt(child.clone()) else {
            return Disposition::Keep;
        };
        let accepted = req.id().accept(listener.tester.next_qpn());
        child.set_state(if accepted.is_ok() {
            State::Connecting
        } else {
            State::Error
        });
        // Listed before any other event can arrive for it: rdma_cm holds
        // its handler mutex until we return.
        if accepted.is_err() || listener.tester.add(child.clone()).is_err() {
            listener.tester.bury(child.clone());
            child.destroyed.store(DESTROYED_BY_HANDLER, Relaxed);
            return Disposition::Destroy(owner.surrender());
        }
        *child.owner.lock() = Some(owner);
        Disposition::Keep
    }
}

/// Counters of the stress runs.
#[derive(Default)]
struct StressStats {
    runs: AtomicU64,
    running: AtomicU64,
    created: AtomicU64,
    destroyed: AtomicU64,
    handler_destroyed: AtomicU64,
    create_errors: AtomicU64,
    bind_errors: AtomicU64,
    listening: AtomicU64,
    events: AtomicU64,
    addr_change: AtomicU64,
}

/// Everything the test module tracks.
#[pin_data]
pub(crate) struct Tester {
    #[pin]
    table: Mutex<KVec<Arc<Ctx>>>,
    /// Contexts of ids no longer in the table, kept until unload.
    #[pin]
    graveyard: Mutex<KVec<Arc<Ctx>>>,
    late: AtomicU64,
    qpn: AtomicU32,
    stress: StressStats,
}

impl Tester {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                table <- new_mutex!(KVec::new()),
                graveyard <- new_mutex!(KVec::new()),
                late: AtomicU64::new(0),
                // Any 24-bit numbers do (there are no QPs); start somewhere
                // random so that two nodes rarely use the same ones.
                qpn: AtomicU32::new(0x1000 + (sys::random() & 0x3ffff)),
                stress: StressStats::default(),
            }),
            GFP_KERNEL,
        )
    }

    fn next_qpn(&self) -> u32 {
        0x100 + (self.qpn.fetch_add(1, Relaxed) & 0x7f_ffff)
    }

    fn add(&self, ctx: Arc<Ctx>) -> Result {
        let mut t = self.table.lock();
        if t.iter().any(|c| c.name.as_bytes() == ctx.name.as_bytes()) {
            return Err(EEXIST);
        }
        t.push(ctx, GFP_KERNEL)?;
        Ok(())
    }

    fn bury(&self, ctx: Arc<Ctx>) {
        // On allocation failure the context is freed; with its id destroyed
        // that only loses late-event detection for it.
        let _ = self.graveyard.lock().push(ctx, GFP_KERNEL);
    }

    fn find(&self, name: &str) -> Option<Arc<Ctx>> {
        self.table
            .lock()
            .iter()
            .find(|c| c.name.as_bytes() == name.as_bytes())
            .cloned()
    }

    fn name_taken(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Creates an id named `name` and lists it once `setup` succeeded.
    fn create(
        self: &Arc<Self>,
        name: &str,
        role: Role,
        setup: impl FnOnce(&Ctx, &CmId<Ctx>) -> Result,
    ) -> Result {
        if name.is_empty() || name.contains('.') || self.name_taken(name) {
            return Err(if self.name_taken(name) {
                EEXIST
            } else {
                EINVAL
            });
        }
        let ctx = Ctx::new(self, CString::try_from_fmt(fmt!("{}", name))?, role, 0)?;
        let id = CmId::create(ctx.clone())?;
        if let Err(e) = setup(&ctx, &id) {
            drop(id);
            return Err(e);
        }
        *ctx.owner.lock() = Some(id);
        if let Err(e) = self.add(ctx.clone()) {
            ctx.destroy();
            self.bury(ctx);
            return Err(e);
        }
        Ok(())
    }

    /// `listen NAME ADDR PORT`
    fn listen(self: &Arc<Self>, name: &str, addr: SockAddr) -> Result {
        self.create(name, Role::Listener, |ctx, id| {
            id.bind(&addr)?;
            id.listen(16)?;
            ctx.set_addrs(id.addrs());
            ctx.set_state(State::Listening);
            Ok(())
        })
    }

    /// `bind NAME ADDR [PORT]`
    fn bind(self: &Arc<Self>, name: &str, addr: SockAddr) -> Result {
        self.create(name, Role::Bound, |ctx, id| {
            id.bind(&addr)?;
            ctx.set_addrs(id.addrs());
            ctx.set_state(State::Bound);
            Ok(())
        })
    }

    /// `connect NAME SRCADDR DSTADDR PORT`
    fn connect(self: &Arc<Self>, name: &str, src: SockAddr, dst: SockAddr) -> Result {
        self.create(name, Role::Active, |ctx, id| {
            ctx.set_addrs((src, dst));
            ctx.set_state(State::Resolving);
            id.resolve_addr(&src, &dst, ADDR_TIMEOUT_MS)
        })
    }

    /// `destroy NAME`
    fn destroy(&self, name: &str) -> Result {
        let ctx = self.find(name).ok_or(ENOENT)?;
        if ctx.destroy() {
            Ok(())
        } else {
            Err(ENOENT)
        }
    }

    /// `destroy-on NAME EVENT[,EVENT...]|none`
    fn destroy_on(&self, name: &str, events: &str) -> Result {
        let ctx = self.find(name).ok_or(ENOENT)?;
        let mut mask = 0u32;
        if events != "none" {
            for e in events.split(',') {
                mask |= 1 << EventKind::parse(e).ok_or(EINVAL)?.index();
            }
        }
        ctx.destroy_on.store(mask, Relaxed);
        Ok(())
    }

    /// `reset`: destroys every id and forgets the table (the contexts
    /// stay, to catch late events).
    pub(crate) fn reset(&self) {
        let all = core::mem::take(&mut *self.table.lock());
        for ctx in all.iter() {
            ctx.destroy();
        }
        let mut g = self.graveyard.lock();
        for ctx in all {
            let _ = g.push(ctx, GFP_KERNEL);
        }
    }

    /// At unload, after every id is destroyed: frees the contexts (which
    /// refer back to us).
    pub(crate) fn shutdown(&self) {
        // A connection request that raced with the listener's destruction
        // may have added an id after the table was emptied: once every
        // listener is gone, no new one can appear.
        loop {
            self.reset();
            if self.table.lock().is_empty() {
                break;
            }
        }
        let g = core::mem::take(&mut *self.graveyard.lock());
        drop(g);
    }

    /// `stress ADDR SECONDS`: for `secs` seconds, creates ids bound to
    /// `addr` (port 0), half of them listening and a third destroyed by
    /// their handler on `ADDR_CHANGE`, keeps up to 8 alive for up to 50 ms
    /// each, and destroys them. Runs in the writer's context (the write
    /// returns when it is done).
    fn stress(self: &Arc<Self>, addr: SockAddr, secs: u32) -> Result {
        let s = &self.stress;
        s.runs.fetch_add(1, Relaxed);
        s.running.fetch_add(1, Relaxed);
        let end = sys::now_ms() + i64::from(secs) * 1000;
        // Live ids and when each is destroyed.
        let mut live: [Option<(Arc<Ctx>, i64)>; 8] = Default::default();
        let mut result = Ok(());
        while sys::now_ms() < end {
            let now = sys::now_ms();
            for slot in live.iter_mut() {
                if slot.as_ref().is_some_and(|(_, at)| *at <= now) {
                    if let Some((ctx, _)) = slot.take() {
                        self.stress_destroy(&ctx);
                    }
                }
            }
            if let Some(slot) = live.iter_mut().find(|s| s.is_none()) {
                match self.stress_one(addr) {
                    Ok(new) => *slot = new,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            sys::msleep(sys::random() % 10);
        }
        for (ctx, _) in live.iter().flatten() {
            self.stress_destroy(ctx);
        }
        s.running.fetch_sub(1, Relaxed);
        result
    }

    /// Creates one stress id; `None` if rdma_cm refused it (counted).
    fn stress_one(self: &Arc<Self>, addr: SockAddr) -> Result<Option<(Arc<Ctx>, i64)>> {
        let s = &self.stress;
        let r = sys::random();
        let destroy_on = if r % 3 == 0 {
            1 << EventKind::AddrChange.index()
        } else {
            0
        };
        let ctx = Ctx::new(
            self,
            CString::try_from_fmt(fmt!("stress"))?,
            Role::Stress,
            destroy_on,
        )?;
        self.graveyard.lock().push(ctx.clone(), GFP_KERNEL)?;
        let id = match CmId::create(ctx.clone()) {
            Ok(id) => id,
            Err(_) => {
                s.create_errors.fetch_add(1, Relaxed);
                ctx.destroyed.store(DESTROYED_BY_USER, Relaxed);
                return Ok(None);
            }
        };
        // The address is missing while it moves: that is expected.
        if id.bind(&addr.without_port()).is_err() {
            s.bind_errors.fetch_add(1, Relaxed);
            drop(id);
            ctx.destroyed.store(DESTROYED_BY_USER, Relaxed);
            return Ok(None);
        }
        if (r >> 8) % 2 == 0 && id.listen(4).is_ok() {
            s.listening.fetch_add(1, Relaxed);
        }
        ctx.set_addrs(id.addrs());
        *ctx.owner.lock() = Some(id);
        s.created.fetch_add(1, Relaxed);
        Ok(Some((ctx, sys::now_ms() + i64::from((r >> 16) % 50))))
    }

    fn stress_destroy(&self, ctx: &Ctx) {
        if ctx.destroy() {
            self.stress.destroyed.fetch_add(1, Relaxed);
        } else {
            self.stress.handler_destroyed.fetch_add(1, Relaxed);
        }
    }

    /// Runs one command written to `control`.
    pub(crate) fn command(self: &Arc<Self>, line: &str) -> Result {
        let (w, n) = crate::text::words::<6>(line).ok_or(EINVAL)?;
        let port = |s: &str| s.parse::<u16>().map_err(|_| EINVAL);
        match (w[0], n) {
            ("listen", 4) => self.listen(w[1], SockAddr::parse(w[2], port(w[3])?)?),
            ("bind", 3) => self.bind(w[1], SockAddr::parse(w[2], 0)?),
            ("bind", 4) => self.bind(w[1], SockAddr::parse(w[2], port(w[3])?)?),
            ("connect", 5) => self.connect(
                w[1],
                SockAddr::parse(w[2], 0)?,
                SockAddr::parse(w[3], port(w[4])?)?,
            ),
            ("destroy", 2) => self.destroy(w[1]),
            ("destroy-on", 3) => self.destroy_on(w[1], w[2]),
            ("reset", 1) => {
                self.reset();
                Ok(())
            }
            ("stress", 3) => {
                let secs = w[2].parse::<u32>().map_err(|_| EINVAL)?;
                if secs > 3600 {
                    return Err(EINVAL);
                }
                self.stress(SockAddr::parse(w[1], 0)?, secs)
            }
            _ => Err(EINVAL),
        }
    }

    /// The `ids` file.
    pub(crate) fn report(&self, out: &mut Out) -> Result {
        let r = (|| -> core::fmt::Result {
            for ctx in self.table.lock().iter() {
                ctx.report(out)?;
            }
            writeln!(out, "late_events={}", self.late.load(Relaxed))?;
            let s = &self.stress;
            writeln!(
                out,
                "stress runs={} running={} created={} destroyed={} handler_destroyed={} create_errors={} \
                 bind_errors={} listening={} events={} addr_change={}",
                s.runs.load(Relaxed),
                s.running.load(Relaxed),
                s.created.load(Relaxed),
                s.destroyed.load(Relaxed),
                s.handler_destroyed.load(Relaxed),
                s.create_errors.load(Relaxed),
                s.bind_errors.load(Relaxed),
                s.listening.load(Relaxed),
                s.events.load(Relaxed),
                s.addr_change.load(Relaxed)
            )
        })();
        r.map_err(|_| ENOMEM)
    }
}
