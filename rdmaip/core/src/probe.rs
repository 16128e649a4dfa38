// SPDX-License-Identifier: GPL-2.0

//! Path probing: finding a member port that keeps its carrier but cannot
//! reach its peers (a gray failure), without mistaking dead peers for it.
//!
//! Every member of a group probes each interval, from its own netdev,
//! whether or not it carries addresses at the moment (a member whose
//! addresses are away must still prove its path, or it could never take
//! them back). [`Prober`] decides everything about it except the packets
//! themselves: which probes to send ([`Prober::tick`], called from a
//! timer), whether a reply counts ([`Prober::reply`]), and what each
//! member's verdict is.
//!
//! # Focused probing
//!
//! A member whose latest round was answered probes only the target that
//! answered it (the first, by index, when several did); a member whose
//! latest round went unanswered, or that has not probed yet, probes every
//! target. One answered probe per round is all a verdict needs, so a
//! healthy group sends one probe per member and interval, however many
//! targets it has: the targets are there to tell a broken member from a
//! dead target, and they are all asked as soon as one stays silent. Bonding's
//! ARP monitor asks every target every interval instead.
//!
//! # Probes and tokens
//!
//! Each probe gets a 32-bit token that the module puts into the probe and
//! finds again in the reply (for example the identifier and sequence number
//! of an ICMP echo, or the payload of an RDMA-level probe). The token names
//! the member and the target it was sent for, plus a per-path sequence
//! number. A probe is outstanding from the tick that sends it until one
//! interval later (when the next tick sends its successor). A probe type
//! whose reply cannot carry a token (ARP, neighbour solicitation) can use
//! [`PathInfo::outstanding`] as the token of a reply from that target on
//! that member: that is bonding's `arp_validate`, no more.
//!
//! # Reply validation
//!
//! A reply counts only if it answers the outstanding probe that this member
//! sent to this target (token, source address) and arrived on this
//! member's netdev, before the next round resolved the probe (sent its
//! successor) and for the first time.
//! Anything else is ignored and counted by [`IgnoreReason`]: traffic on the
//! segment, replies to another member's probe, late and duplicate replies
//! can never keep a dead member alive. Tokens stop misrouted and stale
//! replies, not an attacker on the segment who reads the probes.
//!
//! # Verdicts
//!
//! Per member and target the prober keeps consecutive misses (probes that
//! timed out unanswered), consecutive successes (valid replies) and the
//! time of the last valid reply; per member, its consecutive unanswered
//! rounds (rounds in which none of its probes was answered). At every tick
//! (a "round"), once the probes of the previous round are resolved:
//!
//! - A member is *failing* when it has at least `misses` consecutive
//!   unanswered rounds: every round after the first of them asked every
//!   target. A member is a *witness* when a probe of its latest round was
//!   answered (it reaches a target right now).
//! - A [`Verdict::Reachable`] member that is failing becomes
//!   [`Verdict::Unreachable`] if another member is a witness in the same
//!   round and the group is not in the targets-unreachable condition. The
//!   witness must have replied in the latest round, so when every member
//!   loses every target at once, or within one interval of each other
//!   (`misses` is at least 2 for that reason), nobody is a witness when the
//!   first member reaches `misses`, and nothing is marked down.
//! - The group enters the *targets unreachable* condition when every member
//!   is failing, and leaves it when some member has `successes` consecutive
//!   valid replies from one target, the latest in its latest round
//!   ([`TargetsEvent`]). Members keep their verdicts meanwhile: nothing
//!   moves because of the targets.
//! - An [`Verdict::Unreachable`] member becomes [`Verdict::Reachable`] once
//!   it has `successes` consecutive valid replies from one target, the
//!   latest in its latest round.
//! - With no targets (probing off), every member is reachable and nothing
//!   is sent. A group of one member never gets an unreachable verdict (it
//!   has no witness): it can only report the targets unreachable.
//! - A member starts reachable, so configuring probing never takes
//!   addresses away without evidence.
//!
//! So a verdict changes at most once per round, a member goes unreachable
//! no sooner than `misses` rounds after its last valid reply, and comes
//! back no sooner than `successes` rounds after going unreachable.
//! Detection at the defaults (100 ms, 3 misses) takes 300 to 400 ms after
//! the path breaks. A focused target that dies costs every member one
//! unanswered round (the next round asks the others), which `misses` of at
//! least 2 absorbs; if a member's path breaks in that same round, its
//! verdict may come one round later, when the others have found a
//! target that answers.
//!
//! # Hook into port health (to be wired by the module)
//!
//! The verdict is one more input to a member's health, above every layer
//! of [`crate::port`]: the module keeps the member's `PortStatus` as now
//! and folds the verdict in as a new lowest-priority reason,
//! `FailReason::Probe` (name `"probe"`): the effective health is the port's
//! own `Down(reason)` if it has one, else `Down(Probe)` when the verdict is
//! [`Verdict::Unreachable`], else `Up`. It passes that to
//! `group::Member::set_healthy` as for any other change, so failover,
//! failback delay and flap hold-down apply unchanged to probe failures.
//! The module calls [`Prober::tick`] from its timer at
//! [`Prober::next_tick`], sends the returned probes outside any lock,
//! feeds replies to [`Prober::reply`], and acts on the [`Changes`] that
//! `tick` and [`Prober::set_settings`] return. A [`Prober`] holds some
//! kilobytes: allocate it with its group, not on the stack.
//!
//! Like the rest of this crate, this file is compiled into the kernel
//! module: `no_std`, no allocation, no `unsafe`, no panics on data.

