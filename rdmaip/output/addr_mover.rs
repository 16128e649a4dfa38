// SPDX-License-Identifier: GPL-2.0

//! Addresses moved the way `ip addr` would move them: `RTM_DELADDR` on the
//! old port's netdev, `RTM_NEWADDR` on the new one (IPv6 with
//! `IFA_F_NODAD`, so it is usable at once), over rdmaip's own rtnetlink
//! socket; and the kernel's addresses read back over the same socket.
//!
//! rtnetlink takes rtnl itself: never call these with rtnl or an rdmaip
//! lock held (the socket's own mutex only serialises its users).

use super::planned_move::Move;
use crate::logic::rtaddr::{self, AddrInfo, IpAddr};
use crate::sys::errno::eaddrnotavail;
use crate::sys::rtnl_sock::RtnlSocket;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// The rtnetlink socket, serialised.
#[pin_data]
pub(crate) struct AddrMover {
    #[pin]
    sock: Mutex<RtnlSocket>,
}

impl AddrMover {
    pub(crate) fn new(sock: RtnlSocket) -> impl PinInit<Self> {
        pin_init!(Self {
            sock <- new_mutex!(sock, "rdmaip_engine_rtnl"),
        })
    }

    /// Every address of the namespace.
    pub(crate) fn read_addrs(&self) -> Result<KVec<AddrInfo>> {
        let mut found = KVec::new();
        let mut alloc = Ok(());
        let dumped = self.sock.lock().dump_addrs(|a| {
            if alloc.is_ok() {
                alloc = found.push(a, GFP_KERNEL);
            }
        });
        dumped.and(alloc.map_err(Error::from))?;
        Ok(found)
    }

    /// Carries out every move; returns, per move, whether it succeeded.
    pub(crate) fn move_all(&self, moves: &[Move]) -> KVec<bool> {
        let mut done = KVec::new();
        if done.reserve(moves.len(), GFP_KERNEL).is_err() {
            pr_err!("out of memory: {} address moves postponed\n", moves.len());
            return done;
        }
        let mut sock = self.sock.lock();
        for m in moves.iter() {
            let ok = execute(&mut sock, m);
            // Cannot fail: reserved above.
            if done.push(ok, GFP_KERNEL).is_err() {
                pr_err!(
                    "out of memory: the result of moving {} is lost\n",
                    m.info.addr
                );
                break;
            }
        }
        done
    }
}

/// Whether rtnetlink's answer `ret` leaves the address where we want it,
/// given the errnos that mean so (`ok_errs`).
fn answer_ok(ret: i32, ok_errs: &[Error]) -> bool {
    ret == 0 || ok_errs.iter().any(|e| e.to_errno() == ret)
}

/// Moves one address: delete from the old netdev (if it is still there),
/// add to the new one.
fn execute(sock: &mut RtnlSocket, m: &Move) -> bool {
    if let Some(ifindex) = m.from_ifindex {
        let mut old = m.info;
        old.ifindex = ifindex as u32;
        match sock.request(|b, s| rtaddr::encode_deladdr(b, s, &old)) {
            // Already gone from there.
            Ok(e) if answer_ok(e, &[ENODEV, eaddrnotavail()]) => {}
            Ok(e) => pr_warn!("removing {} from its old port failed: {}\n", m.info.addr, e),
            Err(e) => pr_warn!(
                "removing {} from its old port failed: {:?}\n",
                m.info.addr,
                e
            ),
        }
    }
    let mut new = m.info;
    new.ifindex = m.to_dev.ifindex() as u32;
    let label = new.label_for(m.to_name.as_bytes());
    let extra = match new.addr {
        IpAddr::V6(_) => rtaddr::IFA_F_NODAD,
        IpAddr::V4(_) => 0,
    };
    match sock.request(|b, s| rtaddr::encode_newaddr(b, s, &new, &label, extra)) {
        Ok(e) if answer_ok(e, &[EEXIST]) => return true,
        Ok(e) => pr_err!("adding {} to its new port failed: {}\n", m.info.addr, e),
        Err(e) => pr_err!("adding {} to its new port failed: {:?}\n", m.info.addr, e),
    }
    // Never lose an address: put it back where it was.
    if let Some(ifindex) = m.from_ifindex {
        let mut old = m.info;
        old.ifindex = ifindex as u32;
        let label = old.label_for(m.from.netdev_name.as_bytes());
        match sock.request(|b, s| rtaddr::encode_newaddr(b, s, &old, &label, extra)) {
            Ok(e) if answer_ok(e, &[EEXIST]) => {}
            other => pr_err!(
                "{} is lost: putting it back failed too ({:?})\n",
                m.info.addr,
                other
            ),
        }
    }
    false
}
