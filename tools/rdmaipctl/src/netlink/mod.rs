// SPDX-License-Identifier: GPL-2.0

//! Just enough netlink and generic netlink for rdmaipctl, written out
//! rather than pulled from a framework: the wire format is small and fixed.

pub mod attr;
pub mod ctrl;
pub mod message;
pub mod session;
pub mod socket;
