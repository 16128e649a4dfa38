// SPDX-License-Identifier: GPL-2.0

//! Ports that leave: admin removal, RDMA devices and netdevs that go away,
//! ports that come back. A model of the kernel's netdevs checks that no
//! configured address is ever lost or left on a netdev the group no longer
//! owns, over random sequences of removals, re-adds, cuts and restores.

use proptest::prelude::*;
use rdmaip_core::group::{
    group_up, on_detach, plan, FailbackSettings, Member, Move, MoveReason, OnDetach, Placement,
    Presence, NS_PER_MS,
};

const SEC: u64 = 1000 * NS_PER_MS;

/// One member slot: the planner's view and the netdev behind it.
#[derive(Clone, Debug)]
struct Slot {
    member: Member,
    /// Netdev id, while the netdev exists.
    netdev: Option<u32>,
}

/// A group as the module keeps it, and the addresses as the kernel has
/// them (which netdev each is on).
struct World {
    slots: Vec<Option<Slot>>,
    /// The group's address records; `None`: no longer tracked.
    records: Vec<Option<Placement>>,
    /// Where the kernel has each address (netdev id), if anywhere.
    kernel: Vec<Option<u32>>,
    next_netdev: u32,
    now: u64,
    s: FailbackSettings,
}

impl World {
    fn new(ports: usize, per: usize) -> Self {
        let mut w = World {
            slots: vec![],
            records: vec![],
            kernel: vec![],
            next_netdev: 0,
            now: 0,
            s: FailbackSettings::DEFAULT,
        };
        for m in 0..ports {
            w.add_port(m, true);
            for _ in 0..per {
                w.records.push(Some(Placement {
                    home: m,
                    current: m,
                }));
                w.kernel.push(w.netdev(m));
            }
        }
        w.now = 100 * SEC;
        w
    }

    fn netdev(&self, m: usize) -> Option<u32> {
        self.slots.get(m)?.as_ref()?.netdev
    }

    /// A port (new, or back after its device was re-created) joins slot
    /// `m`, with a new netdev, as `port add` would.
    fn add_port(&mut self, m: usize, up: bool) {
        while self.slots.len() <= m {
            self.slots.push(None);
        }
        let mut member = Member::new();
        member.set_healthy(up, self.now, &self.s);
        self.slots[m] = Some(Slot {
            member,
            netdev: Some(self.next_netdev),
        });
        self.next_netdev += 1;
    }

    fn members(&self) -> Vec<Member> {
        self.slots
            .iter()
            .map(|s| s.as_ref().map_or(Member::vacant(), |s| s.member))
            .collect()
    }

    /// Tracked records, with their record index, as the module snapshots them.
    fn placements(&self) -> (Vec<Placement>, Vec<usize>) {
        let mut places = vec![];
        let mut index = vec![];
        for (i, r) in self.records.iter().enumerate() {
            if let Some(p) = r {
                places.push(*p);
                index.push(i);
            }
        }
        (places, index)
    }

    /// One engine pass: plan, then move as the module does (delete from
    /// the old netdev if it exists, add to the new one).
    fn pass(&mut self) -> Vec<Move> {
        let members = self.members();
        let (places, index) = self.placements();
        let mut moves = vec![];
        plan(&members, &places, &self.s, self.now, |m| moves.push(m));
        for m in &moves {
            let r = index[m.addr];
            let to = self
                .netdev(m.to)
                .expect("a move goes to a member with a netdev");
            self.kernel[r] = Some(to);
            if let Some(p) = self.records[r].as_mut() {
                p.current = m.to;
            }
        }
        for s in self.slots.iter_mut().flatten() {
            s.member.settle();
        }
        moves
    }

    /// Passes until nothing moves (the first must suffice).
    fn settle(&mut self) -> Vec<Move> {
        let moves = self.pass();
        assert!(self.pass().is_empty(), "a second pass moved something");
        moves
    }