use super::group::{MAX_MEMBERS, NS_PER_MS};
use super::rtaddr::IpAddr;

/// Most probe targets per group.
pub const MAX_TARGETS: usize = 8;

/// Default probe interval: 100 ms.
pub const DEFAULT_INTERVAL_MS: u32 = 100;
/// Default consecutive misses on every target before a member is
/// unreachable: 3 (detection in 300 to 400 ms at the default interval).
pub const DEFAULT_MISSES: u32 = 3;
/// Default consecutive valid replies from one target before an unreachable
/// member is reachable again: 2 (one reply may be a path's last gasp or
/// first flicker; two show it carried traffic for a whole interval; the
/// group's failback delay and hold-down come on top).
pub const DEFAULT_SUCCESSES: u32 = 2;

/// Shortest probe interval accepted.
pub const MIN_INTERVAL_MS: u32 = 10;
/// Longest probe interval accepted: one minute.
pub const MAX_INTERVAL_MS: u32 = 60_000;
/// Fewest misses accepted: one lost probe must never move addresses, and
/// members losing their targets within one interval of each other must not
/// be told apart.
pub const MIN_MISSES: u32 = 2;
/// Most misses accepted.
pub const MAX_MISSES: u32 = 100;
/// Fewest successes accepted.
pub const MIN_SUCCESSES: u32 = 1;
/// Most successes accepted.
pub const MAX_SUCCESSES: u32 = 100;

const TARGET_BITS: u32 = 3;
const MEMBER_BITS: u32 = 4;
const SEQ_SHIFT: u32 = TARGET_BITS + MEMBER_BITS;
const SEQ_BITS: u32 = 32 - SEQ_SHIFT;
const SEQ_MASK: u32 = (1 << SEQ_BITS) - 1;
const SEQ_HALF: u32 = 1 << (SEQ_BITS - 1);

const _: () = assert!(MAX_TARGETS <= 1 << TARGET_BITS);
const _: () = assert!(MAX_MEMBERS <= 1 << MEMBER_BITS);
const _: () = assert!(MAX_MEMBERS <= 32); // member bit masks are u32

/// Why probe settings were refused; [`SettingsError::message`] is meant for
/// netlink extack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// Interval outside [`MIN_INTERVAL_MS`]..=[`MAX_INTERVAL_MS`].
    Interval,
    /// Misses outside [`MIN_MISSES`]..=[`MAX_MISSES`].
    Misses,
    /// Successes outside [`MIN_SUCCESSES`]..=[`MAX_SUCCESSES`].
    Successes,
    /// More than [`MAX_TARGETS`] targets.
    TooManyTargets,
    /// The same target twice.
    DuplicateTarget,
    /// A target that cannot answer a unicast probe: unspecified, loopback,
    /// multicast or broadcast.
    BadTarget,
}

impl SettingsError {
    /// A message for the admin.
    pub const fn message(self) -> &'static str {
        match self {
            SettingsError::Interval => "probe interval must be 10 to 60000 ms",
            SettingsError::Misses => "probe misses must be 2 to 100",
            SettingsError::Successes => "probe successes must be 1 to 100",
            SettingsError::TooManyTargets => "at most 8 probe targets",
            SettingsError::DuplicateTarget => "probe target given twice",
            SettingsError::BadTarget => {
                "probe target must be a unicast address (not unspecified, loopback, multicast or broadcast)"
            }
        }
    }
}

