// SPDX-License-Identifier: GPL-2.0

//! Peer notification: `RDMA_CM_EVENT_ADDR_CHANGE` for the connected
//! rdma_cm ids whose remote address moved to another link-layer address
//! (see `logic::peer` for which ids, and `sys/cm_ids.rs` for how).

use super::monitor;
use super::moved_index::MovedIndex;
use crate::logic::peer::{
    needs_entry, remember, verdict, LinkAddr, NeighUpdate, PeerPath, Verdict,
};
use crate::logic::rtaddr::IpAddr;
use crate::sys::clock::{mono_ns, WallTime};
use crate::sys::cm_ids::{self, IdKey};
use crate::sys::ib::IbDeviceRef;
use crate::sys::names::IfName;
use crate::sys::neigh_resolve;
use kernel::error::code::ENOMEM;
use kernel::prelude::*;

/// What an id was last told about its remote address (kept between
/// passes, so that it hears of each move once).
#[derive(Clone, Copy)]
pub(crate) struct Told {
    key: IdKey,
    dst: IpAddr,
    /// Where the address moved, as the id was told; `None` once the
    /// address is back on the id's own path.
    lladdr: Option<LinkAddr>,
    /// Whether this pass found the id still connected.
    seen: bool,
}

/// A neighbour update of a pass and what was done about it.
pub(crate) struct RemoteMove {
    pub(crate) update: NeighUpdate,
    /// The link-layer address the told ids were using (the first one's).
    pub(crate) old: Option<LinkAddr>,
    /// How many ids were told.
    pub(crate) ids: u32,
    /// When the last of them was told (monotonic ns).
    pub(crate) done_ns: u64,
    /// Whether a connected id needs the entry the update removed.
    pub(crate) remake: bool,
}

/// The link-layer address an id's path uses, for the report.
fn path_addr(path: &PeerPath) -> Option<LinkAddr> {
    match path {
        PeerPath::Roce(mac) => LinkAddr::new(mac),
        PeerPath::Ib(gid) => LinkAddr::new(gid),
        PeerPath::Unknown => None,
    }
}

/// Tells the connected ids on `devs` about `updates`, with `told` what
/// they heard before; returns one report per update (none if there was no
/// memory for them: the ids are told all the same). Calls consumers'
/// handlers: the caller holds no lock.
pub(crate) fn deliver(
    devs: &[IbDeviceRef],
    updates: &[NeighUpdate],
    told: &mut KVec<Told>,
) -> KVec<RemoteMove> {
    let mut moves = KVec::new();
    for u in updates {
        let m = RemoteMove {
            update: *u,
            old: None,
            ids: 0,
            done_ns: 0,
            remake: false,
        };
        if moves.push(m, GFP_KERNEL).is_err() {
            pr_warn!("out of memory: remote moves are not reported\n");
            moves = KVec::new();
            break;
        }
    }
    for t in told.iter_mut() {
        t.seen = false;
    }
    // Each id finds its update, and what it was told before, by binary
    // search: updates sorted by address, `told` by key (ids x log, not
    // ids x updates and ids x told). Ids told for the first time are kept
    // apart until the pass ends (each id is visited once).
    let by_addr = MovedIndex::new(updates.len(), |i| updates.get(i).map(|u| u.ip));
    told.sort_unstable_by_key(|t| t.key);
    let mut fresh: KVec<Told> = KVec::new();
    let update_of = |dst: &IpAddr, ifindex: u32| {
        by_addr.find(dst, |i| {
            updates
                .get(i)
                .is_some_and(|u| ifindex == 0 || ifindex == u.ifindex)
        })
    };
    let moved = |dst: &IpAddr| update_of(dst, 0).is_some();
    for dev in devs {
        cm_ids::notify_peer_moved(dev, &moved, &mut |key, id| {
            let Some(i) = update_of(&id.dst, id.ifindex) else {
                return false;
            };
            let Some(u) = updates.get(i) else {
                return false;
            };
            let slot = told.binary_search_by_key(&key, |t| t.key).ok();
            let before = slot.and_then(|s| told.get(s)).and_then(|t| t.lladdr);
            let v = verdict(id, u, before.as_ref());
            let after = remember(v, u, before);
            if needs_entry(id, u) {
                if let Some(m) = moves.get_mut(i) {
                    m.remake = true;
                }
            }
            match slot.and_then(|s| told.get_mut(s)) {
                Some(t) => {
                    t.lladdr = after;
                    t.seen = true;
                }
                None if after.is_some() => {
                    let t = Told {
                        key,
                        dst: id.dst,
                        lladdr: after,
                        seen: true,
                    };
                    if fresh.push(t, GFP_KERNEL).is_err() {
                        pr_warn!("out of memory: an rdma_cm id may hear of a remote move twice\n");
                    }
                }
                None => {}
            }
            if v != Verdict::Tell {
                return false;
            }
            if let Some(m) = moves.get_mut(i) {
                m.ids += 1;
                if m.old.is_none() {
                    m.old = path_addr(&id.path);
                }
                m.done_ns = mono_ns();
            }
            true
        });
    }
    forget_gone(told, &moved);
    for t in fresh.iter() {
        if told.push(*t, GFP_KERNEL).is_err() {
            pr_warn!("out of memory: an rdma_cm id may hear of a remote move twice\n");
            break;
        }
    }
    moves
}

