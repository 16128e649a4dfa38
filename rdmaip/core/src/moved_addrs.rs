// SPDX-License-Identifier: GPL-2.0

//! Which move of a pass an rdma_cm id's address belongs to: of the local
//! moves for the ids bound to it, of the neighbour updates (the peer's
//! moves) for the ids connected to it.
//!
//! The deliveries ask this once per id on every RDMA device, so a
//! scan of the pass's moves per id would cost ids x moves: 10^7 steps for
//! 10,000 ids and 1,000 moved addresses, while consumers wait for their
//! events. Instead the moves carried out are sorted once by address and
//! each id is a binary search: ids x log(moves).

use super::rtaddr::IpAddr;

/// A moved address and the index of its move in the pass.
pub type MovedAddr = (IpAddr, usize);

/// Sorts `moved` for [`move_of`]: by address, then by move index.
pub fn sort(moved: &mut [MovedAddr]) {
    moved.sort_unstable();
}

/// The move (the lowest index, if one pass moved the address twice) of
/// `addr` in `moved`, sorted by [`sort`]; `None` if it did not move.
pub fn move_of(moved: &[MovedAddr], addr: &IpAddr) -> Option<usize> {
    find(moved, addr, |_| true)
}

/// The lowest index among `addr`'s entries in `moved` (sorted by [`sort`])
/// that `accept` takes (for instance the neighbour update of the netdev an
/// id uses, when one address moved on several).
pub fn find(moved: &[MovedAddr], addr: &IpAddr, accept: impl Fn(usize) -> bool) -> Option<usize> {
    let first = moved.partition_point(|(a, _)| a < addr);
    moved
        .get(first..)?
        .iter()
        .take_while(|(a, _)| a == addr)
        .map(|(_, i)| *i)
        .find(|i| accept(*i))
}