/// A group's probe settings. Probing is off while there are no targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeSettings {
    interval_ms: u32,
    misses: u32,
    successes: u32,
    targets: [IpAddr; MAX_TARGETS],
    n_targets: usize,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self::OFF
    }
}

impl ProbeSettings {
    /// Defaults, no targets: probing off.
    pub const OFF: Self = Self {
        interval_ms: DEFAULT_INTERVAL_MS,
        misses: DEFAULT_MISSES,
        successes: DEFAULT_SUCCESSES,
        targets: [IpAddr::V4([0; 4]); MAX_TARGETS],
        n_targets: 0,
    };

    /// Checked settings.
    pub fn new(
        interval_ms: u32,
        misses: u32,
        successes: u32,
        targets: &[IpAddr],
    ) -> Result<Self, SettingsError> {
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&interval_ms) {
            return Err(SettingsError::Interval);
        }
        if !(MIN_MISSES..=MAX_MISSES).contains(&misses) {
            return Err(SettingsError::Misses);
        }
        if !(MIN_SUCCESSES..=MAX_SUCCESSES).contains(&successes) {
            return Err(SettingsError::Successes);
        }
        let mut s = Self {
            interval_ms,
            misses,
            successes,
            ..Self::OFF
        };
        for (i, t) in targets.iter().enumerate() {
            if !usable_target(t) {
                return Err(SettingsError::BadTarget);
            }
            if s.targets().contains(t) {
                return Err(SettingsError::DuplicateTarget);
            }
            let slot = s.targets.get_mut(i).ok_or(SettingsError::TooManyTargets)?;
            *slot = *t;
            s.n_targets = i + 1;
        }
        Ok(s)
    }

    /// Defaults with these targets.
    pub fn with_targets(targets: &[IpAddr]) -> Result<Self, SettingsError> {
        Self::new(
            DEFAULT_INTERVAL_MS,
            DEFAULT_MISSES,
            DEFAULT_SUCCESSES,
            targets,
        )
    }

    /// Probe interval in milliseconds.
    pub const fn interval_ms(&self) -> u32 {
        self.interval_ms
    }

    /// Probe interval in nanoseconds.
    pub const fn interval_ns(&self) -> u64 {
        self.interval_ms as u64 * NS_PER_MS
    }

    /// Consecutive misses on every target before a member is unreachable.
    pub const fn misses(&self) -> u32 {
        self.misses
    }

    /// Consecutive valid replies from one target before an unreachable
    /// member is reachable again.
    pub const fn successes(&self) -> u32 {
        self.successes
    }

    /// The targets, in configuration order (target indices are into this).
    pub fn targets(&self) -> &[IpAddr] {
        self.targets.get(..self.n_targets).unwrap_or(&[])
    }

    /// Whether probing is on (there are targets).
    pub const fn enabled(&self) -> bool {
        self.n_targets > 0
    }
}

const V6_LOOPBACK: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

fn usable_target(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(b) => {
            let [b0, ..] = *b;
            *b != [0; 4] && b0 != 127 && !(224..=239).contains(&b0) && *b != [255; 4]
        }
        IpAddr::V6(b) => *b != [0; 16] && *b != V6_LOOPBACK && b.first() != Some(&0xff),
    }
}

/// What probing says about a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It reaches the targets (or has not been shown not to).
    Reachable,
    /// Its probes fail while another member's succeed: DOWN, reason probe.
    Unreachable,
}

/// A verdict that changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerdictChange {
    /// Member index.
    pub member: usize,
    /// Verdict before.
    pub from: Verdict,
    /// Verdict now.
    pub to: Verdict,
}

/// The group-level condition "no member reaches any target" began or ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetsEvent {
    /// Every member lost every target: the targets are gone, not the ports.
    Unreachable,
    /// A member reaches a target again.
    Reachable,
}

/// What one call changed: verdicts and the targets condition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    changed: u32,
    unreachable: u32,
    targets: Option<TargetsEvent>,
}

impl Changes {
    /// Whether nothing changed.
    pub const fn is_empty(&self) -> bool {
        self.changed == 0 && self.targets.is_none()
    }

