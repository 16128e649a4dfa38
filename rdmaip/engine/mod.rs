// SPDX-License-Identifier: GPL-2.0

//! The failover engine: carries out what `logic::group::plan` decides.
//!
//! One pass, run by the [`Worker`] whenever a member's health, a drain or
//! a group changes, and when a failback delay or an announcement is due:
//!
//! 1. under the registry lock, plan every group's moves and take what the
//!    moves need (addresses, interface indexes, netdev references);
//! 2. with no lock held, move each address the way `ip addr` would:
//!    `RTM_DELADDR` on the old port's netdev, `RTM_NEWADDR` on the new one
//!    (IPv6 with `IFA_F_NODAD`, so it is usable at once), then announce it
//!    to the peers (gratuitous ARP / unsolicited NA);
//! 3. under the lock again, record where each address now is;
//! 4. with no lock held, send the netlink events, and arm the timer for the
//!    next failback or announcement.
//!
//! Passes never overlap (the worker's workqueue is ordered), so the tables
//! and the kernel's addresses cannot be changed by two passes at once.

use crate::logic::group::{
    group_up, next_deadline, plan, Member, MoveReason, Placement, MAX_MEMBERS, NS_PER_MS,
};
use crate::logic::rtaddr::{self, AddrInfo, IpAddr};
use crate::output::monitor;
use crate::state::groups::{Addr, Group};
use crate::state::ports::{PortInfo, PortRegistry, Tables};
use crate::sys::clock::{mono_ns, WallTime};
use crate::sys::cm_ids;
use crate::sys::ffi;
use crate::sys::ib::IbDeviceRef;
use crate::sys::names::IfName;
use crate::sys::netdev::NetDevRef;
use crate::sys::rtnl_sock::RtnlSocket;
use crate::sys::ulp_api::{self, MoveEnd};
use crate::sys::workq::{Job, Worker};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Why an address moved, as the netlink events say it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Plan(MoveReason),
    /// The module is unloading: everything goes home.
    Unload,
}

impl Reason {
    /// The reason as the uapi header (and the kernel API) number it.
    pub(crate) fn uapi(self) -> u32 {
        match self {
            Reason::Plan(MoveReason::Failover) => {
                ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_FAILOVER
            }
            Reason::Plan(MoveReason::Failback) => {
                ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_FAILBACK
            }
            Reason::Plan(MoveReason::Drain) => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_DRAIN,
            Reason::Plan(MoveReason::Undrain) => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_UNDRAIN,
            Reason::Plan(MoveReason::Admin) => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_ADMIN,
            Reason::Unload => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_UNLOAD,
        }
    }
}

/// Whether a pass runs for the module's unload: the members' departures
/// are then the unload's, and nothing is repeated or re-armed afterwards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    Unload,
}

/// What local consumers were told about the moves of one pass.
pub(crate) struct CmDelivery {
    /// Per move: how many rdma_cm ids got ADDR_CHANGE.
    counts: KVec<u32>,
    /// How long delivering to every id took (all moves of the pass).
    delivery_us: u64,
}

impl CmDelivery {
    /// (ids notified, delivery time) for move `i`, when local notification
    /// is available.
    pub(crate) fn of(&self, i: usize) -> Option<(u32, u64)> {
        cm_ids::AVAILABLE.then(|| (self.counts.get(i).copied().unwrap_or(0), self.delivery_us))
    }
}

/// One move, with everything needed to carry it out without the lock.
struct Move {
    group: usize,
    group_name: crate::state::groups::GroupName,
    addr_slot: usize,
    to_member: usize,
    reason: Reason,
    info: AddrInfo,
    from_ifindex: Option<i32>,
    from: PortInfo,
    to: PortInfo,
    to_dev: NetDevRef,
    to_name: IfName,
    /// For the ULP notifier: the old port's netdev (if it still has one)
    /// and both RDMA devices.
    from_dev: Option<NetDevRef>,
    from_ib: IbDeviceRef,
    to_ib: IbDeviceRef,
    /// When the event that caused the move happened (monotonic ns).
    since_ns: u64,
    announce_count: u32,
    announce_interval_ms: u32,
}

/// Announcements still to repeat on a netdev.
struct Announce {
    dev: NetDevRef,
    left: u32,
    interval_ns: u64,
    next_ns: u64,
}

