// SPDX-License-Identifier: GPL-2.0

//! Where the addresses of a group should be: failover, failback, drain.
//!
//! The kernel keeps, for every member port of a group, whether it is healthy
//! and drained and since when it has been up ([`Member`]), and for every
//! address its home and current member ([`Placement`]). [`plan`] looks at a
//! snapshot of both and says which addresses must move where; the kernel
//! carries the moves out and records the new current members. [`Member`]'s
//! methods keep the flap hold-down that stops a bad cable from causing a
//! failback storm.
//!
//! All times are nanoseconds of a monotonic clock. Like the rest of this
//! crate, this file is compiled into the kernel module too: `no_std`, no
//! allocation, no `unsafe`.

/// Most member ports in one group. Plans use fixed arrays of this size, so
/// the kernel never allocates while deciding.
pub const MAX_MEMBERS: usize = 16;

/// Nanoseconds per millisecond.
pub const NS_PER_MS: u64 = 1_000_000;

/// A group's failback settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailbackSettings {
    /// Move addresses home when their home port recovers (revertive).
    pub enabled: bool,
    /// How long a recovered home port must stay healthy first.
    pub delay_ns: u64,
    /// Cap of the extra wait a flapping port gets on top of `delay_ns`.
    pub hold_down_max_ns: u64,
}

impl FailbackSettings {
    /// Defaults: revertive, 5 s delay, hold-down up to 60 s.
    pub const DEFAULT: Self = Self {
        enabled: true,
        delay_ns: 5_000 * NS_PER_MS,
        hold_down_max_ns: 60_000 * NS_PER_MS,
    };
}

impl Default for FailbackSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether a member can hold addresses at all, apart from its health.
///
/// Members that are on their way out of the group are still planned for:
/// what they carry must be placed somewhere before they go, so that no
/// configured address is ever left on a netdev the group no longer owns,
/// or lost with a netdev that is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// A member like any other.
    Present,
    /// About to leave the group in working order (the admin removes the
    /// port or deletes the group, or the module unloads): its own
    /// addresses go home to it and leave with it; nothing else stays on it.
    Leaving,
    /// Can no longer carry RDMA traffic: its RDMA device is going away or
    /// its netdev is gone. Everything on it goes elsewhere if anything can
    /// take it. With `netdev_kept`, the netdev still exists (only the RDMA
    /// device goes), so addresses can still be put on it; without, the
    /// kernel deleted what was on it with the netdev.
    Gone {
        /// Whether the netdev still exists.
        netdev_kept: bool,
    },
}

/// What the planner needs to know about one member port.
///
/// # Invariants
///
/// `up_since` is `Some` exactly when `healthy`; `hold_down_ns` never
/// exceeds the `hold_down_max_ns` it was last updated with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    healthy: bool,
    drained: bool,
    up_since: Option<u64>,
    hold_down_ns: u64,
    undrain_pending: bool,
    presence: Presence,
}

impl Default for Member {
    fn default() -> Self {
        Self::new()
    }
}

impl Member {
    /// A member that has not been seen healthy yet.
    pub const fn new() -> Self {
        Member {
            healthy: false,
            drained: false,
            up_since: None,
            hold_down_ns: 0,
            undrain_pending: false,
            presence: Presence::Present,
        }
    }

    /// An empty member slot: nothing is there and nothing can go there.
    pub const fn vacant() -> Self {
        let mut m = Self::new();
        m.presence = Presence::Gone { netdev_kept: false };
        m
    }

    /// Whether the member is present, leaving or gone.
    pub const fn presence(&self) -> Presence {
        self.presence
    }

    /// The member is about to leave its group (see [`Presence::Leaving`]).
    /// A member that is already gone stays gone.
    pub fn leave(&mut self) {
        if self.presence == Presence::Present {
            self.presence = Presence::Leaving;
        }
    }

    /// The member's RDMA device or netdev is going away (see
    /// [`Presence::Gone`]). Once its netdev is gone it stays gone.
    pub fn set_gone(&mut self, netdev_kept: bool) {
        let kept = match self.presence {
            Presence::Gone { netdev_kept: was } => was && netdev_kept,
            _ => netdev_kept,
        };
        self.presence = Presence::Gone { netdev_kept: kept };
    }