    /// The verdict changes, by member index.
    pub fn verdicts(&self) -> impl Iterator<Item = VerdictChange> + '_ {
        (0..MAX_MEMBERS)
            .filter(|&m| self.changed & bit(m) != 0)
            .map(|m| {
                let to = if self.unreachable & bit(m) != 0 {
                    Verdict::Unreachable
                } else {
                    Verdict::Reachable
                };
                let from = match to {
                    Verdict::Reachable => Verdict::Unreachable,
                    Verdict::Unreachable => Verdict::Reachable,
                };
                VerdictChange {
                    member: m,
                    from,
                    to,
                }
            })
    }

    /// Whether the targets condition began or ended.
    pub const fn targets(&self) -> Option<TargetsEvent> {
        self.targets
    }

    fn record(&mut self, member: usize, to: Verdict) {
        self.changed |= bit(member);
        match to {
            Verdict::Unreachable => self.unreachable |= bit(member),
            Verdict::Reachable => self.unreachable &= !bit(member),
        }
    }
}

const fn bit(m: usize) -> u32 {
    if m < 32 {
        1 << m
    } else {
        0
    }
}

/// One probe to send: from member `member`'s netdev to `addr` (target
/// index `target`), carrying `token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Member index.
    pub member: usize,
    /// Target index.
    pub target: usize,
    /// Target address.
    pub addr: IpAddr,
    /// Token to put into the probe.
    pub token: u32,
}

/// Why a reply was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// It arrived on a netdev that is no member of the group.
    NotMember,
    /// It came from an address that is not a probe target (unsolicited
    /// traffic), or probing is off.
    NotTarget,
    /// Its token names no probe that was sent.
    Forged,
    /// It answers another member's probe (misrouted, or that member's
    /// reply seen on this segment).
    OtherMember,
    /// It answers this member's probe to another target.
    OtherTarget,
    /// It answers a probe that a later round already counted as missed.
    Late,
    /// It answers a probe that was already answered.
    Duplicate,
}

impl IgnoreReason {
    /// Every reason, in counter order.
    pub const ALL: [IgnoreReason; 7] = [
        IgnoreReason::NotMember,
        IgnoreReason::NotTarget,
        IgnoreReason::Forged,
        IgnoreReason::OtherMember,
        IgnoreReason::OtherTarget,
        IgnoreReason::Late,
        IgnoreReason::Duplicate,
    ];

    /// Stable lowercase name, for counters and logs.
    pub const fn name(self) -> &'static str {
        match self {
            IgnoreReason::NotMember => "not-member",
            IgnoreReason::NotTarget => "not-target",
            IgnoreReason::Forged => "forged",
            IgnoreReason::OtherMember => "other-member",
            IgnoreReason::OtherTarget => "other-target",
            IgnoreReason::Late => "late",
            IgnoreReason::Duplicate => "duplicate",
        }
    }

    const fn slot(self) -> usize {
        match self {
            IgnoreReason::NotMember => 0,
            IgnoreReason::NotTarget => 1,
            IgnoreReason::Forged => 2,
            IgnoreReason::OtherMember => 3,
            IgnoreReason::OtherTarget => 4,
            IgnoreReason::Late => 5,
            IgnoreReason::Duplicate => 6,
        }
    }
}

/// What [`Prober::reply`] made of a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyVerdict {
    /// A valid reply: it counts.
    Accepted,
    /// Not counted, and why.
    Ignored(IgnoreReason),
}

/// The probe state of one member towards one target, for `port show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathInfo {
    /// The target.
    pub addr: IpAddr,
    /// Consecutive probes that timed out unanswered.
    pub misses: u32,
    /// Consecutive valid replies.
    pub successes: u32,
    /// When the last valid reply arrived.
    pub last_reply: Option<u64>,
    /// Token of the probe waiting for its reply, if any.
    pub outstanding: Option<u32>,
    /// Probes sent.
    pub sent: u64,
    /// Valid replies.
    pub replies: u64,
    /// Probes that timed out unanswered.
    pub missed: u64,
}

#[derive(Clone, Copy, Debug)]
struct Path {
    /// Sequence number of the latest probe (`SEQ_BITS` wide).
    seq: u32,
    /// Whether `seq` was sent since the path was set up.
    issued: bool,
    /// Whether probe `seq` waits for its reply.
    outstanding: bool,
    /// Whether probe `seq` was answered.
    answered: bool,
    sent_at: u64,
    misses: u32,
    successes: u32,
    last_reply: Option<u64>,
    sent: u64,
    replies: u64,
    missed: u64,
}