    /// The kernel deletes every address on netdev `nd` with it.
    fn netdev_deleted(&mut self, m: usize) {
        let Some(nd) = self.netdev(m) else { return };
        for k in self.kernel.iter_mut().filter(|k| **k == Some(nd)) {
            *k = None;
        }
        if let Some(s) = self.slots[m].as_mut() {
            s.netdev = None;
            s.member.set_healthy(false, self.now, &self.s);
            s.member.set_gone(false);
        }
    }

    /// Whether a member other than `m` is present.
    fn other_present(&self, m: usize) -> bool {
        self.slots.iter().enumerate().any(|(i, s)| {
            i != m
                && s.as_ref()
                    .is_some_and(|s| s.member.presence() == Presence::Present)
        })
    }

    /// Member `m` leaves the group for good (its records are settled by
    /// `on_detach`); the slot is emptied.
    fn detach(&mut self, m: usize) -> Result<(), TestCaseError> {
        let present_elsewhere = self.other_present(m);
        let nd = self.netdev(m);
        for r in 0..self.records.len() {
            let Some(p) = self.records[r] else { continue };
            match on_detach(&p, m) {
                OnDetach::Keep => {}
                OnDetach::Rehome(to) => {
                    prop_assert!(to != m);
                    self.records[r] = Some(Placement {
                        home: to,
                        current: to,
                    });
                }
                OnDetach::Forget => {
                    // It leaves with its port: on that port's netdev, or
                    // deleted with it when nothing else could take it.
                    prop_assert!(
                        (nd.is_some() && self.kernel[r] == nd) || !present_elsewhere,
                        "address {} forgotten but neither home nor unplaceable",
                        r
                    );
                    self.records[r] = None;
                }
                OnDetach::Lost => {
                    prop_assert!(
                        !present_elsewhere,
                        "address {} lost while a present member could take it",
                        r
                    );
                    self.records[r] = None;
                }
            }
        }
        self.slots[m] = None;
        Ok(())
    }