    /// Whether addresses can be put on the member's netdev at all (it
    /// exists), whatever its health.
    const fn has_netdev(&self) -> bool {
        !matches!(self.presence, Presence::Gone { netdev_kept: false })
    }

    /// Whether nothing may stay on this member but, if `own`, its own
    /// addresses: those leave with a leaving member, and stay on a gone
    /// member whose netdev is kept when nothing can take them.
    const fn must_vacate(&self, own: bool) -> bool {
        match self.presence {
            Presence::Present => false,
            Presence::Leaving => !own,
            Presence::Gone { .. } => true,
        }
    }

    /// Whether the port is healthy.
    pub const fn healthy(&self) -> bool {
        self.healthy
    }

    /// Whether the admin drained the port.
    pub const fn drained(&self) -> bool {
        self.drained
    }

    /// Current flap hold-down (extra failback wait).
    pub const fn hold_down_ns(&self) -> u64 {
        self.hold_down_ns
    }

    /// May carry addresses: present, healthy and not drained.
    pub const fn eligible(&self) -> bool {
        self.healthy && !self.drained && matches!(self.presence, Presence::Present)
    }

    /// Records the port's health at `now`.
    ///
    /// A port that fails again before it has been up for twice its whole
    /// failback wait is flapping: its hold-down doubles (starting at the
    /// failback delay), up to the cap. A port that fails after a long
    /// enough stable period starts over with no hold-down.
    pub fn set_healthy(&mut self, healthy: bool, now: u64, s: &FailbackSettings) {
        match (self.healthy, healthy) {
            (false, true) => self.up_since = Some(now),
            (true, false) => {
                let up_for = now.saturating_sub(self.up_since.unwrap_or(now));
                let wait = s.delay_ns.saturating_add(self.hold_down_ns);
                self.hold_down_ns = if up_for < wait.saturating_mul(2) {
                    self.hold_down_ns
                        .saturating_mul(2)
                        .max(s.delay_ns)
                        .min(s.hold_down_max_ns)
                } else {
                    0
                };
                self.up_since = None;
            }
            _ => {}
        }
        self.healthy = healthy;
    }

    /// Admin drain: the port's addresses leave and stay away.
    pub fn drain(&mut self) {
        self.drained = true;
        self.undrain_pending = false;
    }

    /// Admin undrain: the port's own addresses come home at the next plan,
    /// without waiting for the failback delay (the admin asked for it).
    pub fn undrain(&mut self) {
        if self.drained {
            self.drained = false;
            self.undrain_pending = true;
        }
    }

    /// Called once the moves of a plan have been carried out.
    pub fn settle(&mut self) {
        self.undrain_pending = false;
    }

    /// When the port's addresses may come home, if it is up.
    pub fn failback_at(&self, s: &FailbackSettings) -> Option<u64> {
        self.up_since.map(|t| {
            t.saturating_add(s.delay_ns)
                .saturating_add(self.hold_down_ns)
        })
    }

    /// Whether this member has been stable long enough to take its addresses
    /// back (or was just undrained).
    fn ready_for_home(&self, now: u64, s: &FailbackSettings) -> bool {
        self.eligible()
            && (self.undrain_pending
                || (s.enabled && self.failback_at(s).is_some_and(|t| now >= t)))
    }

    /// Whether the member is eligible and out of its failback wait (a
    /// preferred failover target over one that only just came up).
    fn stable(&self, now: u64, s: &FailbackSettings) -> bool {
        self.eligible() && self.failback_at(s).is_some_and(|t| now >= t)
    }
}

/// Where one address belongs and where it is: indices into the member slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The member whose netdev the address was configured on.
    pub home: usize,
    /// The member whose netdev carries it now.
    pub current: usize,
}