/// Makes again the neighbour entries that the kernel removed while
/// connected ids depend on them (see `logic::peer::needs_entry`), so that
/// the peer's next announcement finds an entry to update.
pub(crate) fn remake_entries(moves: &[RemoteMove]) {
    for m in moves.iter().filter(|m| m.remake) {
        let u = &m.update;
        // Any other error means nothing to make: the route leads elsewhere
        // now or the netdev lost its carrier (both flush its entries, and
        // the ids hear of that otherwise), or the netdev is gone.
        if let Err(ENOMEM) = neigh_resolve::remake(u.ifindex, &u.ip) {
            pr_warn!(
                "out of memory: neighbour entry for {} (ifindex {}) not made again; a move of that address may go unnoticed\n",
                u.ip,
                u.ifindex
            );
        }
    }
}

/// Drops what was remembered about ids that are gone (destroyed or no
/// longer connected: a scan for their address, one that `moved`, did not
/// find them) or back on their own path.
fn forget_gone(told: &mut KVec<Told>, moved: &dyn Fn(&IpAddr) -> bool) {
    let keep = |t: &Told| t.lladdr.is_some() && (t.seen || !moved(&t.dst));
    if told.iter().all(keep) {
        return;
    }
    let mut kept = KVec::new();
    for t in told.iter().filter(|t| keep(t)) {
        if kept.push(*t, GFP_KERNEL).is_err() {
            // Keep the old table: stale entries only mean ids that no
            // longer exist.
            return;
        }
    }
    *told = kept;
}

/// A link-layer address as `ip neigh` prints it.
struct Hex<'a>(&'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            write!(f, "{}{:02x}", if i == 0 { "" } else { ":" }, b)?;
        }
        Ok(())
    }
}

/// Logs, counts and reports the remote moves of a pass on netdev
/// `ifname`; `delivery_us` is how long telling the ids took.
pub(crate) fn report(ifname: &IfName, moves: &[RemoteMove], delivery_us: u64, count: &dyn Fn(u32)) {
    let at = WallTime::now();
    for m in moves.iter().filter(|m| m.ids > 0) {
        count(m.ids);
        let u = &m.update;
        let latency_us = m.done_ns.saturating_sub(u.at_ns) / 1000;
        let old = m.old.as_ref().map(|o| o.as_bytes());
        pr_info!(
            "remote {} on {} moved {} -> {}: {} rdma_cm ids told in {} us ({} us after the neighbour update) at {}\n",
            u.ip,
            ifname,
            Hex(old.unwrap_or(&[])),
            Hex(u.lladdr.as_bytes()),
            m.ids,
            delivery_us,
            latency_us,
            at
        );
        monitor::remote_move(
            ifname.as_bytes(),
            u.ifindex,
            &u.ip,
            old,
            u.lladdr.as_bytes(),
            m.ids,
            delivery_us,
            latency_us,
            at,
        );
    }
}
