// SPDX-License-Identifier: GPL-2.0

//! Path probing: reply validation, verdicts and the targets condition, unit
//! tests and properties over random event sequences.

// The harness walks (member, target) grids kept in several parallel tables.
#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use rdmaip_core::group::NS_PER_MS;
use rdmaip_core::probe::{
    Changes, IgnoreReason, Probe, ProbeSettings, Prober, ReplyVerdict, SettingsError, TargetsEvent,
    Verdict, VerdictChange, DEFAULT_INTERVAL_MS, DEFAULT_MISSES, DEFAULT_SUCCESSES, MAX_TARGETS,
};
use rdmaip_core::rtaddr::IpAddr;

const I: u64 = DEFAULT_INTERVAL_MS as u64 * NS_PER_MS;

fn target(n: u8) -> IpAddr {
    IpAddr::V4([192, 168, 1, n])
}

fn targets(n: usize) -> Vec<IpAddr> {
    (0..n).map(|i| target(10 + i as u8)).collect()
}

/// A group driven round by round: `round` ticks, then delivers the replies
/// that `ok` lets through half an interval later.
struct Sim {
    p: Prober,
    now: u64,
    probes: Vec<Probe>,
}

impl Sim {
    fn new(members: usize, n_targets: usize, misses: u32, successes: u32) -> Self {
        let s = ProbeSettings::new(100, misses, successes, &targets(n_targets)).unwrap();
        let mut p = Prober::new(s, 7);
        for m in 0..members {
            assert!(p.set_member(m, true));
        }
        Sim {
            p,
            now: 1_000 * I,
            probes: vec![],
        }
    }

    fn tick(&mut self) -> Changes {
        let mut probes = vec![];
        let c = self.p.tick(self.now, |pr| probes.push(pr));
        self.probes = probes;
        c
    }

    fn token(&self, m: usize, t: usize) -> u32 {
        self.probes
            .iter()
            .find(|p| p.member == m && p.target == t)
            .unwrap()
            .token
    }

    /// Ticks, answers what `ok` allows at half an interval, and moves to
    /// the next round. Returns the tick's changes.
    fn round(&mut self, ok: impl Fn(usize, usize) -> bool) -> Changes {
        let c = self.tick();
        for pr in self.probes.clone() {
            if ok(pr.member, pr.target) {
                let v = self.p.reply(pr.member, pr.addr, pr.token, self.now + I / 2);
                assert_eq!(v, ReplyVerdict::Accepted);
            }
        }
        self.now += I;
        c
    }

    fn verdict(&self, m: usize) -> Verdict {
        self.p.verdict(m).unwrap()
    }
}

fn changes(c: &Changes) -> Vec<(usize, Verdict)> {
    c.verdicts().map(|v| (v.member, v.to)).collect()
}

fn all(_: usize, _: usize) -> bool {
    true
}

#[test]
fn settings_defaults_and_validation() {
    let off = ProbeSettings::default();
    assert!(!off.enabled());
    assert_eq!(
        (off.interval_ms(), off.misses(), off.successes()),
        (100, 3, 2)
    );
    assert_eq!((DEFAULT_MISSES, DEFAULT_SUCCESSES), (3, 2));
    let s = ProbeSettings::with_targets(&[target(1), IpAddr::V6([0xfd; 16])]).unwrap();
    assert!(s.enabled());
    assert_eq!(s.targets(), &[target(1), IpAddr::V6([0xfd; 16])]);
    assert_eq!(s.interval_ns(), 100 * NS_PER_MS);

    let t = [target(1)];
    let err = |i, m, s, t: &[IpAddr]| ProbeSettings::new(i, m, s, t).unwrap_err();
    assert_eq!(err(0, 3, 2, &t), SettingsError::Interval);
    assert_eq!(err(9, 3, 2, &t), SettingsError::Interval);
    assert_eq!(err(60_001, 3, 2, &t), SettingsError::Interval);
    assert_eq!(err(100, 0, 2, &t), SettingsError::Misses);
    assert_eq!(err(100, 1, 2, &t), SettingsError::Misses);
    assert_eq!(err(100, 101, 2, &t), SettingsError::Misses);
    assert_eq!(err(100, 3, 0, &t), SettingsError::Successes);
    assert_eq!(err(100, 3, 101, &t), SettingsError::Successes);
    assert_eq!(
        err(100, 3, 2, &targets(MAX_TARGETS + 1)),
        SettingsError::TooManyTargets
    );
    assert!(ProbeSettings::new(100, 3, 2, &targets(MAX_TARGETS)).is_ok());
    assert_eq!(
        err(100, 3, 2, &[target(1), target(2), target(1)]),
        SettingsError::DuplicateTarget
    );
    let mut v6_loopback = [0; 16];
    v6_loopback[15] = 1;
    for bad in [
        IpAddr::V4([0; 4]),
        IpAddr::V4([127, 0, 0, 1]),
        IpAddr::V4([224, 0, 0, 1]),
        IpAddr::V4([255; 4]),
        IpAddr::V6([0; 16]),
        IpAddr::V6(v6_loopback),
        IpAddr::V6([0xff; 16]),
    ] {
        assert_eq!(err(100, 3, 2, &[bad]), SettingsError::BadTarget, "{bad}");
    }
    for e in [
        SettingsError::Interval,
        SettingsError::Misses,
        SettingsError::Successes,
        SettingsError::TooManyTargets,
        SettingsError::DuplicateTarget,
        SettingsError::BadTarget,
    ] {
        assert!(!e.message().is_empty());
    }
}

