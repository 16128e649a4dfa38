// SPDX-License-Identifier: GPL-2.0

//! One move the engine decided, with everything the outputs need to carry
//! it out and report it without the registry lock.

use crate::logic::rtaddr::AddrInfo;
use crate::state::group_name::GroupName;
use crate::state::port::PortInfo;
use crate::state::reason::Reason;
use crate::sys::ib::IbDeviceRef;
use crate::sys::names::IfName;
use crate::sys::netdev::NetDevRef;

/// One move of one address.
pub(crate) struct Move {
    /// Group slot and name.
    pub(crate) group: usize,
    pub(crate) group_name: GroupName,
    /// Address slot in the group.
    pub(crate) addr_slot: usize,
    /// Member index the address moves to.
    pub(crate) to_member: usize,
    pub(crate) reason: Reason,
    pub(crate) info: AddrInfo,
    /// The old port's netdev, if it still has one.
    pub(crate) from_ifindex: Option<i32>,
    pub(crate) from: PortInfo,
    pub(crate) to: PortInfo,
    pub(crate) to_dev: NetDevRef,
    pub(crate) to_name: IfName,
    /// For the ULP notifier: the old port's netdev (if it still has one)
    /// and both RDMA devices.
    pub(crate) from_dev: Option<NetDevRef>,
    pub(crate) from_ib: IbDeviceRef,
    pub(crate) to_ib: IbDeviceRef,
    /// When the event that caused the move happened (monotonic ns).
    pub(crate) since_ns: u64,
    pub(crate) announce_count: u32,
    pub(crate) announce_interval_ms: u32,
}

/// The moves of one pass and, per move, whether it was carried out (the
/// outputs after the move itself act on the moves that were).
pub(crate) fn carried_out<'a>(
    moves: &'a [Move],
    done: &'a [bool],
) -> impl Iterator<Item = (usize, &'a Move)> + 'a {
    moves
        .iter()
        .zip(done.iter())
        .enumerate()
        .filter(|(_, (_, ok))| **ok)
        .map(|(i, (m, _))| (i, m))
}
