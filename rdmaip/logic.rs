// SPDX-License-Identifier: GPL-2.0

//! rdmaip's decision logic, compiled from the same files as the host crate
//! `rdmaip-core` (in `core/src/`), where it is unit- and property-tested.

#[path = "core/src/port.rs"]
pub mod port;