#[test]
fn every_member_probes_every_target_once_per_interval() {
    let mut sim = Sim::new(3, 2, 3, 2);
    sim.p.set_member(1, false); // a vacant slot between members
    sim.p.set_member(3, true);
    assert_eq!(sim.p.next_tick(), Some(0), "due at once");
    sim.tick();
    let mut sent: Vec<_> = sim.probes.iter().map(|p| (p.member, p.target)).collect();
    sent.sort();
    assert_eq!(sent, [(0, 0), (0, 1), (2, 0), (2, 1), (3, 0), (3, 1)]);
    for p in &sim.probes {
        assert_eq!(p.addr, targets(2)[p.target]);
    }
    let mut tokens: Vec<_> = sim.probes.iter().map(|p| p.token).collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 6, "tokens are unique");
    assert_eq!(sim.p.next_tick(), Some(sim.now + I));
    // Not due yet: nothing.
    let mut n = 0;
    sim.p.tick(sim.now + I - 1, |_| n += 1);
    assert_eq!(n, 0);
    sim.p.tick(sim.now + I, |_| n += 1);
    assert_eq!(n, 6);
    // New tokens each round.
    let old = sim.token(0, 0);
    sim.now += 2 * I;
    sim.tick();
    assert_ne!(sim.token(0, 0), old);
    assert_eq!(sim.p.path(0, 0).unwrap().outstanding, Some(sim.token(0, 0)));
}

#[test]
fn only_the_answer_to_this_members_outstanding_probe_counts() {
    use IgnoreReason::*;
    let mut sim = Sim::new(2, 2, 3, 2);
    sim.tick();
    let (t0, t1) = (target(10), target(11));
    let tok = sim.token(0, 0);
    let at = sim.now + 10 * NS_PER_MS;
    let ignored = |r| ReplyVerdict::Ignored(r);
    // Another member's probe, seen on member 0 (misrouted, or shared segment).
    assert_eq!(
        sim.p.reply(0, t0, sim.token(1, 0), at),
        ignored(OtherMember)
    );
    // This member's probe to target 1, answered by target 0.
    assert_eq!(
        sim.p.reply(0, t0, sim.token(0, 1), at),
        ignored(OtherTarget)
    );
    // Unsolicited traffic from a non-target.
    assert_eq!(sim.p.reply(0, target(99), tok, at), ignored(NotTarget));
    // Arrived on a netdev that is no member.
    assert_eq!(sim.p.reply(5, t0, tok, at), ignored(NotMember));
    assert_eq!(sim.p.reply(99, t0, tok, at), ignored(NotMember));
    // A token never sent (a sequence number ahead of the path's).
    assert_eq!(
        sim.p.reply(0, t0, tok.wrapping_add(1000 << 7), at),
        ignored(Forged)
    );
    // None of that touched the path.
    assert_eq!(sim.p.path(0, 0).unwrap().successes, 0);
    assert_eq!(sim.p.path(0, 0).unwrap().last_reply, None);

    assert_eq!(sim.p.reply(0, t0, tok, at), ReplyVerdict::Accepted);
    assert_eq!(sim.p.reply(0, t0, tok, at + 1), ignored(Duplicate));
    let info = sim.p.path(0, 0).unwrap();
    assert_eq!(
        (
            info.successes,
            info.last_reply,
            info.outstanding,
            info.replies
        ),
        (1, Some(at), None, 1)
    );
    // Unanswered when the next round comes: the tick counts a miss, and a
    // reply after it is late.
    let tok01 = sim.token(0, 1);
    sim.now += I;
    sim.tick();
    assert_eq!(sim.p.path(0, 1).unwrap().misses, 1);
    assert_eq!(sim.p.reply(0, t1, tok01, sim.now), ignored(Late));
    // A reply to an earlier round's probe is late too.
    assert_eq!(sim.p.reply(0, t0, tok, sim.now + 1), ignored(Late));
    assert_eq!(sim.p.reply(0, t1, tok01, sim.now + 1), ignored(Late));

    assert_eq!(sim.p.ignored(OtherMember), 1);
    assert_eq!(sim.p.ignored(OtherTarget), 1);
    assert_eq!(sim.p.ignored(NotTarget), 1);
    assert_eq!(sim.p.ignored(NotMember), 2);
    assert_eq!(sim.p.ignored(Forged), 1);
    assert_eq!(sim.p.ignored(Duplicate), 1);
    assert_eq!(sim.p.ignored(Late), 3);
    for r in IgnoreReason::ALL {
        assert!(!r.name().is_empty());
    }
}

#[test]
fn gray_member_goes_down_after_misses_while_another_reaches_a_target() {
    let mut sim = Sim::new(2, 2, 3, 2);
    for _ in 0..3 {
        assert!(sim.round(all).is_empty());
    }
    // Member 0's path goes gray: its probes (or their replies: one-way
    // loss looks the same from here) are lost from this round on.
    let gray = |m: usize, _| m != 0;
    assert!(sim.round(gray).is_empty()); // probes sent, lost
    assert!(sim.round(gray).is_empty()); // 1 miss
    assert!(sim.round(gray).is_empty()); // 2 misses
    let c = sim.round(gray); // 3 misses: down
    assert_eq!(changes(&c), [(0, Verdict::Unreachable)]);
    assert_eq!(c.targets(), None);
    let v: Vec<VerdictChange> = c.verdicts().collect();
    assert_eq!(v[0].from, Verdict::Reachable);
    // Its first gray round asked only target 0 (which answered before),
    // the next two asked both.
    let info = sim.p.path(0, 0).unwrap();
    assert_eq!((info.misses, info.missed), (3, 3));
    assert!(info.last_reply.is_some());
    let info = sim.p.path(0, 1).unwrap();
    assert_eq!((info.misses, info.missed), (2, 2));
    assert_eq!(sim.verdict(1), Verdict::Reachable);
    // It stays down (no flapping) while it stays gray.
    for _ in 0..10 {
        assert!(sim.round(gray).is_empty());
    }
}