    /// What the invariants say after every event.
    fn check(&self) -> Result<(), TestCaseError> {
        let members = self.members();
        let up = group_up(&members);
        let any_netdev = self.slots.iter().flatten().any(|s| s.netdev.is_some());
        for (r, p) in self.records.iter().enumerate() {
            let Some(p) = p else { continue };
            // On exactly the netdev of its current member.
            let nd = self.netdev(p.current);
            if any_netdev {
                prop_assert!(
                    nd.is_some(),
                    "address {} recorded on a member without netdev",
                    r
                );
            }
            prop_assert_eq!(
                self.kernel[r],
                nd,
                "address {} is not where it is recorded",
                r
            );
            // And on a healthy member whenever one exists.
            if up {
                prop_assert!(
                    members[p.current].eligible(),
                    "address {} is on an ineligible member while the group is up",
                    r
                );
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
enum Ev {
    Health(usize, bool),
    Drain(usize),
    Undrain(usize),
    Advance(u64),
    /// `port del`: the member leaves in working order.
    AdminRemove(usize),
    /// `rdma link del`: the RDMA device goes, its netdev stays.
    DeviceRemoved(usize),
    /// `ip link del` of the netdev; its RDMA device follows a moment later
    /// (rxe unregisters itself) when the flag says so.
    NetdevDeleted(usize, bool),
    /// The port comes back (re-added device, `port add`), up or down.
    Readd(usize, bool),
}

fn events(ports: usize) -> impl Strategy<Value = Vec<Ev>> {
    let ev = prop_oneof![
        8 => (0..ports, any::<bool>()).prop_map(|(m, b)| Ev::Health(m, b)),
        1 => (0..ports).prop_map(Ev::Drain),
        1 => (0..ports).prop_map(Ev::Undrain),
        4 => prop_oneof![0..2 * SEC, 0..90 * SEC].prop_map(Ev::Advance),
        1 => (0..ports).prop_map(Ev::AdminRemove),
        1 => (0..ports).prop_map(Ev::DeviceRemoved),
        1 => (0..ports, any::<bool>()).prop_map(|(m, b)| Ev::NetdevDeleted(m, b)),
        3 => (0..ports, any::<bool>()).prop_map(|(m, b)| Ev::Readd(m, b)),
    ];
    prop::collection::vec(ev, 1..150)
}

fn scenario() -> impl Strategy<Value = (usize, usize, Vec<Ev>)> {
    (2..=5usize, 1..4usize).prop_flat_map(|(p, per)| (Just(p), Just(per), events(p)))
}

fn live(w: &World, m: usize) -> bool {
    w.slots.get(m).is_some_and(|s| s.is_some())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn no_address_lost_or_stranded_across_removals_and_readds((ports, per, evs) in scenario()) {
        let mut w = World::new(ports, per);
        w.settle();
        w.check()?;
        for ev in evs {
            match ev {
                Ev::Health(m, up) if live(&w, m) => {
                    let (now, s) = (w.now, w.s);
                    if let Some(slot) = w.slots[m].as_mut().filter(|s| s.netdev.is_some()) {
                        slot.member.set_healthy(up, now, &s);
                    }
                }
                Ev::Drain(m) if live(&w, m) => w.slots[m].as_mut().unwrap().member.drain(),
                Ev::Undrain(m) if live(&w, m) => w.slots[m].as_mut().unwrap().member.undrain(),
                Ev::Advance(dt) => w.now += dt,
                Ev::AdminRemove(m) if live(&w, m) => {
                    w.slots[m].as_mut().unwrap().member.leave();
                    w.settle();
                    w.detach(m)?;
                }
                Ev::DeviceRemoved(m) if live(&w, m) => {
                    let (now, s) = (w.now, w.s);
                    let slot = w.slots[m].as_mut().unwrap();
                    let kept = slot.netdev.is_some();
                    slot.member.set_healthy(false, now, &s);
                    slot.member.set_gone(kept);
                    w.settle();
                    w.detach(m)?;
                }
                Ev::NetdevDeleted(m, device_follows) if live(&w, m) => {
                    w.netdev_deleted(m);
                    w.settle();
                    if device_follows {
                        w.detach(m)?;
                    }
                }
                Ev::Readd(m, up) if !live(&w, m) => w.add_port(m, up),
                _ => continue,
            }
            w.settle();
            w.check()?;
        }
    }
}

/// The first case: NIC 1 cut, so its addresses are on NIC 2; NIC 2's
/// RDMA device is deleted; NIC 1 comes back. They must be home at once and
/// stay there, not stranded on NIC 2's netdev.
#[test]
fn survivor_device_removed_while_home_is_down() {
    let mut w = World::new(2, 2);
    w.slots[0]
        .as_mut()
        .unwrap()
        .member
        .set_healthy(false, w.now, &w.s);
    w.settle();
    assert!(w.records.iter().flatten().all(|p| p.current == 1));
    let s = w.slots[1].as_mut().unwrap();
    s.member.set_gone(true);
    let moves = w.settle();
    // Parked on NIC 1 although it is down: rxe1's netdev is no member's
    // now. NIC 1's own addresses go home, NIC 2's are guarded there too.
    assert_eq!(moves.len(), 4);
    assert!(moves
        .iter()
        .all(|m| m.to == 0 && m.reason == MoveReason::Failover));
    w.detach(1).unwrap();
    assert!(w.records.iter().flatten().all(|p| *p
        == Placement {
            home: 0,
            current: 0
        }));
    w.now += SEC;
    let s = w.s;
    let now = w.now;
    w.slots[0]
        .as_mut()
        .unwrap()
        .member
        .set_healthy(true, now, &s);
    assert!(w.settle().is_empty(), "already home");
    w.check().unwrap();
}

/// The second case: both NICs cut, every address on a third
/// member's netdev, which is deleted. Every address is re-created at its
/// home at once, and stays tracked for when the NICs come back.
#[test]
fn netdev_carrying_everything_deleted_while_the_rest_is_down() {
    let mut w = World::new(3, 2);
    // Member 2 carries no addresses of its own here.
    w.records.retain(|r| r.is_some_and(|p| p.home != 2));
    w.kernel.truncate(w.records.len());
    let (now, s) = (w.now, w.s);
    for m in 0..2 {
        w.slots[m]
            .as_mut()
            .unwrap()
            .member
            .set_healthy(false, now, &s);
    }
    w.settle();
    assert!(w.records.iter().flatten().all(|p| p.current == 2));
    w.netdev_deleted(2);
    let moves = w.settle();
    assert_eq!(moves.len(), 4);
    w.detach(2).unwrap();
    w.check().unwrap();
    assert!(w.records.iter().flatten().all(|p| p.current == p.home));
}

/// `port del` of a member that carries another member's address while
/// that member is down: the address goes to a healthy member, not home.
#[test]
fn admin_removal_prefers_a_healthy_member_over_a_down_home() {
    let mut w = World::new(3, 1);
    let (now, s) = (w.now, w.s);
    w.slots[0]
        .as_mut()
        .unwrap()
        .member
        .set_healthy(false, now, &s);
    w.settle();
    let on = w.records[0].unwrap().current;
    w.slots[on].as_mut().unwrap().member.leave();
    let moves = w.settle();
    let other = 3 - on;
    assert!(moves
        .iter()
        .any(|m| m.addr == 0 && m.to == other && m.reason == MoveReason::Admin));
    w.detach(on).unwrap();
    w.check().unwrap();
}

/// A leaving member's own addresses come home to leave with it, even while
/// it is down; others' addresses on it stay where they are.
#[test]
fn leaving_member_takes_its_own_addresses_home() {
    let mut w = World::new(2, 2);
    let (now, s) = (w.now, w.s);
    w.slots[0]
        .as_mut()
        .unwrap()
        .member
        .set_healthy(false, now, &s);
    w.settle();
    w.slots[0].as_mut().unwrap().member.leave();
    let moves = w.settle();
    assert_eq!(moves.len(), 2);
    assert!(moves
        .iter()
        .all(|m| m.to == 0 && m.reason == MoveReason::Admin));
    w.detach(0).unwrap();
    assert_eq!(w.records.iter().flatten().count(), 2);
    w.check().unwrap();
}

/// A member whose RDMA device goes while its netdev stays, with nobody
/// healthy: its own addresses are parked on a present member, which takes
/// them over when it recovers.
#[test]
fn gone_member_addresses_park_on_a_present_member() {
    let mut w = World::new(2, 1);
    let (now, s) = (w.now, w.s);
    for m in 0..2 {
        w.slots[m]
            .as_mut()
            .unwrap()
            .member
            .set_healthy(false, now, &s);
    }
    w.slots[0].as_mut().unwrap().member.set_gone(true);
    let moves = w.settle();
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].to, moves[0].reason), (1, MoveReason::Failover));
    w.detach(0).unwrap();
    assert_eq!(
        w.records[0],
        Some(Placement {
            home: 1,
            current: 1
        })
    );
    w.check().unwrap();
}

/// The last member's RDMA device goes, its netdev stays: its addresses
/// stay on their netdev and leave the group with it.
#[test]
fn last_member_gone_leaves_its_addresses_where_they_were_configured() {
    let mut w = World::new(1, 2);
    w.slots[0].as_mut().unwrap().member.set_gone(true);
    assert!(w.settle().is_empty());
    assert!(w
        .records
        .iter()
        .flatten()
        .all(|p| on_detach(p, 0) == OnDetach::Forget));
}

/// Unload: every member leaves; everything goes home, whatever the health.
#[test]
fn unload_puts_everything_home() {
    let mut w = World::new(3, 2);
    let (now, s) = (w.now, w.s);
    w.slots[0]
        .as_mut()
        .unwrap()
        .member
        .set_healthy(false, now, &s);
    w.slots[1].as_mut().unwrap().member.drain();
    w.settle();
    for s in w.slots.iter_mut().flatten() {
        s.member.leave();
    }
    w.settle();
    assert!(w.records.iter().flatten().all(|p| p.current == p.home));
    w.check().unwrap();
}