impl Path {
    const fn new(seq: u32) -> Self {
        Path {
            seq,
            issued: false,
            outstanding: false,
            answered: false,
            sent_at: 0,
            misses: 0,
            successes: 0,
            last_reply: None,
            sent: 0,
            replies: 0,
            missed: 0,
        }
    }

    /// A fresh start that keeps the sequence, so replies to probes of an
    /// earlier life of the path never match a new probe.
    fn reset(&mut self) {
        let (seq, issued) = (self.seq, self.issued);
        *self = Path::new(seq);
        self.issued = issued;
    }
}

/// The probe state of one member slot. Public only so that a caller can
/// provide the storage of a [`Prober`]'s members ([`MemberStore`]).
#[derive(Clone, Copy, Debug)]
pub struct MemberProbe {
    active: bool,
    verdict: Verdict,
    /// Consecutive resolved rounds in which none of its probes was answered.
    unanswered_rounds: u32,
    paths: [Path; MAX_TARGETS],
}

/// Where a [`Prober`] keeps its [`MAX_MEMBERS`] member slots: inline (an
/// array, the default) or on the heap (the kernel module, whose stack must
/// never hold the whole prober, some kilobytes).
pub trait MemberStore {
    /// The member slots.
    fn slots(&self) -> &[MemberProbe];
    /// The member slots, mutable.
    fn slots_mut(&mut self) -> &mut [MemberProbe];
}

impl MemberStore for [MemberProbe; MAX_MEMBERS] {
    fn slots(&self) -> &[MemberProbe] {
        self
    }
    fn slots_mut(&mut self) -> &mut [MemberProbe] {
        self
    }
}

impl MemberProbe {
    /// A slot with no member.
    pub const VACANT: MemberProbe = MemberProbe {
        active: false,
        verdict: Verdict::Reachable,
        unanswered_rounds: 0,
        paths: [Path::new(0); MAX_TARGETS],
    };

    fn paths(&self, n: usize) -> &[Path] {
        self.paths.get(..n).unwrap_or(&[])
    }

    /// At least `misses` consecutive unanswered rounds.
    fn failing(&self, n: usize, misses: u32) -> bool {
        n > 0 && self.unanswered_rounds >= misses
    }

    /// A probe of its latest resolved round was answered.
    fn witness(&self, n: usize) -> bool {
        self.paths(n).iter().any(|p| p.answered)
    }

    /// `successes` consecutive valid replies from some target, the latest
    /// in its latest round.
    fn recovered(&self, n: usize, successes: u32) -> bool {
        self.paths(n)
            .iter()
            .any(|p| p.answered && p.successes >= successes)
    }

    /// The target its next round asks alone: the first that answered its
    /// latest round; `None` (ask every target) if none did.
    fn focus(&self, n: usize) -> Option<usize> {
        self.paths(n).iter().position(|p| p.answered)
    }

    /// A fresh start of every path and of the round count.
    fn reset_paths(&mut self) {
        self.unanswered_rounds = 0;
        for p in self.paths.iter_mut() {
            p.reset();
        }
    }
}

/// The probe state of one group.
#[derive(Clone, Debug)]
pub struct Prober<M: MemberStore = [MemberProbe; MAX_MEMBERS]> {
    settings: ProbeSettings,
    members: M,
    next_round: Option<u64>,
    targets_unreachable: bool,
    ignored: [u64; IgnoreReason::ALL.len()],
}

impl Prober {
    /// A prober with no members. `seed` (a random number from the module)
    /// starts the sequence numbers, so tokens differ between groups and
    /// module loads.
    pub fn new(settings: ProbeSettings, seed: u32) -> Self {
        Prober::with_store(settings, seed, [MemberProbe::VACANT; MAX_MEMBERS])
    }
}

