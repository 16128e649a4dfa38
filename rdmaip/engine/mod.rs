// SPDX-License-Identifier: GPL-2.0

//! The failover engine: carries out what `logic::group::plan` decides.
//!
//! One pass, run by the [`Worker`] whenever a member's health, a drain or
//! a group changes, and when a failback delay or an announcement is due:
//!
//! 1. under the registry lock, plan every group's moves and take what the
//!    moves need (addresses, interface indexes, netdev references)
//!    (`plan.rs`);
//! 2. with no lock held, move each address (`output::addr_mover`);
//! 3. under the lock again, record where each address now is
//!    (`commit.rs`);
//! 4. with no lock held, announce the moved addresses to the peers, tell
//!    the local consumers (rdma_cm ids, the ULP notifier), log and send
//!    the netlink events, and arm the timer for the next failback or
//!    announcement.
//!
//! Passes never overlap (the worker's workqueue is ordered, and `busy` is
//! held for a whole pass), so the tables and the kernel's addresses cannot
//! be changed by two passes at once.

mod commit;
pub(crate) mod peer;
mod plan;
pub(crate) mod prober;

use crate::logic::group::NS_PER_MS;
use crate::output::addr_mover::AddrMover;
use crate::output::announcer::Announcer;
use crate::output::planned_move::Move;
use crate::output::{cm_events, gid_wait, monitor, move_report, neigh_warm, ulp_notifier};
use crate::state::registry::PortRegistry;
use crate::sys::clock::mono_ns;
use crate::sys::rtnl_sock::RtnlSocket;
use crate::sys::workq::{Job, Worker};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Whether a pass runs for the module's unload: the members' departures
/// are then the unload's, and nothing is repeated or re-armed afterwards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    Unload,
}

/// The engine's state: the registry it works on, the outputs that keep
/// state of their own (the rtnetlink socket, the pending repeated
/// announcements), and what serialises passes.
#[pin_data]
pub(crate) struct Engine {
    registry: Arc<PortRegistry>,
    #[pin]
    mover: AddrMover,
    #[pin]
    announcer: Announcer,
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
            mover <- AddrMover::new(sock),
            announcer <- Announcer::new(),
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
        let found = match self.mover.read_addrs() {
            Ok(found) => found,
            Err(e) => {
                pr_err!("re-reading addresses failed: {:?}\n", e);
                self.resync.store(true, Ordering::Release);
                return;
            }
        };
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
            let Some(members) = t.group(gs).map(|g| g.members) else {
                return;
            };
            for port in members.into_iter().flatten() {
                if ports.map_or(true, |ps| ps.contains(&port)) {
                    if let Some(p) = t.port_mut(port) {
                        p.member.leave();
                    }
                }
            }
        }
        self.pass(Mode::Normal);
    }

    /// Moves every address home (module unload): every member leaves.
    /// Call with the worker stopped, so that no pass runs concurrently.
    pub(crate) fn restore_all(&self) {
        {
            let mut t = self.registry.lock();
            for g in 0..t.groups.len() {
                let Some(members) = t.group(g).map(|g| g.members) else {
                    continue;
                };
                for port in members.into_iter().flatten() {
                    if let Some(p) = t.port_mut(port) {
                        p.member.leave();
                    }
                }
            }
        }
        self.pass(Mode::Unload);
    }

    /// Executes, records, announces and reports `moves`; returns when the
    /// next announcement is due.
    fn carry_out(&self, moves: &[Move], now: u64) -> Option<u64> {
        let done = self.mover.move_all(moves);
        let home_again = self.commit(moves, &done);
        self.announcer.schedule(moves, &done, now);
        let next = self.announcer.send_due();
        // The moved addresses' connected ids, right after the first
        // announcement (the scan of 10000 ids takes a few hundred ms under
        // emulation, which the peers must not wait for); a peer that heard
        // of the move may have disconnected its end already, which the scan
        // allows for.
        let neighbours = neigh_warm::start(&self.registry, moves, &done);
        // Local consumers: rdma_cm ids first, then the ULP notifiers; the
        // ids once they can bind to their address's new port and the
        // neighbours they are connected to are resolved from it.
        gid_wait::wait_for_gids(moves, &done);
        neighbours.wait();
        let cm = cm_events::deliver(&self.registry, moves, &done);
        ulp_notifier::notify(moves, &done, &cm);
        move_report::moves(moves, &done, &cm);
        for (group, port) in home_again.iter() {
            move_report::home_again(group, port);
        }
        next
    }

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
        for event in group_events.iter() {
            move_report::group_state(event);
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
    #[inline(never)]
    fn audit_if_due(&self) -> bool {
        let now = mono_ns();
        if now < self.audit_at.load(Ordering::Relaxed) {
            return false;
        }
        self.audit_at
            .store(now.saturating_add(AUDIT_INTERVAL_NS), Ordering::Relaxed);
        let mut missed = false;
        for t in self.registry.audit_targets().iter() {
            let live = t.read();
            let outcome = self.registry.audit_result(t, &live);
            monitor::port_health_changes(&outcome.health);
            missed |= outcome.engine_must_run;
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
