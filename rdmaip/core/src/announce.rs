// SPDX-License-Identifier: GPL-2.0

//! When an announcement of moved addresses is redundant.
//!
//! One announcement (gratuitous ARP / unsolicited NA) covers every address
//! of a netdev, so a pass that moves addresses to a netdev does not start
//! another series of announcements there when one is due within
//! [`DUE_SOON_NS`]: that one will announce the new addresses too.

use super::group::NS_PER_MS;

/// How soon a pending announcement must be due to cover new addresses.
pub const DUE_SOON_NS: u64 = NS_PER_MS;

/// Whether a new series of announcements on a netdev is redundant at
/// `now`, given when the pending announcements on that netdev are next due.
pub fn redundant(pending_next_ns: impl IntoIterator<Item = u64>, now: u64) -> bool {
    let soon = now.saturating_add(DUE_SOON_NS);
    pending_next_ns.into_iter().any(|next| next <= soon)
}