impl<M: MemberStore> Prober<M> {
    /// A prober with no members, keeping its member slots in `store`
    /// (whose slots are all made vacant; only the first [`MAX_MEMBERS`]
    /// are used).
    pub fn with_store(settings: ProbeSettings, seed: u32, mut store: M) -> Self {
        let mut mix = seed;
        for m in store.slots_mut().iter_mut() {
            *m = MemberProbe::VACANT;
            for p in m.paths.iter_mut() {
                mix = mix.wrapping_mul(0x9e37_79b9).wrapping_add(0x7f4a_7c15);
                p.seq = (mix >> SEQ_SHIFT) & SEQ_MASK;
            }
        }
        Prober {
            settings,
            members: store,
            next_round: None,
            targets_unreachable: false,
            ignored: [0; IgnoreReason::ALL.len()],
        }
    }

    /// The member slots in use.
    fn slots(&self) -> &[MemberProbe] {
        let s = self.members.slots();
        s.get(..MAX_MEMBERS).unwrap_or(s)
    }

    fn slots_mut(&mut self) -> &mut [MemberProbe] {
        let s = self.members.slots_mut();
        let n = s.len().min(MAX_MEMBERS);
        s.split_at_mut(n).0
    }

    /// The settings in force.
    pub const fn settings(&self) -> &ProbeSettings {
        &self.settings
    }

    /// New settings. Paths whose target keeps its index and address keep
    /// their state; the others start over. Turning probing off makes every
    /// member reachable and ends the targets condition; otherwise verdicts
    /// stay until the next rounds decide anew. Takes effect at the next
    /// tick.
    pub fn set_settings(&mut self, settings: ProbeSettings) -> Changes {
        let old = self.settings;
        for m in self.slots_mut().iter_mut() {
            let mut changed = false;
            for (i, p) in m.paths.iter_mut().enumerate() {
                if old.targets().get(i) != settings.targets().get(i) {
                    p.reset();
                    changed = true;
                }
            }
            if changed {
                m.unanswered_rounds = 0;
            }
        }
        self.settings = settings;
        let mut changes = Changes::default();
        if !settings.enabled() {
            for (i, m) in self.slots_mut().iter_mut().enumerate() {
                if m.verdict == Verdict::Unreachable {
                    m.verdict = Verdict::Reachable;
                    if m.active {
                        changes.record(i, Verdict::Reachable);
                    }
                }
            }
            self.end_targets_condition(&mut changes);
            self.next_round = None;
        }
        changes
    }

    /// Makes slot `member` a member (`present`) or not. A new member starts
    /// reachable with fresh paths; a removed one is forgotten (no change is
    /// reported for it). Returns false for an index beyond
    /// [`MAX_MEMBERS`].
    pub fn set_member(&mut self, member: usize, present: bool) -> bool {
        let Some(m) = self.slots_mut().get_mut(member) else {
            return false;
        };
        if m.active != present {
            m.active = present;
            m.verdict = Verdict::Reachable;
            m.reset_paths();
        }
        true
    }

    /// Whether slot `member` is a member.
    pub fn is_member(&self, member: usize) -> bool {
        self.slots().get(member).is_some_and(|m| m.active)
    }

    /// When [`Prober::tick`] has work next (a time at or before now means
    /// at once); `None` while probing is off.
    pub fn next_tick(&self) -> Option<u64> {
        self.settings
            .enabled()
            .then_some(self.next_round.unwrap_or(0))
    }