#[test]
fn a_member_that_reaches_one_target_stays_up() {
    let mut sim = Sim::new(2, 3, 2, 1);
    for _ in 0..20 {
        assert!(sim.round(|m, t| m != 0 || t == 2).is_empty());
    }
    assert_eq!(sim.verdict(0), Verdict::Reachable);
    // After the first round it asks only the target that answers it.
    let (p0, p2) = (sim.p.path(0, 0).unwrap(), sim.p.path(0, 2).unwrap());
    assert_eq!((p0.sent, p0.misses), (1, 1));
    assert_eq!((p2.sent, p2.replies), (20, 20));
}

#[test]
fn an_answered_member_asks_one_target_and_all_after_a_miss() {
    let mut sim = Sim::new(2, 4, 3, 2);
    let asked = |sim: &Sim, m: usize| -> Vec<usize> {
        sim.probes
            .iter()
            .filter(|p| p.member == m)
            .map(|p| p.target)
            .collect()
    };
    // First round: everyone asks every target; targets 1 and 3 answer.
    sim.round(|_, t| t == 1 || t == 3);
    assert_eq!(asked(&sim, 0), [0, 1, 2, 3]);
    // Then one probe per member and round, to the first that answered.
    for _ in 0..5 {
        assert!(sim.round(all).is_empty());
        assert_eq!(asked(&sim, 0), [1]);
        assert_eq!(asked(&sim, 1), [1]);
    }
    // Target 1 dies for everyone: one unanswered round, then every target
    // is asked, target 0 answers first and is asked from then on. Nothing
    // moves, and the group never counts the targets as gone.
    let no_1 = |_: usize, t: usize| t != 1;
    let c = sim.round(no_1);
    assert!(c.is_empty());
    assert_eq!(asked(&sim, 0), [1]);
    assert!(sim.round(no_1).is_empty());
    assert_eq!(asked(&sim, 0), [0, 1, 2, 3]);
    for _ in 0..5 {
        assert!(sim.round(no_1).is_empty());
        assert_eq!(asked(&sim, 1), [0]);
    }
    assert!(!sim.p.targets_unreachable());
}

#[test]
fn recovery_needs_successes_consecutive_replies_from_one_target() {
    let mut sim = Sim::new(2, 2, 2, 3);
    sim.round(all);
    let down = |m: usize, _| m != 0;
    sim.round(down);
    sim.round(down);
    assert_eq!(changes(&sim.round(down)), [(0, Verdict::Unreachable)]);
    // Replies alternate between the targets: never 3 in a row from one.
    for i in 0..10 {
        let c = sim.round(|m, t| m != 0 || t == i % 2);
        assert!(c.is_empty(), "round {i}");
    }
    // Two in a row from target 0, then a miss: starts over.
    sim.round(|m, t| m != 0 || t == 0);
    sim.round(|m, t| m != 0 || t == 0);
    sim.round(down);
    assert!(sim.round(|m, t| m != 0 || t == 0).is_empty());
    assert!(sim.round(|m, t| m != 0 || t == 0).is_empty());
    assert!(sim.round(|m, t| m != 0 || t == 0).is_empty());
    // The third consecutive reply is seen at the next tick.
    assert_eq!(changes(&sim.round(all)), [(0, Verdict::Reachable)]);
}

#[test]
fn all_targets_lost_at_once_is_a_targets_problem() {
    let mut sim = Sim::new(3, 2, 3, 2);
    sim.round(all);
    sim.round(all);
    let none = |_: usize, _: usize| false;
    for _ in 0..3 {
        assert!(sim.round(none).is_empty());
    }
    let c = sim.round(none);
    assert!(c.verdicts().next().is_none());
    assert_eq!(c.targets(), Some(TargetsEvent::Unreachable));
    assert!(sim.p.targets_unreachable());
    for _ in 0..20 {
        assert!(sim.round(none).is_empty());
    }
    for m in 0..3 {
        assert_eq!(sim.verdict(m), Verdict::Reachable);
    }
    // Back: one reply is not enough, two in a row end the condition.
    assert!(sim.round(|m, _| m == 1).is_empty());
    assert!(sim.round(|m, _| m == 1).is_empty());
    let c = sim.round(all);
    assert_eq!(c.targets(), Some(TargetsEvent::Reachable));
    // Member 1 is a witness now, so members 0 and 2 (still failing: their
    // replies came back only in this round) go down for the moment. That
    // is the rule: they lost their targets while member 1 reached one.
    assert_eq!(
        changes(&c),
        [(0, Verdict::Unreachable), (2, Verdict::Unreachable)]
    );
}

