// SPDX-License-Identifier: GPL-2.0

//! The ULPs' move notifier (`include/rdmaip.h`), called for each move
//! carried out. No lock is held: the notifiers may sleep and call back
//! into rdmaip.

use super::cm_events::CmDelivery;
use super::planned_move::{carried_out, Move};
use crate::state::port::PortInfo;
use crate::sys::ib::IbDeviceRef;
use crate::sys::netdev::NetDevRef;
use crate::sys::ulp_abi::{self, MoveEnd};

/// Tells the registered ULPs about every move carried out.
pub(crate) fn notify(moves: &[Move], done: &[bool], cm: &CmDelivery) {
    for (i, m) in carried_out(moves, done) {
        ulp_abi::notify_move(
            m.group_name.as_bytes(),
            &m.info.addr,
            m.info.prefixlen,
            end(m.from_dev.as_ref(), &m.from_ib, &m.from),
            end(Some(&m.to_dev), &m.to_ib, &m.to),
            m.reason.uapi(),
            cm.count(i),
        );
    }
}

/// One end of a move, as the notifier names it.
fn end<'a>(netdev: Option<&'a NetDevRef>, ibdev: &'a IbDeviceRef, p: &PortInfo) -> MoveEnd<'a> {
    MoveEnd {
        netdev,
        ibdev,
        port: p.port,
        ifindex: p.ifindex,
    }
}