    /// One probing round, if one is due at `now`: resolves the previous
    /// round's probes (unanswered ones are misses), decides the verdicts
    /// and the targets condition, and calls `send` for every probe of the
    /// new round (each member to its focused target, or to every target:
    /// see the module documentation). The next round is due one interval
    /// later; a late timer delays it but never makes up rounds, so misses
    /// count probes, not time.
    pub fn tick(&mut self, now: u64, mut send: impl FnMut(Probe)) -> Changes {
        let mut changes = Changes::default();
        if !self.settings.enabled() || self.next_round.is_some_and(|t| now < t) {
            return changes;
        }
        let n = self.settings.targets().len();
        let misses = self.settings.misses();
        let successes = self.settings.successes();

        for m in self.slots_mut().iter_mut().filter(|m| m.active) {
            let (mut probed, mut answered) = (false, false);
            for p in m.paths.iter_mut().take(n) {
                probed |= p.outstanding || p.answered;
                answered |= p.answered;
                if p.outstanding {
                    p.outstanding = false;
                    p.misses = p.misses.saturating_add(1);
                    p.successes = 0;
                    p.missed = p.missed.saturating_add(1);
                }
            }
            if answered {
                m.unanswered_rounds = 0;
            } else if probed {
                m.unanswered_rounds = m.unanswered_rounds.saturating_add(1);
            }
        }

        let active = || self.slots().iter().filter(|m| m.active);
        let any_active = active().count() > 0;
        let all_failing = any_active && active().all(|m| m.failing(n, misses));
        let any_recovered = active().any(|m| m.recovered(n, successes));
        let was = self.targets_unreachable;
        let unreachable = if was {
            any_active && !any_recovered
        } else {
            all_failing
        };
        if unreachable != was {
            self.targets_unreachable = unreachable;
            changes.targets = Some(if unreachable {
                TargetsEvent::Unreachable
            } else {
                TargetsEvent::Reachable
            });
        }

        let mut witnesses = 0u32;
        for (i, m) in self.slots().iter().enumerate() {
            if m.active && m.witness(n) {
                witnesses |= bit(i);
            }
        }
        for (i, m) in self.slots_mut().iter_mut().enumerate() {
            if !m.active {
                continue;
            }
            let to = match m.verdict {
                Verdict::Reachable
                    if !unreachable && m.failing(n, misses) && witnesses & !bit(i) != 0 =>
                {
                    Verdict::Unreachable
                }
                Verdict::Unreachable if m.recovered(n, successes) => Verdict::Reachable,
                v => v,
            };
            if to != m.verdict {
                m.verdict = to;
                changes.record(i, to);
            }
        }

        let targets = self.settings.targets;
        for (i, m) in self.slots_mut().iter_mut().enumerate() {
            if !m.active {
                continue;
            }
            let focus = m.focus(n);
            for (t, (p, addr)) in m.paths.iter_mut().zip(targets.iter()).take(n).enumerate() {
                // Answers count for the round they came in, not beyond.
                p.answered = false;
                if focus.is_some_and(|f| f != t) {
                    continue;
                }
                p.seq = if p.issued {
                    p.seq.wrapping_add(1) & SEQ_MASK
                } else {
                    p.seq
                };
                p.issued = true;
                p.outstanding = true;
                p.sent_at = now;
                p.sent = p.sent.saturating_add(1);
                send(Probe {
                    member: i,
                    target: t,
                    addr: *addr,
                    token: token(p.seq, i, t),
                });
            }
        }
        self.next_round = Some(now.saturating_add(self.settings.interval_ns()));
        changes
    }

    /// A reply from `from` carrying `token` arrived on member
    /// `arrived_on`'s netdev at `now`. Counts it if it is valid (see the
    /// module documentation); otherwise counts why not.
    pub fn reply(&mut self, arrived_on: usize, from: IpAddr, token: u32, now: u64) -> ReplyVerdict {
        let v = self.classify(arrived_on, from, token, now);
        match v {
            ReplyVerdict::Accepted => {
                let target = token_target(token);
                if let Some(p) = self
                    .slots_mut()
                    .get_mut(arrived_on)
                    .and_then(|m| m.paths.get_mut(target))
                {
                    p.outstanding = false;
                    p.answered = true;
                    p.misses = 0;
                    p.successes = p.successes.saturating_add(1);
                    p.last_reply = Some(now);
                    p.replies = p.replies.saturating_add(1);
                }
            }
            ReplyVerdict::Ignored(r) => {
                if let Some(c) = self.ignored.get_mut(r.slot()) {
                    *c = c.saturating_add(1);
                }
            }
        }
        v
    }

    /// A reply that cannot carry a token (an ARP reply, a neighbour
    /// advertisement) from `from` arrived on member `arrived_on`'s netdev
    /// at `now`: it stands for the latest probe this member sent to that
    /// target (bonding's `arp_validate`). The same checks as
    /// [`Prober::reply`] apply: it must come from a target, on a member
    /// that probed it, within the interval, once.
    pub fn reply_without_token(
        &mut self,
        arrived_on: usize,
        from: IpAddr,
        now: u64,
    ) -> ReplyVerdict {
        let target = self.settings.targets().iter().position(|t| *t == from);
        let issued = |t: usize| {
            self.slots()
                .get(arrived_on)
                .filter(|m| m.active)
                .and_then(|m| m.paths.get(t))
                .filter(|p| p.issued)
                .map(|p| token(p.seq, arrived_on, t))
        };
        match target.and_then(issued) {
            Some(tok) => self.reply(arrived_on, from, tok, now),
            // Not a member, not a target, or nothing sent to it yet.
            None => {
                let r = if !self.is_member(arrived_on) {
                    IgnoreReason::NotMember
                } else if target.is_none() {
                    IgnoreReason::NotTarget
                } else {
                    IgnoreReason::Forged
                };
                if let Some(c) = self.ignored.get_mut(r.slot()) {
                    *c = c.saturating_add(1);
                }
                ReplyVerdict::Ignored(r)
            }
        }
    }

