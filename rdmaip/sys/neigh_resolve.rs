// SPDX-License-Identifier: GPL-2.0

//! Neighbour resolution ahead of rdma_cm (wraps `ip_route_output_key()` /
//! `ip6_route_output()`, `dst_neigh_lookup()` and `neigh_event_send()`,
//! through the shim): the neighbour entry that rdma_cm's address
//! resolution will use for a packet from a local address to a remote one,
//! looked up as rdma_cm looks it up, and its resolution started. And for
//! peer notification: an entry made again after the kernel removed it, on
//! the netdev it was on if the route still leads there.

use crate::logic::rtaddr::IpAddr;
use crate::sys::ffi;
use kernel::error::{code::EINVAL, Error, Result};

/// Where a neighbour entry stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Neigh {
    /// Valid (`NUD_VALID`): rdma_cm uses its link-layer address at once.
    Valid,
    /// Being resolved (a request was sent, now or before).
    Resolving,
}

/// Looks up the route from `src` to `dst` (`init_net`) and its neighbour
/// entry, and starts resolving the entry unless it is valid. `EINVAL` if
/// the families differ; the route lookup's error without a route. Process
/// context, no lock held that the stack's transmit path takes.
pub(crate) fn resolve(src: &IpAddr, dst: &IpAddr) -> Result<Neigh> {
    let (family, s, d): (u16, &[u8], &[u8]) = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => (src.family().into(), s, d),
        (IpAddr::V6(s), IpAddr::V6(d)) => (src.family().into(), s, d),
        _ => return Err(EINVAL),
    };
    // SAFETY: `s` and `d` hold 4 bytes for AF_INET and 16 for AF_INET6, as
    // the shim reads them; it takes its own references and drops them.
    neigh_of(unsafe { ffi::rdmaip_neigh_warm(family, s.as_ptr(), d.as_ptr()) })
}

/// The shim's answer: 1 valid, 0 being resolved, a negative errno.
fn neigh_of(ret: i32) -> Result<Neigh> {
    match ret {
        1 => Ok(Neigh::Valid),
        0 => Ok(Neigh::Resolving),
        e => Err(Error::from_errno(e)),
    }
}

/// Makes the neighbour entry for `dst` (`init_net`) if there is none, and
/// starts resolving it unless it is valid, when the route to `dst` leads
/// through netdev `ifindex` and that has carrier (`ENETUNREACH` if not);
/// the route lookup's error; `ENOMEM`. Process context, no lock held that
/// the stack's transmit path takes.
pub(crate) fn remake(ifindex: u32, dst: &IpAddr) -> Result<Neigh> {
    // SAFETY: `bytes()` holds 4 bytes for AF_INET and 16 for AF_INET6, as
    // the shim reads them; it takes its own references and drops them.
    neigh_of(unsafe {
        ffi::rdmaip_neigh_remake(ifindex, dst.family().into(), dst.bytes().as_ptr())
    })
}