/// Why an address moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveReason {
    /// Its port failed.
    Failover,
    /// Its home port recovered and stayed healthy long enough.
    Failback,
    /// Its port was drained.
    Drain,
    /// Its home port was undrained.
    Undrain,
    /// Its port leaves the group (admin removal, group deletion, module
    /// unload): it goes home to leave with its port, or off a leaving
    /// port that is not its home.
    Admin,
}

impl MoveReason {
    /// Stable lowercase name, used in logs and in the netlink API.
    pub const fn name(self) -> &'static str {
        match self {
            MoveReason::Failover => "failover",
            MoveReason::Failback => "failback",
            MoveReason::Drain => "drain",
            MoveReason::Undrain => "undrain",
            MoveReason::Admin => "admin",
        }
    }
}

/// One planned move: address `addr` (index into the placement slice) goes
/// from member `from` to member `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Index of the address.
    pub addr: usize,
    /// Member it leaves.
    pub from: usize,
    /// Member it goes to.
    pub to: usize,
    /// Why.
    pub reason: MoveReason,
}

/// Whether every address homed on member `member` is on it: a failback
/// (or undrain) to it is complete.
pub fn all_home(addrs: impl IntoIterator<Item = Placement>, member: usize) -> bool {
    addrs
        .into_iter()
        .all(|a| a.home != member || a.current == member)
}

/// Whether any member can carry addresses.
pub fn group_up(members: &[Member]) -> bool {
    members.iter().any(Member::eligible)
}

/// A group's health at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupHealth {
    /// Every present member is healthy (drained ones count: their state
    /// is the admin's choice).
    Up,
    /// Some members can carry addresses, some present ones are down: the
    /// group works without its full redundancy.
    Degraded,
    /// No member can carry addresses.
    Down,
}

/// The health of a group with `members` (vacant slots and members that
/// are gone or leaving do not count).
pub fn group_health(members: &[Member]) -> GroupHealth {
    let present_down = members
        .iter()
        .any(|m| matches!(m.presence, Presence::Present) && !m.healthy);
    match (group_up(members), present_down) {
        (false, _) => GroupHealth::Down,
        (true, true) => GroupHealth::Degraded,
        (true, false) => GroupHealth::Up,
    }
}

/// Decides which addresses move where, calling `emit` for each move in
/// address order.
///
/// In order of precedence, for each address:
///
/// 1. An address on a member that must be vacated (gone, or leaving and
///    not its home) goes to its home if that is eligible, else to the
///    least-loaded eligible member; with no eligible member it is parked
///    at its home (whatever the home's health, as on unload), else on the
///    least-loaded present member, so that it stays configured and the
///    first member to recover takes it. Only when no present member is
///    left does it stay: on the netdev of a member that still has one, or
///    nowhere (the kernel deleted it with its netdev).
/// 2. An address whose home is leaving goes home, to leave with it.
/// 3. An address whose home port is ready (healthy, not drained, and either
///    past its failback wait with failback on, or just undrained) goes home.
/// 4. An address on a present port that cannot carry it (failed or
///    drained) goes to the least-loaded eligible member.
///
/// Least-loaded counts the moves planned so far, so one failed port's
/// addresses spread over the survivors. Members past their failback wait
/// are preferred over ones that only just came up; ties go to the lowest
/// member index, so plans are deterministic. With no eligible member,
/// addresses on present members stay where they are.
///
/// Members beyond [`MAX_MEMBERS`] and placements that name them are ignored.
pub fn plan(
    members: &[Member],
    addrs: &[Placement],
    s: &FailbackSettings,
    now: u64,
    mut emit: impl FnMut(Move),
) {
    let members = &members[..members.len().min(MAX_MEMBERS)];
    let valid = |p: &Placement| p.home < members.len() && p.current < members.len();
    let mut load = [0usize; MAX_MEMBERS];
    for p in addrs.iter().filter(|p| valid(p)) {
        load[p.current] += 1;
    }
    for (i, p) in addrs.iter().enumerate().filter(|(_, p)| valid(p)) {
        let home = &members[p.home];
        let cur = &members[p.current];
        let own = p.home == p.current;
        let target = if cur.must_vacate(own) {
            let reason = if cur.presence == Presence::Leaving {
                MoveReason::Admin
            } else {
                MoveReason::Failover
            };
            vacate_to(members, &load, p, now, s).map(|to| (to, reason))
        } else if !own && home.presence == Presence::Leaving {
            Some((p.home, MoveReason::Admin))
        } else if !own && home.ready_for_home(now, s) {
            let reason = if home.undrain_pending {
                MoveReason::Undrain
            } else {
                MoveReason::Failback
            };
            Some((p.home, reason))
        } else if cur.presence == Presence::Present && !cur.eligible() {
            let reason = if cur.healthy {
                MoveReason::Drain
            } else {
                MoveReason::Failover
            };
            least_loaded(members, &load, now, s, Member::eligible).map(|to| (to, reason))
        } else {
            None
        };
        if let Some((to, reason)) = target {
            load[p.current] -= 1;
            load[to] += 1;
            emit(Move {
                addr: i,
                from: p.current,
                to,
                reason,
            });
        }
    }
}

