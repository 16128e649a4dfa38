// SPDX-License-Identifier: GPL-2.0

//! rdmaip's decision logic, compiled from the same files as the host crate
//! `rdmaip-core` (in `core/src/`), where it is unit- and property-tested.

// The host crate's API is public; here only part of it is used yet.
#[allow(unreachable_pub, dead_code)]
#[path = "core/src/port.rs"]
pub(crate) mod port;
