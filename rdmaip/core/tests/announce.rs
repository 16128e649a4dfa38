// SPDX-License-Identifier: GPL-2.0

//! When a new series of announcements on a netdev is redundant.

use proptest::prelude::*;
use rdmaip_core::announce::{redundant, DUE_SOON_NS};

#[test]
fn nothing_pending_is_never_redundant() {
    assert!(!redundant([], 5));
}

#[test]
fn one_due_within_a_millisecond_covers_the_new_addresses() {
    assert!(redundant([100], 100));
    assert!(redundant([100 + DUE_SOON_NS], 100));
    assert!(!redundant([101 + DUE_SOON_NS], 100));
    // Overdue ones count too: they go out in this pass.
    assert!(redundant([3], 100));
}

proptest! {
    #[test]
    fn redundant_iff_one_is_due_soon(pending in prop::collection::vec(any::<u64>(), 0..6), now in any::<u64>()) {
        let expected = pending.iter().any(|&n| n <= now.saturating_add(DUE_SOON_NS));
        prop_assert_eq!(redundant(pending.iter().copied(), now), expected);
    }
}