    fn classify(&self, arrived_on: usize, from: IpAddr, token: u32, now: u64) -> ReplyVerdict {
        use IgnoreReason::*;
        let ignore = ReplyVerdict::Ignored;
        if !self.is_member(arrived_on) {
            return ignore(NotMember);
        }
        let targets = self.settings.targets();
        let Some(from_target) = targets.iter().position(|t| *t == from) else {
            return ignore(NotTarget);
        };
        let (seq, member, target) = (token_seq(token), token_member(token), token_target(token));
        let path = self
            .slots()
            .get(member)
            .filter(|m| m.active)
            .and_then(|m| m.paths(targets.len()).get(target));
        let Some(path) = path.filter(|p| p.issued) else {
            return ignore(Forged);
        };
        // How many probes ago `seq` was sent on its path.
        let age = path.seq.wrapping_sub(seq) & SEQ_MASK;
        if age >= SEQ_HALF {
            return ignore(Forged);
        }
        if member != arrived_on {
            return ignore(OtherMember);
        }
        if target != from_target {
            return ignore(OtherTarget);
        }
        if age > 0 {
            return ignore(Late);
        }
        if path.answered {
            return ignore(Duplicate);
        }
        // Until the round that sends its successor resolves it: a round
        // that comes late (a busy machine, a delayed timer) must not turn
        // answers that arrived in time for it into misses.
        // No answer comes before its question: a reply that arrived before
        // this probe was sent answers an earlier one.
        if !path.outstanding || now < path.sent_at {
            return ignore(Late);
        }
        ReplyVerdict::Accepted
    }

    /// Member `member`'s verdict; `None` if it is no member.
    pub fn verdict(&self, member: usize) -> Option<Verdict> {
        self.slots()
            .get(member)
            .filter(|m| m.active)
            .map(|m| m.verdict)
    }

    /// Every member's verdict, by member index.
    pub fn verdicts(&self) -> impl Iterator<Item = (usize, Verdict)> + '_ {
        self.slots()
            .iter()
            .enumerate()
            .filter(|(_, m)| m.active)
            .map(|(i, m)| (i, m.verdict))
    }

    /// Whether the group is in the targets-unreachable condition.
    pub const fn targets_unreachable(&self) -> bool {
        self.targets_unreachable
    }

    /// Member `member`'s probe state towards target `target`.
    pub fn path(&self, member: usize, target: usize) -> Option<PathInfo> {
        let addr = *self.settings.targets().get(target)?;
        let m = self.slots().get(member).filter(|m| m.active)?;
        let p = m.paths.get(target)?;
        Some(PathInfo {
            addr,
            misses: p.misses,
            successes: p.successes,
            last_reply: p.last_reply,
            outstanding: p.outstanding.then_some(token(p.seq, member, target)),
            sent: p.sent,
            replies: p.replies,
            missed: p.missed,
        })
    }

    /// How many replies were ignored for `reason`.
    pub fn ignored(&self, reason: IgnoreReason) -> u64 {
        self.ignored.get(reason.slot()).copied().unwrap_or(0)
    }

    fn end_targets_condition(&mut self, changes: &mut Changes) {
        if self.targets_unreachable {
            self.targets_unreachable = false;
            changes.targets = Some(TargetsEvent::Reachable);
        }
    }
}

const fn token(seq: u32, member: usize, target: usize) -> u32 {
    (seq & SEQ_MASK) << SEQ_SHIFT
        | ((member as u32) & ((1 << MEMBER_BITS) - 1)) << TARGET_BITS
        | (target as u32) & ((1 << TARGET_BITS) - 1)
}

const fn token_seq(token: u32) -> u32 {
    token >> SEQ_SHIFT
}

const fn token_member(token: u32) -> usize {
    ((token >> TARGET_BITS) & ((1 << MEMBER_BITS) - 1)) as usize
}

const fn token_target(token: u32) -> usize {
    (token & ((1 << TARGET_BITS) - 1)) as usize
}
