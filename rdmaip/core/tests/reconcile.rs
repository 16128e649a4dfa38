// SPDX-License-Identifier: GPL-2.0

//! How a group's address records follow the admin's changes: scenarios,
//! and properties over random records, members and kernel addresses.

use proptest::prelude::*;
use rdmaip_core::reconcile::{adopts, keep_recorded, reconcile, AddrRecords, MemberNetdev};
use rdmaip_core::rtaddr::{AddrInfo, IpAddr, RT_SCOPE_LINK};

/// A record: the address and the member that carries it (its home is not
/// the reconciliation's business).
#[derive(Clone, Debug, PartialEq)]
struct Record {
    addr: IpAddr,
    current: usize,
}

#[derive(Default, Debug)]
struct Records(Vec<Record>);

impl AddrRecords for Records {
    type Error = ();
    fn forget_where(&mut self, member: usize, forget: &mut dyn FnMut(&IpAddr) -> bool) {
        self.0.retain(|r| r.current != member || !forget(&r.addr));
    }
    fn known(&self, addr: &IpAddr) -> bool {
        self.0.iter().any(|r| r.addr == *addr)
    }
    fn adopt(&mut self, a: &AddrInfo, member: usize) -> Result<(), ()> {
        self.0.push(Record {
            addr: a.addr,
            current: member,
        });
        Ok(())
    }
}

fn v4(last: u8) -> IpAddr {
    IpAddr::V4([10, 0, 0, last])
}

fn v6(last: u8) -> IpAddr {
    let mut b = [0u8; 16];
    b[0] = 0xfd;
    b[15] = last;
    IpAddr::V6(b)
}

fn member(ifindex: u32, healthy: bool) -> Option<MemberNetdev> {
    Some(MemberNetdev { ifindex, healthy })
}

#[test]
fn an_address_removed_from_a_healthy_port_is_forgotten() {
    let mut r = Records(vec![Record {
        addr: v4(1),
        current: 0,
    }]);
    reconcile(&[member(2, true)], &[], &mut r).unwrap();
    assert!(r.0.is_empty());
}

#[test]
fn an_address_missing_on_a_down_port_is_kept() {
    let mut r = Records(vec![Record {
        addr: v6(1),
        current: 0,
    }]);
    reconcile(&[member(2, false)], &[], &mut r).unwrap();
    assert_eq!(r.0.len(), 1);
    assert!(keep_recorded(
        &v6(1),
        MemberNetdev {
            ifindex: 2,
            healthy: false
        },
        &[]
    ));
}

#[test]
fn an_address_still_there_is_kept() {
    let mut r = Records(vec![Record {
        addr: v4(1),
        current: 0,
    }]);
    reconcile(&[member(2, true)], &[AddrInfo::new(v4(1), 24, 2)], &mut r).unwrap();
    assert_eq!(
        r.0,
        vec![Record {
            addr: v4(1),
            current: 0
        }]
    );
}

#[test]
fn new_movable_addresses_on_a_member_are_adopted_once() {
    let mut r = Records::default();
    let mut link = AddrInfo::new(v6(9), 64, 2);
    link.scope = RT_SCOPE_LINK;
    let found = [
        AddrInfo::new(v4(1), 24, 2),
        AddrInfo::new(v4(1), 24, 2),
        link,
        AddrInfo::new(v4(3), 24, 7),
    ];
    reconcile(&[member(2, true), None, member(3, true)], &found, &mut r).unwrap();
    assert_eq!(
        r.0,
        vec![Record {
            addr: v4(1),
            current: 0
        }]
    );
    assert!(!adopts(&found[0], 2, true));
    assert!(!adopts(&found[2], 2, false));
    assert!(!adopts(&found[3], 2, false));
}

#[test]
fn an_address_the_admin_moved_to_an_earlier_member_waits_for_the_next_change() {
    // Member order decides: member 0 does not adopt what member 1 still
    // records; member 1 then forgets it; the next reconciliation adopts it.
    let mut r = Records(vec![Record {
        addr: v4(1),
        current: 1,
    }]);
    let found = [AddrInfo::new(v4(1), 24, 2)];
    let members = [member(2, true), member(3, true)];
    reconcile(&members, &found, &mut r).unwrap();
    assert!(r.0.is_empty());
    reconcile(&members, &found, &mut r).unwrap();
    assert_eq!(
        r.0,
        vec![Record {
            addr: v4(1),
            current: 0
        }]
    );
}

fn arb_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![(0u8..6).prop_map(v4), (0u8..6).prop_map(v6)]
}

fn arb_found() -> impl Strategy<Value = Vec<AddrInfo>> {
    prop::collection::vec(
        (arb_addr(), 1u32..6, any::<bool>()).prop_map(|(a, ifindex, link)| {
            let mut i = AddrInfo::new(a, 24, ifindex);
            if link {
                i.scope = RT_SCOPE_LINK;
            }
            i
        }),
        0..10,
    )
}

fn arb_members() -> impl Strategy<Value = Vec<Option<MemberNetdev>>> {
    prop::collection::vec(
        prop::option::of(
            (1u32..6, any::<bool>())
                .prop_map(|(ifindex, healthy)| MemberNetdev { ifindex, healthy }),
        ),
        1..5,
    )
}

fn arb_records(members: usize) -> impl Strategy<Value = Vec<Record>> {
    prop::collection::vec(
        (arb_addr(), 0..members).prop_map(|(addr, current)| Record { addr, current }),
        0..8,
    )
    .prop_map(|mut v| {
        // The module never records one address twice.
        let mut seen = vec![];
        v.retain(|r| {
            let new = !seen.contains(&r.addr);
            seen.push(r.addr);
            new
        });
        v
    })
}

proptest! {
    #[test]
    fn records_follow_the_kernel(
        (members, records) in arb_members().prop_flat_map(|m| {
            let n = m.len();
            (Just(m), arb_records(n))
        }),
        found in arb_found(),
    ) {
        let before = records.clone();
        let mut r = Records(records);
        reconcile(&members, &found, &mut r).unwrap();
        let after = &r.0;
        // Never two records of one address.
        for (i, a) in after.iter().enumerate() {
            prop_assert!(after.iter().skip(i + 1).all(|b| b.addr != a.addr));
        }
        for rec in &before {
            let carrier = members.get(rec.current).copied().flatten();
            let kept = after.contains(rec);
            match carrier {
                // Members without a netdev, and empty slots, are not looked at.
                None => prop_assert!(kept),
                Some(m) if !m.healthy => prop_assert!(kept),
                Some(m) => prop_assert_eq!(
                    kept,
                    found.iter().any(|f| f.ifindex == m.ifindex && f.addr == rec.addr)
                ),
            }
        }
        // Whatever is new was found, movable, on the netdev of the member
        // that now carries it.
        for rec in after.iter().filter(|r| !before.contains(r)) {
            let m = members[rec.current].expect("adopted by a member with a netdev");
            prop_assert!(found
                .iter()
                .any(|f| f.addr == rec.addr && f.ifindex == m.ifindex && f.movable()));
        }
        // Every movable address found on a healthy member's netdev is
        // recorded afterwards, unless a later member forgot it in the same
        // pass (see the scenario above).
        for (mi, m) in members.iter().enumerate() {
            let Some(m) = m else { continue };
            for f in found.iter().filter(|f| f.ifindex == m.ifindex && f.movable()) {
                let forgotten_later = before.iter().any(|b| {
                    b.addr == f.addr && b.current > mi && !after.contains(b)
                });
                prop_assert!(after.iter().any(|r| r.addr == f.addr) || forgotten_later);
            }
        }
    }
}
