// SPDX-License-Identifier: GPL-2.0

//! Failover, failback and drain planning: scenarios and properties over
//! random event sequences.

use proptest::prelude::*;
use rdmaip_core::group::{
    group_health, group_up, next_deadline, plan, FailbackSettings, GroupHealth, Member, Move,
    MoveReason, Placement, MAX_MEMBERS, NS_PER_MS,
};

const S: FailbackSettings = FailbackSettings::DEFAULT;
const SEC: u64 = 1000 * NS_PER_MS;

/// A group as the kernel would keep it, driven by the planner.
struct Group {
    members: Vec<Member>,
    addrs: Vec<Placement>,
    now: u64,
    settings: FailbackSettings,
}

impl Group {
    fn new(ports: usize, addrs_per_port: usize) -> Self {
        let mut g = Group {
            members: vec![Member::new(); ports],
            addrs: vec![],
            now: 0,
            settings: S,
        };
        for m in &mut g.members {
            m.set_healthy(true, 0, &S);
        }
        for p in 0..ports {
            for _ in 0..addrs_per_port {
                g.addrs.push(Placement {
                    home: p,
                    current: p,
                });
            }
        }
        g.now = 100 * SEC; // everyone long stable
        g
    }

    fn health(&mut self, m: usize, up: bool) {
        self.members[m].set_healthy(up, self.now, &self.settings);
    }

    fn run(&mut self) -> Vec<Move> {
        let mut moves = vec![];
        plan(&self.members, &self.addrs, &self.settings, self.now, |m| {
            moves.push(m)
        });
        for m in &moves {
            assert_eq!(
                self.addrs[m.addr].current, m.from,
                "a move starts where the address is"
            );
            self.addrs[m.addr].current = m.to;
        }
        for m in &mut self.members {
            m.settle();
        }
        moves
    }

    fn load(&self, m: usize) -> usize {
        self.addrs.iter().filter(|a| a.current == m).count()
    }
}

#[test]
fn failed_port_addresses_spread_over_survivors() {
    let mut g = Group::new(3, 4);
    g.health(0, false);
    let moves = g.run();
    assert_eq!(moves.len(), 4);
    assert!(moves
        .iter()
        .all(|m| m.reason == MoveReason::Failover && m.from == 0));
    assert_eq!((g.load(0), g.load(1), g.load(2)), (0, 6, 6));
}

#[test]
fn failback_waits_for_the_delay() {
    let mut g = Group::new(2, 2);
    g.health(0, false);
    g.run();
    g.now += SEC;
    g.health(0, true);
    assert!(g.run().is_empty(), "not before the failback delay");
    let due = next_deadline(&g.members, &g.addrs, &S, g.now).unwrap();
    assert_eq!(due, g.now + S.delay_ns);
    g.now = due - 1;
    assert!(g.run().is_empty());
    g.now = due;
    let moves = g.run();
    assert_eq!(moves.len(), 2);
    assert!(moves
        .iter()
        .all(|m| m.reason == MoveReason::Failback && m.to == 0));
}

#[test]
fn cascade_moves_taken_over_addresses_again() {
    let mut g = Group::new(3, 1);
    g.health(0, false);
    g.run();
    // Address of port 0 is now on port 1 (lowest index among equals).
    assert_eq!(g.addrs[0].current, 1);
    g.health(1, false);
    let moves = g.run();
    assert_eq!(moves.len(), 2);
    assert!(g.addrs.iter().all(|a| a.current == 2));
}

#[test]
fn a_group_with_some_members_down_is_degraded_and_drained_ones_do_not_count() {
    let mut g = Group::new(3, 1);
    assert_eq!(group_health(&g.members), GroupHealth::Up);
    g.members[2].drain();
    assert_eq!(group_health(&g.members), GroupHealth::Up);
    g.health(0, false);
    assert_eq!(group_health(&g.members), GroupHealth::Degraded);
    g.health(1, false);
    assert_eq!(group_health(&g.members), GroupHealth::Down);
    g.members[2].undrain();
    assert_eq!(group_health(&g.members), GroupHealth::Degraded);
    g.health(0, true);
    g.health(1, true);
    assert_eq!(group_health(&g.members), GroupHealth::Up);
}