#[test]
fn all_targets_lost_together_recover_together() {
    let mut sim = Sim::new(3, 2, 3, 2);
    sim.round(all);
    let none = |_: usize, _: usize| false;
    for _ in 0..6 {
        sim.round(none);
    }
    assert!(sim.p.targets_unreachable());
    assert!(sim.round(all).is_empty());
    assert!(sim.round(all).is_empty());
    let c = sim.round(all);
    assert_eq!(c.targets(), Some(TargetsEvent::Reachable));
    assert!(c.verdicts().next().is_none());
}

#[test]
fn members_losing_targets_within_one_interval_do_not_go_down() {
    let mut sim = Sim::new(2, 1, 3, 2);
    sim.round(all);
    sim.round(|m, _| m == 1); // member 0's path dies one round before 1's
    let none = |_: usize, _: usize| false;
    for _ in 0..3 {
        assert!(sim.round(none).is_empty());
    }
    assert_eq!(sim.round(none).targets(), Some(TargetsEvent::Unreachable));
    assert_eq!(sim.verdict(0), Verdict::Reachable);
}

#[test]
fn a_stale_witness_is_no_witness() {
    // Member 1 replies only every other round: member 0 goes down at the
    // first round where member 1 answered its latest probe.
    let mut sim = Sim::new(2, 1, 2, 1);
    sim.round(all);
    sim.round(|m, _| m == 1); // round A: 1 answers
    sim.round(none_but_every_other(false)); // 0: 1 miss; 1: answered last round
    let c = sim.round(none_but_every_other(true)); // 0: 2 misses; 1 missed last
    assert!(c.is_empty());
    let c = sim.round(none_but_every_other(false)); // 0: 3 misses; 1 answered
    assert_eq!(changes(&c), [(0, Verdict::Unreachable)]);
}

fn none_but_every_other(one_answers: bool) -> impl Fn(usize, usize) -> bool {
    move |m, _| m == 1 && one_answers
}

#[test]
fn a_single_member_is_never_marked_down() {
    let mut sim = Sim::new(1, 2, 2, 1);
    sim.round(all);
    let mut events = vec![];
    for _ in 0..10 {
        let c = sim.round(|_, _| false);
        assert!(c.verdicts().next().is_none());
        events.extend(c.targets());
    }
    assert_eq!(events, [TargetsEvent::Unreachable]);
}

#[test]
fn probing_off_sends_nothing_and_marks_nothing_down() {
    let mut p = Prober::new(ProbeSettings::OFF, 0);
    p.set_member(0, true);
    p.set_member(1, true);
    assert_eq!(p.next_tick(), None);
    for r in 0..10 {
        let c = p.tick(r * I, |_| panic!("probe sent with probing off"));
        assert!(c.is_empty());
    }
    assert_eq!(
        p.reply(0, target(10), 0, 0),
        ReplyVerdict::Ignored(IgnoreReason::NotTarget)
    );

    // Turning it off makes a down member reachable and ends the condition.
    let mut sim = Sim::new(2, 1, 2, 1);
    sim.round(all);
    let dead0 = |m: usize, _| m == 1;
    for _ in 0..3 {
        sim.round(dead0);
    }
    assert_eq!(sim.verdict(0), Verdict::Unreachable);
    let c = sim.p.set_settings(ProbeSettings::OFF);
    assert_eq!(changes(&c), [(0, Verdict::Reachable)]);
    assert_eq!(c.targets(), None);
    assert_eq!(sim.p.next_tick(), None);

    let mut sim = Sim::new(2, 1, 2, 1);
    for _ in 0..5 {
        sim.round(|_, _| false);
    }
    assert!(sim.p.targets_unreachable());
    let c = sim.p.set_settings(ProbeSettings::OFF);
    assert_eq!(c.targets(), Some(TargetsEvent::Reachable));
    assert!(!sim.p.targets_unreachable());
}

#[test]
fn a_late_timer_counts_one_miss_not_the_time() {
    let mut sim = Sim::new(2, 1, 3, 2);
    sim.round(all);
    sim.tick(); // nothing answered
    sim.now += 50 * I;
    sim.tick();
    assert_eq!(sim.p.path(0, 0).unwrap().misses, 1);
    assert_eq!(sim.verdict(0), Verdict::Reachable);
}

#[test]
fn a_member_that_leaves_and_returns_starts_fresh() {
    let mut sim = Sim::new(2, 1, 2, 1);
    sim.round(all);
    for _ in 0..3 {
        sim.round(|m, _| m == 1);
    }
    assert_eq!(sim.verdict(0), Verdict::Unreachable);
    sim.tick();
    let old = sim.token(0, 0);
    sim.p.set_member(0, false);
    assert_eq!(sim.p.verdict(0), None);
    assert_eq!(sim.p.path(0, 0), None);
    assert_eq!(
        sim.p.reply(0, target(10), old, sim.now + 1),
        ReplyVerdict::Ignored(IgnoreReason::NotMember)
    );
    sim.p.set_member(0, true);
    assert_eq!(sim.verdict(0), Verdict::Reachable);
    assert_eq!(sim.p.path(0, 0).unwrap().misses, 0);
    // A reply to a probe of its earlier life never counts.
    assert_eq!(
        sim.p.reply(0, target(10), old, sim.now + 1),
        ReplyVerdict::Ignored(IgnoreReason::Late)
    );
    sim.now += I;
    sim.tick();
    assert_ne!(sim.token(0, 0), old);
}

