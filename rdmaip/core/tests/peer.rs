// SPDX-License-Identifier: GPL-2.0

//! The peer side of a move: which connected rdma_cm ids are told that their
//! remote address moved. Random sequences of neighbour updates (moves,
//! repeats, refreshes, invalid entries, other addresses) and reconnects,
//! against a set of ids: every id that uses an old link-layer address is
//! told about the current one, at most once per move, and no other id is
//! ever told anything.

use proptest::prelude::*;
use rdmaip_core::peer::{
    needs_entry, remember, verdict, ConnectedId, LinkAddr, NeighUpdate, PeerPath, Verdict,
};
use rdmaip_core::rtaddr::IpAddr;

const REMOTE: IpAddr = IpAddr::V4([10, 1, 0, 1]);
const OTHER: IpAddr = IpAddr::V4([10, 2, 0, 1]);
const NETDEV: u32 = 2;

fn mac(n: u8) -> [u8; 6] {
    [0x52, 0x54, 0, 0x0a, 1, n]
}

fn ll(n: u8) -> LinkAddr {
    LinkAddr::new(&mac(n)).unwrap()
}

fn update(ip: IpAddr, ifindex: u32, lladdr: LinkAddr, valid: bool) -> NeighUpdate {
    NeighUpdate {
        ifindex,
        ip,
        lladdr,
        valid,
        removed: false,
        at_ns: 0,
    }
}

fn removal(ip: IpAddr, ifindex: u32, lladdr: LinkAddr, valid: bool) -> NeighUpdate {
    NeighUpdate {
        removed: true,
        ..update(ip, ifindex, lladdr, valid)
    }
}

fn id(path: PeerPath) -> ConnectedId {
    ConnectedId {
        ifindex: NETDEV,
        dst: REMOTE,
        path,
    }
}

#[test]
fn a_move_away_is_told_once() {
    let i = id(PeerPath::Roce(mac(1)));
    let u = update(REMOTE, NETDEV, ll(2), true);
    assert_eq!(verdict(&i, &u, None), Verdict::Tell);
    let told = remember(Verdict::Tell, &u, None);
    assert_eq!(verdict(&i, &u, told.as_ref()), Verdict::AlreadyTold);
}

#[test]
fn a_move_back_is_not_told_but_the_next_move_away_is() {
    let i = id(PeerPath::Roce(mac(1)));
    let away = update(REMOTE, NETDEV, ll(2), true);
    let back = update(REMOTE, NETDEV, ll(1), true);
    let told = remember(Verdict::Tell, &away, None);
    assert_eq!(verdict(&i, &back, told.as_ref()), Verdict::Current);
    let told = remember(Verdict::Current, &back, told);
    assert_eq!(told, None);
    assert_eq!(verdict(&i, &away, told.as_ref()), Verdict::Tell);
}

#[test]
fn what_is_never_told() {
    let i = id(PeerPath::Roce(mac(1)));
    let zero = LinkAddr::new(&[0; 6]).unwrap();
    assert_eq!(
        verdict(&i, &update(REMOTE, NETDEV, ll(2), false), None),
        Verdict::Unresolved
    );
    assert_eq!(
        verdict(&i, &update(REMOTE, NETDEV, zero, true), None),
        Verdict::Unresolved
    );
    assert_eq!(
        verdict(&i, &update(OTHER, NETDEV, ll(2), true), None),
        Verdict::OtherAddress
    );
    assert_eq!(
        verdict(&i, &update(REMOTE, 9, ll(2), true), None),
        Verdict::OtherNetdev
    );
    assert_eq!(
        verdict(&i, &update(REMOTE, NETDEV, ll(1), true), None),
        Verdict::Current
    );
    let no_path = id(PeerPath::Unknown);
    assert_eq!(
        verdict(&no_path, &update(REMOTE, NETDEV, ll(2), true), None),
        Verdict::NoPath
    );
    // An id bound to no netdev is matched on its address alone.
    let unbound = ConnectedId { ifindex: 0, ..i };
    assert_eq!(
        verdict(&unbound, &update(REMOTE, 9, ll(2), true), None),
        Verdict::Tell
    );
}