#[test]
fn all_down_nothing_moves_and_first_back_takes_all() {
    let mut g = Group::new(2, 2);
    g.health(0, false);
    g.health(1, false);
    assert!(!group_up(&g.members));
    assert_eq!(group_health(&g.members), GroupHealth::Down);
    assert!(g.run().is_empty());
    g.now += SEC;
    g.health(1, true);
    let moves = g.run();
    assert_eq!(
        moves.len(),
        2,
        "port 0's addresses go to the first port back"
    );
    assert!(g.addrs.iter().all(|a| a.current == 1));
}

#[test]
fn drain_and_undrain() {
    let mut g = Group::new(2, 2);
    g.members[0].drain();
    let moves = g.run();
    assert!(moves.iter().all(|m| m.reason == MoveReason::Drain));
    assert_eq!(g.load(0), 0);
    g.now += 1000 * SEC;
    assert!(g.run().is_empty(), "a drained port gets nothing back");
    g.members[0].undrain();
    let moves = g.run();
    assert_eq!(moves.len(), 2);
    assert!(moves.iter().all(|m| m.reason == MoveReason::Undrain));
    assert!(g.run().is_empty());
}

#[test]
fn non_revertive_group_keeps_addresses_where_they_are() {
    let mut g = Group::new(2, 1);
    g.settings.enabled = false;
    g.health(0, false);
    g.run();
    g.health(0, true);
    g.now += 1000 * SEC;
    assert!(g.run().is_empty());
    assert_eq!(
        next_deadline(&g.members, &g.addrs, &g.settings, g.now),
        None
    );
    assert_eq!(g.addrs[0].current, 1);
}

#[test]
fn flapping_port_hold_down_doubles_up_to_the_cap_and_resets_when_stable() {
    let mut m = Member::new();
    let mut now = 0;
    let mut seen = vec![];
    for _ in 0..10 {
        m.set_healthy(true, now, &S);
        now += SEC;
        m.set_healthy(false, now, &S);
        now += SEC;
        seen.push(m.hold_down_ns() / SEC);
    }
    assert_eq!(seen, [5, 10, 20, 40, 60, 60, 60, 60, 60, 60]);
    m.set_healthy(true, now, &S);
    now += 1000 * SEC;
    m.set_healthy(false, now, &S);
    assert_eq!(m.hold_down_ns(), 0);
}

#[test]
fn recently_recovered_port_is_the_last_choice_for_failover() {
    let mut g = Group::new(3, 1);
    g.health(2, false);
    g.run();
    g.now += SEC;
    g.health(2, true); // back, but inside its failback wait
    g.health(0, false);
    let moves = g.run();
    assert!(moves.iter().all(|m| m.to == 1), "{moves:?}");
}

#[derive(Clone, Debug)]
enum Ev {
    Health(usize, bool),
    Drain(usize),
    Undrain(usize),
    Advance(u64),
    AddAddr(usize),
    RemoveAddr(usize),
}

fn events(ports: usize) -> impl Strategy<Value = Vec<Ev>> {
    let ev = prop_oneof![
        6 => (0..ports, any::<bool>()).prop_map(|(m, b)| Ev::Health(m, b)),
        1 => (0..ports).prop_map(Ev::Drain),
        1 => (0..ports).prop_map(Ev::Undrain),
        4 => prop_oneof![0..2 * SEC, 0..90 * SEC].prop_map(Ev::Advance),
        1 => (0..ports).prop_map(Ev::AddAddr),
        1 => (0..64usize).prop_map(Ev::RemoveAddr),
    ];
    prop::collection::vec(ev, 1..120)
}