#[test]
fn new_settings_keep_the_paths_of_unchanged_targets() {
    let mut sim = Sim::new(2, 2, 3, 2);
    sim.round(|_, t| t == 1);
    sim.tick();
    assert_eq!(sim.p.path(0, 0).unwrap().misses, 1);
    let s = ProbeSettings::new(200, 4, 1, &[target(42), target(11)]).unwrap();
    assert!(sim.p.set_settings(s).is_empty());
    assert_eq!(sim.p.path(0, 1).unwrap().successes, 1);
    let fresh = sim.p.path(0, 0).unwrap();
    assert_eq!((fresh.addr, fresh.misses, fresh.sent), (target(42), 0, 0));
    assert_eq!(sim.p.settings().interval_ns(), 200 * NS_PER_MS);
}

#[test]
fn ipv6_targets_are_probed_and_validated_alike() {
    let t6 = IpAddr::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    let mut p = Prober::new(ProbeSettings::with_targets(&[t6]).unwrap(), 1);
    p.set_member(0, true);
    let mut probes = vec![];
    p.tick(0, |pr| probes.push(pr));
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0].addr, t6);
    assert_eq!(p.reply(0, t6, probes[0].token, 5), ReplyVerdict::Accepted);
    assert_eq!(p.path(0, 0).unwrap().last_reply, Some(5));
}

// ---------------------------------------------------------------------
// Properties over random event sequences.

/// Something that happens during a round. Indices are taken modulo the
/// group's size.
#[derive(Clone, Debug)]
enum Ev {
    /// The path member -> target breaks (either direction: replies never
    /// arrive).
    Cut(usize, usize),
    Heal(usize, usize),
    /// Every path of a member breaks.
    CutMember(usize),
    HealMember(usize),
    /// Every path breaks at once: the targets are gone.
    KillAll,
    HealAll,
    /// This round's reply on one path is lost.
    Drop(usize, usize),
    /// Noise, sent to the noisy prober only: a random token on a member.
    Forge(usize, usize, u32),
    /// Member a's probe answered on member b.
    Misroute(usize, usize, usize),
    /// A reply to the previous round's probe.
    Late(usize, usize),
    /// A delivered reply delivered again.
    Dup(usize, usize),
    /// A member's probe to one target answered from another.
    Cross(usize, usize, usize),
    /// Traffic from an address that is no target.
    Unsolicited(usize, u32),
}

fn ev() -> impl Strategy<Value = Ev> {
    let i = || 0usize..8;
    prop_oneof![
        3 => (i(), i()).prop_map(|(m, t)| Ev::Cut(m, t)),
        3 => (i(), i()).prop_map(|(m, t)| Ev::Heal(m, t)),
        2 => i().prop_map(Ev::CutMember),
        3 => i().prop_map(Ev::HealMember),
        1 => Just(Ev::KillAll),
        2 => Just(Ev::HealAll),
        3 => (i(), i()).prop_map(|(m, t)| Ev::Drop(m, t)),
        2 => (i(), i(), any::<u32>()).prop_map(|(m, t, x)| Ev::Forge(m, t, x)),
        2 => (i(), i(), i()).prop_map(|(a, b, t)| Ev::Misroute(a, b, t)),
        2 => (i(), i()).prop_map(|(m, t)| Ev::Late(m, t)),
        2 => (i(), i()).prop_map(|(m, t)| Ev::Dup(m, t)),
        2 => (i(), i(), i()).prop_map(|(m, a, b)| Ev::Cross(m, a, b)),
        1 => (i(), any::<u32>()).prop_map(|(m, x)| Ev::Unsolicited(m, x)),
    ]
}

/// The harness's own account of one path, from what it delivered.
#[derive(Clone, Copy, Default, Debug)]
struct Model {
    misses: u32,
    successes: u32,
}

struct World {
    n: usize,
    t: usize,
    misses: u32,
    successes: u32,
    /// Two probers fed the same genuine replies; `noisy` also gets noise.
    clean: Prober,
    noisy: Prober,
    now: u64,
    round: u64,
    up: Vec<Vec<bool>>,
    model: Vec<Vec<Model>>,
    /// Whether the model says the group is in the targets condition.
    cond: bool,
    probes: Vec<Probe>,
    prev_probes: Vec<Probe>,
    /// Rounds of each member's latest verdict change.
    last_change: Vec<Option<u64>>,
    /// Which paths delivered their reply this round.
    delivered: Vec<Vec<bool>>,
    /// Which paths delivered their reply in the latest resolved round.
    answered: Vec<Vec<bool>>,
    /// Which paths this round probes.
    asked: Vec<Vec<bool>>,
    /// Per member, consecutive resolved rounds with no reply.
    unanswered: Vec<u32>,
    /// First round whose probes all went unanswered after a KillAll,
    /// while no path has healed since.
    killed_at: Option<u64>,
    verdicts_at_kill: Vec<Verdict>,
}

impl World {
    fn new(n: usize, t: usize, misses: u32, successes: u32, seed: u32) -> Self {
        let s = ProbeSettings::new(100, misses, successes, &targets(t)).unwrap();
        let mut clean = Prober::new(s, seed);
        for m in 0..n {
            clean.set_member(m, true);
        }
        World {
            n,
            t,
            misses,
            successes,
            noisy: clean.clone(),
            clean,
            now: 0,
            round: 0,
            up: vec![vec![true; t]; n],
            model: vec![vec![Model::default(); t]; n],
            cond: false,
            probes: vec![],
            prev_probes: vec![],
            last_change: vec![None; n],
            delivered: vec![vec![false; t]; n],
            answered: vec![vec![false; t]; n],
            asked: vec![vec![false; t]; n],
            unanswered: vec![0; n],
            killed_at: None,
            verdicts_at_kill: vec![],
        }
    }