#[test]
fn a_removed_entry_is_never_told_and_is_made_again_for_its_ids() {
    let i = id(PeerPath::Roce(mac(1)));
    let zero = LinkAddr::new(&[0; 6]).unwrap();
    for valid in [true, false] {
        // Whatever address it had, a removal says nothing of a move, and
        // what the id was told stays.
        for n in [1, 2] {
            let u = removal(REMOTE, NETDEV, ll(n), valid);
            assert_eq!(verdict(&i, &u, None), Verdict::Removed);
            assert_eq!(remember(Verdict::Removed, &u, Some(ll(2))), Some(ll(2)));
            assert!(needs_entry(&i, &u));
        }
        // Not for an entry that never resolved, another address, another
        // netdev; an id bound to no netdev needs it on any.
        assert!(!needs_entry(&i, &removal(REMOTE, NETDEV, zero, valid)));
        assert!(!needs_entry(&i, &removal(OTHER, NETDEV, ll(1), valid)));
        assert!(!needs_entry(&i, &removal(REMOTE, 9, ll(1), valid)));
        let unbound = ConnectedId { ifindex: 0, ..i };
        assert!(needs_entry(&unbound, &removal(REMOTE, 9, ll(1), valid)));
    }
    // An update that removes nothing needs nothing made.
    assert!(!needs_entry(&i, &update(REMOTE, NETDEV, ll(2), true)));
}

#[test]
fn infiniband_paths_compare_the_gid_of_the_ipoib_address() {
    let gid = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 2, 0xc9, 3, 0, 1, 2, 3];
    let mut ha = [0u8; 20];
    ha[..4].copy_from_slice(&[0, 0, 4, 0x48]);
    ha[4..].copy_from_slice(&gid);
    let i = ConnectedId {
        ifindex: NETDEV,
        dst: REMOTE,
        path: PeerPath::Ib(gid),
    };
    let same = update(REMOTE, NETDEV, LinkAddr::new(&ha).unwrap(), true);
    assert_eq!(verdict(&i, &same, None), Verdict::Current);
    ha[19] ^= 1;
    let moved = update(REMOTE, NETDEV, LinkAddr::new(&ha).unwrap(), true);
    assert_eq!(verdict(&i, &moved, None), Verdict::Tell);
}

#[test]
fn link_addresses_longer_than_max_addr_len_are_refused() {
    assert!(LinkAddr::new(&[1; 33]).is_none());
    assert_eq!(LinkAddr::new(&[1; 32]).unwrap().as_bytes().len(), 32);
}

/// One step of the world.
#[derive(Clone, Debug)]
enum Step {
    /// The remote address's entry is updated to MAC n (a move when n
    /// differs from the current one, a refresh when not), `repeat` times.
    Update { n: u8, repeat: u8 },
    /// The entry becomes invalid (FAILED, INCOMPLETE) with MAC n.
    Invalid { n: u8 },
    /// The entry is removed (garbage collection, carrier loss, by hand)
    /// while it has MAC n; then made again (resolved to the current MAC)
    /// if `remade`.
    Removed { n: u8, valid: bool, remade: bool },
    /// Another remote address, or the same on another netdev, is updated.
    Unrelated { n: u8, other_netdev: bool },
    /// Id i reconnects: a new id whose path is the current MAC.
    Reconnect { i: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u8..4, 1u8..4).prop_map(|(n, repeat)| Step::Update { n, repeat }),
        1 => (1u8..4).prop_map(|n| Step::Invalid { n }),
        1 => (1u8..4, any::<bool>(), any::<bool>())
            .prop_map(|(n, valid, remade)| Step::Removed { n, valid, remade }),
        1 => (1u8..4, any::<bool>()).prop_map(|(n, other_netdev)| Step::Unrelated { n, other_netdev }),
        2 => (0usize..6).prop_map(|i| Step::Reconnect { i }),
    ]
}