/// The engine's state: the registry it works on, its rtnetlink socket and
/// the pending repeated announcements.
#[pin_data]
pub(crate) struct Engine {
    registry: Arc<PortRegistry>,
    #[pin]
    rtnl: Mutex<RtnlSocket>,
    #[pin]
    announces: Mutex<KVec<Announce>>,
    /// Held for a whole pass, and by requests that move addresses
    /// themselves, so that two never plan or move at once.
    #[pin]
    busy: Mutex<()>,
    /// Addresses changed somewhere: re-read them before the next plan.
    resync: AtomicBool,
    /// When the members' live state is next compared with what their
    /// events said (monotonic ns).
    audit_at: AtomicU64,
}

/// How often the members' live state is compared with what their events
/// said. ib_core drops a port event whose cache update fails, and then
/// nothing else would ever tell us; this bounds how long a missed event
/// can hold a failover or a failback back.
const AUDIT_INTERVAL_NS: u64 = 2_000 * NS_PER_MS;

impl Engine {
    pub(crate) fn new(registry: Arc<PortRegistry>) -> Result<impl PinInit<Self, Error>> {
        let sock = RtnlSocket::new()?;
        Ok(try_pin_init!(Self {
            registry,
            rtnl <- new_mutex!(sock, "rdmaip_engine_rtnl"),
            announces <- new_mutex!(KVec::new(), "rdmaip_announces"),
            busy <- new_mutex!((), "rdmaip_engine_busy"),
            resync: AtomicBool::new(false),
            audit_at: AtomicU64::new(0),
        }? Error))
    }

    /// Notes that addresses changed (callable in atomic context); the next
    /// pass re-reads them.
    pub(crate) fn addresses_changed(&self) {
        self.resync.store(true, Ordering::Release);
    }

    /// Re-reads every address and reconciles the groups with it.
    fn resync(&self) {
        let mut found = KVec::new();
        let mut alloc = Ok(());
        let dumped = self.rtnl.lock().dump_addrs(|a| {
            if alloc.is_ok() {
                alloc = found.push(a, GFP_KERNEL);
            }
        });
        if let Err(e) = dumped.and(alloc.map_err(Error::from)) {
            pr_err!("re-reading addresses failed: {:?}\n", e);
            self.resync.store(true, Ordering::Release);
            return;
        }
        if let Err(e) = self.registry.lock().reconcile(&found) {
            pr_err!("recording new addresses failed: {:?}\n", e);
        }
    }

    /// The ports in `ports` (all of group `gs`'s members when `None`) are
    /// about to leave the group: one pass places what they carry (their
    /// own addresses go home to leave with them, the others' go where
    /// `logic::group::plan` says). Returns when that is done; the caller
    /// then detaches the ports.
    pub(crate) fn depart(&self, gs: usize, ports: Option<&[usize]>) {
        {
            let mut t = self.registry.lock();
            let members = match t.groups.get(gs) {
                Some(Some(g)) => g.members,
                _ => return,
            };
            for port in members.into_iter().flatten() {
                if ports.map_or(true, |ps| ps.contains(&port)) {
                    if let Some(Some(p)) = t.ports.get_mut(port) {
                        p.member.leave();
                    }
                }
            }
        }
        self.pass(Mode::Normal);
    }

    /// Executes, records, announces and reports `moves`.
    fn carry_out(&self, moves: &KVec<Move>, now: u64) -> Option<u64> {
        let done = self.execute_all(moves);
        let home_again = self.commit(moves, &done);
        self.announce(moves, &done, now);
        let next = self.send_due_announces();
        let cm = self.notify_consumers(moves, &done);
        self.report(moves, &done, &cm);
        for (group, port) in home_again.iter() {
            pr_info!(
                "group {}: every address of {}/{} is home\n",
                group,
                port.dev_name,
                port.port
            );
            monitor::failback(group, port, WallTime::now());
        }
        next
    }

    /// Moves every address home (module unload): every member leaves.
    /// Call with the worker stopped, so that no pass runs concurrently.
    pub(crate) fn restore_all(&self) {
        {
            let mut t = self.registry.lock();
            for g in 0..t.groups.len() {
                let Some(Some(group)) = t.groups.get(g) else {
                    continue;
                };
                for port in group.members.into_iter().flatten() {
                    if let Some(Some(p)) = t.ports.get_mut(port) {
                        p.member.leave();
                    }
                }
            }
        }
        self.pass(Mode::Unload);
    }

