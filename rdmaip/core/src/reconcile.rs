// SPDX-License-Identifier: GPL-2.0

//! How a group's address records follow the admin's changes of addresses.
//!
//! After any address of the namespace changes, the module re-reads them
//! all and brings each group's records in line, member by member in member
//! order:
//!
//! - a recorded address missing from the healthy member that carries it
//!   was removed by the admin: it is forgotten, never resurrected;
//! - a member that is down may have lost addresses to the link going down
//!   (the kernel deletes IPv6 addresses then): those are kept, to move with
//!   the rest;
//! - a movable address on a member's netdev that no record names yet is
//!   adopted: homed on that member and carried by it.

use super::rtaddr::{AddrInfo, IpAddr};

/// A group member as the reconciliation sees it: its netdev and health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberNetdev {
    /// Interface index of its netdev.
    pub ifindex: u32,
    /// Whether the port is healthy.
    pub healthy: bool,
}

/// A group's address records, changed as the reconciliation decides.
pub trait AddrRecords {
    /// What adopting an address can fail with (no memory).
    type Error;
    /// Forgets every record carried by member `member` for which `forget`
    /// returns true.
    fn forget_where(&mut self, member: usize, forget: &mut dyn FnMut(&IpAddr) -> bool);
    /// Whether some record names `addr`.
    fn known(&self, addr: &IpAddr) -> bool;
    /// Records `a` as homed on and carried by member `member`.
    fn adopt(&mut self, a: &AddrInfo, member: usize) -> Result<(), Self::Error>;
}

/// Whether the kernel has `addr` on netdev `ifindex`.
pub fn present(found: &[AddrInfo], ifindex: u32, addr: &IpAddr) -> bool {
    found
        .iter()
        .any(|f| f.ifindex == ifindex && f.addr == *addr)
}

/// Whether a record of `addr`, carried by `carrier`, stays, given every
/// address of the namespace (`found`).
pub fn keep_recorded(addr: &IpAddr, carrier: MemberNetdev, found: &[AddrInfo]) -> bool {
    !carrier.healthy || present(found, carrier.ifindex, addr)
}

/// Whether `a`, found in the kernel, is adopted by the member whose netdev
/// is `ifindex` (`known`: some record already names it).
pub fn adopts(a: &AddrInfo, ifindex: u32, known: bool) -> bool {
    a.ifindex == ifindex && a.movable() && !known
}

/// Brings `records` in line with `found` (every address of the namespace);
/// `members[m]` is member `m`'s netdev and health, `None` for an empty slot
/// or a member without a netdev. Stops at the first failure to adopt.
pub fn reconcile<R: AddrRecords>(
    members: &[Option<MemberNetdev>],
    found: &[AddrInfo],
    records: &mut R,
) -> Result<(), R::Error> {
    for (m, member) in members.iter().enumerate() {
        let Some(member) = *member else {
            continue;
        };
        records.forget_where(m, &mut |addr| !keep_recorded(addr, member, found));
        for a in found {
            if adopts(a, member.ifindex, records.known(&a.addr)) {
                records.adopt(a, m)?;
            }
        }
    }
    Ok(())
}
