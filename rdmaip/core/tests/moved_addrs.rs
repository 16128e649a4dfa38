// SPDX-License-Identifier: GPL-2.0

//! The per-id lookup of the local delivery answers what a scan of the
//! pass's moves would.

use proptest::prelude::*;
use rdmaip_core::moved_addrs::{find, move_of, sort, MovedAddr};
use rdmaip_core::rtaddr::IpAddr;

/// What the delivery asked before: the first move carried out whose
/// address is `addr`.
fn scan(moves: &[(IpAddr, bool)], addr: &IpAddr) -> Option<usize> {
    moves.iter().position(|(a, done)| *done && a == addr)
}

fn index(moves: &[(IpAddr, bool)]) -> Vec<MovedAddr> {
    let mut moved: Vec<MovedAddr> = moves
        .iter()
        .enumerate()
        .filter(|(_, (_, done))| *done)
        .map(|(i, (a, _))| (*a, i))
        .collect();
    sort(&mut moved);
    moved
}

fn addr() -> impl Strategy<Value = IpAddr> {
    // Few distinct values, so that lookups hit, miss and repeat.
    prop_oneof![
        (0u8..6).prop_map(|b| IpAddr::V4([10, 1, 0, b])),
        (0u8..6).prop_map(|b| {
            let mut a = [0u8; 16];
            a[0] = 0xfd;
            a[15] = b;
            IpAddr::V6(a)
        }),
    ]
}

#[test]
fn nothing_moved_finds_nothing() {
    assert_eq!(move_of(&[], &IpAddr::V4([10, 1, 0, 1])), None);
}

#[test]
fn finds_each_move_and_only_moves_carried_out() {
    let a = IpAddr::V4([10, 1, 0, 1]);
    let b = IpAddr::V4([10, 1, 0, 2]);
    let c = IpAddr::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    let moves = [(b, true), (c, true), (a, false), (a, true)];
    let moved = index(&moves);
    assert_eq!(move_of(&moved, &b), Some(0));
    assert_eq!(move_of(&moved, &c), Some(1));
    assert_eq!(move_of(&moved, &a), Some(3));
    assert_eq!(move_of(&moved, &IpAddr::V4([10, 1, 0, 3])), None);
}

proptest! {
    #[test]
    fn agrees_with_a_scan_of_the_moves(
        moves in prop::collection::vec((addr(), any::<bool>()), 0..40),
        asked in prop::collection::vec(addr(), 0..20),
    ) {
        let moved = index(&moves);
        for a in &asked {
            prop_assert_eq!(move_of(&moved, a), scan(&moves, a), "{}", a);
        }
        for (a, _) in &moves {
            prop_assert_eq!(move_of(&moved, a), scan(&moves, a), "{}", a);
        }
    }
}

proptest! {
    /// The peer notification's question: the first update of the id's
    /// address that is also on its netdev.
    #[test]
    fn find_agrees_with_a_scan_that_also_filters(
        moves in prop::collection::vec((addr(), any::<bool>(), 0u8..3), 0..40),
        asked in prop::collection::vec((addr(), 0u8..3), 0..20),
    ) {
        let flags: Vec<(IpAddr, bool)> = moves.iter().map(|(a, d, _)| (*a, *d)).collect();
        let moved = index(&flags);
        for (a, netdev) in &asked {
            let accept = |i: usize| moves[i].2 == *netdev;
            let scanned = moves.iter().position(|(m, done, n)| *done && m == a && n == netdev);
            prop_assert_eq!(find(&moved, a, accept), scanned, "{} on {}", a, netdev);
        }
    }
}