    /// Plans every group under the lock.
    fn plan_all(
        &self,
        now: u64,
        mode: Mode,
        moves: &mut KVec<Move>,
        group_events: &mut KVec<(crate::state::groups::GroupName, bool)>,
    ) {
        let mut t = self.registry.lock();
        for gs in 0..t.groups.len() {
            let Some(g) = t.groups[gs].as_ref() else {
                continue;
            };
            let (members, places, slots) = match snapshot(&t, g) {
                Ok(s) => s,
                Err(_) => {
                    pr_err!("out of memory planning group {}\n", g.name);
                    continue;
                }
            };
            let up = group_up(&members);
            let mut planned = KVec::new();
            plan(&members, &places, &g.settings.failback, now, |mv| {
                let _ = planned.push(mv, GFP_KERNEL);
            });
            for mv in planned.iter() {
                let slot = slots[mv.addr];
                let Some(a) = g.addrs[slot].as_ref() else {
                    continue;
                };
                // Failovers date from the port event; others from now.
                let since = match mv.reason {
                    MoveReason::Failover => g.members[mv.from]
                        .and_then(|p| t.ports[p].as_ref())
                        .map_or(now, |p| p.changed_ns),
                    _ => now,
                };
                let reason = match (mode, mv.reason) {
                    (Mode::Unload, MoveReason::Admin) => Reason::Unload,
                    (_, r) => Reason::Plan(r),
                };
                match make_move(&t, gs, g, slot, a, mv.to, reason, since) {
                    Some(m) => {
                        if moves.push(m, GFP_KERNEL).is_err() {
                            pr_err!("out of memory: a move of group {} is postponed\n", g.name);
                        }
                    }
                    // Never silently: an address that cannot be moved now
                    // waits for the next event, and the admin must know.
                    None => pr_err!(
                        "group {}: cannot move {} ({}): a port or its device is gone\n",
                        g.name,
                        a.info.addr,
                        reason_name(reason)
                    ),
                }
            }
            let has_members = g.member_ports().next().is_some();
            let g = t.group_mut(gs);
            if mode == Mode::Normal && has_members && up != g.up {
                g.up = up;
                let _ = group_events.push((g.name, up), GFP_KERNEL);
            }
        }
    }

    /// Carries out every move; returns which succeeded.
    fn execute_all(&self, moves: &KVec<Move>) -> KVec<bool> {
        let mut done = KVec::new();
        let mut sock = self.rtnl.lock();
        for m in moves.iter() {
            let ok = execute(&mut sock, m);
            if done.push(ok, GFP_KERNEL).is_err() {
                break;
            }
        }
        done
    }

    /// Records where the moved addresses are now; returns the ports that
    /// failbacks in `moves` brought all their addresses home to.
    fn commit(
        &self,
        moves: &KVec<Move>,
        done: &KVec<bool>,
    ) -> KVec<(crate::state::groups::GroupName, PortInfo)> {
        let now_wall = WallTime::now();
        let mut t = self.registry.lock();
        for (m, ok) in moves.iter().zip(done.iter()) {
            if !ok {
                continue;
            }
            let Some(Some(g)) = t.groups.get_mut(m.group) else {
                continue;
            };
            // Unless the group or the address changed meanwhile.
            let Some(Some(a)) = g.addrs.get_mut(m.addr_slot) else {
                continue;
            };
            if a.info.addr != m.info.addr {
                continue;
            }
            a.current = m.to_member;
            match m.reason {
                Reason::Plan(MoveReason::Failover) => {
                    g.failovers += 1;
                    g.last_failover_ns = now_wall.0;
                }
                Reason::Plan(MoveReason::Failback) => g.failbacks += 1,
                _ => {}
            }
        }
        for p in t.ports.iter_mut().flatten() {
            p.member.settle();
        }
        let mut home_again = KVec::new();
        for (i, (m, ok)) in moves.iter().zip(done.iter()).enumerate() {
            let failback = matches!(
                m.reason,
                Reason::Plan(MoveReason::Failback | MoveReason::Undrain)
            );
            // Once per port, and only when nothing of it is away any more.
            if !ok
                || !failback
                || moves.iter().take(i).any(|o| {
                    o.group == m.group
                        && o.to_member == m.to_member
                        && matches!(
                            o.reason,
                            Reason::Plan(MoveReason::Failback | MoveReason::Undrain)
                        )
                })
            {
                continue;
            }
            let Some(Some(g)) = t.groups.get(m.group) else {
                continue;
            };
            if g.addrs()
                .all(|a| a.home != m.to_member || a.current == m.to_member)
            {
                let _ = home_again.push((g.name, m.to), GFP_KERNEL);
            }
        }
        home_again
    }

