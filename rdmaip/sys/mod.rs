// SPDX-License-Identifier: GPL-2.0

//! The only place with `unsafe` code: one thin, safe wrapper per C API the
//! module uses, on top of the bindgen declarations (`ffi`) and the C shim
//! (`shim.c`) for what Rust cannot call directly.

pub(crate) mod addr_notifier;
pub(crate) mod clock;
pub(crate) mod cm_ids;
pub(crate) mod errno;
pub(crate) mod ffi;
pub(crate) mod genl;
pub(crate) mod ib;
pub(crate) mod ib_event;
pub(crate) mod irq_lock;
pub(crate) mod names;
pub(crate) mod neigh_notifier;
pub(crate) mod neigh_resolve;
pub(crate) mod netdev;
pub(crate) mod netdev_notifier;
pub(crate) mod notifier;
pub(crate) mod packet_tap;
pub(crate) mod rtnl_sock;
pub(crate) mod stack_string;
pub(crate) mod ulp_abi;
pub(crate) mod workq;
