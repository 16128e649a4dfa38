// SPDX-License-Identifier: GPL-2.0

//! The peer side of a move: which local rdma_cm ids to tell that the
//! remote address they are connected to moved.
//!
//! When a peer running rdmaip moves an address to another port, it
//! announces it, and this node's neighbour entry for that address gets the
//! new port's link-layer address. A connected rdma_cm id keeps using the
//! link-layer address it resolved when it connected (the destination MAC
//! of its RoCE path, or the destination GID of its InfiniBand path) until
//! its consumer reconnects; nothing else tells the consumer, until its
//! retries or keep-alives run out. So for every neighbour update, each
//! connected id to that address through that netdev whose path uses
//! another link-layer address than the new one gets one
//! `RDMA_CM_EVENT_ADDR_CHANGE`, at most once per move.

use super::rtaddr::IpAddr;

/// Longest link-layer address (`MAX_ADDR_LEN`).
pub const LL_MAX: usize = 32;

/// Length of an Ethernet (RoCE) link-layer address.
pub const ETH_ALEN: usize = 6;

/// Length of an IPoIB link-layer address: 4 bytes of flags and QPN, then
/// the port's 16-byte GID.
pub const IPOIB_ALEN: usize = 20;

/// A link-layer address.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LinkAddr {
    len: u8,
    bytes: [u8; LL_MAX],
}

impl LinkAddr {
    /// The address in `b`; `None` if it is longer than [`LL_MAX`].
    pub fn new(b: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; LL_MAX];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(LinkAddr {
            len: b.len() as u8,
            bytes,
        })
    }

    /// The address's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether it is empty or all zeroes (an unresolved entry).
    pub fn is_unset(&self) -> bool {
        self.as_bytes().iter().all(|b| *b == 0)
    }
}

/// A neighbour entry as a neighbour update left it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NeighUpdate {
    /// The netdev the entry is on.
    pub ifindex: u32,
    /// The remote address.
    pub ip: IpAddr,
    /// Its link-layer address now.
    pub lladdr: LinkAddr,
    /// Whether the entry is valid (`NUD_VALID`): only a valid entry says
    /// where the remote address is.
    pub valid: bool,
    /// Whether the entry is being removed (garbage-collected, flushed with
    /// its netdev's carrier, deleted by hand): it says nothing about where
    /// the address is now, and the next announcement would find no entry
    /// to update (see [`needs_entry`]).
    pub removed: bool,
    /// When the update arrived (monotonic ns).
    pub at_ns: u64,
}

impl NeighUpdate {
    /// Whether `other` is about the same entry.
    pub fn same_entry(&self, other: &NeighUpdate) -> bool {
        self.ifindex == other.ifindex && self.ip == other.ip
    }

    /// Folds a later update of the same entry into this one: the entry's
    /// latest state counts, the first arrival time stays (delivery
    /// latency is measured from the first update of a batch).
    pub fn merge(&mut self, later: &NeighUpdate) {
        self.lladdr = later.lladdr;
        self.valid = later.valid;
        self.removed = later.removed;
    }
}

/// The path of an rdma_cm id to its peer: what it was resolved to when it
/// connected.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PeerPath {
    /// RoCE: the destination MAC.
    Roce([u8; ETH_ALEN]),
    /// InfiniBand: the destination GID.
    Ib([u8; 16]),
    /// The id has no path record (or one of another kind).
    Unknown,
}

impl PeerPath {
    /// Whether the path leads to `lladdr`.
    pub fn reaches(&self, lladdr: &LinkAddr) -> bool {
        let ll = lladdr.as_bytes();
        match self {
            PeerPath::Roce(mac) => ll == mac,
            PeerPath::Ib(gid) => ll.len() == IPOIB_ALEN && ll.get(4..) == Some(&gid[..]),
            PeerPath::Unknown => false,
        }
    }
}

/// A connected rdma_cm id, as read under its handler mutex.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ConnectedId {
    /// The netdev the id is bound to (`bound_dev_if`), 0 if none.
    pub ifindex: u32,
    /// The remote address it is connected to.
    pub dst: IpAddr,
    /// Its path.
    pub path: PeerPath,
}

/// What a neighbour update means for one connected id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// The remote address moved away from the id's path: tell it.
    Tell,
    /// The entry is not valid or has no address: it says nothing about
    /// where the remote address is.
    Unresolved,
    /// The id is connected to another address.
    OtherAddress,
    /// The id uses another netdev.
    OtherNetdev,
    /// The id's path has no link-layer address to compare.
    NoPath,
    /// The id's path leads to the entry's address: nothing moved for it (a
    /// refresh, a first resolution, or a move back to where it connected).
    Current,
    /// The id was already told that the address moved there.
    AlreadyTold,
    /// The entry is being removed: nothing moved (see [`needs_entry`]).
    Removed,
}

/// What `update` means for `id`, which was last told that its remote
/// address moved to `told` (if it was).
pub fn verdict(id: &ConnectedId, update: &NeighUpdate, told: Option<&LinkAddr>) -> Verdict {
    if update.removed {
        Verdict::Removed
    } else if !update.valid || update.lladdr.is_unset() {
        Verdict::Unresolved
    } else if id.dst != update.ip {
        Verdict::OtherAddress
    } else if id.ifindex != 0 && id.ifindex != update.ifindex {
        Verdict::OtherNetdev
    } else if id.path == PeerPath::Unknown {
        Verdict::NoPath
    } else if id.path.reaches(&update.lladdr) {
        Verdict::Current
    } else if told == Some(&update.lladdr) {
        Verdict::AlreadyTold
    } else {
        Verdict::Tell
    }
}

/// What to remember about `id` after `verdict` for `update`: the address
/// it was told about, or nothing once the remote address is back on the
/// id's own path (so that the next move away is a new move).
pub fn remember(
    verdict: Verdict,
    update: &NeighUpdate,
    told: Option<LinkAddr>,
) -> Option<LinkAddr> {
    match verdict {
        Verdict::Tell => Some(update.lladdr),
        Verdict::Current => None,
        _ => told,
    }
}

/// Whether `id` needs the entry that `update` removes made again. An
/// announcement updates an existing entry only (ARP and neighbour
/// discovery create none for unsolicited messages), and RDMA traffic never
/// uses the entry, so the kernel removes an entry that a long-lived
/// connection depends on: after `gc_stale_time` (60 s) unused once the
/// table holds `gc_thresh1` (128) entries, or with its netdev's carrier.
/// Without an entry, the peer's next move would go unnoticed. Only an
/// entry that had a link-layer address is made again, so an unreachable
/// peer's failed entry is not resolved over and over.
pub fn needs_entry(id: &ConnectedId, update: &NeighUpdate) -> bool {
    update.removed
        && !update.lladdr.is_unset()
        && id.dst == update.ip
        && (id.ifindex == 0 || id.ifindex == update.ifindex)
}