/// Where an address on a member that must be vacated goes (rule 1 of
/// [`plan`]), if anywhere.
fn vacate_to(
    members: &[Member],
    load: &[usize; MAX_MEMBERS],
    p: &Placement,
    now: u64,
    s: &FailbackSettings,
) -> Option<usize> {
    let own = p.home == p.current;
    let home = &members[p.home];
    let present = |m: &Member| m.presence == Presence::Present;
    if !own && home.eligible() {
        return Some(p.home);
    }
    if let Some(to) = least_loaded(members, load, now, s, Member::eligible) {
        return Some(to);
    }
    // Nobody can carry it now: park it where it stays configured and
    // guarded, and the first member to recover takes it.
    if !own && home.has_netdev() {
        return Some(p.home);
    }
    least_loaded(members, load, now, s, present)
}

fn least_loaded(
    members: &[Member],
    load: &[usize; MAX_MEMBERS],
    now: u64,
    s: &FailbackSettings,
    allowed: impl Fn(&Member) -> bool,
) -> Option<usize> {
    members
        .iter()
        .enumerate()
        .filter(|(_, m)| allowed(m))
        // Stable members first, then fewest addresses, then lowest index.
        .min_by_key(|&(i, m)| (!m.stable(now, s), load[i], i))
        .map(|(i, _)| i)
}

/// What becomes of an address record when member `leaving` leaves its
/// group for good (after the plan that vacated it has been carried out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDetach {
    /// Unaffected.
    Keep,
    /// Its home leaves while the address lives on another member (its home
    /// was gone, so it could not go home): that member becomes its home,
    /// and the group keeps guarding it.
    Rehome(usize),
    /// It leaves the group with its port: it is on its home netdev (or
    /// was deleted with it) and stops being tracked.
    Forget,
    /// It is still on the leaving member although that is not its home:
    /// nothing in the group could take it (or the move failed). The group
    /// loses track of it; the caller must say so loudly.
    Lost,
}

/// Decides what happens to address record `p` when member `leaving`
/// leaves the group.
pub fn on_detach(p: &Placement, leaving: usize) -> OnDetach {
    match (p.home == leaving, p.current == leaving) {
        (true, true) => OnDetach::Forget,
        (true, false) => OnDetach::Rehome(p.current),
        (false, true) => OnDetach::Lost,
        (false, false) => OnDetach::Keep,
    }
}

/// The earliest time after `now` at which [`plan`] may decide differently
/// without any event: when a home port's failback wait ends. The kernel arms
/// a timer for it.
pub fn next_deadline(
    members: &[Member],
    addrs: &[Placement],
    s: &FailbackSettings,
    now: u64,
) -> Option<u64> {
    if !s.enabled {
        return None;
    }
    let members = &members[..members.len().min(MAX_MEMBERS)];
    addrs
        .iter()
        .filter(|p| p.home < members.len() && p.home != p.current)
        .filter_map(|p| {
            let home = &members[p.home];
            home.eligible().then(|| home.failback_at(s)).flatten()
        })
        .filter(|&t| t > now)
        .min()
}