    fn failing(&self, m: usize) -> bool {
        self.unanswered[m] >= self.misses
    }

    fn witness(&self, m: usize) -> bool {
        self.answered[m].iter().any(|&a| a)
    }

    fn recovered(&self, m: usize) -> bool {
        (0..self.t).any(|tg| self.answered[m][tg] && self.model[m][tg].successes >= self.successes)
    }

    fn token(&self, probes: &[Probe], m: usize, t: usize) -> Option<u32> {
        probes
            .iter()
            .find(|p| p.member == m && p.target == t)
            .map(|p| p.token)
    }

    fn noise(&mut self, m: usize, from: IpAddr, token: u32) -> Result<(), TestCaseError> {
        let v = self.noisy.reply(m, from, token, self.now + I / 4);
        prop_assert!(
            matches!(v, ReplyVerdict::Ignored(_)),
            "noise counted: member {m} from {from} token {token:#x}"
        );
        Ok(())
    }

    /// One round: tick both probers, check, then play the events and
    /// deliver the replies the world lets through.
    fn round(&mut self, evs: &[Ev]) -> Result<(), TestCaseError> {
        let (n, t) = (self.n, self.t);
        // Resolve the previous round in the model, as the tick will: misses
        // on the paths it asked, the member's unanswered rounds.
        for m in 0..n {
            for tg in 0..t {
                if self.asked[m][tg] && !self.delivered[m][tg] {
                    self.model[m][tg].misses += 1;
                    self.model[m][tg].successes = 0;
                }
            }
            if self.delivered[m].iter().any(|&d| d) {
                self.unanswered[m] = 0;
            } else if self.asked[m].iter().any(|&a| a) {
                self.unanswered[m] += 1;
            }
        }
        self.answered = std::mem::replace(&mut self.delivered, vec![vec![false; t]; n]);
        // This round asks the first target that answered, or every target.
        for m in 0..n {
            let focus = self.answered[m].iter().position(|&a| a);
            for tg in 0..t {
                self.asked[m][tg] = focus.is_none_or(|f| f == tg);
            }
        }
        let before: Vec<Verdict> = (0..n).map(|m| self.clean.verdict(m).unwrap()).collect();
        let mut probes = vec![];
        let c = self.clean.tick(self.now, |p| probes.push(p));
        let mut noisy_probes = vec![];
        let cn = self.noisy.tick(self.now, |p| noisy_probes.push(p));
        // Noise never counts: both probers are in the same state.
        prop_assert_eq!(&probes, &noisy_probes);
        prop_assert_eq!(c, cn);
        let mut sent: Vec<_> = probes.iter().map(|p| (p.member, p.target)).collect();
        sent.sort();
        let expected: Vec<_> = (0..n)
            .flat_map(|m| (0..t).map(move |tg| (m, tg)))
            .filter(|&(m, tg)| self.asked[m][tg])
            .collect();
        prop_assert_eq!(sent, expected);
        for m in 0..n {
            prop_assert_eq!(self.clean.verdict(m), self.noisy.verdict(m));
            for tg in 0..t {
                let (a, b) = (self.clean.path(m, tg), self.noisy.path(m, tg));
                prop_assert_eq!(a, b);
                let a = a.unwrap();
                prop_assert_eq!(a.misses, self.model[m][tg].misses);
                prop_assert_eq!(a.successes, self.model[m][tg].successes);
            }
        }
        self.check_verdicts(&before, &c)?;

        self.prev_probes = std::mem::replace(&mut self.probes, probes);
        let mut dropped = vec![vec![false; t]; n];
        for e in evs {
            match *e {
                Ev::Cut(m, tg) => self.up[m % n][tg % t] = false,
                Ev::Heal(m, tg) => {
                    self.up[m % n][tg % t] = true;
                    self.killed_at = None;
                }
                Ev::CutMember(m) => self.up[m % n] = vec![false; t],
                Ev::HealMember(m) => {
                    self.up[m % n] = vec![true; t];
                    self.killed_at = None;
                }
                Ev::KillAll => {
                    self.up = vec![vec![false; t]; n];
                    if self.killed_at.is_none() {
                        let some = self.delivered.iter().flatten().any(|&d| d);
                        self.killed_at = Some(self.round + u64::from(some));
                    }
                }
                Ev::HealAll => {
                    self.up = vec![vec![true; t]; n];
                    self.killed_at = None;
                }
                Ev::Drop(m, tg) => dropped[m % n][tg % t] = true,
                Ev::Forge(m, tg, x) => {
                    if !self.probes.iter().any(|p| p.token == x) {
                        self.noise(m % n, targets(t)[tg % t], x)?;
                    }
                }
                Ev::Misroute(a, b, tg) => {
                    let (a, b) = (a % n, b % n);
                    if let Some(tok) = self.token(&self.probes, a, tg % t).filter(|_| a != b) {
                        self.noise(b, targets(t)[tg % t], tok)?;
                    }
                }
                Ev::Late(m, tg) => {
                    if let Some(tok) = self.token(&self.prev_probes, m % n, tg % t) {
                        self.noise(m % n, targets(t)[tg % t], tok)?;
                    }
                }
                Ev::Dup(m, tg) => {
                    let (m, tg) = (m % n, tg % t);
                    if self.delivered[m][tg] {
                        let tok = self.token(&self.probes, m, tg).unwrap();
                        self.noise(m, targets(t)[tg], tok)?;
                    }
                }
                Ev::Cross(m, a, b) => {
                    let (m, a, b) = (m % n, a % t, b % t);
                    if let Some(tok) = self.token(&self.probes, m, a).filter(|_| a != b) {
                        self.noise(m, targets(t)[b], tok)?;
                    }
                }
                Ev::Unsolicited(m, x) => {
                    self.noise(m % n, IpAddr::V4([10, 9, 9, 9]), x)?;
                }
            }
            // Genuine replies arrive at the point of the round where they
            // are, between the events.
            for m in 0..n {
                for tg in 0..t {
                    if self.asked[m][tg]
                        && self.up[m][tg]
                        && !dropped[m][tg]
                        && !self.delivered[m][tg]
                    {
                        self.genuine(m, tg)?;
                    }
                }
            }
        }
        if evs.is_empty() {
            for m in 0..n {
                for tg in 0..t {
                    if self.asked[m][tg] && self.up[m][tg] {
                        self.genuine(m, tg)?;
                    }
                }
            }
        }
        self.now += I;
        self.round += 1;
        Ok(())
    }

