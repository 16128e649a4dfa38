// SPDX-License-Identifier: GPL-2.0

//! What rdmaip does to the world and tells it, always with no rdmaip lock
//! (and not rtnl) held: address moves over rtnetlink, announcements,
//! ADDR_CHANGE for rdma_cm ids, the ULP notifier, the monitor
//! notifications and the log lines of moves, and the netlink attribute
//! encoders shared with the replies to requests.

pub(crate) mod addr_mover;
pub(crate) mod announcer;
pub(crate) mod attrs;
pub(crate) mod cm_events;
pub(crate) mod gid_wait;
pub(crate) mod monitor;
pub(crate) mod move_report;
pub(crate) mod moved_index;
pub(crate) mod neigh_warm;
pub(crate) mod planned_move;
pub(crate) mod remote_cm_events;
pub(crate) mod ulp_notifier;