    /// Tells local RDMA consumers about the moves that succeeded: every
    /// rdma_cm id bound to a moved address gets ADDR_CHANGE (one scan of
    /// each device's ids for all of them), then the ULP notifiers run. No
    /// lock is held: consumers' handlers may sleep and call into rdmaip.
    fn notify_consumers(&self, moves: &KVec<Move>, done: &KVec<bool>) -> CmDelivery {
        // Without memory for the counts, ids are still notified; the
        // counts read 0.
        let mut counts =
            KVec::from_elem(0u32, moves.len(), GFP_KERNEL).unwrap_or_else(|_| KVec::new());
        let start = mono_ns();
        if cm_ids::AVAILABLE && done.iter().any(|ok| *ok) {
            let wanted = |a: &IpAddr| {
                moves
                    .iter()
                    .zip(done.iter())
                    .position(|(m, ok)| *ok && m.info.addr == *a)
            };
            for dev in self.registry.cm_devices().iter() {
                cm_ids::notify_addr_change(dev, &wanted, &mut |i| {
                    if let Some(c) = counts.get_mut(i) {
                        *c += 1;
                    }
                });
            }
        }
        let cm = CmDelivery {
            counts,
            delivery_us: mono_ns().saturating_sub(start) / 1000,
        };
        for (i, (m, _)) in moves
            .iter()
            .zip(done.iter())
            .enumerate()
            .filter(|(_, (_, ok))| **ok)
        {
            let end = |dev, ib, p: &PortInfo| MoveEnd {
                netdev: dev,
                ibdev: ib,
                port: p.port,
                ifindex: p.ifindex,
            };
            ulp_api::notify_move(
                m.group_name.as_bytes(),
                &m.info.addr,
                m.info.prefixlen,
                end(m.from_dev.as_ref(), &m.from_ib, &m.from),
                end(Some(&m.to_dev), &m.to_ib, &m.to),
                m.reason.uapi(),
                cm.counts.get(i).copied().unwrap_or(0),
            );
        }
        cm
    }

    /// Logs and reports the moves.
    fn report(&self, moves: &KVec<Move>, done: &KVec<bool>, cm: &CmDelivery) {
        let at = WallTime::now();
        for (i, (m, ok)) in moves.iter().zip(done.iter()).enumerate() {
            let latency_us = mono_ns().saturating_sub(m.since_ns) / 1000;
            let reason = reason_name(m.reason);
            if *ok {
                let notified = cm.of(i);
                pr_info!(
                    "group {}: {} moved {}/{} -> {}/{} ({}) in {} us at {}; rdma_cm ids notified: {}\n",
                    m.group_name, m.info.addr, m.from.dev_name, m.from.port, m.to.dev_name, m.to.port,
                    reason, latency_us, at, notified.map_or(-1, |(n, _)| i64::from(n))
                );
                monitor::addr_moved(
                    &m.group_name,
                    &m.info,
                    &m.from,
                    &m.to,
                    m.reason,
                    latency_us,
                    notified,
                    at,
                );
            } else {
                pr_err!(
                    "group {}: could not move {} from {}/{} to {}/{} ({})\n",
                    m.group_name,
                    m.info.addr,
                    m.from.dev_name,
                    m.from.port,
                    m.to.dev_name,
                    m.to.port,
                    reason
                );
            }
        }
    }

    /// Announces moved addresses now and schedules the repeats.
    fn announce(&self, moves: &KVec<Move>, done: &KVec<bool>, now: u64) {
        let mut list = self.announces.lock();
        for (m, _) in moves.iter().zip(done.iter()).filter(|(_, ok)| **ok) {
            // One announcement covers every address of the netdev.
            if list
                .iter()
                .any(|a| a.dev.is(&m.to_dev) && a.next_ns <= now + NS_PER_MS)
            {
                continue;
            }
            let _ = list.push(
                Announce {
                    dev: NetDevRef::new(&m.to_dev),
                    left: m.announce_count,
                    interval_ns: u64::from(m.announce_interval_ms) * NS_PER_MS,
                    next_ns: now,
                },
                GFP_KERNEL,
            );
        }
    }