    fn genuine(&mut self, m: usize, tg: usize) -> Result<(), TestCaseError> {
        let tok = self.token(&self.probes, m, tg).unwrap();
        let at = self.now + I / 2;
        let addr = targets(self.t)[tg];
        prop_assert_eq!(self.clean.reply(m, addr, tok, at), ReplyVerdict::Accepted);
        prop_assert_eq!(self.noisy.reply(m, addr, tok, at), ReplyVerdict::Accepted);
        self.model[m][tg].successes += 1;
        self.model[m][tg].misses = 0;
        self.delivered[m][tg] = true;
        Ok(())
    }

    /// Checks the tick's verdicts against the model. Called right after a
    /// tick, after the model has resolved the previous round.
    fn check_verdicts(&mut self, before: &[Verdict], c: &Changes) -> Result<(), TestCaseError> {
        let n = self.n;
        let all_failing = (0..n).all(|m| self.failing(m));
        let was = self.cond;
        self.cond = if was {
            !(0..n).any(|m| self.recovered(m))
        } else {
            all_failing
        };
        prop_assert_eq!(self.clean.targets_unreachable(), self.cond);
        let expected_event = (was != self.cond).then_some(if self.cond {
            TargetsEvent::Unreachable
        } else {
            TargetsEvent::Reachable
        });
        prop_assert_eq!(c.targets(), expected_event);

        let reported: Vec<_> = c.verdicts().collect();
        for m in 0..n {
            let now = self.clean.verdict(m).unwrap();
            let change = reported.iter().find(|v| v.member == m);
            prop_assert_eq!(change.is_some(), now != before[m]);
            if let Some(v) = change {
                prop_assert_eq!((v.from, v.to), (before[m], now));
            }
            let other_witness = (0..n).any(|o| o != m && self.witness(o));
            match (before[m], now) {
                (Verdict::Reachable, Verdict::Unreachable) => {
                    // Only with evidence: every target silent for `misses`
                    // rounds, another member reaching one right now, and
                    // never while every member lost every target.
                    prop_assert!(self.failing(m) && other_witness && !all_failing);
                    prop_assert!(!self.cond);
                    // No faster than the hysteresis allows.
                    if let Some(r) = self.last_change[m] {
                        prop_assert!(self.round - r >= u64::from(self.misses));
                    }
                    self.last_change[m] = Some(self.round);
                }
                (Verdict::Unreachable, Verdict::Reachable) => {
                    prop_assert!(self.recovered(m));
                    let r = self.last_change[m].unwrap();
                    prop_assert!(self.round - r >= u64::from(self.successes));
                    self.last_change[m] = Some(self.round);
                }
                (Verdict::Reachable, _) => {
                    // Failing while another member is healthy: down now
                    // (within misses + 1 intervals of the path breaking).
                    prop_assert!(!(self.failing(m) && other_witness && !self.cond));
                }
                (Verdict::Unreachable, _) => {
                    // A down member with `successes` valid replies is up.
                    prop_assert!(!self.recovered(m));
                }
            }
        }
        // Targets all gone at once: nothing moves for as long as they are.
        if let Some(k) = self.killed_at {
            if self.round == k + 1 {
                // Nobody answered in round k: no witness, no change here.
                self.verdicts_at_kill = before.to_vec();
            }
            if self.round > k {
                for m in 0..n {
                    prop_assert_eq!(self.clean.verdict(m).unwrap(), self.verdicts_at_kill[m]);
                }
            }
            if self.round >= k + u64::from(self.misses) {
                prop_assert!(self.cond, "targets condition after the kill");
            }
        }
        Ok(())
    }
}

