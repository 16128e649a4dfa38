// SPDX-License-Identifier: GPL-2.0

//! The addresses of a pass's moves (local moves, or neighbour updates),
//! sorted once so that each rdma_cm id's address is a binary search
//! (`logic::moved_addrs`).

use super::planned_move::Move;
use crate::logic::moved_addrs::{self, MovedAddr};
use crate::logic::rtaddr::IpAddr;
use kernel::prelude::*;

/// A pass's entries `0..len`, looked up by the address `addr_of` gives
/// each (`None`: the entry moved nothing, e.g. a move that failed).
pub(crate) struct MovedIndex<F: Fn(usize) -> Option<IpAddr>> {
    len: usize,
    addr_of: F,
    /// Sorted (address, entry); `None` without memory for it, and then
    /// each lookup scans the entries.
    sorted: Option<KVec<MovedAddr>>,
}

impl<F: Fn(usize) -> Option<IpAddr>> MovedIndex<F> {
    pub(crate) fn new(len: usize, addr_of: F) -> Self {
        let sorted = Self::sorted(len, &addr_of);
        MovedIndex {
            len,
            addr_of,
            sorted,
        }
    }

    fn sorted(len: usize, addr_of: &F) -> Option<KVec<MovedAddr>> {
        let mut moved = KVec::with_capacity(len, GFP_KERNEL).ok()?;
        for i in 0..len {
            if let Some(a) = addr_of(i) {
                moved.push((a, i), GFP_KERNEL).ok()?;
            }
        }
        moved_addrs::sort(&mut moved);
        Some(moved)
    }

    /// The lowest entry of `addr` that `accept` takes.
    pub(crate) fn find(&self, addr: &IpAddr, accept: impl Fn(usize) -> bool) -> Option<usize> {
        match &self.sorted {
            Some(sorted) => moved_addrs::find(sorted, addr, accept),
            None => (0..self.len).find(|i| (self.addr_of)(*i) == Some(*addr) && accept(*i)),
        }
    }
}

/// The addresses of a pass's moves that were carried out (`done`), by move
/// index: what local delivery and the neighbour warm-up look ids up in.
pub(crate) fn of_done<'a>(
    moves: &'a [Move],
    done: &'a [bool],
) -> MovedIndex<impl Fn(usize) -> Option<IpAddr> + 'a> {
    MovedIndex::new(moves.len(), move |i| {
        moves
            .get(i)
            .filter(|_| done.get(i) == Some(&true))
            .map(|m| m.info.addr)
    })
}