    /// Sends the announcements that are due (with no lock held: it takes
    /// rtnl) and returns when the next one is.
    fn send_due_announces(&self) -> Option<u64> {
        loop {
            let now = mono_ns();
            let due = {
                let mut list = self.announces.lock();
                let i = list.iter().position(|a| a.left > 0 && a.next_ns <= now);
                i.map(|i| {
                    let a = &mut list[i];
                    a.left -= 1;
                    a.next_ns = now + a.interval_ns;
                    NetDevRef::new(&a.dev)
                })
            };
            match due {
                Some(dev) => dev.notify_peers(),
                None => break,
            }
        }
        let mut list = self.announces.lock();
        // Drop finished ones: rebuild, since `KVec` cannot remove.
        if list.iter().any(|a| a.left == 0) {
            let mut keep = KVec::new();
            for a in core::mem::take(&mut *list) {
                if a.left > 0 {
                    let _ = keep.push(a, GFP_KERNEL);
                }
            }
            *list = keep;
        }
        list.iter().map(|a| a.next_ns).min()
    }

    /// When the next failback is due, over all groups.
    fn next_failback(&self, now: u64) -> Option<u64> {
        let t = self.registry.lock();
        t.groups
            .iter()
            .flatten()
            .filter_map(|g| {
                let (members, places, _) = snapshot(&t, g).ok()?;
                next_deadline(&members, &places, &g.settings.failback, now)
            })
            .min()
    }
}

