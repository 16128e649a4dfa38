// SPDX-License-Identifier: GPL-2.0

//! rdmaipctl: configures rdmaip groups of RDMA ports and watches their
//! events over the `rdmaip` generic netlink family
//! (`Documentation/netlink/specs/rdmaip.yaml`).

pub mod cli;
pub mod commands;
pub mod config;
pub mod duration;
pub mod error;
pub mod model;
pub mod names;
pub mod netdev;
pub mod netlink;
pub mod output;
pub mod records;
pub mod requests;
pub mod table;
pub mod uapi;