/// An id of the model and what it heard.
struct Id {
    id: ConnectedId,
    told: Option<LinkAddr>,
    /// Tells since the remote address last changed.
    tells_this_move: u32,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn told_once_per_move_and_never_otherwise(
        paths in prop::collection::vec(1u8..4, 1..6),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let mut current = ll(1);
        let mut ids: Vec<Id> = paths
            .iter()
            .map(|&n| Id { id: id(PeerPath::Roce(mac(n))), told: None, tells_this_move: 0 })
            .collect();
        // An id connected to another address: never told about this one.
        let bystander = ConnectedId { dst: OTHER, ..id(PeerPath::Roce(mac(1))) };
        let deliver = |ids: &mut Vec<Id>, u: &NeighUpdate| -> Result<(), TestCaseError> {
            for m in ids.iter_mut() {
                let v = verdict(&m.id, u, m.told.as_ref());
                if v == Verdict::Tell {
                    m.tells_this_move += 1;
                    prop_assert!(u.valid && u.ip == REMOTE && u.ifindex == NETDEV);
                    prop_assert!(!m.id.path.reaches(&u.lladdr), "told about its own path");
                }
                m.told = remember(v, u, m.told);
            }
            if u.ip == REMOTE {
                prop_assert_ne!(verdict(&bystander, u, None), Verdict::Tell);
            }
            Ok(())
        };
        for s in steps {
            match s {
                Step::Update { n, repeat } => {
                    if ll(n) != current {
                        for m in ids.iter_mut() {
                            m.tells_this_move = 0;
                        }
                        current = ll(n);
                    }
                    for _ in 0..repeat {
                        deliver(&mut ids, &update(REMOTE, NETDEV, current, true))?;
                    }
                    for m in &ids {
                        // At most once per move, however many updates.
                        prop_assert!(m.tells_this_move <= 1);
                        // Every id on an old address has heard of this one.
                        if !m.id.path.reaches(&current) {
                            prop_assert_eq!(m.told, Some(current));
                        } else {
                            prop_assert_eq!(m.tells_this_move, 0);
                        }
                    }
                }
                Step::Invalid { n } => {
                    let before: Vec<_> = ids.iter().map(|m| m.told).collect();
                    deliver(&mut ids, &update(REMOTE, NETDEV, ll(n), false))?;
                    let after: Vec<_> = ids.iter().map(|m| m.told).collect();
                    prop_assert_eq!(before, after);
                }
                Step::Removed { n, valid, remade } => {
                    let u = removal(REMOTE, NETDEV, ll(n), valid);
                    for m in &ids {
                        prop_assert!(needs_entry(&m.id, &u));
                        prop_assert!(!needs_entry(&bystander, &u));
                    }
                    // Ids that know where the address is (on it, or told
                    // of it) hear nothing from the removal or from a first
                    // resolution to where the address already was.
                    let knows = |m: &Id| m.id.path.reaches(&current) || m.told == Some(current);
                    let before: Vec<_> = ids.iter().map(|m| (knows(m), m.told, m.tells_this_move)).collect();
                    deliver(&mut ids, &u)?;
                    if remade {
                        deliver(&mut ids, &update(REMOTE, NETDEV, current, true))?;
                    }
                    for (m, (knew, told, tells)) in ids.iter().zip(before) {
                        if knew || !remade {
                            prop_assert_eq!((m.told, m.tells_this_move), (told, tells));
                        } else {
                            prop_assert_eq!(m.told, Some(current));
                        }
                    }
                }
                Step::Unrelated { n, other_netdev } => {
                    let u = if other_netdev {
                        update(REMOTE, NETDEV + 1, ll(n), true)
                    } else {
                        update(OTHER, NETDEV, ll(n), true)
                    };
                    let before: Vec<_> = ids.iter().map(|m| m.tells_this_move).collect();
                    deliver(&mut ids, &u)?;
                    let after: Vec<_> = ids.iter().map(|m| m.tells_this_move).collect();
                    prop_assert_eq!(before, after);
                }
                Step::Reconnect { i } => {
                    if let Some(m) = ids.get_mut(i) {
                        let mut path = [0u8; 6];
                        path.copy_from_slice(current.as_bytes());
                        *m = Id { id: id(PeerPath::Roce(path)), told: None, tells_this_move: 0 };
                    }
                }
            }
        }
    }
}

#[test]
fn merged_updates_keep_the_first_arrival_and_the_last_state() {
    let mut a = update(REMOTE, NETDEV, ll(2), true);
    a.at_ns = 5;
    let mut b = update(REMOTE, NETDEV, ll(3), false);
    b.at_ns = 9;
    assert!(a.same_entry(&b));
    a.merge(&b);
    assert_eq!((a.at_ns, a.lladdr, a.valid), (5, ll(3), false));
    a.merge(&removal(REMOTE, NETDEV, ll(3), false));
    assert!(a.removed);
    a.merge(&update(REMOTE, NETDEV, ll(3), true));
    assert!(!a.removed);
    assert!(!a.same_entry(&update(OTHER, NETDEV, ll(2), true)));
}