impl Engine {
    /// One whole pass; returns when the engine must run next (monotonic ns).
    fn pass(&self, mode: Mode) -> Option<u64> {
        let _busy = self.busy.lock();
        if self.resync.swap(false, Ordering::AcqRel) {
            self.resync();
        }
        let now = mono_ns();
        let mut moves = KVec::new();
        let mut group_events = KVec::new();
        self.plan_all(now, mode, &mut moves, &mut group_events);
        let next_announce = self.carry_out(&moves, now);
        for (name, up) in group_events.iter() {
            pr_info!(
                "group {} is {}\n",
                name,
                if *up {
                    "up"
                } else {
                    "down: no member can carry addresses"
                }
            );
            monitor::group_state(name, *up, WallTime::now());
        }
        if mode == Mode::Unload {
            return None;
        }
        // After the moves, so that it never delays a failover.
        let missed = self.audit_if_due();
        let now = mono_ns();
        let next_audit = self
            .registry
            .has_members()
            .then(|| self.audit_at.load(Ordering::Relaxed));
        [
            self.next_failback(now),
            next_announce,
            missed.then_some(now),
            next_audit,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Compares every member's live state with what its events said, when
    /// that is due; returns whether a health changed (an event was missed).
    fn audit_if_due(&self) -> bool {
        let now = mono_ns();
        if now < self.audit_at.load(Ordering::Relaxed) {
            return false;
        }
        self.audit_at
            .store(now.saturating_add(AUDIT_INTERVAL_NS), Ordering::Relaxed);
        let mut missed = false;
        for t in self.registry.audit_targets().iter() {
            let (rdma, admin_up, carrier) = t.read();
            missed |= self.registry.audit_result(t, rdma, admin_up, carrier);
        }
        missed
    }

    /// Runs a pass now, in the caller's context (which must be allowed to
    /// take rtnl), for a port that is about to disappear: its addresses must
    /// leave while it can still be named.
    pub(crate) fn evacuate(&self, worker: &Worker<Self>) {
        self.pass(Mode::Normal);
        // Timed work (failbacks, announcements) is re-armed by a normal pass.
        worker.kick();
    }
}

impl Job for Engine {
    fn run(&self, worker: &Worker<Self>) {
        if let Some(next) = self.pass(Mode::Normal) {
            // Rounded up, so the timer never fires just before it is due.
            let ms = next
                .saturating_sub(mono_ns())
                .div_ceil(NS_PER_MS)
                .min(u64::from(u32::MAX)) as u32;
            worker.kick_in(ms.max(1));
        }
    }
}

fn reason_name(r: Reason) -> &'static str {
    match r {
        Reason::Plan(r) => r.name(),
        Reason::Unload => "unload",
    }
}

/// The planner's view of a group: members, placements, and the address
/// slot behind each placement.
fn snapshot(
    t: &Tables,
    g: &Group,
) -> Result<([Member; MAX_MEMBERS], KVec<Placement>, KVec<usize>)> {
    // A slot without a port can hold nothing: a record that still names
    // one is placed again.
    let mut members = [Member::vacant(); MAX_MEMBERS];
    for (m, port) in g.member_ports() {
        if let Some(p) = t.ports[port].as_ref() {
            members[m] = p.member;
        }
    }
    let mut places = KVec::new();
    let mut slots = KVec::new();
    for (i, a) in g.addrs.iter().enumerate() {
        if let Some(a) = a {
            places.push(
                Placement {
                    home: a.home,
                    current: a.current,
                },
                GFP_KERNEL,
            )?;
            slots.push(i, GFP_KERNEL)?;
        }
    }
    Ok((members, places, slots))
}

#[allow(clippy::too_many_arguments)]
fn make_move(
    t: &Tables,
    gs: usize,
    g: &Group,
    slot: usize,
    a: &Addr,
    to: usize,
    reason: Reason,
    since: u64,
) -> Option<Move> {
    let from_port = g.members[a.current]?;
    let to_port = g.members[to]?;
    let from = t.port_info(from_port)?;
    let to_info = t.port_info(to_port)?;
    let from_port_ref = t.ports[from_port].as_ref()?;
    let to_port_ref = t.ports[to_port].as_ref()?;
    let to_dev = NetDevRef::new(to_port_ref.netdev.as_ref()?);
    Some(Move {
        group: gs,
        group_name: g.name,
        addr_slot: slot,
        to_member: to,
        reason,
        info: a.info,
        from_ifindex: from.ifindex,
        to_name: to_info.netdev_name,
        from,
        to: to_info,
        to_dev,
        from_dev: from_port_ref.netdev.as_ref().map(|d| NetDevRef::new(d)),
        from_ib: from_port_ref.ibdev.get()?,
        to_ib: to_port_ref.ibdev.get()?,
        since_ns: since,
        announce_count: g.settings.announce_count,
        announce_interval_ms: g.settings.announce_interval_ms,
    })
}

/// errnos rtnetlink answers that still leave the address where we want it.
const EEXIST: i32 = -17;
const ENODEV: i32 = -19;
const EADDRNOTAVAIL: i32 = -99;

/// Moves one address: delete from the old netdev (if it is still there),
/// add to the new one.
fn execute(sock: &mut RtnlSocket, m: &Move) -> bool {
    if let Some(ifindex) = m.from_ifindex {
        let mut old = m.info;
        old.ifindex = ifindex as u32;
        match sock.request(|b, s| rtaddr::encode_deladdr(b, s, &old)) {
            Ok(0 | ENODEV | EADDRNOTAVAIL) => {}
            Ok(e) => pr_warn!("removing {} from its old port failed: {}\n", m.info.addr, e),
            Err(e) => pr_warn!(
                "removing {} from its old port failed: {:?}\n",
                m.info.addr,
                e
            ),
        }
    }
    let mut new = m.info;
    new.ifindex = m.to_dev.ifindex() as u32;
    let label = new.label_for(m.to_name.as_bytes());
    let extra = match new.addr {
        IpAddr::V6(_) => rtaddr::IFA_F_NODAD,
        IpAddr::V4(_) => 0,
    };
    match sock.request(|b, s| rtaddr::encode_newaddr(b, s, &new, &label, extra)) {
        Ok(0 | EEXIST) => return true,
        Ok(e) => pr_err!("adding {} to its new port failed: {}\n", m.info.addr, e),
        Err(e) => pr_err!("adding {} to its new port failed: {:?}\n", m.info.addr, e),
    }
    // Never lose an address: put it back where it was.
    if let Some(ifindex) = m.from_ifindex {
        let mut old = m.info;
        old.ifindex = ifindex as u32;
        let label = old.label_for(m.from.netdev_name.as_bytes());
        match sock.request(|b, s| rtaddr::encode_newaddr(b, s, &old, &label, extra)) {
            Ok(0 | EEXIST) => {}
            other => pr_err!(
                "{} is lost: putting it back failed too ({:?})\n",
                m.info.addr,
                other
            ),
        }
    }
    false
}