fn scenario() -> impl Strategy<Value = (usize, usize, bool, Vec<Ev>)> {
    (2..=5usize, 0..4usize, any::<bool>())
        .prop_flat_map(|(ports, per, revert)| (Just(ports), Just(per), Just(revert), events(ports)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn placement_invariants_hold_after_every_event((ports, per, revert, evs) in scenario()) {
        let mut g = Group::new(ports, per);
        g.settings.enabled = revert;
        for ev in evs {
            let before = g.addrs.len();
            match ev {
                Ev::Health(m, up) => g.health(m, up),
                Ev::Drain(m) => g.members[m].drain(),
                Ev::Undrain(m) => g.members[m].undrain(),
                Ev::Advance(dt) => g.now += dt,
                Ev::AddAddr(home) => g.addrs.push(Placement { home, current: home }),
                Ev::RemoveAddr(i) => { if i < g.addrs.len() { g.addrs.remove(i); } }
            }
            let expected = match ev {
                Ev::AddAddr(_) => before + 1,
                Ev::RemoveAddr(i) if i < before => before - 1,
                _ => before,
            };
            let moves = g.run();

            // Never lost, never duplicated: one place per address, each
            // address moved at most once per plan, only to real members.
            prop_assert_eq!(g.addrs.len(), expected);
            let mut seen = vec![false; g.addrs.len()];
            for m in &moves {
                prop_assert!(!seen[m.addr], "address moved twice in one plan");
                seen[m.addr] = true;
                prop_assert!(m.to < ports && m.from != m.to);
                prop_assert!(g.members[m.to].eligible(), "moved to an ineligible member");
            }
            // The state at a glance agrees with the members.
            let health = group_health(&g.members);
            let any_down = g.members.iter().any(|m| !m.healthy());
            prop_assert_eq!(health == GroupHealth::Down, !group_up(&g.members));
            prop_assert_eq!(health == GroupHealth::Up, group_up(&g.members) && !any_down);
            // On an eligible member whenever one exists; untouched otherwise.
            if group_up(&g.members) {
                for a in &g.addrs {
                    prop_assert!(g.members[a.current].eligible());
                }
            } else {
                prop_assert!(moves.is_empty());
            }
            // Home once the home port has been healthy long enough.
            for a in &g.addrs {
                let home = &g.members[a.home];
                if revert && home.eligible() && home.failback_at(&g.settings).is_some_and(|t| g.now >= t) {
                    prop_assert_eq!(a.current, a.home);
                }
            }
            for m in &g.members {
                prop_assert!(m.hold_down_ns() <= g.settings.hold_down_max_ns);
            }
            // Stable: with nothing new, a second plan moves nothing.
            prop_assert!(g.run().is_empty(), "plan is not idempotent");
            // The next deadline is in the future and brings a failback.
            if let Some(t) = next_deadline(&g.members, &g.addrs, &g.settings, g.now) {
                prop_assert!(t > g.now);
                let saved = g.now;
                g.now = t;
                let mut count = 0;
                plan(&g.members, &g.addrs, &g.settings, g.now, |m| {
                    if m.reason == MoveReason::Failback { count += 1 }
                });
                prop_assert!(count > 0, "deadline with nothing to do");
                g.now = saved;
            }
        }
    }

    #[test]
    fn balanced_spread_after_one_failure(ports in 2..=MAX_MEMBERS, per in 0..6usize, victim in 0..MAX_MEMBERS) {
        let victim = victim % ports;
        let mut g = Group::new(ports, per);
        g.health(victim, false);
        g.run();
        let loads: Vec<usize> = (0..ports).filter(|&m| m != victim).map(|m| g.load(m)).collect();
        let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
        prop_assert!(hi - lo <= 1, "{:?}", loads);
    }
}

#[test]
fn a_failback_is_complete_when_every_address_of_the_port_is_home() {
    use rdmaip_core::group::all_home;
    let p = |home, current| Placement { home, current };
    assert!(all_home([], 0));
    assert!(all_home([p(0, 0), p(1, 0)], 0));
    assert!(!all_home([p(0, 0), p(0, 1)], 0));
    // Others' addresses away from home do not matter.
    assert!(all_home([p(0, 0), p(1, 2)], 0));
}

proptest! {
    #[test]
    fn all_home_iff_no_address_of_the_port_is_away(
        places in prop::collection::vec((0usize..4, 0usize..4), 0..8),
        member in 0usize..4,
    ) {
        use rdmaip_core::group::all_home;
        let places: Vec<Placement> = places
            .into_iter()
            .map(|(home, current)| Placement { home, current })
            .collect();
        let away = places.iter().any(|p| p.home == member && p.current != member);
        prop_assert_eq!(all_home(places.iter().copied(), member), !away);
    }
}
