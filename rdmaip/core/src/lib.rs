// SPDX-License-Identifier: GPL-2.0

//! rdmaip's decision logic, free of kernel dependencies.
//!
//! Every file under `src/` except this one is also compiled into the kernel
//! module (see `rdmaip/logic.rs`), so the host tests here exercise exactly
//! the code that runs in the kernel. Rules for those files: `no_std`, no
//! allocation, no `unsafe`, edition 2021, and nothing newer than what both
//! the rustup toolchain and Debian's rustc-web accept.

#![no_std]
#![forbid(unsafe_code)]

pub mod announce;
pub mod group;
pub mod moved_addrs;
pub mod peer;
pub mod port;
pub mod probe;
pub mod reconcile;
pub mod rtaddr;
