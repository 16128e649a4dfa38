// SPDX-License-Identifier: GPL-2.0

//! rdmaip's decision logic, compiled from the same files as the host crate
//! `rdmaip-core` (in `core/src/`), where it is unit- and property-tested.
//!
//! The host crate's API is public, and the module does not use all of it
//! yet, hence the allowances.

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/port.rs"]
pub(crate) mod port;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/group.rs"]
pub(crate) mod group;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/rtaddr.rs"]
pub(crate) mod rtaddr;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/moved_addrs.rs"]
pub(crate) mod moved_addrs;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/announce.rs"]
pub(crate) mod announce;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/reconcile.rs"]
pub(crate) mod reconcile;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/peer.rs"]
pub(crate) mod peer;

#[allow(unreachable_pub, dead_code)]
#[path = "core/src/probe.rs"]
pub(crate) mod probe;
