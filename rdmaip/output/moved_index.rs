// SPDX-License-Identifier: GPL-2.0

//! The addresses of a pass's moves (local moves, or neighbour updates),
//! sorted once so that each rdma_cm id's address is a binary search
//! (`logic::moved_addrs`).

use crate::logic::moved_addrs::{self, MovedAddr};
use crate::logic::rtaddr::IpAddr;
use kernel::prelude::*;

/// Sorted (address, index) of the entries `addrs` gives an address for;
/// `None` without memory for it (the callers then scan their entries).
pub(crate) fn build(
    addrs: impl ExactSizeIterator<Item = Option<IpAddr>>,
) -> Option<KVec<MovedAddr>> {
    let mut moved = KVec::with_capacity(addrs.len(), GFP_KERNEL).ok()?;
    for (i, a) in addrs.enumerate() {
        if let Some(a) = a {
            moved.push((a, i), GFP_KERNEL).ok()?;
        }
    }
    moved_addrs::sort(&mut moved);
    Some(moved)
}