fn run(
    n: usize,
    t: usize,
    misses: u32,
    successes: u32,
    seed: u32,
    rounds: &[Vec<Ev>],
) -> Result<World, TestCaseError> {
    let mut w = World::new(n, t, misses, successes, seed);
    for evs in rounds {
        w.round(evs)?;
    }
    Ok(w)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]
    #[test]
    fn verdicts_follow_valid_replies_only(
        n in 1usize..6,
        t in 1usize..4,
        misses in 2u32..5,
        successes in 1u32..4,
        seed in any::<u32>(),
        rounds in prop::collection::vec(prop::collection::vec(ev(), 0..4), 1..80),
    ) {
        run(n, t, misses, successes, seed, &rounds)?;
    }

    #[test]
    fn targets_dying_together_never_move_anything(
        n in 2usize..6,
        t in 1usize..4,
        misses in 2u32..5,
        successes in 1u32..4,
        healthy in 1u64..10,
        dead in 0u64..30,
        lossy in prop::collection::vec((0usize..8, 0usize..8), 0..6),
    ) {
        // Some single-path losses, then every path dies in one round.
        let mut rounds: Vec<Vec<Ev>> = vec![vec![]; healthy as usize];
        for (i, &(m, tg)) in lossy.iter().enumerate() {
            // Never two rounds in a row: one miss at a time.
            if let Some(r) = rounds.get_mut(2 * i) {
                r.push(Ev::Drop(m, tg));
            }
        }
        rounds.push(vec![Ev::KillAll]);
        rounds.extend((0..dead + u64::from(misses)).map(|_| vec![]));
        let mut w = World::new(n, t, misses, successes, 3);
        for evs in &rounds {
            w.round(evs)?;
            // Occasional single drops never lose a member all its targets
            // for `misses` rounds, so nothing is ever down here.
            for m in 0..n {
                prop_assert_eq!(w.clean.verdict(m), Some(Verdict::Reachable));
            }
        }
        prop_assert!(w.cond);
    }
}

/// Replies without a token (ARP, neighbour advertisements) stand for the
/// member's latest probe to that target: once, on that member, in time.
#[test]
fn replies_without_token_validate_like_arp_validate() {
    let mut sim = Sim::new(2, 2, DEFAULT_MISSES, DEFAULT_SUCCESSES);
    assert_eq!(
        sim.p.reply_without_token(0, target(10), sim.now),
        ReplyVerdict::Ignored(IgnoreReason::Forged),
        "nothing was sent yet"
    );
    sim.tick();
    let at = sim.now + I / 2;
    assert_eq!(
        sim.p.reply_without_token(0, target(10), at),
        ReplyVerdict::Accepted
    );
    assert_eq!(
        sim.p.reply_without_token(0, target(10), at),
        ReplyVerdict::Ignored(IgnoreReason::Duplicate)
    );
    assert_eq!(
        sim.p.reply_without_token(1, target(99), at),
        ReplyVerdict::Ignored(IgnoreReason::NotTarget)
    );
    assert_eq!(
        sim.p.reply_without_token(5, target(10), at),
        ReplyVerdict::Ignored(IgnoreReason::NotMember)
    );
    // Our own round is late (a busy machine): an answer that came before
    // it still counts, however long after the probe.
    assert_eq!(
        sim.p.reply_without_token(1, target(11), sim.now + 3 * I),
        ReplyVerdict::Accepted
    );
    assert_eq!(
        sim.p.reply_without_token(1, target(10), at),
        ReplyVerdict::Accepted
    );
    assert_eq!(sim.p.path(0, 0).unwrap().replies, 1);
    assert_eq!(sim.p.path(1, 1).unwrap().replies, 1);
    // Once the next round resolved it, the same answer is late.
    sim.now += 4 * I;
    sim.tick();
    assert_eq!(
        sim.p.reply_without_token(1, target(11), sim.now - I),
        ReplyVerdict::Ignored(IgnoreReason::Late)
    );
}

/// Member slots kept on the heap (as the kernel module keeps them).
struct HeapSlots(Vec<rdmaip_core::probe::MemberProbe>);

impl rdmaip_core::probe::MemberStore for HeapSlots {
    fn slots(&self) -> &[rdmaip_core::probe::MemberProbe] {
        &self.0
    }
    fn slots_mut(&mut self) -> &mut [rdmaip_core::probe::MemberProbe] {
        &mut self.0
    }
}

/// A prober whose member slots live elsewhere behaves exactly like the
/// inline one: same tokens, same verdicts.
#[test]
fn heap_store_behaves_like_inline() {
    use rdmaip_core::group::MAX_MEMBERS;
    use rdmaip_core::probe::MemberProbe;
    let s = ProbeSettings::new(100, 2, 1, &targets(2)).unwrap();
    let mut a = Prober::new(s, 99);
    let mut b = Prober::with_store(s, 99, HeapSlots(vec![MemberProbe::VACANT; MAX_MEMBERS]));
    for m in 0..3 {
        assert!(a.set_member(m, true) && b.set_member(m, true));
    }
    let mut now = 1_000 * I;
    for round in 0..6 {
        let (mut pa, mut pb) = (vec![], vec![]);
        let ca = a.tick(now, |p| pa.push(p));
        let cb = b.tick(now, |p| pb.push(p));
        assert_eq!(pa, pb);
        assert_eq!(
            ca.verdicts().collect::<Vec<_>>(),
            cb.verdicts().collect::<Vec<_>>()
        );
        // Member 2 is cut after round 1.
        for p in pa.iter().filter(|p| p.member != 2 || round < 1) {
            assert_eq!(
                a.reply(p.member, p.addr, p.token, now + I / 2),
                ReplyVerdict::Accepted
            );
            assert_eq!(
                b.reply(p.member, p.addr, p.token, now + I / 2),
                ReplyVerdict::Accepted
            );
        }
        now += I;
    }
    assert_eq!(a.verdict(2), Some(Verdict::Unreachable));
    assert_eq!(b.verdict(2), Some(Verdict::Unreachable));
}
